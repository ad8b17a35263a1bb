// browser.mjs: Debian's chromium driven by playwright-core (no browser download: the system's binary), the
// portal's sign-in through the development identity provider, API calls with the page's own session, axe-core.
import { mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { chromium } from 'playwright-core'

const require = createRequire(import.meta.url)

/** Where screenshots, PDFs and their PNG pages go (git ignores it). */
export const artifacts = resolve(process.env.FUPIN_E2E_ARTIFACTS ?? join(import.meta.dirname, '..', 'e2e-artifacts'))
mkdirSync(artifacts, { recursive: true })

/** The chromium binary: FUPIN_CHROMIUM, else Debian's. */
export const chromiumPath = process.env.FUPIN_CHROMIUM || '/usr/bin/chromium'

/** launch starts headless chromium with the flags that keep it off the network (see OFFLINE-NOTES). */
export function launch() {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
      '--disable-features=Translate,MediaRouter,OptimizationHints',
    ],
  })
}

/** The office PC of issue 10. */
export const viewport = { width: 1366, height: 768 }

/**
 * signIn opens `next` in a new browser context, follows the gateway's redirect to the development identity
 * provider's page, clicks the demo user (`<department>.<role>`) and waits until the browser is back on
 * `next`. It returns the context and page.
 */
export async function signIn(browser, base, user, next = '/') {
  const context = await browser.newContext({ baseURL: base, viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })
  const page = await context.newPage()
  await page.goto(base + next)
  await page.waitForURL((u) => u.pathname.startsWith('/dev-idp'))
  await page.click(`button[value="${user}"]`)
  await page.waitForURL((u) => u.origin === base && u.pathname === new URL(base + next).pathname)
  return { context, page }
}

/** me is the signed-in person (`GET /auth/me`) of the page's session. */
export async function me(page) {
  const r = await page.request.get('/auth/me')
  if (r.status() !== 200) throw new Error(`/auth/me: ${r.status()}`)
  return r.json()
}

/**
 * api calls the REST API with the page's session cookie (as the portal does), sending the CSRF token on
 * anything but GET. It throws on a non-2xx answer unless `expect` names the status wanted.
 */
export async function api(page, method, path, body, { expect, headers = {} } = {}) {
  const h = { ...headers }
  if (method !== 'GET') h['X-CSRF-Token'] = (await me(page)).csrf_token
  const r = await page.request.fetch(path, { method, headers: h, data: body === undefined ? undefined : body })
  const text = await r.text()
  const want = expect ?? 200
  if (r.status() !== want) throw new Error(`${method} ${path}: ${r.status()} (want ${want}): ${text}`)
  return text ? JSON.parse(text) : {}
}

/** shot saves a full-page screenshot under the artifacts folder. */
export async function shot(page, name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true })
}

const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')

/**
 * axe runs axe-core (WCAG 2.0/2.1 A and AA rules and best practices) on the page as it is and returns the
 * violations of impact serious or critical, each as "rule: help (n nodes: selectors)".
 */
export async function axe(page) {
  // Evaluated over the DevTools protocol, which the portal's Content-Security-Policy (script-src 'self')
  // does not govern; a <script> tag would be refused, as it should be.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource)
  // A dialog fading in has its text at part opacity, which axe reads as low contrast: wait for the
  // animations that end (transitions, fades; not a loading spinner's endless one), at most 2 s.
  await page.evaluate(async () => {
    const ending = document.getAnimations().filter((a) => a.effect?.getComputedTiming().endTime !== Infinity)
    await Promise.race([Promise.allSettled(ending.map((a) => a.finished)), new Promise((r) => setTimeout(r, 2000))])
  })
  const result = await page.evaluate(async () => {
    // @ts-ignore axe is injected above
    const r = await window.axe.run(document, { resultTypes: ['violations'] })
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }))
  })
  return result
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} [${v.impact}]: ${v.help} (${v.targets.length} nodes: ${v.targets.slice(0, 5).join(', ')})`)
}
