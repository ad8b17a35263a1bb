// regions.ts: region codes (统计用区划代码) are 12 digits: county (6) + township (3) + village (3). A
// person's region scope is the `region` claim: "" the whole county, 9 digits a township, 12 a village.

export type Level = 'county' | 'township' | 'village'

/** scopeLevel is the level of a person's region scope. */
export function scopeLevel(region: string): Level {
  if (region === '') return 'county'
  if (region.length === 9) return 'township'
  if (region.length === 12) return 'village'
  throw new Error(`region scope ${region} is neither empty, 9 nor 12 digits`)
}

/** levelOfCode is the level of a 12-digit region code by its zero padding. */
export function levelOfCode(code: string): Level {
  if (code.endsWith('000000')) return 'county'
  if (code.endsWith('000')) return 'township'
  return 'village'
}

/** prefixOf is the prefix of a region's code that its households' codes start with. */
export function prefixOf(code: string): string {
  switch (levelOfCode(code)) {
    case 'county':
      return code.slice(0, 6)
    case 'township':
      return code.slice(0, 9)
    default:
      return code
  }
}

/** scopeCode is the 12-digit code of the region a scope names ("" → the county's own code). */
export function scopeCode(region: string, countyCode: string): string {
  return region === '' ? countyCode : region.padEnd(12, '0')
}

/** inScope: may a person with this scope see a region (or household) with this code? */
export function inScope(region: string, code: string): boolean {
  return code.startsWith(region)
}

/** The fields of a region the tree needs (a subset of v1Region). */
export interface RegionLike {
  code?: string
  display_name?: string
  parent_code?: string
  level?: string
  urban?: boolean
  valid_to?: string
}

export interface RegionNode {
  code: string
  label: string
  level: Level
  urban: boolean
  children: RegionNode[]
}

/**
 * regionTree builds the tree a person may browse: rooted at their scope's region (the county, their
 * township or their village), children in code order. Regions no longer in use (valid_to set) are left
 * out.
 */
export function regionTree(regions: readonly RegionLike[], region: string): RegionNode | undefined {
  const nodes = new Map<string, RegionNode>()
  const current = regions.filter((r) => r.code && !r.valid_to)
  for (const r of current) {
    nodes.set(r.code!, { code: r.code!, label: r.display_name ?? r.code!, level: levelOf(r), urban: r.urban ?? false, children: [] })
  }
  for (const r of [...current].sort((a, b) => a.code!.localeCompare(b.code!))) {
    const parent = r.parent_code ? nodes.get(r.parent_code) : undefined
    if (parent) parent.children.push(nodes.get(r.code!)!)
  }
  const county = current.find((r) => levelOf(r) === 'county')
  if (!county) return undefined
  return nodes.get(scopeCode(region, county.code!))
}

const apiLevels: Record<string, Level> = {
  REGION_LEVEL_COUNTY: 'county',
  REGION_LEVEL_TOWNSHIP: 'township',
  REGION_LEVEL_VILLAGE: 'village',
}

/** levelOf is a region's level as the master data says, else by its code. */
export function levelOf(r: RegionLike): Level {
  return apiLevels[r.level ?? ''] ?? levelOfCode(r.code ?? '')
}

/** regionNames maps codes to display names, for tables that show a household's village. */
export function regionNames(regions: readonly RegionLike[]): Map<string, string> {
  return new Map(regions.filter((r) => r.code).map((r) => [r.code!, r.display_name ?? r.code!]))
}

/** regionPath names a village with its township, "青山乡 赵家坪村". */
export function regionPath(names: Map<string, string>, code: string): string {
  const level = levelOfCode(code)
  if (level !== 'village') return names.get(code) ?? code
  const township = names.get(code.slice(0, 9) + '000')
  const village = names.get(code) ?? code
  return township ? `${township} ${village}` : village
}
