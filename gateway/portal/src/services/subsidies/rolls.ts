// rolls.ts: the monthly payment rolls (发放名册) of every paying department — 民政 and 残联 (subsidies'
// PaymentRollService), 人社 (employment's EmploymentPaymentRollService): one set of pages over fupin.payroll.v1,
// told which service to call by the route (meta.rollService). What may be done with a roll in its state
// (approve a draft, hand an approved roll to 财政) by the person's role, and the file name of an export.
// The roll's lines and totals are shown from the generated types (PaymentRoll, RollLine), with each line's
// payment state as funds (财政) reported it, and a failed line released for a reissue (放行重发).
import { allowed, type Caller } from '../../session/access'
import { idOf } from '../../lib/names'
import type { OperationId } from '../../api/operations.gen'

/** The services that keep payment rolls, with the same methods and messages (fupin.payroll.v1). */
export type RollService = 'PaymentRollService' | 'EmploymentPaymentRollService'

/** The roll methods the pages call. */
export type RollMethod = 'ListRolls' | 'GetRoll' | 'ComputeRoll' | 'ListRollLines' | 'ApproveRoll' | 'HandOffRoll' | 'ExportRoll' | 'ReleaseRollLine'

/**
 * rollOp is the operation of a roll method on a service. It is typed as subsidies' operation: every roll
 * service has the same requests and responses, only the route differs (the client finds it by the id).
 */
export function rollOp<M extends RollMethod>(service: RollService, method: M): `PaymentRollService_${M}` {
  return `${service}_${method}` as `PaymentRollService_${M}`
}

/** rollBase is the portal path of a service's rolls. */
export function rollBase(service: RollService): string {
  return service === 'EmploymentPaymentRollService' ? '/employment/paymentRolls' : '/paymentRolls'
}

/** What rollActions needs of a roll. */
export interface RollLike {
  name?: string
  program?: string
  state?: string
}

/** The department of each program (services/platform/payroll's table). */
const programDepartments: Record<string, string> = {
  PROGRAM_DIBAO: 'civil_affairs',
  PROGRAM_DESTITUTE: 'civil_affairs',
  PROGRAM_TEMPORARY_ASSISTANCE: 'civil_affairs',
  PROGRAM_LIVING_SUBSIDY: 'disabled_persons_federation',
  PROGRAM_CARE_SUBSIDY: 'disabled_persons_federation',
  PROGRAM_WELFARE_POST_WAGE: 'human_resources',
  PROGRAM_WORKSHOP_REWARD: 'human_resources',
  PROGRAM_TRANSPORT_SUBSIDY: 'human_resources',
  PROGRAM_EMPLOYER_RETENTION_SUBSIDY: 'human_resources',
  PROGRAM_TRAINING_ALLOWANCE: 'human_resources',
  PROGRAM_INDUSTRY_GRANT: 'agriculture',
  PROGRAM_COLLECTIVE_DIVIDEND: 'agriculture',
}

/**
 * programDepartment is the department that computes, approves and hands off a program's rolls (the
 * service's rule, PROGRAM_OF_OTHER_DEPARTMENT otherwise): 民政 低保, 特困 and 临时救助, 残联 the 两项补贴, 人社
 * 公益岗 and 车间; "" for a program the portal does not know (read only). Others read.
 */
export function programDepartment(program: string | undefined): string {
  return programDepartments[program ?? ''] ?? ''
}

/** The programs whose rolls the caller's department computes. */
export function programsOf(caller: Caller | null | undefined, programs: readonly string[]): string[] {
  return programs.filter((p) => p !== 'PROGRAM_UNSPECIFIED' && caller?.department === programDepartment(p))
}

export interface RollActions {
  approve: boolean
  handOff: boolean
}

/**
 * rollActions: a draft may be approved, an approved roll handed off, each by those the rule admits and
 * only in the department that owns the program.
 */
export function rollActions(roll: RollLike, caller: Caller | null | undefined, service: RollService = 'PaymentRollService'): RollActions {
  const own = caller?.department === programDepartment(roll.program)
  return {
    approve: own && roll.state === 'ROLL_STATE_DRAFT' && allowed(caller, rollOp(service, 'ApproveRoll') as OperationId),
    handOff: own && roll.state === 'ROLL_STATE_APPROVED' && allowed(caller, rollOp(service, 'HandOffRoll') as OperationId),
  }
}

/** What lineReleasable needs of a line. */
export interface LineLike {
  kind?: string
  payment_state?: string
  released_by?: string
}

/**
 * lineReleasable: a line funds reported failed may be released for payment again (the next roll carries its
 * reissue, 重发) once, by a county admin of the program's department — never a recovery (追回), which takes
 * money back rather than paying it (the service's rule, LINE_NOT_FAILED otherwise).
 */
export function lineReleasable(line: LineLike, roll: RollLike, caller: Caller | null | undefined, service: RollService = 'PaymentRollService'): boolean {
  return (
    caller?.department === programDepartment(roll.program) &&
    allowed(caller, rollOp(service, 'ReleaseRollLine') as OperationId) &&
    line.payment_state === 'PAYMENT_STATE_FAILED' &&
    !line.released_by &&
    line.kind !== 'ROLL_LINE_KIND_RECOVERY'
  )
}

export type ExportFormat = 'ROLL_EXPORT_FORMAT_XLSX' | 'ROLL_EXPORT_FORMAT_CSV'

/**
 * exportFilename names the downloaded file: the server's name when it gives one, else
 * 发放名册-{roll id}[-{region}].xlsx (or .csv), so a township's part of a roll is told apart.
 */
export function exportFilename(roll: string, format: ExportFormat, region: string, serverName = ''): string {
  if (serverName) return serverName
  const ext = format === 'ROLL_EXPORT_FORMAT_XLSX' ? 'xlsx' : 'csv'
  return `发放名册-${idOf(roll)}${region ? '-' + region : ''}.${ext}`
}

/** saveBlob hands a downloaded file to the browser's save (an object URL on a temporary link). */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  a.rel = 'noopener'
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
