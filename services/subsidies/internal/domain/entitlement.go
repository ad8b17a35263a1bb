// Package domain holds the subsidies service's rules and use cases: 低保, 特困供养 and 临时救助 (民政),
// disability certificates and 两项补贴 (残联), the entitlements they grant for the platform's payroll
// (services/platform/payroll, which computes the monthly payment rolls) and the 两线合一 comparison. It
// knows no transport and no SQL.
package domain
