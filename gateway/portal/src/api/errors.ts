// errors.ts reads the gateway's AIP-193 error bodies:
//
//   {"error": {"code": 400, "message": "...", "status": "INVALID_ARGUMENT", "details": [
//     {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ID_NUMBER_INVALID", "domain": "..."},
//     {"@type": "type.googleapis.com/google.rpc.BadRequest", "field_violations": [{"field": "...", ...}]},
//     {"@type": "type.googleapis.com/google.rpc.PreconditionFailure", "violations": [{"type", "subject", "description"}]}]}}
//
// and turns them into what a page shows: the field errors beside their inputs, and for a refused step
// (FAILED_PRECONDITION) the rule's explanation.

/** A bad input, named by the API's field path (e.g. "household.members[0].id_number"). */
export interface FieldViolation {
  field: string
  description: string
  reason: string
}

/** A rule that refused a step (google.rpc.PreconditionFailure.Violation). */
export interface RuleViolation {
  type: string
  subject: string
  description: string
}

interface Detail {
  '@type'?: string
  [key: string]: unknown
}

const typeErrorInfo = 'type.googleapis.com/google.rpc.ErrorInfo'
const typeBadRequest = 'type.googleapis.com/google.rpc.BadRequest'
const typePrecondition = 'type.googleapis.com/google.rpc.PreconditionFailure'

/** ApiError is a refused or failed API call. */
export class ApiError extends Error {
  /** The HTTP status (0 when the server was not reached). */
  readonly httpStatus: number
  /** The gRPC code's name, e.g. "INVALID_ARGUMENT", "FAILED_PRECONDITION", "UNAVAILABLE". */
  readonly status: string
  /** The ErrorInfo reason (an ErrorReason value such as "STEP_OUT_OF_ORDER"), or "". */
  readonly reason: string
  readonly fieldViolations: FieldViolation[]
  readonly ruleViolations: RuleViolation[]

  constructor(httpStatus: number, status: string, message: string, details: Detail[] = []) {
    super(message)
    this.name = 'ApiError'
    this.httpStatus = httpStatus
    this.status = status
    let reason = ''
    const fields: FieldViolation[] = []
    const rules: RuleViolation[] = []
    for (const d of details) {
      switch (d['@type']) {
        case typeErrorInfo:
          reason = str(d.reason)
          break
        case typeBadRequest:
          for (const v of arr(d.field_violations)) {
            fields.push({ field: str(v.field), description: str(v.description), reason: str(v.reason) })
          }
          break
        case typePrecondition:
          for (const v of arr(d.violations)) {
            rules.push({ type: str(v.type), subject: str(v.subject), description: str(v.description) })
          }
          break
      }
    }
    this.reason = reason
    this.fieldViolations = fields
    this.ruleViolations = rules
  }
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '')
const arr = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v : [])

/** statusForHttp names the gRPC code of an HTTP status when the body says nothing (a proxy's error page). */
function statusForHttp(httpStatus: number): string {
  switch (httpStatus) {
    case 400:
      return 'INVALID_ARGUMENT'
    case 401:
      return 'UNAUTHENTICATED'
    case 403:
      return 'PERMISSION_DENIED'
    case 404:
      return 'NOT_FOUND'
    case 409:
      return 'ABORTED'
    case 429:
      return 'RESOURCE_EXHAUSTED'
    case 502:
    case 503:
    case 504:
      return 'UNAVAILABLE'
    default:
      return httpStatus >= 500 ? 'INTERNAL' : 'UNKNOWN'
  }
}

/** parseError reads an error response body; a body that is not AIP-193 JSON still gives a usable error. */
export function parseError(httpStatus: number, body: string): ApiError {
  try {
    const parsed: unknown = JSON.parse(body)
    const e = (parsed as { error?: Record<string, unknown> }).error
    if (e && typeof e === 'object') {
      return new ApiError(
        httpStatus,
        str(e.status) || statusForHttp(httpStatus),
        str(e.message),
        arr(e.details) as Detail[],
      )
    }
  } catch {
    // not JSON: fall through
  }
  return new ApiError(httpStatus, statusForHttp(httpStatus), '')
}

/** The user's words for each status, when the server's message alone would not say what to do. */
const statusTitles: Record<string, string> = {
  INVALID_ARGUMENT: '填写的内容有误',
  FAILED_PRECONDITION: '不符合办理条件',
  ALREADY_EXISTS: '记录已存在',
  NOT_FOUND: '未找到记录',
  PERMISSION_DENIED: '无权办理此事项',
  UNAUTHENTICATED: '登录已失效，请重新登录',
  ABORTED: '记录已被他人修改，请刷新后重试',
  UNAVAILABLE: '服务暂时不可用，请稍后重试',
  DEADLINE_EXCEEDED: '服务响应超时，请稍后重试',
  RESOURCE_EXHAUSTED: '请求过于频繁，请稍后重试',
  INTERNAL: '系统内部错误，请联系管理员',
  UNKNOWN: '系统错误，请联系管理员',
}

/** Chinese titles of the platform's and the services' common reasons (ErrorInfo.reason). */
const reasonTitles: Record<string, string> = {
  OUT_OF_REGION_SCOPE: '超出本人管辖范围',
  ACCESS_DENIED: '本部门或本岗位无权办理此事项',
  STALE_ETAG: '记录已被他人修改，请刷新后重试',
  STEP_OUT_OF_ORDER: '办理顺序不符',
  CASE_CLOSED: '案件已办结',
  POSTING_PERIOD_NOT_OVER: '公示期未满',
  BACKDATE_REASON_REQUIRED: '补录须填写补录原因',
  CASE_ALREADY_OPEN: '已有在办案件',
  POLICY_VALUE_MISSING: '缺少当日有效的政策参数',
  INVALID_PURPOSE: '查看明文须说明用途',
  REQUEST_ID_REUSED: '重复提交的内容不一致',
  REVIEW_QUORUM_NOT_MET: '民主评议人数不足',
  INCLUSION_RULE_NOT_MET: '不符合纳入标准',
  EXCLUSION_HIT: '触及“七不准”',
  EXIT_CONDITIONS_UNMET: '未达到退出条件',
  ID_NUMBER_INVALID: '身份证号有误',
  PERSON_IN_OTHER_HOUSEHOLD: '此人已在其他户',
}

/** titleOf is the one-line Chinese title of an error. */
export function titleOf(err: ApiError): string {
  return reasonTitles[err.reason] ?? statusTitles[err.status] ?? '操作失败'
}

/** explanationsOf is what a page shows under the title: the rules' explanations, or the server's message. */
export function explanationsOf(err: ApiError): string[] {
  if (err.ruleViolations.length > 0) return err.ruleViolations.map((v) => v.description).filter(Boolean)
  return err.message ? [err.message] : []
}

/**
 * formErrors splits an error for a form: field violations whose path is one of the form's fields go beside
 * that field (by the API's path, e.g. "household_survey.house_safety_grade"); the rest (violations of
 * fields the form does not show, rule explanations, the message) go above the form, so nothing the server
 * said is lost.
 */
export function formErrors(err: ApiError, formFields: readonly string[]): { fields: Record<string, string>; general: string[] } {
  const known = new Set(formFields)
  const fields: Record<string, string> = {}
  const general: string[] = []
  for (const v of err.fieldViolations) {
    // "attachments[2]" goes beside the attachments input when the form has no input for the one item.
    const exact = normalizeField(v.field)
    const key = known.has(exact) ? exact : exact.replace(/\[\d+\]/g, '')
    if (known.has(key)) {
      fields[key] = fields[key] ? `${fields[key]}；${v.description}` : v.description
    } else {
      general.push(v.field ? `${v.field}: ${v.description}` : v.description)
    }
  }
  if (err.fieldViolations.length === 0) general.push(...explanationsOf(err))
  return { fields, general }
}

/**
 * normalizeField writes a field path as the forms name their fields: proto field names, indexes in
 * brackets. The services already do; a camelCase path (from protovalidate's JSON names) is converted too.
 */
export function normalizeField(field: string): string {
  return field.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())
}
