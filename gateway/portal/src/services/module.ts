// module.ts is what a service contributes to the portal (docs/PORTAL.md, "Adding a service's pages"):
// its routes, each naming the operations it needs, and its menu entries. The portal shows a menu entry or
// opens a route only when the person may call at least one of its operations.
import type { Component } from 'vue'
import type { RouteRecordRaw } from 'vue-router'
import type { OperationId } from '../api/operations.gen'

export interface MenuEntry {
  /** Route path the entry opens. */
  path: string
  /** Chinese title. */
  title: string
  icon?: Component
  /** Shown when the person may call any of these. */
  ops: OperationId[]
}

export interface MenuGroup {
  title: string
  icon?: Component
  entries: MenuEntry[]
}

export interface PortalModule {
  /** The service's name (identification, subsidies…). */
  name: string
  /** Its pages; each route's meta names its title and the operations it needs. */
  routes: RouteRecordRaw[]
  /** Its menu: entries at the top level, or groups. */
  menu: (MenuEntry | MenuGroup)[]
}

declare module 'vue-router' {
  interface RouteMeta {
    /** The page's Chinese title (the browser tab says it too). */
    title?: string
    /** The page opens when the person may call any of these operations. */
    ops?: OperationId[]
    /** Pages that need no sign-in. */
    public?: boolean
  }
}
