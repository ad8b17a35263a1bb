// Package decisionfeed is how subsidies' decisions look to the departments that follow them: the messages
// of the change feed's decision topics and of DecisionExportService, one conversion for both, so a follower
// reads a change and an exported record alike (fupin.subsidies.v1.DecisionExportService).
package decisionfeed

import (
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/subsidies/internal/domain"
)

// DibaoCoverageMessage is a coverage as the feed and the export carry it.
func DibaoCoverageMessage(c *domain.DibaoCoverage) *subsidiesv1.DibaoCoverageDecision {
	m := &subsidiesv1.DibaoCoverageDecision{Coverage: c.Name(), Household: "households/" + c.HouseholdID, PersonId: c.PersonID,
		RegionCode: c.RegionCode, Urban: c.Urban, State: subsidiesv1.DibaoCoverageState(c.State), FromMonth: c.FromMonth,
		LastMonth: c.LastMonth(), Persons: make([]*subsidiesv1.DecisionPerson, len(c.Members))}
	if c.State != domain.CoverageActive {
		m.EndReason = c.EndReason
	}
	for i, p := range c.Members {
		m.Persons[i] = &subsidiesv1.DecisionPerson{PersonId: p.PersonID, IdIndex: p.IDIndex, FromMonth: p.FromMonth,
			ToMonth: p.ToMonth, EndReason: p.EndReason}
	}
	return m
}

// DestituteMessage is a 特困 support as the feed and the export carry it.
func DestituteMessage(d *domain.DestituteSupport) *subsidiesv1.DestituteSupportDecision {
	return &subsidiesv1.DestituteSupportDecision{DestituteCase: domain.DestituteSource(d.CaseID),
		Household: "households/" + d.HouseholdID, RegionCode: d.RegionCode,
		Person: &subsidiesv1.DecisionPerson{PersonId: d.PersonID, IdIndex: d.IDIndex, FromMonth: d.FromMonth, ToMonth: d.ToMonth,
			EndReason: d.EndReason}}
}

// CertificateMessage is a certificate as the feed and the export carry it: no number.
func CertificateMessage(c *domain.Certificate) *subsidiesv1.CertificateDecision {
	return &subsidiesv1.CertificateDecision{Certificate: c.Name(), Household: "households/" + c.HouseholdID, PersonId: c.PersonID,
		IdIndex: c.IDIndex, RegionCode: c.RegionCode, Category: subsidiesv1.DisabilityCategory(c.Category), Grade: int32(c.Grade),
		Status: subsidiesv1.CertificateStatus(c.Status), IssueDate: c.IssueDate, StatusDate: c.StatusDate, StatusReason: c.Reason}
}
