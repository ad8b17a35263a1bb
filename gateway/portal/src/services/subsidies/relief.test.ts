import { describe, expect, it } from 'vitest'
import { incomeBody, reliefActions, reliefStepLabel } from './relief'

const staff = { department: 'civil_affairs', role: 'department_staff' }
const village = { department: 'civil_affairs', role: 'village_officer' }
const township = { department: 'civil_affairs', role: 'township_officer' }
const admin = { department: 'civil_affairs', role: 'county_admin' }
const federation = { department: 'disabled_persons_federation', role: 'department_staff' }
const open = (next_step: string) => ({ state: 'RELIEF_CASE_STATE_OPEN', next_step })
const actions = (...a: Parameters<typeof reliefActions>) => reliefActions(...a).map((x) => x.action)

describe('reliefActions', () => {
  it('offers the step a case waits for, and withdrawal, to roles its rule admits', () => {
    expect(actions('dibao', open('survey'), village)).toEqual(['survey'])
    expect(actions('dibao', open('survey'), township)).toEqual(['survey', 'withdraw'])
    expect(actions('dibao', open('township_review'), village)).toEqual([])
    expect(actions('dibao', open('township_review'), township)).toEqual(['township_review', 'withdraw'])
    // The county decides; a township officer withdraws but never decides.
    expect(actions('dibao', open('county_decision'), admin)).toEqual(['county_decision', 'withdraw'])
    expect(actions('dibao', open('county_decision'), township)).toEqual(['withdraw'])
  })

  it('a posting is ended or objected to, not stepped past', () => {
    const posting = { state: 'RELIEF_CASE_STATE_POSTING', next_step: 'posting' }
    expect(actions('dibao', posting, village)).toEqual(['complete_posting', 'objection'])
    expect(actions('dibao', posting, staff)).toEqual(['complete_posting', 'objection', 'withdraw'])
  })

  it('特困 has no village review or posting', () => {
    expect(actions('destitute', open('survey'), village)).toEqual(['survey'])
    expect(actions('destitute', open('village_review'), staff)).toEqual(['withdraw'])
    expect(actions('destitute', { state: 'RELIEF_CASE_STATE_POSTING' }, staff)).toEqual(['withdraw'])
  })

  it('a closed case, another department or nobody gets nothing', () => {
    expect(actions('dibao', { state: 'RELIEF_CASE_STATE_CLOSED', next_step: '' }, staff)).toEqual([])
    expect(actions('dibao', open('survey'), federation)).toEqual([])
    expect(actions('dibao', open('survey'), null)).toEqual([])
  })

  it('names the step waited for on the button', () => {
    expect(reliefActions('dibao', open('village_review'), village)[0]).toEqual({ action: 'village_review', label: '办理：民主评议', primary: true })
    expect(reliefStepLabel('county_decision')).toBe('县级审批')
    expect(reliefStepLabel('something_new')).toBe('something_new')
  })
})

describe('incomeBody', () => {
  it('the register assessment needs no items', () => {
    expect(incomeBody(true, [{ description: 'x', yuan: 'bad', months: 1 }])).toEqual({ income: { register_assessment: true }, errors: {} })
  })

  it('turns 元 into fen, row by row', () => {
    const r = incomeBody(false, [
      { description: ' 外出务工 ', yuan: '1,200.5', months: 12 },
      { description: '养殖', yuan: '300', months: 1 },
    ])
    expect(r.errors).toEqual({})
    expect(r.income).toEqual({
      items: {
        items: [
          { description: '外出务工', amount_fen: '120050', months: 12 },
          { description: '养殖', amount_fen: '30000', months: 1 },
        ],
      },
    })
  })

  it('no rows is no income', () => {
    expect(incomeBody(false, [])).toEqual({ income: { items: { items: [] } }, errors: {} })
  })

  it('an amount that is not one is an error beside it, at the path the API would use', () => {
    const r = incomeBody(
      false,
      [
        { description: 'a', yuan: '100', months: 12 },
        { description: 'b', yuan: '12,5a', months: 12 },
        { description: 'c', yuan: '', months: 12 },
        { description: 'd', yuan: '-5', months: 12 },
      ],
      'x.',
    )
    expect(Object.keys(r.errors)).toEqual(['x.income.items.items[1].amount_fen', 'x.income.items.items[2].amount_fen', 'x.income.items.items[3].amount_fen'])
  })
})
