// bench-dashboard.mjs: how long the dashboard (首页) takes to show its data after navigation, in headless
// chromium, with the browser's cache empty and warm. `fupin bench portal` runs it against a county it
// started; by hand: node e2e/bench-dashboard.mjs --url http://127.0.0.1:8080 [--user U] [--runs N].
// "Shown" is: the KPI figures in the page (GetStatistics answered and rendered) and the chart drawn (its
// canvas), at the next animation frame, timed in the page from the navigation's start. Each run navigates from the household search page to / (a full page load, as a person typing
// the address or opening a bookmark; in-app navigation is faster still). Prints one JSON line.
import { parseArgs } from 'node:util'
import { launch, shot, signIn } from './browser.mjs'

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    user: { type: 'string', default: 'rural_revitalization.township_officer' },
    runs: { type: 'string', default: '7' },
  },
})
if (!values.url) throw new Error('--url is required')
const runs = Number(values.runs)

const browser = await launch()
try {
  const { context, page } = await signIn(browser, values.url, values.user, '/households')
  const cdp = await context.newCDPSession(page)
  await cdp.send('Network.enable')

  // The clock runs in the page: performance.now() counts from the navigation's start, and the figures are
  // "shown" at the first animation frame after both the KPI and the chart's canvas entered the DOM. (A
  // locator's waitFor polls at growing intervals, up to 500 ms apart: too coarse for this.)
  await context.addInitScript(() => {
    const w = /** @type {any} */ (window)
    const mark = () => {
      if (w.__shownAt || w.__pending) return
      if (document.querySelector('[data-kpi="poor_persons"]') && document.querySelector('.charts canvas')) {
        w.__pending = true
        requestAnimationFrame(() => (w.__shownAt = performance.now()))
      }
    }
    new MutationObserver(mark).observe(document, { childList: true, subtree: true })
  })

  async function once(timeout = 30_000) {
    await page.goto(values.url + '/households')
    await page.locator('main, .page').first().waitFor()
    await page.goto(values.url + '/')
    try {
      await page.waitForFunction(() => /** @type {any} */ (window).__shownAt, null, { polling: 'raf', timeout })
    } catch (e) {
      await shot(page, 'bench-dashboard-timeout')
      throw e
    }
    return Math.round(await page.evaluate(() => /** @type {any} */ (window).__shownAt))
  }
  async function statisticsServerTime() {
    const t = Date.now()
    const r = await page.request.get('/auth/me')
    const me = await r.json()
    const code = me.region.padEnd(12, '0')
    const s = Date.now()
    await page.request.get(`/v1/regions/${code}/statistics`)
    return { statistics_ms: Date.now() - s, me_ms: s - t }
  }

  // The first load after the county started warms the server (SQLite's page cache, the statistics'
  // first read): timed and printed, not counted in the runs.
  const first = await once(300_000)
  const cold = []
  const warm = []
  for (let i = 0; i < runs; i++) {
    await cdp.send('Network.clearBrowserCache')
    cold.push(await once())
    warm.push(await once())
  }
  const stats = await statisticsServerTime()
  const pct = (a, p) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.ceil((p / 100) * a.length) - 1)]
  console.log(
    JSON.stringify({
      user: values.user,
      runs,
      first_load_ms: first,
      empty_cache_ms: { median: pct(cold, 50), max: pct(cold, 100), all: cold },
      warm_cache_ms: { median: pct(warm, 50), max: pct(warm, 100), all: warm },
      ...stats,
    }),
  )
} finally {
  await browser.close()
}
