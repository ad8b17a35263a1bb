// Sign-in: reading /auth/me from a real server, the sign-in URL, and the guard against bouncing between
// the portal and a sign-in that does not work.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetchMe, signInTarget, signInUrl, type Me } from './session'
import { ApiError } from '../api/errors'

const me: Me = {
  subject: 'u-1',
  name: '李乡长',
  department: 'rural_revitalization',
  role: 'township_officer',
  region: '990001002',
  region_name: '青山乡',
  csrf_token: 'c',
  expires_at: '2030-01-01T00:00:00Z',
}

let server: http.Server
let base = ''
let status = 200
beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url !== '/auth/me') {
      res.writeHead(404).end()
      return
    }
    res.writeHead(status, { 'Content-Type': 'application/json' })
    res.end(status === 200 ? JSON.stringify(me) : JSON.stringify({ error: { code: status, message: 'x', status: 'UNAVAILABLE', details: [] } }))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))

describe('fetchMe', () => {
  it('returns the person when signed in', async () => {
    status = 200
    expect(await fetchMe((i, init) => fetch(i, init), base)).toEqual(me)
  })
  it('returns null when not signed in (401)', async () => {
    status = 401
    expect(await fetchMe((i, init) => fetch(i, init), base)).toBeNull()
  })
  it('throws when the gateway fails', async () => {
    status = 503
    await expect(fetchMe((i, init) => fetch(i, init), base)).rejects.toBeInstanceOf(ApiError)
  })
})

describe('signInUrl', () => {
  const tests = [
    { name: 'a portal path', next: '/households/abc?tab=trail', want: '/auth/login?next=%2Fhouseholds%2Fabc%3Ftab%3Dtrail' },
    { name: 'another site is not a next', next: '//evil.example/x', want: '/auth/login?next=%2F' },
    { name: 'an absolute URL is not a next', next: 'https://evil.example/', want: '/auth/login?next=%2F' },
  ]
  for (const t of tests) it(t.name, () => expect(signInUrl(t.next)).toBe(t.want))
})

describe('signInTarget', () => {
  function storage() {
    const m = new Map<string, string>()
    return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) }
  }

  it('goes to sign-in the first times', () => {
    const s = storage()
    expect(signInTarget('/cases', s, 1_000)).toBe('/auth/login?next=%2Fcases')
    expect(signInTarget('/cases', s, 2_000)).toBe('/auth/login?next=%2Fcases')
    expect(signInTarget('/cases', s, 3_000)).toBe('/auth/login?next=%2Fcases')
  })

  it('stops bouncing after three redirects within a minute', () => {
    const s = storage()
    for (const t of [1_000, 2_000, 3_000]) signInTarget('/', s, t)
    expect(signInTarget('/', s, 4_000)).toBe('/sign-in-failed')
  })

  it('forgets redirects older than a minute', () => {
    const s = storage()
    for (const t of [1_000, 2_000, 3_000]) signInTarget('/', s, t)
    expect(signInTarget('/', s, 63_001)).toBe('/auth/login?next=%2F')
  })

  it('survives a damaged record', () => {
    const s = storage()
    s.setItem('fupin.signin.redirects', 'not json')
    expect(signInTarget('/', s, 1)).toBe('/auth/login?next=%2F')
  })
})
