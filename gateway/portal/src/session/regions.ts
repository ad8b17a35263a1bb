// regions.ts loads the county's region master data once per page load (GET /v1/regions, a few hundred
// entries, 1,000 a page) for the region tree and for naming villages in tables.
import { shallowRef } from 'vue'
import { api } from '../api'
import { allPages } from '../api/pages'
import type { Region } from '../api/types'
import { regionNames, regionTree, type RegionNode } from '../lib/regions'

const list = shallowRef<Region[]>([])
let loading: Promise<Region[]> | null = null

function loadAll(): Promise<Region[]> {
  return allPages(async (token) => {
    const page = await api.call('RegionService_ListRegions', { query: { page_size: 1000, page_token: token } })
    return { items: page.regions ?? [], next: page.next_page_token }
  })
}

/** loadRegions returns the master data, fetching it on first use. */
export function loadRegions(): Promise<Region[]> {
  if (!loading) {
    loading = loadAll().then(
      (r) => {
        list.value = r
        return r
      },
      (e) => {
        loading = null // let a later page try again
        throw e
      },
    )
  }
  return loading
}

/** useRegions gives the (reactive) master data, names by code and the tree of a scope. */
export function useRegions() {
  void loadRegions().catch(() => undefined)
  return {
    list,
    names: () => regionNames(list.value),
    tree: (scope: string): RegionNode | undefined => regionTree(list.value, scope),
  }
}
