// relief.ts: the 低保 (最低生活保障) and 特困供养 cases of 民政 as the portal handles them: the steps' names,
// which actions a case allows now (kept to those the person's role may record: the RPC behind each), and
// the survey's income items typed in 元 turned into the API's fen.
import type { OperationId } from '../../api/operations.gen'
import { allowed, type Caller } from '../../session/access'
import { fenOf } from '../../lib/money'

export type Program = 'dibao' | 'destitute'

export const programNames: Record<Program, string> = { dibao: '低保', destitute: '特困供养' }

/** The portal's pages of a program's cases. */
export const caseListPath: Record<Program, string> = { dibao: '/dibao/cases', destitute: '/destitute/cases' }

const stepNames: Record<string, string> = {
  application: '申请',
  survey: '入户调查',
  village_review: '民主评议',
  posting: '公示',
  township_review: '乡镇审核',
  county_decision: '县级审批',
  withdrawal: '撤回/终止',
}

/** reliefStepLabel names a step of a 低保 or 特困 case. */
export function reliefStepLabel(step: string | undefined): string {
  if (!step) return ''
  return stepNames[step] ?? step
}

/** The steps a case of the program can wait for, in order (特困 skips the village review and the posting). */
export const programSteps: Record<Program, string[]> = {
  dibao: ['survey', 'village_review', 'posting', 'township_review', 'county_decision'],
  destitute: ['survey', 'township_review', 'county_decision'],
}

export type ReliefAction =
  | 'survey'
  | 'village_review'
  | 'posting'
  | 'complete_posting'
  | 'objection'
  | 'township_review'
  | 'county_decision'
  | 'withdraw'

/** The RPC recording each action, per program (特困 has no village review or posting). */
export const actionOps: Record<Program, Partial<Record<ReliefAction, OperationId>>> = {
  dibao: {
    survey: 'DibaoService_RecordDibaoSurvey',
    village_review: 'DibaoService_RecordDibaoVillageReview',
    posting: 'DibaoService_StartDibaoPosting',
    complete_posting: 'DibaoService_CompleteDibaoPosting',
    objection: 'DibaoService_FileDibaoObjection',
    township_review: 'DibaoService_RecordDibaoTownshipReview',
    county_decision: 'DibaoService_DecideDibaoCase',
    withdraw: 'DibaoService_WithdrawDibaoCase',
  },
  destitute: {
    survey: 'DestituteService_RecordDestituteSurvey',
    township_review: 'DestituteService_RecordDestituteTownshipReview',
    county_decision: 'DestituteService_DecideDestituteCase',
    withdraw: 'DestituteService_WithdrawDestituteCase',
  },
}

export const actionTitles: Record<ReliefAction, string> = {
  survey: '入户调查',
  village_review: '民主评议',
  posting: '开始公示',
  complete_posting: '结束公示（期满无异议）',
  objection: '登记异议',
  township_review: '乡镇审核',
  county_decision: '县级审批',
  withdraw: '撤回/终止',
}

/** What reliefActions needs of a case (DibaoCase or DestituteCase). */
export interface ReliefCaseLike {
  state?: string
  next_step?: string
}

export interface ActionButton {
  action: ReliefAction
  label: string
  primary: boolean
}

/** reliefActions lists what may be recorded on the case now, by the caller. */
export function reliefActions(program: Program, c: ReliefCaseLike, caller: Caller | null | undefined): ActionButton[] {
  if (!c.state || c.state === 'RELIEF_CASE_STATE_CLOSED') return []
  const ops = actionOps[program]
  const out: ActionButton[] = []
  if (c.state === 'RELIEF_CASE_STATE_POSTING') {
    out.push({ action: 'complete_posting', label: '结束公示', primary: true })
    out.push({ action: 'objection', label: '登记异议', primary: false })
  } else if (c.next_step && (c.next_step as ReliefAction) in ops) {
    out.push({ action: c.next_step as ReliefAction, label: `办理：${reliefStepLabel(c.next_step)}`, primary: true })
  }
  out.push({ action: 'withdraw', label: '撤回/终止', primary: false })
  return out.filter((a) => {
    const op = ops[a.action]
    return op !== undefined && allowed(caller, op)
  })
}

/** An income item as typed: the amount in 元, over so many months. */
export interface IncomeRow {
  description: string
  yuan: string
  months: number
}

/** The API's DibaoIncome: the items recorded, or the register's income assessment. */
export type DibaoIncomeBody =
  | { items: { items: { description: string; amount_fen: string; months: number }[] } }
  | { register_assessment: true }

/** The API field path of an income row's amount, where a refusal (or a typing error) is shown. */
export const incomeAmountPath = (prefix: string, i: number) => `${prefix}income.items.items[${i}].amount_fen`

/**
 * incomeBody turns the rows typed in 元 into the API's income in fen, or, when an amount is not one
 * ("12,5a", or nothing), the field errors to show beside those amounts, by the paths the API uses (row i is
 * item i: a row is removed with its button, never skipped). No rows means no income (an empty list).
 */
export function incomeBody(
  useAssessment: boolean,
  rows: IncomeRow[],
  pathPrefix = '',
): { income: DibaoIncomeBody; errors: Record<string, string> } {
  if (useAssessment) return { income: { register_assessment: true }, errors: {} }
  const errors: Record<string, string> = {}
  const items: { description: string; amount_fen: string; months: number }[] = []
  rows.forEach((r, i) => {
    const fen = fenOf(r.yuan)
    if (fen === undefined || fen < 0) {
      errors[incomeAmountPath(pathPrefix, i)] = '请输入金额（元），如 1200 或 1,200.50'
      return
    }
    items.push({ description: r.description.trim(), amount_fen: String(fen), months: r.months })
  })
  return { income: { items: { items } }, errors }
}
