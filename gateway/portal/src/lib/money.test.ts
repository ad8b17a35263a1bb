import { describe, expect, it } from 'vitest'
import { fenOf, percent, yuan } from './money'

describe('yuan', () => {
  const tests = [
    { in: '0', want: '0.00' },
    { in: '5', want: '0.05' },
    { in: '1212000', want: '12,120.00' },
    { in: '-30', want: '-0.30' },
    { in: 164000, want: '1,640.00' },
    { in: '900719925474099312', want: '9,007,199,254,740,993.12' }, // beyond double precision, still exact
  ]
  for (const t of tests) it(String(t.in), () => expect(yuan(t.in)).toBe(t.want))
  it('unset stays empty', () => expect(yuan(undefined)).toBe(''))
})

describe('fenOf', () => {
  const tests = [
    { in: '1,234.5', want: 123450 },
    { in: '2995', want: 299500 },
    { in: '0.01', want: 1 },
    { in: '-3', want: -300 },
    { in: '1.234', want: undefined },
    { in: 'abc', want: undefined },
  ]
  for (const t of tests) it(t.in, () => expect(fenOf(t.in)).toBe(t.want))
})

describe('percent', () => {
  it('basis points', () => expect(percent('123')).toBe('1.23%'))
})
