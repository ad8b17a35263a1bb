// Every input of every page has an accessible name: screen readers, keyboard users and the browser tests
// (Playwright, axe-core) find inputs by it. Element Plus inputs take `aria-label`; the portal's own
// EnumSelect and DateInput take a required `label` they pass on.
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const src = path.resolve(__dirname)

function vueFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    return e.isDirectory() ? vueFiles(p) : p.endsWith('.vue') ? [p] : []
  })
}

/** The opening tags of a template, attributes and all, across lines. */
function tags(template: string, name: string): string[] {
  return [...template.matchAll(new RegExp(`<${name}(?=[\\s/>])[^>]*?/?>`, 'gs'))].map((m) => m[0])
}

const elementInputs = ['el-input', 'el-input-number', 'el-select', 'el-radio-group', 'el-checkbox-group', 'el-date-picker', 'el-tree']
const portalInputs = ['EnumSelect', 'DateInput']

describe('inputs are labelled', () => {
  for (const file of vueFiles(src)) {
    const text = fs.readFileSync(file, 'utf8')
    const template = text.slice(text.indexOf('<template>'))
    it(path.relative(src, file), () => {
      const unlabelled: string[] = []
      for (const name of elementInputs) {
        for (const t of tags(template, name)) if (!/\s:?aria-label=/.test(t)) unlabelled.push(t.replace(/\s+/g, ' '))
      }
      for (const name of portalInputs) {
        for (const t of tags(template, name)) if (!/\s:?label=/.test(t)) unlabelled.push(t.replace(/\s+/g, ' '))
      }
      expect(unlabelled).toEqual([])
    })
  }
})
