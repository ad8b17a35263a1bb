import { describe, expect, it } from 'vitest'
import { auditFilter, isIDNumber, methodName, whatText, type AuditFilters } from './audit'

const none: AuditFilters = { household: '', person: '', actor: '', action: '', from: '', to: '' }

describe('auditFilter', () => {
  const tests: { name: string; f: Partial<AuditFilters>; want: string }[] = [
    { name: 'nothing', f: {}, want: '' },
    { name: 'a household by id', f: { household: ' 0193-abc ' }, want: 'household:"households/0193-abc"' },
    { name: 'a household by name', f: { household: 'households/0193-abc' }, want: 'household:"households/0193-abc"' },
    { name: 'a person', f: { person: 'p-1' }, want: 'person_id = "p-1"' },
    { name: 'an actor', f: { actor: 'civil_affairs.auditor' }, want: 'actor = "civil_affairs.auditor"' },
    { name: 'an actor prefix', f: { actor: 'service:*' }, want: 'actor:"service:"' },
    { name: 'an action', f: { action: 'AUDIT_ACTION_READ' }, want: 'action = AUDIT_ACTION_READ' },
    {
      name: 'a range of days in Asia/Shanghai, the last day included',
      f: { from: '2026-12-01', to: '2026-12-31' },
      want: 'time >= "2026-12-01T00:00:00+08:00" AND time < "2027-01-01T00:00:00+08:00"',
    },
    {
      name: 'together',
      f: { household: 'h1', action: 'AUDIT_ACTION_CHANGE', from: '2026-12-07' },
      want: 'household:"households/h1" AND action = AUDIT_ACTION_CHANGE AND time >= "2026-12-07T00:00:00+08:00"',
    },
  ]
  for (const t of tests) it(t.name, () => expect(auditFilter({ ...none, ...t.f })).toBe(t.want))
})

describe('rows', () => {
  it('names the method', () => {
    expect(methodName('/fupin.identification.v1.HouseholdService/GetHousehold')).toBe('HouseholdService.GetHousehold')
    expect(methodName(undefined)).toBe('')
  })
  it('a plain read names its household; a list its count and filter', () => {
    expect(whatText({ action: 'AUDIT_ACTION_READ', household: 'households/h1', resource: 'households/h1' })).toBe('households/h1')
    expect(whatText({ action: 'AUDIT_ACTION_LIST', record_count: 50, filter: 'region_code:"990001002"' })).toBe(
      '50 条记录，条件 region_code:"990001002"',
    )
    expect(whatText({ action: 'AUDIT_ACTION_EXPORT', record_count: 3000 })).toBe('3000 条记录，无条件')
    expect(whatText({ action: 'AUDIT_ACTION_DENIED' })).toBe('—')
  })
})

describe('isIDNumber', () => {
  const tests = [
    { in: '99000119650304003X', want: true },
    { in: ' 990001196503040031 ', want: true },
    { in: '99000119650304003x', want: true },
    { in: '01938a6e-0000-7000-8000-000000000001', want: false },
    { in: '9900011965030400', want: false },
  ]
  for (const t of tests) it(t.in, () => expect(isIDNumber(t.in)).toBe(t.want))
})
