import { describe, expect, it } from 'vitest'
import { ApiError } from '../../api/errors'
import { operations } from '../../api/operations.gen'
import {
  checkFile,
  countHouseholds,
  issuesCsv,
  ledgerFormat,
  mayUpload,
  progressOf,
  reportName,
  summaryLines,
  uploadLedger,
  uploadUrl,
  type Import,
} from './ledgerUpload'

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
    this.upload.onprogress?.({ loaded: 5, total: 10, lengthComputable: true } as ProgressEvent)
    this.answer(this)
  }
  abort() {
    this.onabort?.()
  }
}

const file = (name: string, text = '户编号\n') => new File([text], name)

describe('ledger upload', () => {
  it('knows ledger files by their extension, as the gateway does', () => {
    expect(ledgerFormat('红桥村.CSV')).toBe('csv')
    expect(ledgerFormat('台账.xlsx')).toBe('xlsx')
    expect(ledgerFormat('台账.xls')).toBeNull()
    expect(ledgerFormat('台账')).toBeNull()
  })

  it('refuses, in Chinese, files it cannot upload', () => {
    expect(checkFile({ name: 'a.csv', size: 10 })).toBe('')
    expect(checkFile({ name: 'a.xls', size: 10 })).toContain('CSV 或 Excel')
    expect(checkFile({ name: 'a.csv', size: 0 })).toBe('文件是空的')
    expect(checkFile({ name: 'a.csv', size: 300 * 1024 * 1024 })).toContain('文件过大（300.0 MB）')
  })

  it('names the file, dry run, request id and the declared households in the address', () => {
    expect(uploadUrl('红桥村 台账.csv', true, 'r1')).toBe(
      '/v1/imports:upload?dry_run=true&file_name=%E7%BA%A2%E6%A1%A5%E6%9D%91+%E5%8F%B0%E8%B4%A6.csv&request_id=r1&mode=auto&declared_households=0',
    )
    expect(uploadUrl('a.csv', false, 'r2', 350000)).toBe(
      '/v1/imports:upload?dry_run=false&file_name=a.csv&request_id=r2&mode=auto&declared_households=350000',
    )
  })

  it('counts a CSV ledger\'s households as the fupin command does: distinct 户编号 after the header', async () => {
    const text = [
      '示范县户籍台账', // a title row before the header
      '户编号,行政区划代码,家庭住址,姓名',
      'H-1,990001002001,"红桥村, 一组",张大山',
      ',990001002001,红桥村,李秀英', // an empty 户编号 continues the household
      'H-2,990001002001,"他说""好""",王五',
      'H-1,990001002001,"第一行',
      '第二行",赵六', // a quoted line break
      '"H-3",990001002001,红桥村,孙七',
      '',
    ].join('\r\n')
    expect(await countHouseholds(new Blob(['\uFEFF' + text]))).toBe(3)
    // The same file in GB18030 (台账 exported by older systems) counts the same.
    expect(await countHouseholds(new Blob([gb18030(text)]))).toBe(3)
    // Rows far apart, across the reader's chunks.
    const many = ['户编号,姓名', ...Array.from({ length: 30000 }, (_, i) => `N-${Math.floor(i / 3)},某人${i}`)].join('\n')
    expect(await countHouseholds(new Blob([many]))).toBe(10000)
    expect(await countHouseholds(new Blob(['姓名,身份证号\n张三,1\n']))).toBe(0)
  })

  it('declares the counted households with the upload', async () => {
    let xhr: FakeXHR | undefined
    await uploadLedger(file('a.csv'), {
      dryRun: false,
      requestId: 'r3',
      csrfToken: 'c',
      declaredHouseholds: 1234,
      xhr: () =>
        (xhr = new FakeXHR((x) => {
          x.status = 200
          x.responseText = '{}'
          x.onload?.()
        })) as unknown as XMLHttpRequest,
    })
    expect(xhr?.url).toContain('mode=auto&declared_households=1234')
  })

  it('sends the file with the CSRF token, reports progress and reads the answer', async () => {
    let xhr: FakeXHR | undefined
    const progress: number[][] = []
    const f = file('红桥村.csv')
    const resp = await uploadLedger(f, {
      dryRun: true,
      requestId: 'r1',
      csrfToken: 'csrf-1',
      onProgress: (sent, total) => progress.push([sent, total]),
      xhr: () =>
        (xhr = new FakeXHR((x) => {
          x.status = 200
          x.responseText = JSON.stringify({ summary: { dry_run: true, households_imported: '2' }, issues: [{ row: '4' }], issues_total: '1' })
          x.onload?.()
        })) as unknown as XMLHttpRequest,
    })
    expect(xhr!.method).toBe('POST')
    expect(xhr!.url).toContain('dry_run=true')
    expect(xhr!.headers['X-CSRF-Token']).toBe('csrf-1')
    expect(xhr!.headers['Content-Type']).toBe('text/csv')
    expect(xhr!.body).toBe(f)
    expect(progress).toEqual([[5, 10]])
    expect(resp.summary?.households_imported).toBe('2')
    expect(resp.issues?.[0].row).toBe('4')
  })

  it('rejects with the AIP-193 error, and sends a signed-out person to sign-in', async () => {
    const answer = (status: number, body: object) => (x: FakeXHR) => {
      x.status = status
      x.responseText = JSON.stringify(body)
      x.onload?.()
    }
    const tooLarge = uploadLedger(file('a.csv'), {
      dryRun: false,
      requestId: 'r',
      csrfToken: 't',
      xhr: () =>
        new FakeXHR(
          answer(413, {
            error: {
              code: 413,
              status: 'RESOURCE_EXHAUSTED',
              message: 'the request body is larger than 1 bytes',
              details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'REQUEST_TOO_LARGE' }],
            },
          }),
        ) as unknown as XMLHttpRequest,
    })
    await expect(tooLarge).rejects.toMatchObject({ httpStatus: 413, reason: 'REQUEST_TOO_LARGE' })
    let signedOut = false
    const gone = uploadLedger(file('a.csv'), {
      dryRun: false,
      requestId: 'r',
      csrfToken: 't',
      onUnauthenticated: () => (signedOut = true),
      xhr: () => new FakeXHR(answer(401, { error: { code: 401, status: 'UNAUTHENTICATED', message: 'x' } })) as unknown as XMLHttpRequest,
    })
    await expect(gone).rejects.toBeInstanceOf(ApiError)
    expect(signedOut).toBe(true)
  })

  it('reads an import record as a progress bar', () => {
    const rec = (r: Partial<Import>): Import => ({ size_bytes: '1000', bytes_read: '250', summary: { rows: '40', households_imported: '12' }, ...r })
    expect(progressOf(undefined)).toMatchObject({ percent: 0 })
    expect(progressOf(rec({ state: 'IMPORT_STATE_RUNNING', source: '红桥村.csv' }))).toEqual({
      percent: 25,
      status: '',
      indeterminate: false,
      text: '导入中：已读 40 行，写入 12 户',
    })
    // An XLSX file is read whole before its rows: its share read says nothing, the bar just moves.
    expect(progressOf(rec({ state: 'IMPORT_STATE_RUNNING', source: '红桥村.xlsx', bytes_read: '1000' }))).toMatchObject({ indeterminate: true })
    expect(progressOf(rec({ state: 'IMPORT_STATE_RUNNING', bytes_read: '1000' })).percent).toBe(99)
    expect(progressOf(rec({ state: 'IMPORT_STATE_DONE' }))).toMatchObject({ percent: 100, status: 'success' })
    expect(progressOf(rec({ state: 'IMPORT_STATE_FAILED', status_message: '文件过大' }))).toMatchObject({
      percent: 25,
      status: 'exception',
      text: '失败：文件过大',
    })
    expect(progressOf(rec({ state: 'IMPORT_STATE_INTERRUPTED' })).status).toBe('warning')
    expect(progressOf(rec({ state: 'IMPORT_STATE_RUNNING', size_bytes: '0' })).percent).toBe(0)
  })

  it('writes the findings as the --report CSV, safe for Excel', () => {
    const csv = issuesCsv([
      { row: '4', column: '身份证号', household_number: 'UP-2', outcome: 'IMPORT_OUTCOME_REJECTED', reason: 'ID_NUMBER_INVALID', description: 'check character, "X"' },
      { row: '9', column: '姓名', household_number: '=HYPERLINK("x")', outcome: 'IMPORT_OUTCOME_CONFLICT', reason: 'SOMETHING_NEW', description: '-1' },
    ])
    expect(csv).toBe(
      '\ufeff行号,列,户编号,结果,原因,说明\r\n' +
        '4,身份证号,UP-2,不予导入,身份证号有误,"check character, ""X"""\r\n' +
        `9,姓名,"'=HYPERLINK(""x"")",户编号冲突,SOMETHING_NEW,'-1\r\n`,
    )
    expect(reportName('红桥村.xlsx')).toBe('红桥村-问题清单.csv')
  })

  it('counts what a dry run would do and what an import did', () => {
    expect(summaryLines({ dry_run: true, households_imported: '3' })[0]).toEqual({ label: '可导入户数', value: '3' })
    expect(summaryLines({ households_rejected: '1' })[4]).toEqual({ label: '不予导入户数', value: '1' })
  })

  it('lets upload exactly those who may import: the list readers but auditors', () => {
    const readers = operations.ImportService_ListImports.access
    for (const role of readers.roles) {
      expect(mayUpload({ department: 'rural_revitalization', role })).toBe(role !== 'auditor')
    }
    expect(mayUpload({ department: 'civil_affairs', role: 'county_admin' })).toBe(false)
    expect(mayUpload(null)).toBe(false)
  })
})

/** gb18030 encodes text as GB18030 for the test: ASCII as is, the few Chinese characters used by a table. */
function gb18030(text: string): Uint8Array<ArrayBuffer> {
  const table: Record<string, number[]> = {}
  // GB2312 codes (a subset of GB18030) of the characters in the test's ledger.
  const codes: [string, number][] = [
    ['示', 0xcabe], ['范', 0xb7b6], ['县', 0xcfd8], ['户', 0xbba7], ['籍', 0xbcae], ['台', 0xcca8], ['账', 0xd5cb],
    ['编', 0xb1e0], ['号', 0xbac5], ['行', 0xd0d0], ['政', 0xd5fe], ['区', 0xc7f8], ['划', 0xbbae], ['代', 0xb4fa],
    ['码', 0xc2eb], ['家', 0xbcd2], ['庭', 0xcda5], ['住', 0xd7a1], ['址', 0xd6b7], ['姓', 0xd0d5], ['名', 0xc3fb],
    ['红', 0xbaec], ['桥', 0xc7c5], ['村', 0xb4e5], ['一', 0xd2bb], ['组', 0xd7e9], ['张', 0xd5c5], ['大', 0xb4f3],
    ['山', 0xc9bd], ['李', 0xc0ee], ['秀', 0xd0e3], ['英', 0xd3a2], ['他', 0xcbfb], ['说', 0xcbb5], ['好', 0xbac3],
    ['王', 0xcdf5], ['五', 0xcee5], ['第', 0xb5da], ['二', 0xb6fe], ['赵', 0xd5d4], ['六', 0xc1f9], ['孙', 0xcbef],
    ['七', 0xc6df],
  ]
  for (const [c, code] of codes) table[c] = [code >> 8, code & 0xff]
  const out: number[] = []
  for (const c of text) {
    if (c.charCodeAt(0) < 0x80) out.push(c.charCodeAt(0))
    else if (table[c]) out.push(...table[c])
    else throw new Error(`no GB18030 code for ${c} in the test's table`)
  }
  return new Uint8Array(out)
}
