// The subsidies service's pages: 民政 (低保 cases and their reviews, 特困, 临时救助, 低保资格核查, 两线合一
// comparisons), 残联 (disability certificates, 两项补贴), the monthly payment rolls (发放名册) of both, and
// 异议受理 — the objections received online against the postings of identification and subsidies, in one
// list. Each route names the operations it needs; the menu shows what the person's department and role may
// call (operations.gen.ts, from the protos' access rules).
import { markRaw } from 'vue'
import { Checked, Coin, Tickets, User } from '@element-plus/icons-vue'
import type { PortalModule } from '../module'
import { triageListOps } from './objections'

export const subsidies: PortalModule = {
  name: 'subsidies',
  routes: [
    {
      path: 'dibao/cases',
      name: 'dibao-cases',
      component: () => import('./pages/DibaoCaseListPage.vue'),
      meta: { title: '低保案件', ops: ['DibaoService_ListDibaoCases'] },
    },
    {
      path: 'dibao/cases/:id',
      name: 'dibao-case',
      component: () => import('./pages/DibaoCasePage.vue'),
      meta: { title: '低保办理', ops: ['DibaoService_GetDibaoCase'] },
    },
    {
      path: 'dibao/reviews',
      name: 'dibao-reviews',
      component: () => import('./pages/OverdueReviewsPage.vue'),
      meta: { title: '低保到期复核', ops: ['DibaoService_ListOverdueDibaoReviews'] },
    },
    {
      path: 'dibao/coverages/:id',
      name: 'dibao-coverage',
      component: () => import('./pages/CoveragePage.vue'),
      meta: { title: '低保在保对象', ops: ['DibaoService_GetDibaoCoverage'] },
    },
    {
      path: 'dibao/eligibilityChecks',
      name: 'eligibility-checks',
      component: () => import('./pages/EligibilityCheckListPage.vue'),
      meta: { title: '低保资格核查', ops: ['DibaoService_ListEligibilityChecks'] },
    },
    {
      path: 'destitute/cases',
      name: 'destitute-cases',
      component: () => import('./pages/DestituteCaseListPage.vue'),
      meta: { title: '特困供养案件', ops: ['DestituteService_ListDestituteCases'] },
    },
    {
      path: 'destitute/cases/:id',
      name: 'destitute-case',
      component: () => import('./pages/DestituteCasePage.vue'),
      meta: { title: '特困供养办理', ops: ['DestituteService_GetDestituteCase'] },
    },
    {
      path: 'temporaryAssistance',
      name: 'temporary-assistance',
      component: () => import('./pages/TemporaryAssistanceListPage.vue'),
      meta: { title: '临时救助', ops: ['TemporaryAssistanceService_ListTemporaryAssistances'] },
    },
    {
      path: 'comparisons',
      name: 'comparisons',
      component: () => import('./pages/ComparisonListPage.vue'),
      meta: { title: '两线合一比对', ops: ['ComparisonService_ListComparisons'] },
    },
    {
      path: 'comparisons/:id',
      name: 'comparison',
      component: () => import('./pages/ComparisonPage.vue'),
      meta: { title: '比对结果', ops: ['ComparisonService_GetComparison', 'ComparisonService_ListMismatches'] },
    },
    {
      path: 'certificates',
      name: 'certificates',
      component: () => import('./pages/CertificateListPage.vue'),
      meta: { title: '残疾人证', ops: ['CertificateService_ListCertificates'] },
    },
    {
      path: 'disabilitySubsidies',
      name: 'disability-subsidies',
      component: () => import('./pages/DisabilitySubsidyListPage.vue'),
      meta: { title: '两项补贴', ops: ['DisabilitySubsidyService_ListDisabilitySubsidies'] },
    },
    {
      path: 'paymentRolls',
      name: 'payment-rolls',
      component: () => import('./pages/RollListPage.vue'),
      meta: { title: '发放名册', ops: ['PaymentRollService_ListRolls'] },
    },
    {
      path: 'paymentRolls/:id',
      name: 'payment-roll',
      component: () => import('./pages/RollPage.vue'),
      meta: { title: '名册详情', ops: ['PaymentRollService_GetRoll'] },
    },
    {
      path: 'objections',
      name: 'objections',
      component: () => import('./pages/ObjectionTriagePage.vue'),
      meta: { title: '异议受理', ops: triageListOps },
    },
  ],
  menu: [
    { path: '/objections', title: '异议受理', icon: markRaw(Checked), ops: triageListOps },
    {
      title: '民政',
      icon: markRaw(User),
      entries: [
        { path: '/dibao/cases', title: '低保案件', ops: ['DibaoService_ListDibaoCases'] },
        { path: '/dibao/reviews', title: '低保到期复核', ops: ['DibaoService_ListOverdueDibaoReviews'] },
        { path: '/dibao/eligibilityChecks', title: '低保资格核查', ops: ['DibaoService_ListEligibilityChecks'] },
        { path: '/destitute/cases', title: '特困供养', ops: ['DestituteService_ListDestituteCases'] },
        { path: '/temporaryAssistance', title: '临时救助', ops: ['TemporaryAssistanceService_ListTemporaryAssistances'] },
        { path: '/comparisons', title: '两线合一比对', ops: ['ComparisonService_ListComparisons'] },
      ],
    },
    {
      title: '残联',
      icon: markRaw(Tickets),
      entries: [
        { path: '/certificates', title: '残疾人证', ops: ['CertificateService_ListCertificates'] },
        { path: '/disabilitySubsidies', title: '两项补贴', ops: ['DisabilitySubsidyService_ListDisabilitySubsidies'] },
      ],
    },
    { path: '/paymentRolls', title: '发放名册', icon: markRaw(Coin), ops: ['PaymentRollService_ListRolls'] },
  ],
}
