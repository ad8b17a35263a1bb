// size-report.mjs prints what the browser downloads for the first page, gzipped, from Vite's manifest: the
// entry chunk with everything it imports statically (the shell: router, layout, API client, the Element
// Plus parts they use), plus the dashboard's chunk with its own imports (ECharts is there and nowhere
// else). The build fails when the first page's JavaScript passes the budget (docs/PORTAL.md, "Size").
// It then removes the manifest, which the gateway does not serve.
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { fileURLToPath } from 'node:url'

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist')
const manifestFile = path.join(dist, '.vite/manifest.json')
const budgetKB = 300
const dashboard = 'src/services/identification/pages/DashboardPage.vue'

const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'))
const entryKey = Object.keys(manifest).find((k) => manifest[k].isEntry)

/** closure is a chunk with every chunk it imports statically. */
function closure(key, seen = new Set()) {
  if (seen.has(key)) return seen
  seen.add(key)
  for (const k of manifest[key].imports ?? []) closure(k, seen)
  return seen
}

const gz = (file) => {
  const p = path.join(dist, file)
  return fs.existsSync(p + '.gz') ? fs.statSync(p + '.gz').size : zlib.gzipSync(fs.readFileSync(p), { level: 9 }).length
}
const sum = (keys, pick) => [...new Set([...keys].flatMap(pick))].reduce((n, f) => n + gz(f), 0)
const js = (k) => [manifest[k].file]
const css = (k) => manifest[k].css ?? []

const shell = closure(entryKey)
const first = closure(dashboard, new Set(shell))
const kb = (n) => (n / 1024).toFixed(1) + ' KB'
const firstJS = sum(first, js)
const allJS = sum(Object.keys(manifest), js)

console.log('portal size (gzip -9):')
console.log(`  shell JavaScript (entry + static imports)      ${kb(sum(shell, js))}`)
console.log(`  first page JavaScript (shell + dashboard)      ${kb(firstJS)}   budget ${budgetKB} KB`)
console.log(`  first page CSS                                 ${kb(sum(first, css))}`)
console.log(`  all JavaScript (every page)                    ${kb(allJS)}`)
console.log('  first page chunks:')
for (const f of [...new Set([...first].flatMap(js))].sort((a, b) => gz(b) - gz(a))) console.log(`    ${kb(gz(f)).padStart(9)}  ${f}`)
fs.rmSync(path.join(dist, '.vite'), { recursive: true, force: true })
if (firstJS > budgetKB * 1024) {
  console.error(`size-report: the first page's JavaScript (${kb(firstJS)}) is over the ${budgetKB} KB budget`)
  process.exit(1)
}
