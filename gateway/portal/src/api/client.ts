// client.ts is the portal's one way to call the API: same-origin `/v1/...` requests carrying the session
// cookie (never a bearer token: the browser's JavaScript holds none), typed by the contract.
//
//   const hh = await api.call('HouseholdService_GetHousehold', { name: 'households/abc' })
//
// - The operation id (Service_Method) picks the HTTP method and path template from operations.gen.ts; the
//   request's path variable (a resource name such as "cases/1" or "households/1/members/2") is checked
//   against the template's pattern and put into the path segment by segment.
// - Every request other than GET/HEAD sends `X-CSRF-Token` with the token /auth/me gave the session.
// - `purpose` sends `x-fupin-purpose`: the stated reason for a plain-text read (fupin.common.v1.Purpose).
// - 401 sends the browser to sign-in (`/auth/login?next=<current path>`); every other refusal is thrown as
//   an ApiError read from the AIP-193 body.
import { operations, type OperationId } from './operations.gen'
import type { operations as OperationTypes } from './schema'
import { ApiError, parseError } from './errors'

type Types<O extends OperationId> = O extends keyof OperationTypes ? OperationTypes[O] : never

/** The query parameters of an operation. */
export type QueryOf<O extends OperationId> = Types<O>['parameters'] extends { query?: infer Q } ? NonNullable<Q> : never
/** The JSON body of an operation. */
export type BodyOf<O extends OperationId> = Types<O> extends { requestBody: { content: { 'application/json': infer B } } }
  ? B
  : never
/** The response of an operation. */
export type ResponseOf<O extends OperationId> = Types<O>['responses'] extends {
  200: { content: { 'application/json': infer R } }
}
  ? R
  : never

type HasPathVariable<O extends OperationId> = (typeof operations)[O]['path'] extends `${string}{${string}` ? true : false

/** A request: the path variable (when the route has one), query parameters, body and purpose. */
export type Request<O extends OperationId> = (HasPathVariable<O> extends true ? { name: string } : { name?: never }) & {
  query?: QueryOf<O>
  body?: BodyOf<O>
  /** Why plain personal data is asked for (a Purpose value in claim form, e.g. "case_handling"). */
  purpose?: string
  signal?: AbortSignal
}

export const csrfHeader = 'X-CSRF-Token'
export const purposeHeader = 'x-fupin-purpose'

/** What the client needs from its surroundings; tests give their own. */
export interface ClientOptions {
  /** Prefix of every URL: "" in the browser (same origin), "http://127.0.0.1:port" in tests. */
  baseUrl: string
  fetch: typeof fetch
  /** The session's CSRF token (from /auth/me). */
  csrfToken: () => string
  /** Called on 401: the session is gone. The browser goes to sign-in. */
  onUnauthenticated: () => void
}

/** A file an operation answers with (google.api.HttpBody over REST, e.g. ExportRoll's XLSX). */
export interface FileResponse {
  blob: Blob
  /** The name the server gives it (Content-Disposition), or "" when it gives none. */
  filename: string
  contentType: string
}

export interface Client {
  call<O extends OperationId>(op: O, req: Request<O>): Promise<ResponseOf<O>>
  /**
   * file calls an operation whose answer is a file, the same way as call (session cookie, the CSRF token
   * on anything but GET, sign-in on 401, refusals as ApiError), and returns the bytes for the browser to
   * save: a download never leaves the portal's authenticated calls for a bare link.
   */
  file<O extends OperationId>(op: O, req: Request<O>): Promise<FileResponse>
}

export function createClient(opts: ClientOptions): Client {
  /** send makes the request and returns the response when it succeeded; a refusal is thrown. */
  async function send<O extends OperationId>(op: O, req: Request<O>, accept: string): Promise<Response> {
    const route = operations[op]
    const url = opts.baseUrl + expandPath(route.path, req.name) + queryString((req.query ?? {}) as Record<string, unknown>)
    const headers: Record<string, string> = { Accept: accept }
    const init: RequestInit = { method: route.method, headers, credentials: 'same-origin', signal: req.signal }
    if (route.method !== 'GET') headers[csrfHeader] = opts.csrfToken()
    if (req.purpose) headers[purposeHeader] = req.purpose
    if (route.body !== '') {
      headers['Content-Type'] = 'application/json'
      init.body = JSON.stringify(req.body ?? {})
    } else if (req.body !== undefined) {
      throw new Error(`${op} takes no body`)
    }

    let res: Response
    try {
      res = await opts.fetch(url, init)
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e
      throw new ApiError(0, 'UNAVAILABLE', '无法连接服务器，请检查网络')
    }
    if (res.ok) return res
    const text = await res.text()
    if (res.status === 401) opts.onUnauthenticated()
    throw parseError(res.status, text)
  }

  return {
    async call<O extends OperationId>(op: O, req: Request<O>): Promise<ResponseOf<O>> {
      const text = await (await send(op, req, 'application/json')).text()
      return (text ? JSON.parse(text) : {}) as ResponseOf<O>
    },
    async file<O extends OperationId>(op: O, req: Request<O>): Promise<FileResponse> {
      const res = await send(op, req, '*/*')
      return {
        blob: await res.blob(),
        filename: filenameOf(res.headers.get('Content-Disposition')),
        contentType: res.headers.get('Content-Type') ?? '',
      }
    },
  }
}

/**
 * filenameOf reads the file name of a Content-Disposition header: RFC 6266's `filename*=UTF-8''…`
 * (percent-encoded, so Chinese names survive) before a plain `filename="…"`; "" when there is none.
 */
export function filenameOf(disposition: string | null): string {
  if (!disposition) return ''
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition)
  if (star) {
    try {
      return decodeURIComponent(star[1].trim())
    } catch {
      // a malformed encoding: fall back to the plain name
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/.exec(disposition)
  if (!plain) return ''
  return (plain[1] ?? plain[2]).replace(/\\(.)/g, '$1')
}

/**
 * expandPath fills a google.api.http path template ("/v1/{name=cases/*}:decide") with a resource name.
 * The name must match the variable's pattern ("*" one segment, "**" the rest); each segment is
 * percent-encoded on its own, so the slashes of the name stay path separators as grpc-gateway expects.
 */
export function expandPath(template: string, name?: string): string {
  const m = /\{([^}=]+)(?:=([^}]*))?\}/.exec(template)
  if (!m) {
    if (name !== undefined) throw new Error(`${template} has no path variable for ${name}`)
    return template
  }
  if (name === undefined || name === '') throw new Error(`${template} needs a name`)
  const pattern = (m[2] ?? '*').split('/')
  const segments = name.split('/')
  const rest = pattern[pattern.length - 1] === '**'
  const fits =
    (rest ? segments.length >= pattern.length : segments.length === pattern.length) &&
    pattern.every((p, i) => (p === '*' || p === '**' ? segments[i] !== '' : p === segments[i]))
  if (!fits) throw new Error(`${name} does not fit ${m[0]} of ${template}`)
  const encoded = segments.map(encodeURIComponent).join('/')
  return template.slice(0, m.index) + encoded + template.slice(m.index + m[0].length)
}

/** queryString writes query parameters; empty values are left out and lists repeat their key. */
export function queryString(query: Record<string, unknown>): string {
  const p = new URLSearchParams()
  for (const key of Object.keys(query).sort()) {
    const v = query[key]
    for (const item of Array.isArray(v) ? v : [v]) {
      if (item === undefined || item === null || item === '') continue
      p.append(key, String(item))
    }
  }
  const s = p.toString()
  return s ? '?' + s : ''
}
