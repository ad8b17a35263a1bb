import { describe, expect, it } from 'vitest'
import { exportFilename, rollActions } from './rolls'

const admin = { department: 'civil_affairs', role: 'county_admin' }
const staff = { department: 'civil_affairs', role: 'department_staff' }
const federation = { department: 'disabled_persons_federation', role: 'county_admin' }
const finance = { department: 'finance', role: 'county_admin' }

describe('rollActions', () => {
  it('a county admin of 民政 or 残联 approves a draft, then hands it off', () => {
    for (const who of [admin, federation]) {
      expect(rollActions({ state: 'ROLL_STATE_DRAFT' }, who)).toEqual({ approve: true, handOff: false })
      expect(rollActions({ state: 'ROLL_STATE_APPROVED' }, who)).toEqual({ approve: false, handOff: true })
      expect(rollActions({ state: 'ROLL_STATE_HANDED_OFF' }, who)).toEqual({ approve: false, handOff: false })
    }
  })

  it('staff and 财政 only read', () => {
    for (const who of [staff, finance, null]) {
      expect(rollActions({ state: 'ROLL_STATE_DRAFT' }, who)).toEqual({ approve: false, handOff: false })
      expect(rollActions({ state: 'ROLL_STATE_APPROVED' }, who)).toEqual({ approve: false, handOff: false })
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
