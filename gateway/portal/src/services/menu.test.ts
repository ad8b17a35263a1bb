// The menu each department and role sees, as the demo users of `fupin dev` would (docs/PORTAL.md): the
// access rules come from the protos, so a policy change that moves a page shows here.
import { describe, expect, it } from 'vitest'
import { modules } from '.'
import { isGroup, menuFor } from './menu'

/** The menu's titles: "group/entry" or "entry". */
function titles(department: string, role: string): string[] {
  return menuFor(modules, { department, role }).flatMap((x) => (isGroup(x) ? x.entries.map((e) => `${x.title}/${e.title}`) : [x.title]))
}

describe('menus per department and role', () => {
  it('民政 staff: the 民政 pages, 残联 records (read), the rolls and objection triage; not 防返贫监测', () => {
    const m = titles('civil_affairs', 'department_staff')
    expect(m).toEqual(
      expect.arrayContaining([
        '异议受理',
        '民政/低保案件',
        '民政/低保到期复核',
        '民政/低保资格核查',
        '民政/特困供养',
        '民政/临时救助',
        '民政/两线合一比对',
        '残联/残疾人证',
        '残联/两项补贴',
        '发放名册',
      ]),
    )
    expect(m).not.toContain('防返贫监测/监测线索')
  })

  it('a 民政 village officer: cases and triage, no rolls, no comparisons, no 临时救助', () => {
    const m = titles('civil_affairs', 'village_officer')
    expect(m).toEqual(expect.arrayContaining(['异议受理', '民政/低保案件', '民政/特困供养']))
    for (const x of ['发放名册', '民政/两线合一比对', '民政/临时救助', '残联/残疾人证']) expect(m).not.toContain(x)
  })

  it('残联 staff: certificates, 两项补贴 and their rolls; no triage', () => {
    const m = titles('disabled_persons_federation', 'department_staff')
    expect(m).toEqual(expect.arrayContaining(['残联/残疾人证', '残联/两项补贴', '发放名册', '民政/低保案件']))
    for (const x of ['异议受理', '民政/临时救助', '民政/两线合一比对']) expect(m).not.toContain(x)
  })

  it('乡村振兴局 village officer: its own pages and triage of its postings; nothing of 民政 or 残联', () => {
    const m = titles('rural_revitalization', 'village_officer')
    expect(m).toContain('异议受理')
    expect(m).toContain('办理/识别与退出')
    expect(m.filter((x) => x.startsWith('民政/') || x.startsWith('残联/') || x === '发放名册')).toEqual([])
  })

  it('财政 reads the rolls only', () => {
    const m = titles('finance', 'department_staff')
    expect(m).toContain('发放名册')
    expect(m.filter((x) => x.startsWith('民政/') || x.startsWith('残联/') || x === '异议受理')).toEqual([])
  })

  it('every route of the subsidies pages is reachable from some role and names its operations', () => {
    const subsidies = modules.find((m) => m.name === 'subsidies')!
    for (const r of subsidies.routes) expect(r.meta?.ops?.length, r.path).toBeGreaterThan(0)
  })
})
