// Business dates are Asia/Shanghai calendar days whatever the browser's zone; periods count calendar days
// with day 1 the day after the start (services/platform/bizdate).
import { describe, expect, it } from 'vitest'
import { addDays, daysBetween, deadlineClock, formatTime, isBackdated, postingClock, today } from './dates'

describe('today', () => {
  const tests = [
    { name: 'UTC afternoon is the next day in Shanghai', at: '2025-06-01T16:30:00Z', want: '2025-06-02' },
    { name: 'just before midnight in Shanghai', at: '2025-06-01T15:59:59Z', want: '2025-06-01' },
    { name: 'midnight in Shanghai', at: '2025-06-01T16:00:00Z', want: '2025-06-02' },
    { name: 'new year', at: '2024-12-31T16:00:00Z', want: '2025-01-01' },
  ]
  for (const t of tests) it(t.name, () => expect(today(new Date(t.at))).toBe(t.want))
})

describe('formatTime', () => {
  it('shows Shanghai wall time', () => expect(formatTime('2025-06-01T16:30:00Z')).toBe('2025-06-02 00:30'))
  it('keeps empty empty', () => expect(formatTime('')).toBe(''))
})

describe('day arithmetic', () => {
  const tests = [
    { a: '2025-06-01', n: 7, b: '2025-06-08' },
    { a: '2025-02-25', n: 4, b: '2025-03-01' },
    { a: '2024-02-28', n: 1, b: '2024-02-29' },
    { a: '2024-12-30', n: 3, b: '2025-01-02' },
  ]
  for (const t of tests) {
    it(`${t.a} + ${t.n}`, () => {
      expect(addDays(t.a, t.n)).toBe(t.b)
      expect(daysBetween(t.a, t.b)).toBe(t.n)
      expect(daysBetween(t.b, t.a)).toBe(-t.n)
    })
  }
  it('refuses a non-date', () => expect(() => daysBetween('2025-6-1', '2025-06-02')).toThrow())
})

describe('postingClock', () => {
  // A 7-day posting started on 06-01 completes on 06-08 (day 7) at the earliest.
  const tests = [
    { on: '2025-06-01', day: 0, left: 7, can: false },
    { on: '2025-06-02', day: 1, left: 6, can: false },
    { on: '2025-06-07', day: 6, left: 1, can: false },
    { on: '2025-06-08', day: 7, left: 0, can: true },
    { on: '2025-06-20', day: 19, left: 0, can: true },
  ]
  for (const t of tests) {
    it(t.on, () => {
      expect(postingClock('2025-06-01', 7, t.on)).toEqual({ day: t.day, daysLeft: t.left, completeOn: '2025-06-08', canComplete: t.can })
    })
  }
})

describe('deadlineClock', () => {
  // A clue that arose on 06-01 with 15 days has its deadline on 06-16: in time that day, overdue the next.
  const tests = [
    { on: '2025-06-01', left: 15, overdue: false },
    { on: '2025-06-16', left: 0, overdue: false },
    { on: '2025-06-17', left: -1, overdue: true },
  ]
  for (const t of tests) it(t.on, () => expect(deadlineClock('2025-06-16', t.on)).toEqual({ daysLeft: t.left, overdue: t.overdue }))
})

describe('isBackdated', () => {
  it('before today', () => expect(isBackdated('2025-05-31', '2025-06-01')).toBe(true))
  it('today', () => expect(isBackdated('2025-06-01', '2025-06-01')).toBe(false))
  it('unset', () => expect(isBackdated('', '2025-06-01')).toBe(false))
})
