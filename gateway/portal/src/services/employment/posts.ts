// posts.ts: 公益岗 (public welfare posts) in the portal: which step of an assignment's case the person may
// record next (by the case's next step and the contract's access rules), the rules' Chinese names as the
// service names them in a refusal or a review (PreconditionFailure types, WelfarePostCaseStep.unmet), and
// the pay a month's attendance would earn by the default formula, shown while typing (the server decides).
import { allowed, type Caller } from '../../session/access'

/** The rules of a holder, as the service names them, in Chinese. */
export const postRules: Record<string, string> = {
  ON_LABOUR_LEDGER: '在劳动力台账（脱贫、监测、低保户成员）',
  ALIVE: '在世',
  AGE_CAP: '年龄不超过上限',
  MIN_AGE: '年满最低年龄',
  HOUSEHOLD_STATUS: '脱贫户、监测户或低保户成员',
  LABOUR_ABILITY: '弱劳力、半劳力或无法离乡',
  NOT_WORKING_AWAY: '当月未外出务工（县外、省外）',
  HOLDER_LEFT_THE_REGION: '居住在岗位所在村',
  ONE_POST_PER_PERSON: '一人一岗',
  ONE_HOLDER_PER_POST: '一岗一人',
  INSURANCE_BEFORE_PAY: '已购买人身意外伤害保险',
  POSTED_BEFORE_START: '公示期满后上岗',
}

/** ruleName is a rule's Chinese name, or the rule itself when unknown. */
export function ruleName(rule: string): string {
  return postRules[rule] ?? rule
}

/** The next step of an assignment's case and the operation recording it. */
export type PostStep = 'review' | 'startPosting' | 'completePosting' | 'appoint'

/** What nextPostStep needs of an assignment. */
export interface AssignmentLike {
  state?: string
  next_step?: string
  postings?: { state?: string }[]
}

/**
 * nextPostStep: the step the person may record now, or "" — review after the nomination, the 公示's start
 * and its completion, then the appointment, each only for the roles the contract admits.
 */
export function nextPostStep(a: AssignmentLike, caller: Caller | null | undefined): PostStep | '' {
  if (a.state !== 'WELFARE_POST_ASSIGNMENT_STATE_NOMINATED') return ''
  const posting = (a.postings ?? []).at(-1)
  let step: PostStep | '' = ''
  switch (a.next_step) {
    case 'review':
      step = 'review'
      break
    case 'posting':
      step = posting?.state === 'in_progress' ? 'completePosting' : 'startPosting'
      break
    case 'appointment':
      step = 'appoint'
      break
  }
  const ops = {
    review: 'WelfarePostService_ReviewWelfarePostAssignment',
    startPosting: 'WelfarePostService_StartWelfarePostAssignmentPosting',
    completePosting: 'WelfarePostService_CompleteWelfarePostAssignmentPosting',
    appoint: 'WelfarePostService_AppointWelfarePostAssignment',
  } as const
  return step && allowed(caller, ops[step]) ? step : ''
}

/**
 * expectedPayFen is the month's pay by the default formula (employment.public_welfare_post.pay: full pay from
 * the minimum days, 100 元 less per day short, never below 0), as a hint beside the input; the service reads
 * the village's policy and the grade when it approves.
 */
export function expectedPayFen(monthlyFen: number, minDays: number, days: number, deductionFen = 10000): number {
  const short = Math.max(0, minDays - days)
  return Math.max(0, monthlyFen - short * deductionFen)
}
