// objections.ts: 异议受理, the objections received online against public postings (公示). Each service that
// posts keeps its own (identification: receivedObjections, subsidies: reliefObjections) with the same
// triage API (fupin.common.v1 ListReceivedObjections / Accept / Dismiss); the portal shows the sources the
// person's department may triage in one page, and a count of those waiting on the dashboard.
import type { OperationId } from '../../api/operations.gen'
import { allowed, type Caller } from '../../session/access'
import { idOf, pageOf } from '../../lib/names'

export interface TriageSource {
  /** The service, as the public notice's address names it (/gongshi/n/{service}/{notice}). */
  service: 'identification' | 'subsidies'
  /** Who posts (the office), for the page's tabs. */
  office: string
  list: Extract<OperationId, `${string}_ListReceivedObjections`>
  accept: Extract<OperationId, `${string}_AcceptReceivedObjection`>
  dismiss: Extract<OperationId, `${string}_DismissReceivedObjection`>
}

export const triageSources: TriageSource[] = [
  {
    service: 'identification',
    office: '乡村振兴局（识别、退出、监测、风险消除公示）',
    list: 'ObjectionTriageService_ListReceivedObjections',
    accept: 'ObjectionTriageService_AcceptReceivedObjection',
    dismiss: 'ObjectionTriageService_DismissReceivedObjection',
  },
  {
    service: 'subsidies',
    office: '民政局（低保公示）',
    list: 'ReliefObjectionTriageService_ListReceivedObjections',
    accept: 'ReliefObjectionTriageService_AcceptReceivedObjection',
    dismiss: 'ReliefObjectionTriageService_DismissReceivedObjection',
  },
]

/** The list operations: the page and its menu entry show when the person may call any. */
export const triageListOps: OperationId[] = triageSources.map((s) => s.list)

/** The sources whose objections the caller may list (auditors read; triage needs accept or dismiss). */
export function sourcesFor(caller: Caller | null | undefined): TriageSource[] {
  return triageSources.filter((s) => allowed(caller, s.list))
}

/** Whether the caller triages (accepts or dismisses) objections of the source, not only reads them. */
export function mayTriage(caller: Caller | null | undefined, s: TriageSource): boolean {
  return allowed(caller, s.accept) && allowed(caller, s.dismiss)
}

/** The sources whose waiting objections count on the caller's dashboard: those the caller triages. */
export function dashboardSources(caller: Caller | null | undefined): TriageSource[] {
  return triageSources.filter((s) => mayTriage(caller, s))
}

/** The public notice objected to, on the gateway's 公示 pages: /gongshi/n/{service}/{notice id}. */
export function noticeLink(s: TriageSource, notice: string | undefined): string {
  const id = idOf(notice)
  return id ? `/gongshi/n/${s.service}/${encodeURIComponent(id)}` : ''
}

/** The procedures posted (ReceivedObjection.kind). */
export const noticeKinds: Record<string, string> = {
  identification: '贫困户识别',
  exit: '脱贫退出',
  monitoring_clue: '监测对象识别',
  monitoring_risk_removal: '风险消除',
  dibao: '低保',
}

/** The portal's page of the case an objection concerns, when it has one. */
export function caseRoute(kase: string | undefined): string | undefined {
  if (!kase) return undefined
  const p = kase.split('/')
  if (p[0] === 'dibaoCases' && p.length === 2) return `/dibao/cases/${p[1]}`
  if (p[0] === 'destituteCases' && p.length === 2) return `/destitute/cases/${p[1]}`
  return pageOf(kase)
}

/** The count shown for a list's total_size: "99+" above 99, so the badge stays small. */
export function countText(n: number | undefined): string {
  const v = n ?? 0
  return v > 99 ? '99+' : String(v)
}
