import { describe, expect, it } from 'vitest'
import { caseRoute, countText, dashboardSources, mayTriage, noticeLink, sourcesFor, triageSources } from './objections'

const as = (department: string, role: string) => ({ department, role })
const services = (xs: { service: string }[]) => xs.map((x) => x.service)

describe('who triages what', () => {
  it('each department reads the objections to its own postings', () => {
    expect(services(sourcesFor(as('rural_revitalization', 'village_officer')))).toEqual(['identification'])
    expect(services(sourcesFor(as('civil_affairs', 'township_officer')))).toEqual(['subsidies'])
    expect(services(sourcesFor(as('disabled_persons_federation', 'county_admin')))).toEqual([])
    expect(services(sourcesFor(null))).toEqual([])
  })

  it('auditors read but do not triage, and get no dashboard count', () => {
    const auditor = as('civil_affairs', 'auditor')
    expect(services(sourcesFor(auditor))).toEqual(['subsidies'])
    expect(mayTriage(auditor, triageSources[1])).toBe(false)
    expect(dashboardSources(auditor)).toEqual([])
    expect(services(dashboardSources(as('civil_affairs', 'village_officer')))).toEqual(['subsidies'])
  })
})

describe('links', () => {
  it('the public notice on the gateway 公示 pages, by service and notice id', () => {
    expect(noticeLink(triageSources[0], 'notices/ab12')).toBe('/gongshi/n/identification/ab12')
    expect(noticeLink(triageSources[1], 'notices/x9')).toBe('/gongshi/n/subsidies/x9')
    expect(noticeLink(triageSources[1], '')).toBe('')
  })

  it('the case page of each kind of posting', () => {
    expect(caseRoute('cases/c1')).toBe('/cases/c1')
    expect(caseRoute('clues/k1')).toBe('/monitoring/clues/k1')
    expect(caseRoute('households/h1/riskRemovals/r1')).toBe('/households/h1/riskRemovals/r1')
    expect(caseRoute('dibaoCases/d1')).toBe('/dibao/cases/d1')
    expect(caseRoute('somethingElse/1')).toBeUndefined()
    expect(caseRoute(undefined)).toBeUndefined()
  })

  it('the count stays short', () => {
    expect(countText(undefined)).toBe('0')
    expect(countText(99)).toBe('99')
    expect(countText(100)).toBe('99+')
  })
})
