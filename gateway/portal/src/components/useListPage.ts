// useListPage is a list page's state: its filters, kept in the page's address (read on arrival, written on
// every search, so "back" from a record returns to the same list and a list can be linked to, as the
// dashboard links to `/cases?next_step=township_review&state=open`), and the server-paged list they select.
import { reactive } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { usePager, type Page } from './usePager'

export function useListPage<T, F extends Record<string, string | boolean> & { region: string }>(
  defaults: F,
  fetchPage: (form: F, pageToken: string, pageSize: number) => Promise<Page<T>>,
) {
  const route = useRoute()
  const router = useRouter()
  const form = reactive({ ...defaults }) as F
  for (const k of Object.keys(defaults) as (keyof F & string)[]) {
    const v = route.query[k]
    if (typeof v !== 'string') continue
    ;(form as Record<string, string | boolean>)[k] = typeof defaults[k] === 'boolean' ? v === '1' : v
  }
  const pager = usePager<T>((pageToken, pageSize) => fetchPage(form, pageToken, pageSize))

  /** search writes the filters that are set into the address and loads the first page. */
  function search() {
    const query: Record<string, string> = {}
    for (const [k, v] of Object.entries(form)) if (v) query[k] = v === true ? '1' : String(v)
    void router.replace({ query })
    return pager.reload()
  }

  /** pickRegion narrows the list to a region of the tree. */
  function pickRegion(code: string) {
    ;(form as { region: string }).region = code
    return search()
  }

  return { form, pager, search, pickRegion }
}
