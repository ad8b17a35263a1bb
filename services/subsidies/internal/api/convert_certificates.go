package api

import (
	"context"
	"fmt"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/workflow"
	"fupin.dev/services/subsidies/internal/domain"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Conversions of the certificate and 两项补贴 area between its contract and its domain.

// certCaller is the domain's view of who calls (actor for trails, region scope) and the platform's.
func certCaller(ctx context.Context) (workflow.Caller, *auth.Caller) {
	c, ok := auth.FromContext(ctx)
	if !ok {
		return workflow.Caller{Actor: "anonymous", Scope: auth.NoRegion}, &auth.Caller{}
	}
	return workflow.Caller{Actor: c.Actor(), Scope: c.Scope()}, c
}

// certPageSize applies a List's default and maximum.
func certPageSize(n int32, def, most int) int {
	if n <= 0 {
		return def
	}
	return min(int(n), most)
}

// toCertificate converts a certificate; plain is the opened number when the caller may see it. The stored
// mask is masked again, so a mask of the former form (four more characters) never leaves.
func toCertificate(c *domain.Certificate, plain string) *subsidiesv1.Certificate {
	number := pii.MaskCertificateNumber(c.NumberMasked)
	if plain != "" {
		number = plain
	}
	return &subsidiesv1.Certificate{
		Name: c.Name(), Number: number, Category: subsidiesv1.DisabilityCategory(c.Category), Grade: int32(c.Grade),
		Status: subsidiesv1.CertificateStatus(c.Status), IssueDate: c.IssueDate, StatusDate: c.StatusDate,
		StatusReason: c.Reason, Holder: "households/" + c.HouseholdID + "/members/" + c.PersonID, PersonId: c.PersonID,
		Household: "households/" + c.HouseholdID, RegionCode: c.RegionCode, Etag: c.Etag(),
		CreateTime: timestamppb.New(c.CreateTime), UpdateTime: timestamppb.New(c.UpdateTime),
	}
}

// disabilitySubsidyKinds maps the contract's kinds to the domain's case kinds.
var disabilitySubsidyKinds = map[subsidiesv1.DisabilitySubsidyKind]string{
	subsidiesv1.DisabilitySubsidyKind_DISABILITY_SUBSIDY_KIND_LIVING: domain.DisabilitySubsidyKindLiving,
	subsidiesv1.DisabilitySubsidyKind_DISABILITY_SUBSIDY_KIND_CARE:   domain.DisabilitySubsidyKindCare,
}

func toDisabilitySubsidyKind(kind string) subsidiesv1.DisabilitySubsidyKind {
	for k, v := range disabilitySubsidyKinds {
		if v == kind {
			return k
		}
	}
	return subsidiesv1.DisabilitySubsidyKind_DISABILITY_SUBSIDY_KIND_UNSPECIFIED
}

// DisabilitySubsidyFilterNames are how ListDisabilitySubsidies filters write states and outcomes and
// name the subject; the app gives them to the workflow engine.
var DisabilitySubsidyFilterNames = struct {
	States, Outcomes map[string]int32
	Subject          string
}{subsidiesv1.DisabilitySubsidyState_value, subsidiesv1.DisabilitySubsidyOutcome_value, "person"}

func toDisabilitySubsidy(d *domain.DisabilitySubsidy) (*subsidiesv1.DisabilitySubsidy, error) {
	k := d.Case
	out := &subsidiesv1.DisabilitySubsidy{
		Name: domain.DisabilitySubsidySource(k.ID), Kind: toDisabilitySubsidyKind(k.Kind),
		Certificate: "certificates/" + d.Application.CertificateID, PersonId: d.Application.PersonID,
		Household: "households/" + d.Application.HouseholdID, RegionCode: k.RegionCode,
		State: subsidiesv1.DisabilitySubsidyState(k.State), NextStep: k.Next, Etag: k.Etag(),
		CreateTime: timestamppb.New(k.CreateTime), UpdateTime: timestamppb.New(k.UpdateTime),
	}
	if len(k.Steps) > 0 {
		out.ApplicationDate = k.Steps[0].OccurredAt
	}
	if k.Decision != nil {
		out.Outcome = subsidiesv1.DisabilitySubsidyOutcome(k.Decision.Outcome)
	}
	if e := d.Entitlement; e != nil {
		out.AmountFen, out.FromMonth, out.ToMonth = e.AmountFen, e.FromMonth, e.ToMonth
	}
	for i := range k.Steps {
		s, err := toDisabilitySubsidyStep(&k.Steps[i])
		if err != nil {
			return nil, err
		}
		out.Steps = append(out.Steps, s)
	}
	return out, nil
}

func toDisabilitySubsidyStep(s *workflow.Step) (*subsidiesv1.DisabilitySubsidyStep, error) {
	out := &subsidiesv1.DisabilitySubsidyStep{Seq: int32(s.Seq), Step: s.Name, Actor: s.Actor, OccurredAt: s.OccurredAt,
		RecordedAt: timestamppb.New(s.RecordedAt), BackdateReason: s.BackdateReason, Note: s.Note, Attachments: s.Attachments}
	if s.Name != domain.DisabilitySubsidyStepTownshipCheck && s.Name != domain.DisabilitySubsidyStepCountyReview {
		return out, nil
	}
	var r domain.DisabilitySubsidyReview
	if err := s.Bind(&r); err != nil {
		return nil, err
	}
	e := r.Eligibility
	out.Approved = r.Approved
	out.Eligibility = &subsidiesv1.DisabilitySubsidyEligibility{Eligible: e.Eligible, Unmet: e.Unmet, Summary: e.Summary,
		Inputs: e.Inputs, AmountFen: e.AmountFen, Date: e.Date, PolicyDate: e.PolicyDate}
	for _, v := range e.Policy {
		pv, err := toCertPolicyValue(v)
		if err != nil {
			return nil, err
		}
		out.Eligibility.PolicyValues = append(out.Eligibility.PolicyValues, pv)
	}
	return out, nil
}

func toCertPolicyValue(v policy.Value) (*commonv1.PolicyValue, error) {
	pv := &commonv1.PolicyValue{Parameter: v.Parameter, Region: v.Region, EffectiveDate: v.Effective, Hash: v.Hash}
	if len(v.Raw) > 0 {
		pv.Value = &structpb.Value{}
		if err := pv.Value.UnmarshalJSON(v.Raw); err != nil {
			return nil, fmt.Errorf("policy value %s: %w", v.Parameter, err)
		}
	}
	return pv, nil
}
