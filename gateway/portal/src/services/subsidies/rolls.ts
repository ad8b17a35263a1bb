// rolls.ts: the monthly payment rolls (发放名册) of 民政 and 残联: what may be done with a roll in its state
// (approve a draft, hand an approved roll to 财政) by the person's role, and the file name of an export.
// The roll's lines and totals are shown from the generated types (PaymentRoll, RollLine), with each line's
// payment state as funds (财政) reported it, and a failed line released for a reissue (放行重发).
import { allowed, type Caller } from '../../session/access'
import { idOf } from '../../lib/names'

/** What rollActions needs of a roll. */
export interface RollLike {
  name?: string
  program?: string
  state?: string
}

/**
 * programDepartment is the department that computes, approves and hands off a program's rolls (the
 * service's rule, PROGRAM_OF_OTHER_DEPARTMENT otherwise): 残联 the 两项补贴, 民政 the rest. Others read.
 */
export function programDepartment(program: string | undefined): string {
  return program === 'PROGRAM_LIVING_SUBSIDY' || program === 'PROGRAM_CARE_SUBSIDY' ? 'disabled_persons_federation' : 'civil_affairs'
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
export function rollActions(roll: RollLike, caller: Caller | null | undefined): RollActions {
  const own = caller?.department === programDepartment(roll.program)
  return {
    approve: own && roll.state === 'ROLL_STATE_DRAFT' && allowed(caller, 'PaymentRollService_ApproveRoll'),
    handOff: own && roll.state === 'ROLL_STATE_APPROVED' && allowed(caller, 'PaymentRollService_HandOffRoll'),
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
export function lineReleasable(line: LineLike, roll: RollLike, caller: Caller | null | undefined): boolean {
  return (
    caller?.department === programDepartment(roll.program) &&
    allowed(caller, 'PaymentRollService_ReleaseRollLine') &&
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
