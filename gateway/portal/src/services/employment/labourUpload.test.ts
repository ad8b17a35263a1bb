import { describe, expect, it } from 'vitest'
import { checkLabourFile, issuesCsv, labourUploadUrl, mayUploadLabour, summaryText, uploadLabourFile } from './labourUpload'

/** A stand-in for the browser's XMLHttpRequest that records the request and answers as told. */
class FakeXHR {
  method = ''
  url = ''
  headers: Record<string, string> = {}
  body: unknown
  status = 0
  responseText = ''
  upload: { onprogress: ((e: ProgressEvent) => void) | null } = { onprogress: null }
  onload: (() => void) | null = null
  onerror: (() => void) | null = null
  onabort: (() => void) | null = null
  constructor(private answer: (x: FakeXHR) => void) {}
  open(method: string, url: string) {
    this.method = method
    this.url = url
  }
  setRequestHeader(k: string, v: string) {
    this.headers[k] = v
  }
  send(body: unknown) {
    this.body = body
    this.answer(this)
    this.onload?.()
  }
  abort() {
    this.onabort?.()
  }
}

describe('labour upload', () => {
  it('is 人社 staff and administrators only', () => {
    expect(mayUploadLabour({ department: 'human_resources', role: 'department_staff' })).toBe(true)
    expect(mayUploadLabour({ department: 'human_resources', role: 'county_admin' })).toBe(true)
    expect(mayUploadLabour({ department: 'human_resources', role: 'township_officer' })).toBe(false)
    expect(mayUploadLabour({ department: 'civil_affairs', role: 'department_staff' })).toBe(false)
    expect(mayUploadLabour(null)).toBe(false)
  })

  it('takes CSV and XLSX files within the cap', () => {
    expect(checkLabourFile({ name: '2025Q3.csv', size: 10 })).toBe('')
    expect(checkLabourFile({ name: '2025Q3.xlsx', size: 10 })).toBe('')
    expect(checkLabourFile({ name: '2025Q3.doc', size: 10 })).toContain('劳动力文件')
    expect(checkLabourFile({ name: 'a.csv', size: 0 })).toBe('文件是空的')
    expect(checkLabourFile({ name: 'a.csv', size: 129 * 1024 * 1024 })).toContain('文件过大')
  })

  it('names the file and the dry run in the address', () => {
    expect(labourUploadUrl('2025Q3 劳动力.csv', true)).toBe('/v1/employment/labourImports:upload?dry_run=true&file_name=2025Q3+%E5%8A%B3%E5%8A%A8%E5%8A%9B.csv')
  })

  it('sends the file with the CSRF token and reads the answer', async () => {
    let sent: FakeXHR | null = null
    const file = new File(['身份证号,务工状况,起始年月\n'], '2025Q3.csv')
    const resp = await uploadLabourFile(file, {
      dryRun: false,
      csrfToken: 'tok',
      xhr: () =>
        (sent = new FakeXHR((x) => {
          x.status = 200
          x.responseText = JSON.stringify({ summary: { rows: '3', applied: '2' }, issues_total: '1' })
        })) as unknown as XMLHttpRequest,
    })
    expect(sent!.method).toBe('POST')
    expect(sent!.url).toContain('dry_run=false')
    expect(sent!.headers['X-CSRF-Token']).toBe('tok')
    expect(sent!.headers['Content-Type']).toBe('text/csv')
    expect(resp.summary?.applied).toBe('2')
  })

  it('rejects with the refusal of the service', async () => {
    const file = new File(['x'], 'bad.csv')
    await expect(
      uploadLabourFile(file, {
        dryRun: true,
        csrfToken: 'tok',
        xhr: () =>
          new FakeXHR((x) => {
            x.status = 400
            x.responseText = JSON.stringify({ error: { code: 400, status: 'INVALID_ARGUMENT', message: 'the header lacks the column 身份证号',
              details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'IMPORT_HEADER_INVALID', domain: 'employment.fupin.dev' }] } })
          }) as unknown as XMLHttpRequest,
      }),
    ).rejects.toMatchObject({ httpStatus: 400, reason: 'IMPORT_HEADER_INVALID' })
  })

  it('summarises and reports the rows not applied', () => {
    expect(summaryText({ rows: '6', applied: '2', unmatched: '1', invalid: '3', dry_run: true })).toContain('试导入（未写入）：共 6 行，匹配 2 行')
    const csv = issuesCsv([{ row: '4', column: '身份证号', outcome: 'LABOUR_IMPORT_OUTCOME_UNMATCHED', reason: 'NOT_IN_LEDGER', description: 'not, here' }])
    expect(csv).toBe('\uFEFF行号,列,结果,原因,说明\n4,身份证号,未匹配,NOT_IN_LEDGER,"not, here"\n')
  })
})
