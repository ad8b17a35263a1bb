// check-syntax.mjs fails the build when the output holds JavaScript syntax newer than the browsers the
// portal supports (Chromium 87: the 360 and QQ browsers of county offices, Chrome 109 on Windows 7). Vite
// lowers what it can for `build.target: 'chrome87'`; this checks that a dependency did not slip through.
//
// Chromium 87 runs ES2021 syntax plus class fields and private methods; it lacks top-level await (89),
// `#x in obj` (91), class static blocks (94) and the RegExp `v` flag (112), and every later addition.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'acorn'
import { full } from 'acorn-walk'

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist')

/** problems lists the syntax in code newer than Chromium 87, as "what (line:column)". */
export function problems(code) {
  const found = []
  // ES2022 is the newest grammar Chromium 87 mostly runs; anything later fails to parse here.
  const ast = parse(code, { ecmaVersion: 2022, sourceType: 'module', locations: true })
  const at = (n) => `${n.loc.start.line}:${n.loc.start.column}`
  let depth = 0
  full(ast, (node) => {
    switch (node.type) {
      case 'StaticBlock':
        found.push(`class static block (${at(node)})`)
        break
      case 'BinaryExpression':
        if (node.operator === 'in' && node.left.type === 'PrivateIdentifier') found.push(`#private in (${at(node)})`)
        break
      case 'Literal':
        if (node.regex && /[dv]/.test(node.regex.flags)) found.push(`RegExp flag ${node.regex.flags} (${at(node)})`)
        break
    }
  })
  // Top-level await: an await outside every function.
  ;(function walk(node) {
    if (!node || typeof node.type !== 'string') return
    const fn = /Function/.test(node.type)
    if (fn) depth++
    if (node.type === 'AwaitExpression' && depth === 0) found.push(`top-level await (${at(node)})`)
    if (node.type === 'ForOfStatement' && node.await && depth === 0) found.push(`top-level for await (${at(node)})`)
    for (const key of Object.keys(node)) {
      const v = node[key]
      if (Array.isArray(v)) v.forEach(walk)
      else if (v && typeof v.type === 'string') walk(v)
    }
    if (fn) depth--
  })(ast)
  return found
}

function files(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    return e.isDirectory() ? files(p) : p.endsWith('.js') ? [p] : []
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let bad = 0
  const all = files(dist)
  for (const f of all) {
    let found
    try {
      found = problems(fs.readFileSync(f, 'utf8'))
    } catch (e) {
      found = [`does not parse as ES2022: ${e.message}`]
    }
    for (const p of found) {
      console.error(`${path.relative(dist, f)}: ${p}`)
      bad++
    }
  }
  if (bad) {
    console.error(`check-syntax: ${bad} construct(s) newer than Chromium 87`)
    process.exit(1)
  }
  console.log(`check-syntax: ${all.length} scripts parse as Chromium 87 syntax`)
}
