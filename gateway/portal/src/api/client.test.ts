// The API client against a real HTTP server on a free port, answering as the gateway does (AIP-193 error
// bodies): paths, headers, bodies, and how each refusal comes back.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createClient, expandPath, filenameOf, queryString, type Client } from './client'
import { ApiError, explanationsOf, formErrors, titleOf } from './errors'
import { operations, type OperationId } from './operations.gen'

interface Seen {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  body: string
}

let server: http.Server
let base = ''
let seen: Seen[] = []
let reply: (req: Seen) => { status: number; body: string | Buffer; type?: string; headers?: Record<string, string> } = () => ({
  status: 200,
  body: '{}',
})
let unauthenticated = 0
let client: Client

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      const s = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body }
      seen.push(s)
      const r = reply(s)
      res.writeHead(r.status, { 'Content-Type': r.type ?? 'application/json', ...(r.headers ?? {}) })
      res.end(r.body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

beforeEach(() => {
  seen = []
  unauthenticated = 0
  reply = () => ({ status: 200, body: '{}' })
  client = createClient({
    baseUrl: base,
    fetch: (i, init) => fetch(i, init),
    csrfToken: () => 'csrf-123',
    onUnauthenticated: () => unauthenticated++,
  })
})

const aip193 = (code: number, status: string, message: string, details: unknown[] = []) =>
  JSON.stringify({ error: { code, message, status, details } })

describe('requests', () => {
  it('a GET names the resource in the path, sends no CSRF token and reads the JSON', async () => {
    reply = () => ({ status: 200, body: JSON.stringify({ name: 'cases/c-1', kind: 'exit' }) })
    const c = await client.call('CaseService_GetCase', { name: 'cases/c-1' })
    expect(c.kind).toBe('exit')
    expect(seen[0].method).toBe('GET')
    expect(seen[0].url).toBe('/v1/cases/c-1')
    expect(seen[0].headers['x-csrf-token']).toBeUndefined()
    expect(seen[0].headers.accept).toBe('application/json')
  })

  it('a List sends its query; empty values are left out', async () => {
    await client.call('HouseholdService_ListHouseholds', {
      query: { page_size: 20, page_token: '', filter: 'registry_status = REGISTRY_STATUS_POOR AND member_name:"王*"' },
    })
    const u = new URL(seen[0].url, base)
    expect(u.pathname).toBe('/v1/households')
    expect(u.searchParams.get('page_size')).toBe('20')
    expect(u.searchParams.has('page_token')).toBe(false)
    expect(u.searchParams.get('filter')).toBe('registry_status = REGISTRY_STATUS_POOR AND member_name:"王*"')
  })

  it('a mutation sends the CSRF token and its JSON body', async () => {
    await client.call('CaseService_DecideCase', {
      name: 'cases/c-1',
      body: { outcome: 'CASE_OUTCOME_APPROVED', request_id: 'r-1' },
    })
    expect(seen[0].method).toBe('POST')
    expect(seen[0].url).toBe('/v1/cases/c-1:decide')
    expect(seen[0].headers['x-csrf-token']).toBe('csrf-123')
    expect(seen[0].headers['content-type']).toBe('application/json')
    expect(JSON.parse(seen[0].body)).toEqual({ outcome: 'CASE_OUTCOME_APPROVED', request_id: 'r-1' })
  })

  it('a read by POST (the 身份证号 in the body, never the URL) sends the CSRF token too', async () => {
    await client.call('HouseholdService_LookupHousehold', { body: { id_number: '990002196503040012' } })
    expect(seen[0].url).toBe('/v1/households:lookup')
    expect(seen[0].url).not.toContain('990002')
    expect(seen[0].headers['x-csrf-token']).toBe('csrf-123')
  })

  it('a plain-text read states its purpose', async () => {
    await client.call('HouseholdService_GetHousehold', { name: 'households/h-1', purpose: 'case_handling' })
    expect(seen[0].headers['x-fupin-purpose']).toBe('case_handling')
  })

  it('sends no purpose header unless asked', async () => {
    await client.call('HouseholdService_GetHousehold', { name: 'households/h-1' })
    expect(seen[0].headers['x-fupin-purpose']).toBeUndefined()
  })

  it('never sends an Authorization header', async () => {
    await client.call('CaseService_WithdrawCase', { name: 'cases/c-1', body: { note: 'x' } })
    expect(seen[0].headers.authorization).toBeUndefined()
  })
})

describe('files', () => {
  const xlsx = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0xff, 0x10])

  it('a download is a GET with the session cookie and the query, no CSRF token, and returns the bytes as sent', async () => {
    reply = () => ({
      status: 200,
      body: xlsx,
      type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      headers: { 'Content-Disposition': "attachment; filename=\"roll.xlsx\"; filename*=UTF-8''%E5%8F%91%E6%94%BE%E5%90%8D%E5%86%8C.xlsx" },
    })
    const f = await client.file('PaymentRollService_ExportRoll', {
      name: 'paymentRolls/dibao-2026-03',
      query: { format: 'ROLL_EXPORT_FORMAT_XLSX', region_code: '990001002' },
    })
    expect(seen[0].method).toBe('GET')
    expect(seen[0].url).toBe('/v1/paymentRolls/dibao-2026-03:export?format=ROLL_EXPORT_FORMAT_XLSX&region_code=990001002')
    expect(seen[0].headers['x-csrf-token']).toBeUndefined()
    expect(Buffer.from(await f.blob.arrayBuffer())).toEqual(xlsx)
    expect(f.filename).toBe('发放名册.xlsx')
    expect(f.contentType).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
  })

  it('a refused download is an ApiError, and 401 sends the browser to sign-in', async () => {
    reply = () => ({
      status: 403,
      body: aip193(403, 'PERMISSION_DENIED', 'outside your region', [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'OUT_OF_REGION_SCOPE', domain: 'subsidies.fupin.dev' },
      ]),
    })
    const err: ApiError = await client.file('PaymentRollService_ExportRoll', { name: 'paymentRolls/dibao-2026-03' }).catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.reason).toBe('OUT_OF_REGION_SCOPE')
    reply = () => ({ status: 401, body: aip193(401, 'UNAUTHENTICATED', 'session expired') })
    await client.file('PaymentRollService_ExportRoll', { name: 'paymentRolls/dibao-2026-03' }).catch(() => undefined)
    expect(unauthenticated).toBe(1)
  })

  it('a file sent by a mutation carries the CSRF token like any other', async () => {
    reply = () => ({ status: 200, body: 'a,b\n', type: 'text/csv' })
    const f = await client.file('PaymentRollService_ApproveRoll', { name: 'paymentRolls/dibao-2026-03', body: { request_id: 'r' } })
    expect(seen[0].headers['x-csrf-token']).toBe('csrf-123')
    expect(f.filename).toBe('')
    expect(await f.blob.text()).toBe('a,b\n')
  })

  it('reads the file name of a Content-Disposition', () => {
    expect(filenameOf(null)).toBe('')
    expect(filenameOf('attachment')).toBe('')
    expect(filenameOf('attachment; filename="a b.csv"')).toBe('a b.csv')
    expect(filenameOf('attachment; filename=plain.csv')).toBe('plain.csv')
    expect(filenameOf('attachment; filename="q\\"x.csv"')).toBe('q"x.csv')
    expect(filenameOf("attachment; filename*=UTF-8''%E5%90%8D%E5%86%8C.xlsx; filename=\"r.xlsx\"")).toBe('名册.xlsx')
    expect(filenameOf("attachment; filename*=UTF-8''%E5%90; filename=\"r.xlsx\"")).toBe('r.xlsx')
  })
})

describe('refusals', () => {
  it('401 sends the browser to sign-in and throws UNAUTHENTICATED', async () => {
    reply = () => ({ status: 401, body: aip193(401, 'UNAUTHENTICATED', 'session expired') })
    const err = await client.call('CaseService_GetCase', { name: 'cases/c-1' }).catch((e) => e)
    expect(unauthenticated).toBe(1)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe('UNAUTHENTICATED')
  })

  it('403 does not send the browser to sign-in', async () => {
    reply = () => ({
      status: 403,
      body: aip193(403, 'PERMISSION_DENIED', 'outside your region', [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'OUT_OF_REGION_SCOPE', domain: 'identification.fupin.dev' },
      ]),
    })
    const err: ApiError = await client.call('CaseService_GetCase', { name: 'cases/c-1' }).catch((e) => e)
    expect(unauthenticated).toBe(0)
    expect(err.reason).toBe('OUT_OF_REGION_SCOPE')
    expect(titleOf(err)).toBe('超出本人管辖范围')
  })

  it('field violations go beside the form fields they name; others above the form', async () => {
    reply = () => ({
      status: 400,
      body: aip193(400, 'INVALID_ARGUMENT', 'bad input', [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'ID_NUMBER_INVALID' },
        {
          '@type': 'type.googleapis.com/google.rpc.BadRequest',
          field_violations: [
            { field: 'household.members[0].id_number', description: 'check digit is wrong', reason: 'ID_NUMBER_INVALID' },
            { field: 'attachments[2]', description: 'too long', reason: 'INVALID_FIELD' },
            { field: 'household.address', description: 'too long', reason: 'INVALID_FIELD' },
          ],
        },
      ]),
    })
    const err: ApiError = await client.call('HouseholdService_CreateHousehold', { body: { region_code: '990001002003' } }).catch((e) => e)
    expect(err.status).toBe('INVALID_ARGUMENT')
    expect(err.fieldViolations).toHaveLength(3)
    const f = formErrors(err, ['household.members[0].id_number', 'attachments'])
    expect(f.fields).toEqual({ 'household.members[0].id_number': 'check digit is wrong', attachments: 'too long' })
    expect(f.general).toEqual(['household.address: too long'])
  })

  it('a refused step shows each rule explanation', async () => {
    reply = () => ({
      status: 400,
      body: aip193(400, 'FAILED_PRECONDITION', 'review quorum not met', [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'REVIEW_QUORUM_NOT_MET' },
        {
          '@type': 'type.googleapis.com/google.rpc.PreconditionFailure',
          violations: [
            { type: 'REVIEW_QUORUM', subject: 'cases/c-1', description: 'at least 20 representatives are needed; 12 are registered' },
            { type: 'REVIEW_PRESENT', subject: 'cases/c-1', description: 'at least 2/3 must be present' },
          ],
        },
      ]),
    })
    const err: ApiError = await client.call('CaseService_RecordVillageReview', { name: 'cases/c-1', body: {} }).catch((e) => e)
    expect(titleOf(err)).toBe('民主评议人数不足')
    expect(explanationsOf(err)).toEqual([
      'at least 20 representatives are needed; 12 are registered',
      'at least 2/3 must be present',
    ])
    expect(formErrors(err, ['present']).general).toEqual(explanationsOf(err))
  })

  it('an error page that is not JSON still gives a usable error', async () => {
    reply = () => ({ status: 502, body: '<html>Bad Gateway</html>', type: 'text/html' })
    const err: ApiError = await client.call('RegionService_ListRegions', {}).catch((e) => e)
    expect(err.httpStatus).toBe(502)
    expect(err.status).toBe('UNAVAILABLE')
    expect(titleOf(err)).toBe('服务暂时不可用，请稍后重试')
  })

  it('an unreachable server is UNAVAILABLE', async () => {
    const dead = createClient({
      baseUrl: 'http://127.0.0.1:1',
      fetch: (i, init) => fetch(i, init),
      csrfToken: () => '',
      onUnauthenticated: () => unauthenticated++,
    })
    const err: ApiError = await dead.call('RegionService_ListRegions', {}).catch((e) => e)
    expect(err.httpStatus).toBe(0)
    expect(err.status).toBe('UNAVAILABLE')
    expect(unauthenticated).toBe(0)
  })
})

describe('expandPath', () => {
  const tests: { name: string; template: string; value?: string; want?: string; throws?: boolean }[] = [
    { name: 'no variable', template: '/v1/households', want: '/v1/households' },
    { name: 'one segment', template: '/v1/{name=cases/*}', value: 'cases/abc', want: '/v1/cases/abc' },
    { name: 'custom verb', template: '/v1/{name=cases/*}:decide', value: 'cases/abc', want: '/v1/cases/abc:decide' },
    {
      name: 'nested',
      template: '/v1/{name=households/*/riskRemovals/*}:verify',
      value: 'households/h1/riskRemovals/r1',
      want: '/v1/households/h1/riskRemovals/r1:verify',
    },
    { name: 'suffix', template: '/v1/{name=households/*/trail}', value: 'households/h1/trail', want: '/v1/households/h1/trail' },
    { name: 'segments are encoded', template: '/v1/{name=cases/*}', value: 'cases/a b?', want: '/v1/cases/a%20b%3F' },
    { name: 'wrong collection', template: '/v1/{name=cases/*}', value: 'clues/abc', throws: true },
    { name: 'extra segment', template: '/v1/{name=cases/*}', value: 'cases/a/b', throws: true },
    { name: 'empty segment', template: '/v1/{name=cases/*}', value: 'cases/', throws: true },
    { name: 'missing name', template: '/v1/{name=cases/*}', throws: true },
    { name: 'name where none is taken', template: '/v1/households', value: 'households/x', throws: true },
    { name: 'rest of the path', template: '/v1/{name=files/**}', value: 'files/a/b/c', want: '/v1/files/a/b/c' },
  ]
  for (const t of tests) {
    it(t.name, () => {
      if (t.throws) expect(() => expandPath(t.template, t.value)).toThrow()
      else expect(expandPath(t.template, t.value)).toBe(t.want)
    })
  }

  it('fills every route the gateway has with a name of its pattern', () => {
    for (const [id, op] of Object.entries(operations)) {
      const m = /\{[^}=]+(?:=([^}]*))?\}/.exec(op.path)
      const sample = m ? (m[1] ?? '*').replace(/\*\*/g, 'x/y').replace(/\*/g, 'x') : undefined
      expect(() => expandPath(op.path, sample), id).not.toThrow()
    }
  })
})

describe('queryString', () => {
  it('repeats lists and sorts keys', () => {
    expect(queryString({ names: ['households/a', 'households/b'], filter: '' })).toBe('?names=households%2Fa&names=households%2Fb')
  })
  it('is empty without values', () => {
    expect(queryString({ a: undefined, b: null, c: '' })).toBe('')
  })
})

describe('operations', () => {
  it('marks reads and mutations as the protos do', () => {
    const reads: OperationId[] = ['HouseholdService_GetHousehold', 'HouseholdService_LookupHousehold', 'CaseService_ListCases']
    for (const op of reads) expect(operations[op].read, op).toBe(true)
    expect(operations.CaseService_DecideCase.read).toBe(false)
    expect(operations.HouseholdService_LookupHousehold.method).toBe('POST')
  })
})
