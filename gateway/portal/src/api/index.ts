// The portal's API client: same origin, the session's CSRF token, sign-in on 401.
import { createClient } from './client'
import { goToSignIn, session } from '../session/session'

export const api = createClient({
  baseUrl: '',
  fetch: (input, init) => window.fetch(input, init),
  csrfToken: () => session.me?.csrf_token ?? '',
  onUnauthenticated: goToSignIn,
})

export { ApiError } from './errors'
export type { QueryOf, BodyOf, ResponseOf } from './client'
