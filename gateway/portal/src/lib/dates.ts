// dates.ts: business dates are Asia/Shanghai calendar dates (YYYY-MM-DD), whatever the browser's time zone,
// and periods count calendar days with day 1 the day after the start (as services/platform/bizdate does).

const zone = 'Asia/Shanghai'

const dateParts = new Intl.DateTimeFormat('en-US', {
  timeZone: zone,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
})

function parts(t: Date): Record<string, string> {
  const out: Record<string, string> = {}
  for (const p of dateParts.formatToParts(t)) out[p.type] = p.value
  return out
}

/** today is the business date in Asia/Shanghai at the instant now. */
export function today(now: Date = new Date()): string {
  const p = parts(now)
  return `${p.year}-${p.month}-${p.day}`
}

/** formatTime shows an RFC 3339 timestamp as Asia/Shanghai wall time, "YYYY-MM-DD HH:mm"; "" stays "". */
export function formatTime(ts: string | undefined): string {
  if (!ts) return ''
  const t = new Date(ts)
  if (isNaN(t.getTime())) return ts
  const p = parts(t)
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`
}

const dateRe = /^(\d{4})-(\d{2})-(\d{2})$/

function dayNumber(date: string): number {
  const m = dateRe.exec(date)
  if (!m) throw new Error(`not a date: ${date}`)
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / 86_400_000
}

/** daysBetween is the number of calendar days from a to b (negative when b is before a). */
export function daysBetween(a: string, b: string): number {
  return dayNumber(b) - dayNumber(a)
}

/** addDays is the date n calendar days after date. */
export function addDays(date: string, n: number): string {
  return new Date((dayNumber(date) + n) * 86_400_000).toISOString().slice(0, 10)
}

/** isBackdated: a step dated before today needs a back-dating reason (补录原因). */
export function isBackdated(date: string, todayDate: string): boolean {
  return date !== '' && date < todayDate
}

/** PostingClock is where a public posting (公示) stands on a date. */
export interface PostingClock {
  /** Day number of the posting on the date: day 1 is the day after it started. */
  day: number
  /** Days still to run before it may complete (0 once it may). */
  daysLeft: number
  /** The first date it may complete: the start plus its minimum days. */
  completeOn: string
  canComplete: boolean
}

/** postingClock counts a posting of minDays started on start, as of the date on. */
export function postingClock(start: string, minDays: number, on: string): PostingClock {
  const day = daysBetween(start, on)
  return { day, daysLeft: Math.max(0, minDays - day), completeOn: addDays(start, minDays), canComplete: day >= minDays }
}

/** DeadlineClock is where a deadline (e.g. a clue's 15 days) stands on a date. */
export interface DeadlineClock {
  /** Days left including the deadline day itself being in time: 0 on the last day, negative once overdue. */
  daysLeft: number
  overdue: boolean
}

/** deadlineClock: the deadline day is still in time; the day after it is overdue. */
export function deadlineClock(deadline: string, on: string): DeadlineClock {
  const daysLeft = daysBetween(on, deadline)
  return { daysLeft, overdue: daysLeft < 0 }
}
