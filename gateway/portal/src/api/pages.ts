// pages.ts reads every page of a List, for the few lists that are short by nature (the region master data,
// one household's helpers, cases or clues). Long lists are paged on screen with usePager instead.

/** One page as a List method returns it: the items and the token of the next page ("" on the last). */
export interface ListPage<T> {
  items: T[]
  next?: string
}

/** allPages calls fetch with each next_page_token until the last page and returns every item. */
export async function allPages<T>(fetch: (pageToken: string) => Promise<ListPage<T>>): Promise<T[]> {
  const out: T[] = []
  let token = ''
  do {
    const page = await fetch(token)
    out.push(...page.items)
    token = page.next ?? ''
  } while (token)
  return out
}
