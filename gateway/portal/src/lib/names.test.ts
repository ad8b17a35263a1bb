import { describe, expect, it } from 'vitest'
import { pageOf } from './names'

describe('pageOf', () => {
  it.each([
    ['cases/c1', '/cases/c1'],
    ['clues/k1', '/monitoring/clues/k1'],
    ['households/h1/riskRemovals/r1', '/households/h1/riskRemovals/r1'],
    ['households/h1', '/households/h1'],
    ['dibaoCases/d1', '/dibao/cases/d1'],
    ['destituteCases/t1', '/destitute/cases/t1'],
    ['disabilitySubsidies/s1', '/disabilitySubsidies'],
    ['aidCases/a1', '/employment/aidCases/a1'],
    ['employmentSubsidies/e1', '/employment/subsidies'],
  ])('%s → %s', (resource, page) => {
    expect(pageOf(resource)).toBe(page)
  })

  it.each([undefined, '', 'paymentRolls', 'dibaoCases/d1/steps/2', 'unknown/x'])('%s has no page', (resource) => {
    expect(pageOf(resource)).toBeUndefined()
  })
})
