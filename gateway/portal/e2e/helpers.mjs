// helpers.mjs: the small pieces the browser tests share.
import assert from 'node:assert/strict'
import { api, shot } from './browser.mjs'

/** daysAgo is the business date n days before today in Asia/Shanghai (YYYY-MM-DD), for backdated steps. */
export function daysAgo(n) {
  const d = new Date(Date.now() - n * 86_400_000)
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d)
}

const used = new Set()

/** householdFor picks an ordinary household of the village (a different one each call) that may enter a case. */
export async function householdFor(page, village) {
  const filter = encodeURIComponent(`region_code:"${village}" AND registry_status = REGISTRY_STATUS_ORDINARY`)
  const r = await api(page, 'GET', `/v1/households?page_size=100&filter=${filter}`)
  const hh = (r.households ?? []).find((h) => !used.has(h.name))
  assert.ok(hh, `no ordinary household left in village ${village}`)
  used.add(hh.name)
  return hh
}

/** visit opens a path of the portal and waits for its page; `name`, when given, is the screenshot's. */
export async function visit(page, path, name) {
  await page.goto(new URL(path, page.url()).href)
  await page.locator('main, .page').first().waitFor()
  if (name) {
    await page.waitForLoadState('networkidle')
    await shot(page, name)
  }
}

/**
 * watchRegions records every region code in the JSON answers of /v1 the page receives (any field named
 * region_code or region holding digits, at any depth; "*" is a policy's "every region"), except the region master data (/v1/regions lists the whole county
 * to every official, as the region tree needs). check(ok, what) asserts each one, and returns how many.
 */
export function watchRegions(page) {
  const seen = []
  const pending = []
  page.on('response', (r) => {
    const u = new URL(r.url())
    if (!u.pathname.startsWith('/v1/') || /^\/v1\/regions\/?$/.test(u.pathname)) return
    if (!(r.headers()['content-type'] ?? '').includes('json')) return
    pending.push(
      r
        .json()
        .then((body) => walk(body, (code) => seen.push({ code, url: u.pathname + u.search })))
        .catch(() => {}),
    )
  })
  return {
    check(ok, what) {
      return Promise.all(pending).then(() => {
        const bad = seen.filter((s) => !ok(s.code))
        assert.deepEqual(bad, [], `region codes outside ${what}`)
        return seen.length
      })
    },
  }
}

function walk(v, found) {
  if (Array.isArray(v)) v.forEach((x) => walk(x, found))
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if ((k === 'region_code' || k === 'region') && typeof x === 'string' && /^[0-9]+$/.test(x)) found(x)
      else walk(x, found)
    }
  }
}

/**
 * tabTo presses Tab until the focused element satisfies `match(el, arg)` (evaluated in the page), at most
 * 80 times: the way a keyboard user reaches a control.
 */
export async function tabTo(page, match, arg) {
  const fn = `(el, arg) => (${match.toString()})(el, arg)`
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab')
    const ok = await page.evaluate(([src, a]) => {
      const el = document.activeElement
      // eslint-disable-next-line no-new-func
      return !!el && new Function(`return ${src}`)()(el, a)
    }, [fn, arg])
    if (ok) return
  }
  throw new Error(`Tab never reached ${arg ?? match.toString()}`)
}

/**
 * unlabelledInputs lists the visible inputs, selects and textareas with no accessible name: no <label>, no
 * aria-label, no aria-labelledby naming text, no title.
 */
export async function unlabelledInputs(page) {
  return page.evaluate(() => {
    const out = []
    for (const el of document.querySelectorAll('input, select, textarea')) {
      if (el.type === 'hidden' || el.closest('[aria-hidden="true"]')) continue
      const r = el.getBoundingClientRect()
      if (r.width === 0 && r.height === 0) continue
      const by = (el.getAttribute('aria-labelledby') ?? '')
        .split(/\s+/)
        .map((id) => document.getElementById(id)?.textContent?.trim() ?? '')
        .join('')
      const named = (el.labels && [...el.labels].some((l) => l.textContent.trim() !== '')) || el.getAttribute('aria-label')?.trim() || by || el.title
      if (!named) out.push(el.outerHTML.slice(0, 160))
    }
    return out
  })
}
