// access.ts decides what the portal offers a person: a menu entry, a button or a form shows only when the
// person's department and role may call the RPC behind it. The rules are the services' own
// (operations.gen.ts is generated from the protos' access options), so the portal and the server agree;
// the server still enforces everything, region scope included.
import { operations, type OperationId } from '../api/operations.gen'
import type { AccessRule } from '../api/operation'

/** Who is asking: the department and role claim codes of the signed-in person. */
export interface Caller {
  department: string
  role: string
}

/** allowed: may the caller call the operation? (A rule with no departments admits every department.) */
export function allowed(caller: Caller | null | undefined, op: OperationId): boolean {
  if (!caller) return false
  const rule: AccessRule = operations[op].access
  if (rule.public) return true
  return (rule.departments.length === 0 || rule.departments.includes(caller.department)) && rule.roles.includes(caller.role)
}

/** allowedAny: may the caller call at least one of the operations? */
export function allowedAny(caller: Caller | null | undefined, ops: readonly OperationId[]): boolean {
  return ops.some((op) => allowed(caller, op))
}

/**
 * plainPurposes: the purposes for which the caller may read plain personal data through the operation
 * (the grants naming their department and role); empty when they may not.
 */
export function plainPurposes(caller: Caller | null | undefined, op: OperationId): string[] {
  if (!allowed(caller, op)) return []
  const rule: AccessRule = operations[op].access
  const out = new Set<string>()
  for (const g of rule.plainText) {
    if (g.department === caller!.department && g.roles.includes(caller!.role)) g.purposes.forEach((p) => out.add(p))
  }
  return [...out]
}

/** mayReadPlain: may the caller ask for plain personal data (with a purpose) through the operation? */
export function mayReadPlain(caller: Caller | null | undefined, op: OperationId): boolean {
  return plainPurposes(caller, op).length > 0
}
