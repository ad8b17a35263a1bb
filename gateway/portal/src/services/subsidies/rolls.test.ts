import { describe, expect, it } from 'vitest'
import { exportFilename, lineReleasable, programsOf, rollActions } from './rolls'

const admin = { department: 'civil_affairs', role: 'county_admin' }
const staff = { department: 'civil_affairs', role: 'department_staff' }
const federation = { department: 'disabled_persons_federation', role: 'county_admin' }
const finance = { department: 'finance', role: 'county_admin' }

describe('rollActions', () => {
  it("a county admin approves a draft of the department's program, then hands it off", () => {
    for (const [who, program] of [
      [admin, 'PROGRAM_DIBAO'],
      [admin, 'PROGRAM_TEMPORARY_ASSISTANCE'],
      [federation, 'PROGRAM_CARE_SUBSIDY'],
    ] as const) {
      expect(rollActions({ program, state: 'ROLL_STATE_DRAFT' }, who)).toEqual({ approve: true, handOff: false })
      expect(rollActions({ program, state: 'ROLL_STATE_APPROVED' }, who)).toEqual({ approve: false, handOff: true })
      expect(rollActions({ program, state: 'ROLL_STATE_HANDED_OFF' }, who)).toEqual({ approve: false, handOff: false })
    }
  })

  it("the other department's rolls are read only", () => {
    expect(rollActions({ program: 'PROGRAM_LIVING_SUBSIDY', state: 'ROLL_STATE_DRAFT' }, admin)).toEqual({ approve: false, handOff: false })
    expect(rollActions({ program: 'PROGRAM_DIBAO', state: 'ROLL_STATE_APPROVED' }, federation)).toEqual({ approve: false, handOff: false })
  })

  it('each department computes its own programs', () => {
    const all = ['PROGRAM_UNSPECIFIED', 'PROGRAM_DIBAO', 'PROGRAM_DESTITUTE', 'PROGRAM_TEMPORARY_ASSISTANCE', 'PROGRAM_LIVING_SUBSIDY', 'PROGRAM_CARE_SUBSIDY']
    expect(programsOf(staff, all)).toEqual(['PROGRAM_DIBAO', 'PROGRAM_DESTITUTE', 'PROGRAM_TEMPORARY_ASSISTANCE'])
    expect(programsOf(federation, all)).toEqual(['PROGRAM_LIVING_SUBSIDY', 'PROGRAM_CARE_SUBSIDY'])
    expect(programsOf(finance, all)).toEqual([])
  })

  it('staff and 财政 only read', () => {
    for (const who of [staff, finance, null]) {
      expect(rollActions({ program: 'PROGRAM_DIBAO', state: 'ROLL_STATE_DRAFT' }, who)).toEqual({ approve: false, handOff: false })
      expect(rollActions({ program: 'PROGRAM_DIBAO', state: 'ROLL_STATE_APPROVED' }, who)).toEqual({ approve: false, handOff: false })
    }
  })
})

describe('exportFilename', () => {
  it("keeps the server's name", () => {
    expect(exportFilename('paymentRolls/dibao-2026-03', 'ROLL_EXPORT_FORMAT_XLSX', '', '名册.xlsx')).toBe('名册.xlsx')
  })
  it('names the roll, the region shown and the format', () => {
    expect(exportFilename('paymentRolls/dibao-2026-03', 'ROLL_EXPORT_FORMAT_XLSX', '')).toBe('发放名册-dibao-2026-03.xlsx')
    expect(exportFilename('paymentRolls/care-subsidy-2026-01', 'ROLL_EXPORT_FORMAT_CSV', '990001002')).toBe('发放名册-care-subsidy-2026-01-990001002.csv')
  })
})

describe('lineReleasable', () => {
  const admin = { department: 'civil_affairs', role: 'county_admin', region: '' }
  const roll = { program: 'PROGRAM_DIBAO', state: 'ROLL_STATE_HANDED_OFF' }
  const failed = { kind: 'ROLL_LINE_KIND_REGULAR', payment_state: 'PAYMENT_STATE_FAILED' }
  const tests: { name: string; line: object; roll?: object; who?: object; want: boolean }[] = [
    { name: 'a failed line, by a county admin of the program’s department', line: failed, want: true },
    { name: 'a failed reissue may be released again', line: { ...failed, kind: 'ROLL_LINE_KIND_REISSUE' }, want: true },
    { name: 'a paid line', line: { ...failed, payment_state: 'PAYMENT_STATE_PAID' }, want: false },
    { name: 'a line not reported yet', line: { ...failed, payment_state: 'PAYMENT_STATE_SENT' }, want: false },
    { name: 'a line released already', line: { ...failed, released_by: 'civil_affairs.county_admin' }, want: false },
    { name: 'a recovery (追回) is never paid again', line: { ...failed, kind: 'ROLL_LINE_KIND_RECOVERY' }, want: false },
    { name: 'by a township officer', line: failed, who: { ...admin, role: 'township_officer', region: '990001101' }, want: false },
    { name: 'by 残联 on a 低保 roll', line: failed, who: { ...admin, department: 'disabled_persons_federation' }, want: false },
    { name: 'by 残联 on a 两项补贴 roll', line: failed, roll: { ...roll, program: 'PROGRAM_CARE_SUBSIDY' }, who: { ...admin, department: 'disabled_persons_federation' }, want: true },
  ]
  for (const t of tests) {
    it(t.name, () => {
      expect(lineReleasable(t.line, t.roll ?? roll, (t.who ?? admin) as never)).toBe(t.want)
    })
  }
})
