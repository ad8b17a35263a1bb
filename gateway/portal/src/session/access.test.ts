// What the portal offers follows the services' access rules (generated from the protos).
import { describe, expect, it } from 'vitest'
import { allowed, allowedAny, mayReadPlain, plainPurposes } from './access'
import type { OperationId } from '../api/operations.gen'

const who = (department: string, role: string) => ({ department, role })

describe('allowed', () => {
  const tests: { name: string; caller: ReturnType<typeof who>; op: OperationId; want: boolean }[] = [
    { name: 'county admin decides cases', caller: who('rural_revitalization', 'county_admin'), op: 'CaseService_DecideCase', want: true },
    { name: 'township officer does not decide', caller: who('rural_revitalization', 'township_officer'), op: 'CaseService_DecideCase', want: false },
    { name: 'township officer reviews', caller: who('rural_revitalization', 'township_officer'), op: 'CaseService_RecordTownshipReview', want: true },
    { name: 'village officer records the village review', caller: who('rural_revitalization', 'village_officer'), op: 'CaseService_RecordVillageReview', want: true },
    { name: '民政 does not record identification steps', caller: who('civil_affairs', 'county_admin'), op: 'CaseService_RecordSurvey', want: false },
    { name: 'any department reads a household', caller: who('civil_affairs', 'department_staff'), op: 'HouseholdService_GetHousehold', want: true },
    { name: 'auditors read the trail', caller: who('rural_revitalization', 'auditor'), op: 'TrailService_GetHouseholdTrail', want: true },
    { name: '民政 does not read the trail', caller: who('civil_affairs', 'auditor'), op: 'TrailService_GetHouseholdTrail', want: false },
    { name: '民政 lists overdue 低保 reviews', caller: who('civil_affairs', 'county_admin'), op: 'DibaoService_ListOverdueDibaoReviews', want: true },
    { name: '乡村振兴 does not', caller: who('rural_revitalization', 'county_admin'), op: 'DibaoService_ListOverdueDibaoReviews', want: false },
    { name: 'an unknown role is nothing', caller: who('rural_revitalization', 'mayor'), op: 'HouseholdService_GetHousehold', want: false },
  ]
  for (const t of tests) it(t.name, () => expect(allowed(t.caller, t.op)).toBe(t.want))

  it('nobody signed in may call nothing', () => {
    expect(allowed(null, 'HouseholdService_GetHousehold')).toBe(false)
  })

  it('allowedAny needs one of the operations', () => {
    const c = who('civil_affairs', 'department_staff')
    expect(allowedAny(c, ['CaseService_ListCases', 'HouseholdService_ListHouseholds'])).toBe(true)
    expect(allowedAny(c, ['CaseService_ListCases'])).toBe(false)
  })
})

describe('mayReadPlain', () => {
  const tests = [
    { name: 'county admin', caller: who('rural_revitalization', 'county_admin'), want: true },
    { name: 'auditor', caller: who('rural_revitalization', 'auditor'), want: true },
    { name: 'village officer reads masked only', caller: who('rural_revitalization', 'village_officer'), want: false },
    { name: 'township officer reads masked only', caller: who('rural_revitalization', 'township_officer'), want: false },
    { name: 'another department reads masked only', caller: who('human_resources', 'county_admin'), want: false },
  ]
  for (const t of tests) it(t.name, () => expect(mayReadPlain(t.caller, 'HouseholdService_GetHousehold')).toBe(t.want))
})

describe('plainPurposes', () => {
  it('offers the purposes the grant names for the department and role', () => {
    expect(plainPurposes(who('rural_revitalization', 'county_admin'), 'HouseholdService_GetHousehold').sort()).toEqual(['case_handling', 'verification'])
    expect(plainPurposes(who('rural_revitalization', 'auditor'), 'HouseholdService_GetHousehold')).toEqual(['audit'])
    expect(plainPurposes(who('civil_affairs', 'county_admin'), 'HouseholdService_GetHousehold')).toEqual([])
  })
})
