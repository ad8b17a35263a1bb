// names.ts: resource names ("households/abc", "cases/1") and the portal's routes to their pages.

/** idOf is the last segment of a resource name: "households/abc" → "abc". */
export function idOf(name: string | undefined): string {
  if (!name) return ''
  const i = name.lastIndexOf('/')
  return i < 0 ? name : name.slice(i + 1)
}

/** householdRoute is the page of a household ("households/abc"). */
export const householdRoute = (name: string) => `/households/${idOf(name)}`

/** The page of a resource the trail or a list names, when the portal has one. */
export function pageOf(resource: string | undefined): string | undefined {
  if (!resource) return undefined
  const p = resource.split('/')
  if (p[0] === 'cases' && p.length === 2) return `/cases/${p[1]}`
  if (p[0] === 'clues' && p.length === 2) return `/monitoring/clues/${p[1]}`
  if (p[0] === 'households' && p[2] === 'riskRemovals' && p.length === 4) return `/households/${p[1]}/riskRemovals/${p[3]}`
  if (p[0] === 'households' && p.length >= 2) return `/households/${p[1]}`
  if (p[0] === 'dibaoCases' && p.length === 2) return `/dibao/cases/${p[1]}`
  if (p[0] === 'destituteCases' && p.length === 2) return `/destitute/cases/${p[1]}`
  if (p[0] === 'disabilitySubsidies' && p.length === 2) return '/disabilitySubsidies'
  if (p[0] === 'aidCases' && p.length === 2) return `/employment/aidCases/${p[1]}`
  if (p[0] === 'employmentSubsidies' && p.length === 2) return '/employment/subsidies'
  if (p[0] === 'welfarePostAssignments' && p.length === 2) return `/employment/welfarePostAssignments/${p[1]}`
  return undefined
}
