// inbox.ts: the 办理 inbox's items (ListInboxItems of each service that runs cases) as the portal shows
// them — what waits, on what, and the page where the step is recorded.
import type { components } from '../../api/schema'
import type { OperationId } from '../../api/operations.gen'
import { pageOf } from '../../lib/names'
import { stepLabel } from './steps'

export type InboxItem = components['schemas']['v1InboxItem']

/** The services' inboxes, each at its own route. */
export const inboxes = [
  { service: 'identification', title: '乡村振兴局', op: 'InboxService_ListInboxItems' },
  { service: 'subsidies', title: '民政局、残联', op: 'ReliefInboxService_ListInboxItems' },
  { service: 'employment', title: '人社局', op: 'EmploymentInboxService_ListInboxItems' },
] as const satisfies readonly { service: string; title: string; op: OperationId }[]
export const inboxOps: OperationId[] = inboxes.map((i) => i.op)

/** The kinds of case the inboxes hold. */
export const inboxKinds: Record<string, string> = {
  identification: '精准识别',
  exit: '脱贫退出',
  monitoring_clue: '监测线索',
  monitoring_risk_removal: '风险消除',
  dibao: '低保',
  destitute: '特困供养',
  living_subsidy: '困难残疾人生活补贴',
  care_subsidy: '重度残疾人护理补贴',
  'employment-aid': '就业援助',
  welfare_post_assignment: '公益岗聘用',
}

const reliefSteps: Record<string, string> = {
  survey: '入户调查',
  village_review: '民主评议',
  posting: '公示',
  township_review: '乡镇审核',
  county_decision: '县级审批',
  township_check: '乡镇初审',
  county_review: '残联审核',
}
const reliefKinds = new Set(['dibao', 'destitute', 'living_subsidy', 'care_subsidy'])

const monitoringSteps: Record<string, string> = { verification: '入户核实', posting: '村内公示', decision: '县级审批' }

const postSteps: Record<string, string> = { review: '资格审核', posting: '村内公示', appointment: '聘用决定' }

/** waitingFor names what the item waits for: the step, or the end of a running posting. */
export function waitingFor(it: InboxItem): string {
  const monitoring = it.kind?.startsWith('monitoring_')
  if (it.posting) return monitoring ? '公示期满后审批' : '公示期满后结束公示'
  if (monitoring) return monitoringSteps[it.next_step ?? ''] ?? it.next_step ?? ''
  if (reliefKinds.has(it.kind ?? '')) return reliefSteps[it.next_step ?? ''] ?? it.next_step ?? ''
  if (it.kind === 'employment-aid') return '援助办结'
  if (it.kind === 'welfare_post_assignment') return postSteps[it.next_step ?? ''] ?? it.next_step ?? ''
  return stepLabel(it.kind, it.next_step)
}

/** mergeOldestFirst joins the first items of several inboxes, longest waiting first, keeping n. */
export function mergeOldestFirst(lists: InboxItem[][], n: number): InboxItem[] {
  const at = (it: InboxItem) => (it.waiting_since ? new Date(it.waiting_since).getTime() : 0)
  return lists
    .flat()
    .sort((a, b) => at(a) - at(b))
    .slice(0, n)
}

/** inboxRoute is the page where the item's step is recorded (the case, the clue, the risk removal). */
export function inboxRoute(it: InboxItem): string | undefined {
  return pageOf(it.resource)
}

/** waitingDays counts whole days since the item has waited (0 the same day). */
export function waitingDays(it: InboxItem, now: Date = new Date()): number {
  if (!it.waiting_since) return 0
  const since = new Date(it.waiting_since).getTime()
  return Math.max(0, Math.floor((now.getTime() - since) / 86_400_000))
}
