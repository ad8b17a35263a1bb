// inbox.ts: the 办理 inbox's items (ListInboxItems) as the portal shows them — what waits, on what, and the
// page where the step is recorded.
import type { components } from '../../api/schema'
import { pageOf } from '../../lib/names'
import { stepLabel } from './steps'

export type InboxItem = components['schemas']['v1InboxItem']

/** The kinds of case the register's inbox holds. */
export const inboxKinds: Record<string, string> = {
  identification: '精准识别',
  exit: '脱贫退出',
  monitoring_clue: '监测线索',
  monitoring_risk_removal: '风险消除',
}

const monitoringSteps: Record<string, string> = { verification: '入户核实', posting: '村内公示', decision: '县级审批' }

/** waitingFor names what the item waits for: the step, or the end of a running posting. */
export function waitingFor(it: InboxItem): string {
  const monitoring = it.kind?.startsWith('monitoring_')
  const step = monitoring ? (monitoringSteps[it.next_step ?? ''] ?? it.next_step ?? '') : stepLabel(it.kind, it.next_step)
  if (it.posting) return monitoring ? '公示期满后审批' : '公示期满后结束公示'
  return step
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
