// monitoring.ts: which steps a clue's decision or a risk removal allows at each stage (the service checks
// again), and the RPC behind each, so a form shows only to roles the rule admits.
import type { OperationId } from '../../api/operations.gen'
import type { MonitoringAction } from './components/MonitoringStepForm.vue'

const byStage: Record<string, MonitoringAction[]> = {
  MONITORING_STAGE_OPEN: ['verify', 'decide'],
  MONITORING_STAGE_VERIFIED: ['publicize', 'verify', 'decide'],
  MONITORING_STAGE_POSTING: ['decide', 'object'],
}

export const actionLabels: Record<MonitoringAction, string> = {
  verify: '入户核实',
  publicize: '开始村内公示',
  object: '登记异议',
  decide: '县级决定',
}

const clueOps: Record<MonitoringAction, OperationId> = {
  verify: 'MonitoringService_VerifyClue',
  publicize: 'MonitoringService_PublicizeClue',
  object: 'MonitoringService_ObjectToClue',
  decide: 'MonitoringService_DecideClue',
}
const removalOps: Record<MonitoringAction, OperationId> = {
  verify: 'MonitoringService_VerifyRiskRemoval',
  publicize: 'MonitoringService_PublicizeRiskRemoval',
  object: 'MonitoringService_ObjectToRiskRemoval',
  decide: 'MonitoringService_DecideRiskRemoval',
}

/** monitoringActions lists the steps of a stage with the RPC that records each. */
export function monitoringActions(target: 'clue' | 'removal', stage: string | undefined): { action: MonitoringAction; op: OperationId }[] {
  const ops = target === 'clue' ? clueOps : removalOps
  return (byStage[stage ?? ''] ?? []).map((action) => ({ action, op: ops[action] }))
}

/** The API field paths of a verification (MonitoringVerification), for useFormErrors. */
export const verificationFields = ['occurred_date', 'outcome', 'proposed_type', 'findings', 'backdate_reason'].map(
  (f) => 'verification.' + f,
)
