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
    {
      path: 'employment/labourImports',
      name: 'labour-imports',
      component: () => import('./pages/LabourImportPage.vue'),
      // The upload itself (ImportLabourFile) has no REST binding: the page shows its form to those who
      // may upload (labourUpload.ts, mayUploadLabour).
      meta: { title: '劳动力导入', ops: ['LabourLedgerService_ListLabourers'] },
    },
    {
      path: 'employment/welfarePosts',
      name: 'welfarePosts',
      component: () => import('./pages/WelfarePostListPage.vue'),
      meta: { title: '公益性岗位', ops: ['WelfarePostService_ListWelfarePosts'] },
    },
    {
      path: 'employment/welfarePostAssignments/:id',
      name: 'welfarePostAssignment',
      component: () => import('./pages/WelfarePostAssignmentPage.vue'),
      meta: { title: '公益岗聘用', ops: ['WelfarePostService_GetWelfarePostAssignment'] },
    },
    {
      path: 'employment/welfarePostAttendance',
      name: 'welfarePostAttendance',
      component: () => import('./pages/WelfarePostAttendancePage.vue'),
      meta: { title: '公益岗月度考勤', ops: ['WelfarePostService_ListWelfarePostAttendance'] },
    },
    // 人社's payment rolls: subsidies' roll pages, told to call employment's roll service.
    {
      path: 'employment/paymentRolls',
      name: 'employmentPaymentRolls',
      component: () => import('../subsidies/pages/RollListPage.vue'),
      meta: { title: '人社发放名册', ops: ['EmploymentPaymentRollService_ListRolls'], rollService: 'EmploymentPaymentRollService' },
    },
    {
      path: 'employment/paymentRolls/:id',
      name: 'employmentPaymentRoll',
      component: () => import('../subsidies/pages/RollPage.vue'),
      meta: { title: '名册详情', ops: ['EmploymentPaymentRollService_GetRoll'], rollService: 'EmploymentPaymentRollService' },
    },
    {
      path: 'employment/zeroEmployment',
      name: 'zeroEmployment',
      component: () => import('./pages/ZeroEmploymentListPage.vue'),
      meta: { title: '零就业家庭', ops: ['EmploymentAidService_ListZeroEmploymentHouseholds'] },
    },
    {
      path: 'employment/aidCases',
      name: 'aidCases',
      component: () => import('./pages/AidCaseListPage.vue'),
      meta: { title: '就业援助', ops: ['EmploymentAidService_ListAidCases'] },
    },
    {
      path: 'employment/aidCases/:id',
      name: 'aidCase',
      component: () => import('./pages/AidCasePage.vue'),
      meta: { title: '就业援助案件', ops: ['EmploymentAidService_GetAidCase'] },
    },
    {
      path: 'employment/workshops',
      name: 'workshops',
      component: () => import('./pages/WorkshopListPage.vue'),
      meta: { title: '就业帮扶车间', ops: ['WorkshopService_ListWorkshops'] },
    },
    {
      path: 'employment/workshops/:id',
      name: 'workshop',
      component: () => import('./pages/WorkshopPage.vue'),
      meta: {
        title: '帮扶车间',
        ops: ['WorkshopService_GetWorkshop', 'WorkshopService_ListWorkshopWorkers', 'WorkshopService_ListWorkshopInsurances', 'WorkshopService_ListWorkshopRewards'],
      },
    },
    {
      path: 'employment/subsidies',
      name: 'employmentSubsidies',
      component: () => import('./pages/EmploymentSubsidyListPage.vue'),
      meta: { title: '就业补贴', ops: ['EmploymentSubsidyService_ListEmploymentSubsidies'] },
    },
  ],
  menu: [
    {
      title: '人社就业',
      icon: markRaw(Briefcase),
      entries: [
        { path: '/employment/labourers', title: '劳动力台账', ops: ['LabourLedgerService_ListLabourers'] },
        // Shown to those who record the ledger (人社 staff); the page itself shows the upload to 人社's
        // administrators and staff (ImportLabourFile has no REST route to name here).
        { path: '/employment/labourImports', title: '劳动力导入', ops: ['LabourLedgerService_DeleteEmploymentSpell'] },
        { path: '/employment/welfarePosts', title: '公益性岗位', ops: ['WelfarePostService_ListWelfarePosts'] },
        { path: '/employment/welfarePostAttendance', title: '公益岗考勤', ops: ['WelfarePostService_ListWelfarePostAttendance'] },
        { path: '/employment/paymentRolls', title: '人社发放名册', ops: ['EmploymentPaymentRollService_ListRolls'] },
        { path: '/employment/zeroEmployment', title: '零就业家庭', ops: ['EmploymentAidService_ListZeroEmploymentHouseholds'] },
        { path: '/employment/aidCases', title: '就业援助', ops: ['EmploymentAidService_ListAidCases'] },
        { path: '/employment/aidCases?open=1&overdue=1', title: '超期援助', ops: ['EmploymentAidService_ListAidCases'] },
        { path: '/employment/workshops', title: '帮扶车间', ops: ['WorkshopService_ListWorkshops'] },
        { path: '/employment/subsidies', title: '就业补贴', ops: ['EmploymentSubsidyService_ListEmploymentSubsidies'] },
      ],
    },
  ],
}
