// Region scope helpers over the demo county's real master data (deploy/regions/demo-county.json).
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { inScope, levelOfCode, prefixOf, regionNames, regionPath, regionTree, scopeCode, scopeLevel, type RegionLike } from './regions'

const file = path.resolve(__dirname, '../../../../deploy/regions/demo-county.json')
const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { code: string; name: string; level: string; urban: boolean; parent: string }[]
// As GET /v1/regions returns them.
const regions: RegionLike[] = raw.map((r) => ({
  code: r.code,
  display_name: r.name,
  parent_code: r.parent,
  level: 'REGION_LEVEL_' + r.level.toUpperCase(),
  urban: r.urban,
}))

describe('scopeLevel', () => {
  const tests = [
    { region: '', want: 'county' },
    { region: '990001002', want: 'township' },
    { region: '990001002003', want: 'village' },
  ]
  for (const t of tests) it(t.region || '(county)', () => expect(scopeLevel(t.region)).toBe(t.want))
  it('refuses anything else', () => expect(() => scopeLevel('9900')).toThrow())
})

describe('codes', () => {
  const tests = [
    { code: '990001000000', level: 'county', prefix: '990001' },
    { code: '990001002000', level: 'township', prefix: '990001002' },
    { code: '990001002003', level: 'village', prefix: '990001002003' },
  ]
  for (const t of tests) {
    it(t.code, () => {
      expect(levelOfCode(t.code)).toBe(t.level)
      expect(prefixOf(t.code)).toBe(t.prefix)
    })
  }
  it('scopeCode pads a township and keeps a village', () => {
    expect(scopeCode('', '990001000000')).toBe('990001000000')
    expect(scopeCode('990001002', '990001000000')).toBe('990001002000')
    expect(scopeCode('990001002003', '990001000000')).toBe('990001002003')
  })
  it('inScope is a code prefix', () => {
    expect(inScope('', '990001002003')).toBe(true)
    expect(inScope('990001002', '990001002003')).toBe(true)
    expect(inScope('990001002', '990001003001')).toBe(false)
    expect(inScope('990001002003', '990001002004')).toBe(false)
  })
})

describe('regionTree', () => {
  it('a county admin sees every township and village', () => {
    const t = regionTree(regions, '')!
    expect(t.code).toBe('990001000000')
    expect(t.children).toHaveLength(raw.filter((r) => r.level === 'township').length)
    const villages = t.children.reduce((n, c) => n + c.children.length, 0)
    expect(villages).toBe(raw.filter((r) => r.level === 'village').length)
  })
  it('a township officer sees their township and its villages only', () => {
    const t = regionTree(regions, '990001002')!
    expect(t.code).toBe('990001002000')
    expect(t.level).toBe('township')
    expect(t.children.length).toBeGreaterThan(0)
    expect(t.children.every((v) => v.code.startsWith('990001002'))).toBe(true)
  })
  it('a village officer sees their village', () => {
    const t = regionTree(regions, '990001002003')!
    expect(t.code).toBe('990001002003')
    expect(t.children).toEqual([])
  })
  it('children are in code order', () => {
    const codes = regionTree(regions, '')!.children.map((c) => c.code)
    expect(codes).toEqual([...codes].sort())
  })
  it('leaves out regions no longer in use', () => {
    const old = [...regions, { code: '990001002999', display_name: '撤并村', parent_code: '990001002000', valid_to: '2021-01-01' }]
    expect(regionTree(old, '990001002')!.children.some((c) => c.code === '990001002999')).toBe(false)
  })
  it('is undefined without master data', () => expect(regionTree([], '')).toBeUndefined())
})

describe('regionPath', () => {
  it('names a village with its township', () => {
    const names = regionNames(regions)
    const village = raw.find((r) => r.code === '990001002003')!
    const township = raw.find((r) => r.code === '990001002000')!
    expect(regionPath(names, '990001002003')).toBe(`${township.name} ${village.name}`)
    expect(regionPath(names, '990001002000')).toBe(township.name)
    expect(regionPath(names, '990001099099')).toBe('990001099099')
  })
})
