package domain

import (
	"context"
	"fmt"
	"strings"

	"fupin.dev/services/platform/apperr"
)

// The identification register as 民政's programs read it. The register belongs to 乡村振兴局; the subsidies
// service never stores a copy of it, only what a decision used (the members it covered, with their blind
// indexes, and the facts of the step), so a decision can always be explained even after the register moved
// on.

// Health is a member's health condition in the register (numbers of fupin.identification.v1.Health).
type Health int32

// Health conditions.
const (
	HealthUnspecified    Health = iota
	HealthHealthy               // 健康
	HealthChronicDisease        // 长期慢性病
	HealthSeriousIllness        // 大病
	HealthDisabled              // 残疾
)

// LabourAbility is a member's ability to work in the register (numbers of
// fupin.identification.v1.LabourAbility).
type LabourAbility int32

// Labour abilities.
const (
	LabourUnspecified LabourAbility = iota
	LabourOrdinary                  // 普通劳动力
	LabourSkilled                   // 技能劳动力
	LabourPartial                   // 弱劳动力或半劳动力
	LabourLost                      // 丧失劳动力
	LabourNone                      // 无劳动力
)

// CanWork reports whether the register says the member can work at all (ordinary, skilled or partial):
// the households whose income is irregular and who can work are reviewed more often.
func (l LabourAbility) CanWork() bool {
	return l == LabourOrdinary || l == LabourSkilled || l == LabourPartial
}

// Register statuses and monitoring states the followers compare (numbers of identification's enums).
const (
	RegistryPoor     int32 = 2 // 贫困户
	RegistryReturned int32 = 4 // 返贫
	MonitoringOpen   int32 = 1 // 监测中: a confirmed monitoring object whose risk is open
)

// RegisterMember is one membership of a household in the register.
type RegisterMember struct {
	PersonID string
	// IDIndex is the blind index of the member's 身份证号, the key departments match persons by.
	IDIndex   string
	BirthDate string
	Health    Health
	Labour    LabourAbility
	Current   bool
}

// RegisterHousehold is a household with its members, as the register has it now.
type RegisterHousehold struct {
	ID         string
	RegionCode string
	// Urban is true for a household of an urban community (城市低保), false for a village (农村低保).
	Urban bool
	// Active is false once the register archived the household.
	Active bool
	// Registered is the household's registration effective date (登记日期): no procedure about it (a case's
	// application, a coverage's or entitlement's first month) dates from before it.
	Registered string
	Size       int
	Members    []RegisterMember
}

// Member returns the membership of a person, or nil.
func (h *RegisterHousehold) Member(personID string) *RegisterMember {
	for i := range h.Members {
		if h.Members[i].PersonID == personID {
			return &h.Members[i]
		}
	}
	return nil
}

// RegisterIncome is the register's income assessment of a household over a window, with 低保's counting
// rules (`subsidies.dibao.counted_income_types`).
type RegisterIncome struct {
	From, To string
	// NetFen is 家庭纯收入 over the window; Months the number of calendar months it spans.
	NetFen     int64
	Months     int
	Members    int
	PolicyHash string
}

// Register reads the identification register on behalf of the caller in ctx (the register applies their
// region scope too). Answers: ErrRegisterSubjectUnknown when the household is not there (or out of the
// caller's scope), ErrRegisterUnavailable when the register cannot answer.
type Register interface {
	Household(ctx context.Context, householdID string) (*RegisterHousehold, error)
	// DibaoIncome assesses the household's income over the rolling window ending on asOf (YYYY-MM-DD).
	DibaoIncome(ctx context.Context, householdID, asOf string) (*RegisterIncome, error)
}

// Reasons of the register, service-wide (fupin.subsidies.v1.ErrorReason 1–3).
const ReasonRegisterSubjectUnknown = "REGISTER_SUBJECT_UNKNOWN"

// ErrRegisterSubjectUnknown is the register's answer for a household it does not have, or not in the
// caller's scope.
var ErrRegisterSubjectUnknown = &apperr.Error{Kind: apperr.KindNotFound, Reason: ReasonRegisterSubjectUnknown,
	Message: "the household is not in the identification register within the caller's scope"}

// ParsePersonName splits "households/{household}/members/{person}" into its ids.
func ParsePersonName(name string) (householdID, personID string, ok bool) {
	parts := strings.Split(name, "/")
	if len(parts) != 4 || parts[0] != "households" || parts[2] != "members" || parts[1] == "" || parts[3] == "" {
		return "", "", false
	}
	return parts[1], parts[3], true
}

// PersonName is a member's resource name in the register.
func PersonName(householdID, personID string) string {
	return "households/" + householdID + "/members/" + personID
}

// AgeOn is a person's age in full years on date (both YYYY-MM-DD): the birthday itself counts, and a
// 29 February birthday comes on 1 March in other years.
func AgeOn(birthDate, date string) (int, error) {
	if len(birthDate) != 10 || len(date) != 10 {
		return 0, fmt.Errorf("age: dates must be YYYY-MM-DD (birth %q, on %q)", birthDate, date)
	}
	var by, dy int
	if _, err := fmt.Sscanf(birthDate[:4], "%d", &by); err != nil {
		return 0, fmt.Errorf("age: birth date %q: %w", birthDate, err)
	}
	if _, err := fmt.Sscanf(date[:4], "%d", &dy); err != nil {
		return 0, fmt.Errorf("age: date %q: %w", date, err)
	}
	age := dy - by
	if date[5:] < birthDate[5:] {
		age--
	}
	return age, nil
}
