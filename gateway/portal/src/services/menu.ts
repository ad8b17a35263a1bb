// menu.ts: the main menu a person sees — the services' menus in order, each entry kept when the person
// may call any of its operations (the contract's access rules), each group kept when an entry is left.
import type { Caller } from '../session/access'
import { allowedAny } from '../session/access'
import type { MenuEntry, MenuGroup, PortalModule } from './module'

export const isGroup = (x: MenuEntry | MenuGroup): x is MenuGroup => 'entries' in x

/** menuFor is the menu of the caller. */
export function menuFor(modules: readonly PortalModule[], caller: Caller | null | undefined): (MenuEntry | MenuGroup)[] {
  return modules
    .flatMap((m) => m.menu)
    .map((x) => (isGroup(x) ? { ...x, entries: x.entries.filter((e) => allowedAny(caller, e.ops)) } : x))
    .filter((x) => (isGroup(x) ? x.entries.length > 0 : allowedAny(caller, x.ops)))
}
