// session.ts is the signed-in person, as the gateway's session says (GET /auth/me), and the ways in and
// out: a 401 anywhere sends the browser to `/auth/login?next=<path>`; logout posts /auth/logout with the
// CSRF token and then goes to sign-in. The gateway owns the session (an HttpOnly cookie); nothing here
// ever sees a token other than the CSRF one.
import { reactive } from 'vue'
import { ApiError, parseError } from '../api/errors'
import { csrfHeader } from '../api/client'

/** Me is the body of GET /auth/me. */
export interface Me {
  subject: string
  name: string
  /** Department claim code, e.g. "rural_revitalization". */
  department: string
  /** Role claim code, e.g. "township_officer". */
  role: string
  /** Region scope: "" the county, 9 digits a township, 12 a village. */
  region: string
  region_name: string
  csrf_token: string
  expires_at: string
}

export const session = reactive<{ me: Me | null }>({ me: null })

/** fetchMe asks the gateway who is signed in: the person, or null when nobody is (401). */
export async function fetchMe(fetchFn: typeof fetch = (i, init) => window.fetch(i, init), baseUrl = ''): Promise<Me | null> {
  let res: Response
  try {
    res = await fetchFn(baseUrl + '/auth/me', { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
  } catch {
    throw new ApiError(0, 'UNAVAILABLE', '无法连接服务器，请检查网络')
  }
  const text = await res.text()
  if (res.status === 401) return null
  if (!res.ok) throw parseError(res.status, text)
  return JSON.parse(text) as Me
}

/** signInUrl is where the gateway starts sign-in, coming back to next (a path of the portal) after. */
export function signInUrl(next: string): string {
  const safe = next.startsWith('/') && !next.startsWith('//') ? next : '/'
  return '/auth/login?next=' + encodeURIComponent(safe)
}

/** Storage is the part of sessionStorage the loop guard uses. */
export interface Storage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
}

const redirectsKey = 'fupin.signin.redirects'
/** More sign-in redirects than this within loopWindowMs means sign-in is not working. */
const maxRedirects = 3
const loopWindowMs = 60_000

/**
 * signInTarget is where a signed-out browser goes: the gateway's sign-in, unless it has been sent there
 * maxRedirects times within a minute and came back still signed out (a broken provider or cookie): then
 * the portal's own page that says so, instead of bouncing forever.
 */
export function signInTarget(next: string, storage: Storage, now: number): string {
  let recent: number[] = []
  try {
    recent = (JSON.parse(storage.getItem(redirectsKey) ?? '[]') as number[]).filter((t) => now - t < loopWindowMs)
  } catch {
    recent = []
  }
  if (recent.length >= maxRedirects) return '/sign-in-failed'
  storage.setItem(redirectsKey, JSON.stringify([...recent, now]))
  return signInUrl(next)
}

/** goToSignIn leaves the portal for the gateway's sign-in, to come back to next (default: this page). */
export function goToSignIn(next: string = window.location.pathname + window.location.search): void {
  window.location.assign(signInTarget(next, window.sessionStorage, Date.now()))
}

/** logout ends the session at the gateway and goes to sign-in. */
export async function logout(fetchFn: typeof fetch = (i, init) => window.fetch(i, init)): Promise<void> {
  const token = session.me?.csrf_token ?? ''
  try {
    await fetchFn('/auth/logout', { method: 'POST', headers: { [csrfHeader]: token }, credentials: 'same-origin' })
  } finally {
    session.me = null
    window.location.assign('/auth/login')
  }
}
