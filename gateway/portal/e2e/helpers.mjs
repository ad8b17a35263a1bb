// helpers.mjs: the small pieces the browser tests share.
import assert from 'node:assert/strict'
import { inflateRawSync } from 'node:zlib'
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

/**
 * unzip reads a zip archive (an XLSX is one) from a Buffer and returns its files by name, each a Buffer:
 * the end-of-central-directory record, then each central directory entry's local header and data (stored
 * or deflated). Throws on anything else, so a file that is not a well-formed zip fails the test.
 */
export function unzip(buf) {
  let eocd = -1
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65_557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i
      break
    }
  }
  if (eocd < 0) throw new Error('unzip: no end of central directory')
  const entries = buf.readUInt16LE(eocd + 10)
  let p = buf.readUInt32LE(eocd + 16)
  const files = new Map()
  for (let n = 0; n < entries; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`unzip: bad central directory entry at ${p}`)
    const method = buf.readUInt16LE(p + 10)
    const compressed = buf.readUInt32LE(p + 20)
    const size = buf.readUInt32LE(p + 24)
    const nameLen = buf.readUInt16LE(p + 28)
    const extraLen = buf.readUInt16LE(p + 30)
    const commentLen = buf.readUInt16LE(p + 32)
    const local = buf.readUInt32LE(p + 42)
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8')
    if (buf.readUInt32LE(local) !== 0x04034b50) throw new Error(`unzip: bad local header of ${name}`)
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28)
    const data = buf.subarray(start, start + compressed)
    let out
    if (method === 0) out = data
    else if (method === 8) out = inflateRawSync(data)
    else throw new Error(`unzip: ${name}: compression method ${method}`)
    if (out.length !== size) throw new Error(`unzip: ${name}: ${out.length} bytes, want ${size}`)
    files.set(name, out)
    p += 46 + nameLen + extraLen + commentLen
  }
  return files
}

/**
 * xlsxRows is the first sheet of an XLSX as rows of cell texts, in document order: shared strings resolved,
 * inline strings and numbers as written.
 */
export function xlsxRows(buf) {
  const files = unzip(buf)
  const xml = (name) => {
    const f = files.get(name)
    if (!f) throw new Error(`xlsx: no ${name} (files: ${[...files.keys()].join(', ')})`)
    return f.toString('utf8')
  }
  const unescape = (s) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&')
  const texts = (s) => [...s.matchAll(/<t(?:\s[^>]*)?>([^<]*)<\/t>/g)].map((m) => unescape(m[1])).join('')
  const shared = files.has('xl/sharedStrings.xml') ? [...xml('xl/sharedStrings.xml').matchAll(/<si>([\s\S]*?)<\/si>/g)].map((m) => texts(m[1])) : []
  const sheet = [...files.keys()].filter((n) => /^xl\/worksheets\/sheet\d+\.xml$/.test(n)).sort()[0]
  if (!sheet) throw new Error('xlsx: no worksheet')
  const rows = []
  for (const r of xml(sheet).matchAll(/<row\b[^>]*?(?:\/>|>([\s\S]*?)<\/row>)/g)) {
    const cells = []
    for (const m of (r[1] ?? '').matchAll(/<c\b([^>]*?)(?:\/>|>([\s\S]*?)<\/c>)/g)) {
      const type = /\bt="([^"]+)"/.exec(m[1])?.[1]
      const body = m[2] ?? ''
      const v = /<v>([^<]*)<\/v>/.exec(body)?.[1]
      if (type === 's') cells.push(shared[Number(v)] ?? '')
      else if (type === 'inlineStr') cells.push(texts(body))
      else cells.push(v === undefined ? '' : unescape(v))
    }
    rows.push(cells)
  }
  return rows
}
