import { describe, expect, it } from 'vitest'
import { allPages } from './pages'

describe('allPages', () => {
  it('follows the tokens to the last page', async () => {
    const tokens: string[] = []
    const pages: Record<string, { items: number[]; next: string }> = {
      '': { items: [1, 2], next: 'b' },
      b: { items: [3], next: 'c' },
      c: { items: [], next: '' },
    }
    const all = await allPages(async (t) => {
      tokens.push(t)
      return pages[t]
    })
    expect(all).toEqual([1, 2, 3])
    expect(tokens).toEqual(['', 'b', 'c'])
  })
  it('stops on a missing token', async () => {
    expect(await allPages(async () => ({ items: ['x'] }))).toEqual(['x'])
  })
})
