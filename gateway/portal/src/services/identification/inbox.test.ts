import { describe, expect, it } from 'vitest'
import { inboxRoute, mergeOldestFirst, waitingDays, waitingFor, type InboxItem } from './inbox'

describe('inbox items', () => {
  const tests: { name: string; item: InboxItem; step: string; route: string | undefined }[] = [
    { name: 'a survey', item: { resource: 'cases/c1', kind: 'identification', next_step: 'survey' }, step: '入户核查', route: '/cases/c1' },
    { name: 'an exit survey', item: { resource: 'cases/c2', kind: 'exit', next_step: 'survey' }, step: '核查测算', route: '/cases/c2' },
    {
      name: 'a running posting',
      item: { resource: 'cases/c3', kind: 'identification', next_step: 'posting', posting: true },
      step: '公示期满后结束公示',
      route: '/cases/c3',
    },
    {
      name: 'a clue to verify',
      item: { resource: 'clues/k1', kind: 'monitoring_clue', next_step: 'verification' },
      step: '入户核实',
      route: '/monitoring/clues/k1',
    },
    {
      name: 'a risk removal to decide after its posting',
      item: { resource: 'households/h1/riskRemovals/r1', kind: 'monitoring_risk_removal', next_step: 'posting', posting: true },
      step: '公示期满后审批',
      route: '/households/h1/riskRemovals/r1',
    },
    {
      name: 'a 低保 case to review in the township: its case page',
      item: { resource: 'dibaoCases/d1', kind: 'dibao', next_step: 'township_review' },
      step: '乡镇审核',
      route: '/dibao/cases/d1',
    },
    { name: 'a 两项补贴 application to check', item: { resource: 'disabilitySubsidies/s1', kind: 'care_subsidy', next_step: 'township_check' }, step: '乡镇初审', route: '/disabilitySubsidies' },
  ]
  for (const t of tests) {
    it(t.name, () => {
      expect(waitingFor(t.item)).toBe(t.step)
      expect(inboxRoute(t.item)).toBe(t.route)
    })
  }
  it('merges inboxes longest waiting first', () => {
    const a = [{ resource: 'cases/1', waiting_since: '2026-12-01T00:00:00Z' }, { resource: 'cases/2', waiting_since: '2026-12-05T00:00:00Z' }]
    const b = [{ resource: 'dibaoCases/1', waiting_since: '2026-12-03T00:00:00Z' }]
    expect(mergeOldestFirst([a, b], 2).map((i) => i.resource)).toEqual(['cases/1', 'dibaoCases/1'])
    expect(mergeOldestFirst([[], []], 5)).toEqual([])
  })
  it('counts whole days waited', () => {
    const now = new Date('2026-12-07T10:00:00Z')
    expect(waitingDays({ waiting_since: '2026-12-04T09:00:00Z' }, now)).toBe(3)
    expect(waitingDays({ waiting_since: '2026-12-07T09:59:00Z' }, now)).toBe(0)
    expect(waitingDays({}, now)).toBe(0)
  })
})
