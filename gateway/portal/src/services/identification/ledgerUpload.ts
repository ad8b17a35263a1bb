// ledgerUpload.ts is the logic of the 导入 page: a ledger file (户籍台账, CSV or XLSX) goes as the body of
// `POST /v1/imports:upload` (the gateway streams it into identification's UploadLedger), a dry run first;
// the import's record is polled by the upload's request id for its progress; the findings can be saved as
// CSV with the columns `fupin import households --report` writes. The route is the gateway's own (a client
// stream has no REST binding), so it is not in operations.gen.ts: its call and types are here.
import { csrfHeader } from '../../api/client'
import { ApiError, parseError } from '../../api/errors'
import { label } from '../../api/labels'
import type { components } from '../../api/schema'

export type Import = components['schemas']['v1Import']
export type ImportSummary = components['schemas']['v1ImportSummary']

/** One finding of an import (fupin.identification.v1.ImportIssue). */
export interface ImportIssue {
  row?: string
  column?: string
  household_number?: string
  outcome?: string
  reason?: string
  description?: string
}

/** UploadLedger's answer (fupin.identification.v1.UploadLedgerResponse). */
export interface UploadLedgerResponse {
  summary?: ImportSummary
  issues?: ImportIssue[]
  issues_total?: string
}

export const uploadPath = '/v1/imports:upload'

/** The gateway's and the service's default cap on an upload (256 MiB); the server enforces it. */
export const maxUploadBytes = 256 * 1024 * 1024

/** Who may upload: UploadLedger's access rule in import.proto (乡村振兴局's administrators and staff). */
export function mayUpload(caller: { department: string; role: string } | null | undefined): boolean {
  return !!caller && caller.department === 'rural_revitalization' && (caller.role === 'county_admin' || caller.role === 'department_staff')
}

/** ledgerFormat is a file's format by its name, as the gateway reads it; null when not a ledger file. */
export function ledgerFormat(name: string): 'csv' | 'xlsx' | null {
  const ext = name.toLowerCase().split('.').pop() ?? ''
  if (ext === 'csv' || ext === 'txt') return 'csv'
  if (ext === 'xlsx' || ext === 'xlsm') return 'xlsx'
  return null
}

/** checkFile says, in Chinese, why a chosen file cannot be uploaded ("" when it can). */
export function checkFile(file: { name: string; size: number }, max = maxUploadBytes): string {
  if (!ledgerFormat(file.name)) return '请选择 CSV 或 Excel（.xlsx）格式的台账文件'
  if (file.size === 0) return '文件是空的'
  if (file.size > max) return `文件过大（${formatBytes(file.size)}），单次上传不超过 ${formatBytes(max)}：请按乡镇拆分后分批导入`
  return ''
}

/** formatBytes shows a size as people read it: 812 B, 3.4 KB, 20.0 MB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}

/**
 * uploadUrl is the upload's address: the file's name, dry run or not, the upload's request id, and the
 * file's households as counted here (countHouseholds; 0 when not counted) with mode=auto: the service
 * chooses the bulk load of a county's first import when the file declares at least 1,000 households and
 * the register holds fewer than a tenth of them, the ordinary path otherwise (docs/IMPORT.md).
 */
export function uploadUrl(fileName: string, dryRun: boolean, requestId: string, declaredHouseholds = 0): string {
  const q = new URLSearchParams({
    dry_run: String(dryRun),
    file_name: fileName,
    request_id: requestId,
    mode: 'auto',
    declared_households: String(declaredHouseholds),
  })
  return `${uploadPath}?${q.toString()}`
}

/** The header cell of the ledger's household number column (ledger.ColNumber). */
const numberColumn = '户编号'

/**
 * decoderFor picks the CSV's text encoding as the service reads it: UTF-8 (with or without a byte-order
 * mark) when the first bytes are valid UTF-8, GB18030 otherwise.
 */
function decoderFor(head: Uint8Array): TextDecoder {
  try {
    // A multi-byte character cut at the sample's end is not an error: stream mode keeps it pending.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true })
    return new TextDecoder('utf-8')
  } catch {
    return new TextDecoder('gb18030')
  }
}

/**
 * countHouseholds counts the households of a CSV ledger as `fupin import households` does before it
 * streams: the distinct non-empty 户编号 values of the data rows after the header row (the first row with a
 * 户编号 cell). It reads the file as a stream (quoted cells with commas, quotes and line breaks handled), so
 * a 100 MB file does not sit in memory as one string. 0 when the file has no 户编号 column: the service then
 * takes the ordinary path.
 */
export async function countHouseholds(file: Blob): Promise<number> {
  const head = new Uint8Array(await file.slice(0, 64 * 1024).arrayBuffer())
  const decoder = decoderFor(head)
  const numbers = new Set<string>()
  let col = -1 // the 户编号 column, once the header is found
  let cell = ''
  let cells = 0 // cells finished in the current row
  let quoted = false
  let quoteSeen = false // in a quoted cell, the previous character was a quote
  let rowNumber = ''
  let headerRow: string[] | null = []
  const endCell = () => {
    const v = cell.trim().replace(/^\uFEFF/, '')
    if (headerRow) headerRow.push(v)
    else if (cells === col) rowNumber = v
    cells++
    cell = ''
  }
  const endRow = () => {
    endCell()
    if (headerRow) {
      const i = headerRow.indexOf(numberColumn)
      if (i >= 0) {
        col = i
        headerRow = null
      } else headerRow = []
    } else if (rowNumber !== '') numbers.add(rowNumber)
    cells = 0
    rowNumber = ''
  }
  const feed = (text: string) => {
    for (let i = 0; i < text.length; i++) {
      const c = text[i]
      if (quoted) {
        if (quoteSeen) {
          quoteSeen = false
          if (c === '"') {
            cell += c
            continue
          }
          quoted = false // the quote closed the cell; c is read below
        } else {
          if (c === '"') quoteSeen = true
          else cell += c
          continue
        }
      }
      if (c === '"' && cell.trim() === '') {
        quoted = true
        cell = ''
      } else if (c === ',') endCell()
      else if (c === '\n') endRow()
      else if (c !== '\r') cell += c
    }
  }
  const reader = file.stream().getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    feed(decoder.decode(value, { stream: true }))
  }
  feed(decoder.decode())
  if (cell !== '' || cells > 0) endRow()
  return numbers.size
}

/** What uploadLedger needs besides the file; tests give their own XMLHttpRequest. */
export interface UploadOptions {
  dryRun: boolean
  requestId: string
  csrfToken: string
  /** The file's households (countHouseholds), declared with the upload so the service chooses the mode. */
  declaredHouseholds?: number
  /** Called as the body goes out: bytes sent of total. */
  onProgress?: (sent: number, total: number) => void
  /** Called on 401: the session is gone. */
  onUnauthenticated?: () => void
  signal?: AbortSignal
  xhr?: () => XMLHttpRequest
}

/**
 * uploadLedger sends the file as the request body of the ledger upload (uploadFile) and resolves with the
 * service's answer.
 */
export function uploadLedger(file: File, opts: UploadOptions): Promise<UploadLedgerResponse> {
  return uploadFile<UploadLedgerResponse>(uploadUrl(file.name, opts.dryRun, opts.requestId, opts.declaredHouseholds ?? 0), file, opts)
}

/**
 * uploadFile sends a file as the request body of one of the gateway's upload routes (XMLHttpRequest, for
 * the upload's progress, which fetch does not report) with the session's CSRF token, and resolves with the
 * service's answer; a refusal rejects with the ApiError of its AIP-193 body. Every upload page uses it
 * (the 导入 page's ledger, 人社's labour file).
 */
export function uploadFile<T>(url: string, file: File, opts: Omit<UploadOptions, 'dryRun' | 'requestId' | 'declaredHouseholds'>): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = opts.xhr ? opts.xhr() : new XMLHttpRequest()
    xhr.open('POST', url)
    xhr.setRequestHeader('Accept', 'application/json')
    xhr.setRequestHeader(csrfHeader, opts.csrfToken)
    if (ledgerFormat(file.name) === 'csv') xhr.setRequestHeader('Content-Type', 'text/csv')
    else xhr.setRequestHeader('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    if (opts.onProgress) {
      const report = opts.onProgress
      xhr.upload.onprogress = (e: ProgressEvent) => report(e.loaded, e.lengthComputable ? e.total : file.size)
    }
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText) as T)
        } catch {
          reject(new ApiError(xhr.status, 'UNKNOWN', '服务器的回答无法读取'))
        }
        return
      }
      if (xhr.status === 401) opts.onUnauthenticated?.()
      reject(parseError(xhr.status, xhr.responseText))
    }
    xhr.onerror = () => reject(new ApiError(0, 'UNAVAILABLE', '无法连接服务器，请检查网络'))
    xhr.onabort = () => reject(new DOMException('upload aborted', 'AbortError'))
    opts.signal?.addEventListener('abort', () => xhr.abort())
    xhr.send(file)
  })
}

/** The progress an import record shows, for a progress bar. */
export interface RecordProgress {
  /** 0–100. */
  percent: number
  status: 'success' | 'exception' | 'warning' | ''
  /** The share read says nothing yet (an XLSX file is read whole before its rows): a moving bar. */
  indeterminate: boolean
  text: string
}

/**
 * progressOf reads an upload's import record: the share of the file read when its batches were written
 * (bytes_read of size_bytes; a CSV file is read as it arrives, an XLSX file whole before its rows), 100
 * once done, and what the record says in Chinese.
 */
export function progressOf(rec: Import | undefined): RecordProgress {
  if (!rec) return { percent: 0, status: '', indeterminate: true, text: '等待服务开始导入…' }
  const size = Number(rec.size_bytes ?? 0)
  const read = Number(rec.bytes_read ?? 0)
  const sum = rec.summary ?? {}
  const counts = `已读 ${sum.rows ?? '0'} 行，写入 ${sum.households_imported ?? '0'} 户`
  switch (rec.state) {
    case 'IMPORT_STATE_DONE':
      return { percent: 100, status: 'success', indeterminate: false, text: `已完成：${counts}` }
    case 'IMPORT_STATE_FAILED':
      return { percent: pct(read, size), status: 'exception', indeterminate: false, text: `失败：${rec.status_message ?? ''}` }
    case 'IMPORT_STATE_INTERRUPTED':
      return {
        percent: pct(read, size),
        status: 'warning',
        indeterminate: false,
        text: `已中断：已写入的保留，重新导入同一文件可续传。${counts}`,
      }
  }
  // Running: never 100 before the record says done (the last batch and the answer are still to come).
  const xlsx = ledgerFormat(rec.source ?? '') === 'xlsx'
  return { percent: xlsx ? 100 : Math.min(pct(read, size), 99), status: '', indeterminate: xlsx, text: `导入中：${counts}` }
}

function pct(read: number, size: number): number {
  if (!(size > 0)) return 0
  return Math.max(0, Math.min(100, Math.floor((read / size) * 100)))
}

/** Chinese names of the reasons an import reports (fupin ErrorReason values); others show their code. */
const reasonNames: Record<string, string> = {
  ID_NUMBER_INVALID: '身份证号有误',
  PERSON_REPEATED: '同一户内人员重复',
  PERSON_IN_OTHER_HOUSEHOLD: '此人已在其他户',
  HEAD_COUNT: '户主人数不对',
  REGION_UNKNOWN: '行政区划代码不存在',
  OUT_OF_REGION_SCOPE: '超出本人管辖范围',
  INVALID_FIELD: '内容不符合规则',
  IMPORT_HEADER_INVALID: '表头不符合台账格式',
  IMPORT_VALUE_REQUIRED: '必填项为空',
  IMPORT_VALUE_INVALID: '格式有误',
  IMPORT_LABEL_UNKNOWN: '无法识别的取值',
  IMPORT_VALUE_INCONSISTENT: '同户各行不一致',
  IMPORT_HOUSEHOLD_SPLIT: '同一户的行不相连',
  IMPORT_HOUSEHOLD_CONFLICT: '户编号已登记且内容不同',
  IMPORT_ALREADY_IMPORTED: '此前已导入',
  IMPORT_FILE_TOO_LARGE: '文件过大',
}

/** reasonName is a reason's Chinese name. */
export function reasonName(reason: string | undefined): string {
  if (!reason) return ''
  return reasonNames[reason] ?? reason
}

/** The report's columns, as `fupin import households --report` writes them. */
export const reportColumns = ['行号', '列', '户编号', '结果', '原因', '说明'] as const

/**
 * issuesCsv writes the findings as CSV for Excel: a byte-order mark (Excel then reads UTF-8), CRLF lines,
 * quoted cells; a cell that Excel would take for a formula (=, +, -, @ first) starts with ' so it stays
 * text.
 */
export function issuesCsv(issues: readonly ImportIssue[]): string {
  const lines = [reportColumns.join(',')]
  for (const is of issues) {
    lines.push(
      [is.row ?? '', is.column ?? '', is.household_number ?? '', label(is.outcome), reasonName(is.reason), is.description ?? '']
        .map(csvCell)
        .join(','),
    )
  }
  return '\ufeff' + lines.join('\r\n') + '\r\n'
}

function csvCell(v: string): string {
  const s = /^[=+\-@]/.test(v) ? "'" + v : v
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s
}

/** reportName is the findings file's name for an uploaded file: 红桥村.xlsx → 红桥村-问题清单.csv. */
export function reportName(fileName: string): string {
  const base = fileName.replace(/\.[^.]*$/, '') || '台账'
  return `${base}-问题清单.csv`
}

/** summaryLines are the counts of an answer as the page lists them. */
export function summaryLines(sum: ImportSummary | undefined): { label: string; value: string }[] {
  const s = sum ?? {}
  const n = (v: string | undefined) => v ?? '0'
  return [
    { label: s.dry_run ? '可导入户数' : '已写入户数', value: n(s.households_imported) },
    { label: s.dry_run ? '可导入人数' : '已写入人数', value: n(s.persons_imported) },
    { label: '此前已导入（跳过）', value: n(s.households_already_imported) },
    { label: '户编号冲突', value: n(s.households_conflicting) },
    { label: '不予导入户数', value: n(s.households_rejected) },
    { label: '数据行数', value: n(s.rows) },
  ]
}
