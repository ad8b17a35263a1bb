// Paging by page tokens: forward with the server's token, back with the ones kept, and a newer request
// winning over a slower older one.
import { describe, expect, it } from 'vitest'
import { usePager, type Page } from './usePager'

function server(total: number) {
  const calls: { token: string; size: number }[] = []
  const fetchPage = async (token: string, size: number): Promise<Page<number>> => {
    calls.push({ token, size })
    const start = token ? Number(token) : 0
    const items = Array.from({ length: Math.min(size, total - start) }, (_, i) => start + i)
    const next = start + size < total ? String(start + size) : ''
    return { items, next }
  }
  return { calls, fetchPage }
}

describe('usePager', () => {
  it('pages forward and back', async () => {
    const s = server(25)
    const p = usePager(s.fetchPage, 10)
    await p.reload()
    expect(p.items.value).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(p.hasNext.value).toBe(true)
    await p.next()
    await p.next()
    expect(p.page.value).toBe(3)
    expect(p.items.value).toEqual([20, 21, 22, 23, 24])
    expect(p.hasNext.value).toBe(false)
    await p.prev()
    expect(p.items.value[0]).toBe(10)
    expect(s.calls.map((c) => c.token)).toEqual(['', '10', '20', '10'])
  })

  it('a new page size starts again', async () => {
    const s = server(25)
    const p = usePager(s.fetchPage, 10)
    await p.reload()
    await p.next()
    await p.setPageSize(20)
    expect(p.page.value).toBe(1)
    expect(p.items.value).toHaveLength(20)
  })

  it('keeps the error and clears the rows', async () => {
    const p = usePager<number>(async () => {
      throw new Error('down')
    })
    await p.reload()
    expect((p.error.value as Error).message).toBe('down')
    expect(p.items.value).toEqual([])
    expect(p.loading.value).toBe(false)
  })

  it('a slow older answer does not replace a newer one', async () => {
    let release: (v: Page<string>) => void = () => undefined
    let n = 0
    const p = usePager<string>(() => {
      n++
      if (n === 1) return new Promise((r) => (release = r))
      return Promise.resolve({ items: ['new'], next: '' })
    })
    const first = p.reload()
    await p.reload()
    release({ items: ['old'], next: '' })
    await first
    expect(p.items.value).toEqual(['new'])
  })
})
