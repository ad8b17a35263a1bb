package bizdate

import (
	"fmt"

	"fupin.dev/services/platform/apperr"
)

// ReasonBeforeRegistration is the one refusal of a procedure's date before its subject's registration
// (fupin.common.v1.ErrorReason BEFORE_REGISTRATION), the same in every service.
const ReasonBeforeRegistration = "BEFORE_REGISTRATION"

// NotBeforeRegistration applies the county's one rule on procedure dates: a procedure about a household
// (a case's application and steps, a 低保 application, a monitoring decision, the first month of a
// coverage or an entitlement) never dates from before the household's registration effective date
// (登记日期, registered, YYYY-MM-DD). date is a business date (YYYY-MM-DD), compared by day, or a month
// (YYYY-MM), compared with the registration's month: the registration date itself, or its month, is
// allowed, the day (or month) before refused with INVALID_ARGUMENT naming field. Facts about persons and
// their past (births, membership starts, income items inside an assessment window, certificate issue
// dates) are not procedures and are not checked. An empty registered date (a subject the register does
// not date) checks nothing.
func NotBeforeRegistration(field, date, registered string) error {
	if registered == "" || date == "" {
		return nil
	}
	bound := registered
	if len(date) < len(bound) {
		bound = bound[:len(date)]
	}
	if date >= bound {
		return nil
	}
	return apperr.Invalid(ReasonBeforeRegistration, field,
		fmt.Sprintf("%s is before the household's registration date (登记日期 %s)", date, registered))
}
