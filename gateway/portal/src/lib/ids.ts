// ids.ts makes request ids: every mutation carries one, so a retry (a double click, a flaky network) returns
// the first result instead of acting twice. crypto.randomUUID is newer than the browsers the portal
// supports (Chromium 87), so the id is 16 random bytes in hex.

export function requestId(): string {
  const b = new Uint8Array(16)
  crypto.getRandomValues(b)
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
}
