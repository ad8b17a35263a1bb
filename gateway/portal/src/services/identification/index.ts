// The identification service's pages (乡村振兴局): the dashboard, the household register, identification
// and exit cases, and 防返贫监测. Each route names the operations it needs; pages load lazily, so the
// dashboard's charts and the forms stay out of the first bundle.
import { markRaw } from 'vue'
import { DataAnalysis, House, Document, Warning, Upload } from '@element-plus/icons-vue'
import type { PortalModule } from '../module'
import { inboxOps } from './inbox'

export const identification: PortalModule = {
  name: 'identification',
  routes: [
    {
      path: '',
      name: 'dashboard',
      component: () => import('./pages/DashboardPage.vue'),
      meta: { title: '首页', ops: ['StatisticsService_GetStatistics'] },
    },
    {
      path: 'households',
      name: 'households',
      component: () => import('./pages/HouseholdSearchPage.vue'),
      meta: { title: '农户查询', ops: ['HouseholdService_ListHouseholds', 'HouseholdService_LookupHousehold'] },
    },
    {
      path: 'households/:id',
      name: 'household',
      component: () => import('./pages/HouseholdPage.vue'),
      meta: { title: '农户档案', ops: ['HouseholdService_GetHousehold'] },
    },
    {
      path: 'households/:id/riskRemovals/:rid',
      name: 'risk-removal',
      component: () => import('./pages/RiskRemovalPage.vue'),
      meta: { title: '风险消除', ops: ['MonitoringService_GetRiskRemoval'] },
    },
    {
      path: 'inbox',
      name: 'inbox',
      component: () => import('./pages/InboxPage.vue'),
      meta: { title: '待我办理', ops: inboxOps },
    },
    {
      path: 'cases',
      name: 'cases',
      component: () => import('./pages/CaseListPage.vue'),
      meta: { title: '识别与退出案件', ops: ['CaseService_ListCases'] },
    },
    {
      path: 'cases/:id',
      name: 'case',
      component: () => import('./pages/CasePage.vue'),
      meta: { title: '案件办理', ops: ['CaseService_GetCase'] },
    },
    {
      path: 'monitoring/clues',
      name: 'clues',
      component: () => import('./pages/ClueListPage.vue'),
      meta: { title: '监测线索', ops: ['MonitoringService_ListClues'] },
    },
    {
      path: 'monitoring/clues/:id',
      name: 'clue',
      component: () => import('./pages/CluePage.vue'),
      meta: { title: '线索办理', ops: ['MonitoringService_GetClue'] },
    },
    {
      path: 'monitoring/screening',
      name: 'screening',
      component: () => import('./pages/ScreeningPage.vue'),
      meta: { title: '数据排查', ops: ['MonitoringService_RunScreening'] },
    },
    {
      path: 'imports',
      name: 'imports',
      component: () => import('./pages/ImportPage.vue'),
      // The upload itself (UploadLedger) has no REST binding: the page shows its form to those who may
      // upload (ledgerUpload.ts, mayUpload); auditors see the records.
      meta: { title: '台账导入', ops: ['ImportService_ListImports'] },
    },
  ],
  menu: [
    { path: '/', title: '首页', icon: markRaw(DataAnalysis), ops: ['StatisticsService_GetStatistics'] },
    {
      path: '/households',
      title: '农户',
      icon: markRaw(House),
      ops: ['HouseholdService_ListHouseholds', 'HouseholdService_LookupHousehold'],
    },
    {
      title: '办理',
      icon: markRaw(Document),
      entries: [
        { path: '/inbox', title: '待我办理', ops: inboxOps },
        { path: '/cases', title: '识别与退出', ops: ['CaseService_ListCases'] },
      ],
    },
    {
      title: '防返贫监测',
      icon: markRaw(Warning),
      entries: [
        { path: '/monitoring/clues', title: '监测线索', ops: ['MonitoringService_ListClues'] },
        { path: '/monitoring/screening', title: '数据排查', ops: ['MonitoringService_RunScreening'] },
      ],
    },
    { path: '/imports', title: '导入', icon: markRaw(Upload), ops: ['ImportService_ListImports'] },
  ],
}
