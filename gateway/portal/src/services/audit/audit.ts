// audit.ts: the 审计 page's logic — the filter of ListAuditRecords from the page's inputs, and how a row
// reads (who, what, on what, why).
import type { components } from '../../api/schema'
import { and, eq, is, prefix, quote } from '../../lib/filter'
import { addDays } from '../../lib/dates'
import { idOf } from '../../lib/names'

export type AuditRecord = components['schemas']['v1AuditRecord']

/** The audit logs the portal reads: each service's own, at its own route. */
export const auditLogs = {
  identification: { title: '农户档案与帮扶（乡村振兴局）', op: 'AuditService_ListAuditRecords' },
  subsidies: { title: '社会救助与残疾人补贴（民政局、残联）', op: 'ReliefAuditService_ListAuditRecords' },
} as const
export type AuditLog = keyof typeof auditLogs

export interface AuditFilters {
  /** A household's id or name ("households/…"): its rows and those of its parts (members…). */
  household: string
  /** A person's stable id: the reads that returned the person. */
  person: string
  /** Who called: a subject, or a prefix ending in "*". */
  actor: string
  /** An AuditAction value. */
  action: string
  /** From and to (inclusive), business dates (YYYY-MM-DD, Asia/Shanghai). */
  from: string
  to: string
}

/** dayStart is the first instant of a business day in Asia/Shanghai, RFC 3339. */
export const dayStart = (date: string): string => `${date}T00:00:00+08:00`

/** auditFilter writes the AIP-160 filter ListAuditRecords reads. */
export function auditFilter(f: AuditFilters): string {
  const household = f.household.trim()
  const actor = f.actor.trim()
  return and(
    household && prefix('household', 'households/' + idOf(household)),
    f.person.trim() && eq('person_id', f.person.trim()),
    actor && (actor.endsWith('*') ? prefix('actor', actor.slice(0, -1)) : eq('actor', actor)),
    f.action && is('action', f.action),
    f.from && `time >= ${quote(dayStart(f.from))}`,
    f.to && `time < ${quote(dayStart(addDays(f.to, 1)))}`,
  )
}

/**
 * isIDNumber tells a 身份证号 typed into the person box (18 characters, the last a digit or X): the page
 * turns it into the person's id with LookupAuditPerson (a POST, the number in the body) before searching,
 * so the number never reaches the page's address or the filter (which the audit log keeps).
 */
export function isIDNumber(text: string): boolean {
  return /^[0-9]{17}[0-9Xx]$/.test(text.trim())
}

/** methodName is an RPC's service and method: "/fupin.identification.v1.HouseholdService/GetHousehold" → "HouseholdService.GetHousehold". */
export function methodName(method: string | undefined): string {
  if (!method) return ''
  const [svc, m] = method.replace(/^\//, '').split('/')
  return `${svc.slice(svc.lastIndexOf('.') + 1)}.${m ?? ''}`
}

/** whatText says what a row touched: a plain read its household, a List or export its count and filter. */
export function whatText(r: AuditRecord): string {
  switch (r.action) {
    case 'AUDIT_ACTION_LIST':
    case 'AUDIT_ACTION_EXPORT':
      return `${r.record_count ?? 0} 条记录` + (r.filter ? `，条件 ${r.filter}` : '，无条件')
    default:
      return r.household || r.resource || '—'
  }
}
