// The output check finds syntax newer than Chromium 87 and lets through what Chromium 87 runs.
import { describe, expect, it } from 'vitest'
import { problems } from './check-syntax.mjs'

describe('problems', () => {
  const fine = [
    { name: 'optional chaining and nullish', code: 'const a = b?.c ?? 1' },
    { name: 'logical assignment', code: 'let a; a ??= 1; a ||= 2' },
    { name: 'class fields and private methods', code: 'class A { x = 1; #y = 2; #m() { return this.#y } }' },
    { name: 'await inside a function', code: 'async function f() { await g() }' },
    { name: 'numeric separators', code: 'const n = 1_000_000' },
  ]
  for (const t of fine) it(`accepts ${t.name}`, () => expect(problems(t.code)).toEqual([]))

  const bad = [
    { name: 'class static block', code: 'class A { static { init() } }', want: 'class static block' },
    { name: 'private in', code: 'class A { #x; static is(o) { return #x in o } }', want: '#private in' },
    { name: 'top-level await', code: 'await import("./x.js")', want: 'top-level await' },
    { name: 'RegExp d flag', code: 'const r = /a/d', want: 'RegExp flag' },
  ]
  for (const t of bad) it(`finds ${t.name}`, () => expect(problems(t.code).join()).toContain(t.want))

  it('newer grammar does not parse', () => {
    expect(() => problems('const r = /[\\p{L}--[a-z]]/v')).toThrow()
  })
})
