// Filters as the services' AIP-160 parser (services/platform/filter) reads them.
import { describe, expect, it } from 'vitest'
import { and, eq, is, memberName, prefix, quote } from './filter'

describe('quote', () => {
  const tests = [
    { in: 'A-1', want: '"A-1"' },
    { in: 'a"b\\c', want: '"a\\"b\\\\c"' },
    { in: "x' OR 1=1 --", want: '"x\' OR 1=1 --"' },
    { in: 'AND', want: '"AND"' },
  ]
  for (const t of tests) it(t.in, () => expect(quote(t.in)).toBe(t.want))
})

describe('memberName', () => {
  const tests = [
    { name: 'exact', in: '王大山', want: 'member_name = "王大山"' },
    { name: 'prefix', in: '王*', want: 'member_name:"王*"' },
    { name: 'trimmed', in: '  王大山 ', want: 'member_name = "王大山"' },
    { name: 'quotes escaped', in: '王"', want: 'member_name = "王\\""' },
  ]
  for (const t of tests) it(t.name, () => expect(memberName(t.in)).toBe(t.want))
})

describe('and', () => {
  it('joins the terms that are set', () => {
    expect(and(prefix('region_code', '990001002'), false, '', undefined, is('registry_status', 'REGISTRY_STATUS_POOR'), eq('household_number', 'A-1'))).toBe(
      'region_code:"990001002" AND registry_status = REGISTRY_STATUS_POOR AND household_number = "A-1"',
    )
  })
  it('is empty when nothing is set', () => expect(and(false, '')).toBe(''))
})
