// 审计: the auditors' page over the services' audit logs (each service serves ListAuditRecords at its own
// route, for auditors only). Its own module, since it reads every service's log.
import { markRaw } from 'vue'
import { View } from '@element-plus/icons-vue'
import type { PortalModule } from '../module'

const ops = ['AuditService_ListAuditRecords', 'ReliefAuditService_ListAuditRecords'] as const

export const audit: PortalModule = {
  name: 'audit',
  routes: [
    {
      path: 'audit',
      name: 'audit',
      component: () => import('./pages/AuditPage.vue'),
      meta: { title: '审计', ops: [...ops] },
    },
  ],
  menu: [{ path: '/audit', title: '审计', icon: markRaw(View), ops: [...ops] }],
}
