// The employment service's pages (人社): the labour ledger (劳动力台账) and a labourer's spells. Each
// employment area (零就业 and 就业援助, 公益岗, 帮扶车间 and employment subsidies, rolls) adds its routes and its
// menu entries to this module. Each route names the operations it needs; the menu shows what the person's
// department and role may call (operations.gen.ts, from the protos' access rules).
import { markRaw } from 'vue'
import { Briefcase } from '@element-plus/icons-vue'
import type { PortalModule } from '../module'

export const employment: PortalModule = {
  name: 'employment',
  routes: [
    {
      path: 'employment/labourers',
      name: 'labourers',
      component: () => import('./pages/LabourerListPage.vue'),
      meta: { title: '劳动力台账', ops: ['LabourLedgerService_ListLabourers'] },
    },
    {
      path: 'employment/labourers/:id',
      name: 'labourer',
      component: () => import('./pages/LabourerPage.vue'),
      meta: { title: '劳动力信息', ops: ['LabourLedgerService_GetLabourer'] },
    },
  ],
  menu: [
    {
      title: '人社就业',
      icon: markRaw(Briefcase),
      entries: [{ path: '/employment/labourers', title: '劳动力台账', ops: ['LabourLedgerService_ListLabourers'] }],
    },
  ],
}
