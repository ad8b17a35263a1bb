// The router (history mode: the gateway answers every portal path with index.html). Before each page it
// makes sure the person is signed in (GET /auth/me; 401 → the gateway's sign-in) and may use the page.
import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import AppLayout from './components/AppLayout.vue'
import { modules } from './services'
import { fetchMe, goToSignIn, session } from './session/session'
import { allowedAny } from './session/access'

const routes: RouteRecordRaw[] = [
  {
    path: '/',
    component: AppLayout,
    children: [
      ...modules.flatMap((m) => m.routes),
      { path: 'forbidden', name: 'forbidden', component: () => import('./pages/ForbiddenPage.vue'), meta: { title: '无权访问' } },
      { path: ':rest(.*)*', name: 'not-found', component: () => import('./pages/NotFoundPage.vue'), meta: { title: '页面不存在' } },
    ],
  },
  {
    path: '/sign-in-failed',
    name: 'sign-in-failed',
    component: () => import('./pages/SignInFailedPage.vue'),
    meta: { title: '无法登录', public: true },
  },
]

export const router = createRouter({ history: createWebHistory(), routes })

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  if (!session.me) {
    try {
      session.me = await fetchMe()
    } catch {
      // The gateway did not answer /auth/me: a page that says so, not a blank one.
      return { name: 'sign-in-failed', query: { reason: 'unavailable' } }
    }
    if (!session.me) {
      goToSignIn(to.fullPath)
      return false
    }
  }
  if (to.meta.ops && !allowedAny(session.me, to.meta.ops)) return { name: 'forbidden', query: { from: to.fullPath } }
  return true
})

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} - 防返贫监测与帮扶工作平台` : '防返贫监测与帮扶工作平台'
})
