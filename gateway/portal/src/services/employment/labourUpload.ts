// labourUpload.ts is the logic of the 劳动力导入 page: 人社's quarterly labour file (CSV or XLSX) goes as the
// body of `POST /v1/employment/labourImports:upload` (the gateway streams it into the employment service's
// ImportLabourFile), a dry run first; the rows not applied can be saved as CSV with the columns
// `fupin import labour --report` writes. The route is the gateway's own (a client stream has no REST
// binding), so its call and types are here; the sending is the 导入 page's (uploadFile).
import { checkFile as checkLedgerFile, uploadFile } from '../identification/ledgerUpload'

export const labourUploadPath = '/v1/employment/labourImports:upload'

/** The gateway's and the service's default cap on a labour file (128 MiB); the server enforces it. */
export const maxLabourUploadBytes = 128 * 1024 * 1024

/** One row not applied (fupin.employment.v1.LabourImportIssue). */
export interface LabourImportIssue {
  row?: string
  column?: string
  outcome?: string
  reason?: string
  description?: string
}

/** What the import did (fupin.employment.v1.LabourImportSummary; int64 counts arrive as strings). */
export interface LabourImportSummary {
  rows?: string
  applied?: string
  unmatched?: string
  invalid?: string
  ended?: string
  spells?: string
  unemployment_periods?: string
  dry_run?: boolean
}

/** ImportLabourFile's answer (fupin.employment.v1.ImportLabourFileResponse). */
export interface ImportLabourFileResponse {
  summary?: LabourImportSummary
  issues?: LabourImportIssue[]
  issues_total?: string
}

/** Who may upload: ImportLabourFile's access rule in import.proto (人社's administrators and staff). */
export function mayUploadLabour(caller: { department: string; role: string } | null | undefined): boolean {
  return !!caller && caller.department === 'human_resources' && (caller.role === 'county_admin' || caller.role === 'department_staff')
}

/** checkLabourFile says, in Chinese, why a chosen file cannot be uploaded ("" when it can). */
export function checkLabourFile(file: { name: string; size: number }): string {
  return checkLedgerFile(file, maxLabourUploadBytes).replace('台账文件', '劳动力文件')
}

/** labourUploadUrl is the upload's address: the file's name and whether it is a dry run. */
export function labourUploadUrl(fileName: string, dryRun: boolean): string {
  const q = new URLSearchParams({ dry_run: String(dryRun), file_name: fileName })
  return `${labourUploadPath}?${q.toString()}`
}

/** uploadLabourFile sends the file and resolves with the service's answer (uploadFile). */
export function uploadLabourFile(file: File, opts: Parameters<typeof uploadFile>[2] & { dryRun: boolean }): Promise<ImportLabourFileResponse> {
  return uploadFile<ImportLabourFileResponse>(labourUploadUrl(file.name, opts.dryRun), file, opts)
}

/** The outcomes' Chinese names, as the command's report writes them. */
export const outcomeNames: Record<string, string> = {
  LABOUR_IMPORT_OUTCOME_APPLIED: '已导入',
  LABOUR_IMPORT_OUTCOME_UNMATCHED: '未匹配',
  LABOUR_IMPORT_OUTCOME_INVALID: '数据有误',
  LABOUR_IMPORT_OUTCOME_ENDED: '已退出台账',
}

/** summaryText is the answer's summary in one Chinese sentence. */
export function summaryText(s: LabourImportSummary | undefined): string {
  const n = (v?: string) => v ?? '0'
  const head = s?.dry_run ? '试导入（未写入）' : '已导入'
  return `${head}：共 ${n(s?.rows)} 行，匹配 ${n(s?.applied)} 行，未匹配 ${n(s?.unmatched)} 行，数据有误 ${n(s?.invalid)} 行，已退出台账 ${n(s?.ended)} 行；就业记录 ${n(s?.spells)} 条，失业登记/失业保险金 ${n(s?.unemployment_periods)} 条`
}

/** issuesCsv writes the rows not applied as `fupin import labour --report` does (行号, 列, 结果, 原因, 说明). */
export function issuesCsv(issues: LabourImportIssue[]): string {
  const cell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)
  const lines = ['行号,列,结果,原因,说明']
  for (const is of issues) {
    lines.push([is.row ?? '', is.column ?? '', outcomeNames[is.outcome ?? ''] ?? is.outcome ?? '', is.reason ?? '', is.description ?? ''].map(cell).join(','))
  }
  return '\uFEFF' + lines.join('\n') + '\n'
}
