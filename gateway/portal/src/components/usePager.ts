// usePager pages a List method the AIP-158 way: the server filters and pages, the portal keeps the
// page tokens it was given so it can step back, and never loads a whole list.
import { ref, shallowRef } from 'vue'

export interface Page<T> {
  items: T[]
  next: string
}

export function usePager<T>(fetchPage: (pageToken: string, pageSize: number) => Promise<Page<T>>, initialSize = 20) {
  const items = shallowRef<T[]>([])
  const loading = ref(false)
  const error = shallowRef<unknown>(null)
  const page = ref(1)
  const pageSize = ref(initialSize)
  const hasNext = ref(false)
  // tokens[i] fetches page i + 1; the token after the current page waits in nextToken.
  let tokens: string[] = ['']
  let nextToken = ''
  let seq = 0

  async function load() {
    const mine = ++seq
    loading.value = true
    error.value = null
    try {
      const p = await fetchPage(tokens[page.value - 1], pageSize.value)
      if (mine !== seq) return // a newer request replaced this one
      items.value = p.items
      nextToken = p.next
      hasNext.value = p.next !== ''
    } catch (e) {
      if (mine !== seq) return
      items.value = []
      hasNext.value = false
      error.value = e
    } finally {
      if (mine === seq) loading.value = false
    }
  }

  /** reload starts again from the first page (after the filters changed). */
  function reload() {
    tokens = ['']
    page.value = 1
    return load()
  }

  function next() {
    if (!hasNext.value) return
    tokens[page.value] = nextToken
    page.value++
    return load()
  }

  function prev() {
    if (page.value <= 1) return
    page.value--
    return load()
  }

  function setPageSize(n: number) {
    pageSize.value = n
    return reload()
  }

  return { items, loading, error, page, pageSize, hasNext, reload, next, prev, setPageSize, refresh: load }
}

export type Pager<T> = ReturnType<typeof usePager<T>>
