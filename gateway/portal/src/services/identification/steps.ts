// steps.ts names the steps of identification (精准识别) and exit (脱贫退出) cases as the county says them, and
// which RPC records each, so pages show a step's form only to those the rule admits.
import type { OperationId } from '../../api/operations.gen'

export const caseKinds: Record<string, string> = { identification: '精准识别', exit: '脱贫退出' }

const stepNames: Record<string, string> = {
  application: '申请（户报）',
  survey: '入户核查',
  village_review: '民主评议',
  posting: '公示',
  township_review: '乡镇审核',
  county_decision: '县级审定',
  withdrawal: '撤回/终止',
}

/** stepLabel names a case step; the exit survey is 核查测算. */
export function stepLabel(kind: string | undefined, step: string | undefined): string {
  if (!step) return ''
  if (kind === 'exit' && step === 'survey') return '核查测算'
  return stepNames[step] ?? step
}

/** The RPC that records each step a case can wait for (next_step). */
export const stepOps: Record<string, OperationId> = {
  survey: 'CaseService_RecordSurvey',
  village_review: 'CaseService_RecordVillageReview',
  posting: 'CaseService_StartPosting',
  township_review: 'CaseService_RecordTownshipReview',
  county_decision: 'CaseService_DecideCase',
}

/** The steps in order, for filters. */
export const caseSteps = ['survey', 'village_review', 'posting', 'township_review', 'county_decision']

/** 七不准 facts of a survey (ExclusionFacts), by field. */
export const exclusionLabels: Record<string, string> = {
  commercial_housing: '在城镇购买商品房或有豪华装修住房',
  vehicle: '拥有小轿车、大型农用车或工程机械',
  village_committee: '家庭成员任村委会成员',
  public_payroll: '家庭成员为财政供养人员或国有企业职工',
  enterprise: '家庭成员经营企业或长期雇佣他人',
  separated_residence: '人户分离',
  overseas_study_or_commercial_pension: '家庭成员自费出国留学或购买商业养老保险',
  refuses_correction: '有违法行为拒不改正',
}

/** The exit survey's conditions (ExitSurvey), by field. */
export const exitSurveyLabels: Record<string, string> = {
  food_and_clothing: '不愁吃、不愁穿',
  compulsory_education: '义务教育有保障',
  basic_medical_insurance: '基本医疗有保障',
  safe_housing: '住房安全有保障',
  safe_drinking_water: '饮水安全有保障',
  consent_signed: '户主签字认可',
}
