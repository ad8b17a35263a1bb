package domain

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/pii"
)

// Service is the household register's use cases.
type Service struct {
	store     Store
	pii       *pii.Protector
	now       func() time.Time
	newID     func() string
	conflicts ConflictLimit
}

// NewService wires the use cases. now is the clock (tests move it); newID makes record ids.
func NewService(store Store, protector *pii.Protector, now func() time.Time, newID func() string) *Service {
	return &Service{store: store, pii: protector, now: now, newID: newID}
}

// Caller is who acts: their id for trails and the region prefix they may touch ("" = whole county).
type Caller struct {
	Actor string
	Scope string
}

func (c Caller) check(regionCode string) error {
	if len(regionCode) < len(c.Scope) || regionCode[:len(c.Scope)] != c.Scope {
		return ErrOutOfScope
	}
	return nil
}

// NewHousehold is what CreateHousehold receives.
type NewHousehold struct {
	RegionCode string
	Address    string
	Number     string
	Registry   RegistryStatus // default ORDINARY
	ExitYear   int            // with Registry EXITED: the year of exit (existing ledgers)
	Members    []Member
	// RegistrationDate is the registration effective date (登记日期, YYYY-MM-DD): empty means the day the
	// household is created or imported. A paper ledger moved in says since when the household has been
	// registered; a date before today needs RegistrationReason (a back-dated fact, as a step's).
	RegistrationDate   string
	RegistrationReason string
}

// CreateHousehold registers a household with its members, after checking every rule: a known village
// of the county, valid 身份证号, exactly one head, no person twice, nobody already in another household.
// The bulk import (LedgerImporter) applies the same checks through newHousehold and checkVillage. A caller
// past the limit of existence conflicts is refused first (conflicts.go).
func (s *Service) CreateHousehold(ctx context.Context, c Caller, in NewHousehold) (*Household, error) {
	if err := c.check(in.RegionCode); err != nil {
		return nil, err
	}
	if err := s.checkConflicts(ctx); err != nil {
		return nil, err
	}
	region, err := s.village(ctx, in.RegionCode, "household.region_code")
	if err != nil {
		return nil, err
	}
	h, bad := s.newHousehold(c.Actor, in, region, s.now(), "registered 登记")
	if len(bad) > 0 {
		return nil, bad.asError("household")
	}
	h.ID = s.newID()
	for i := range h.Members {
		h.Members[i].PersonID = s.newID()
	}
	if err := s.store.CreateHousehold(ctx, h); err != nil {
		return nil, disclosing(c, err)
	}
	return h, nil
}

// MaxMembers is the largest household the register accepts (the API's limit too).
const MaxMembers = 30

// Violation is one rule a new household breaks, as the checks CreateHousehold and the bulk import share
// find it. Member is the index of the member concerned, or -1 for the household as a whole; Field names
// the field as the API does ("id_number", "relation_to_head", "members"); Other, for PERSON_REPEATED, is
// the index of the member the person already is.
type Violation struct {
	Member      int
	Field       string
	Other       int
	Reason      string
	Description string
}

// Violations are every rule a new household breaks, members' fields first, in member order.
type Violations []Violation

// asError reports the violations as one refusal naming each field under path ("household").
func (vs Violations) asError(path string) error {
	fields := make([]apperr.FieldViolation, 0, len(vs))
	for _, v := range vs {
		field, desc := path+"."+v.Field, v.Description
		if v.Member >= 0 {
			field = fmt.Sprintf("%s.members[%d].%s", path, v.Member, v.Field)
		}
		if v.Reason == ReasonPersonRepeated {
			desc = fmt.Sprintf("the same person is also %s.members[%d]", path, v.Other)
		}
		fields = append(fields, apperr.FieldViolation{Field: field, Description: desc, Reason: v.Reason})
	}
	return apperr.InvalidFields(fields...)
}

// newHousehold checks a new household against every rule that needs no other household (valid 身份证号,
// required fields, exactly one head, no person twice, at most MaxMembers, no start date in the future),
// fills in what each 身份证号 says (sex, birth date, sealed number, blind index, mask) and builds the record
// as of now, registered by actor for reason. Ids are left empty for the caller to assign. The village
// (region) must have been checked already. Safe for concurrent use: the bulk import runs it in parallel.
func (s *Service) newHousehold(actor string, in NewHousehold, region *Region, now time.Time, reason string) (*Household, Violations) {
	today := bizdate.Today(now)
	registered, bad := registrationDate(in, today)
	if bad = append(bad, s.checkMembers(in.Members, today)...); len(bad) > 0 {
		return nil, bad
	}
	registry := in.Registry
	if registry == RegistryUnspecified {
		registry = RegistryOrdinary
	}
	if registered < today {
		reason += "; 登记日期 " + registered + ": " + strings.TrimSpace(in.RegistrationReason)
	}
	h := &Household{
		RegionCode: in.RegionCode, Address: in.Address, Number: in.Number, Urban: region.Urban,
		State: HouseholdActive, Version: 1, CreateTime: now, UpdateTime: now, Registered: registered,
		Status:  Status{Registry: registry, RegistryDate: registered, ExitYear: in.ExitYear},
		History: []StatusChange{{EffectiveDate: registered, Registry: registry, Reason: reason, Actor: actor, RecordTime: now}},
		Members: make([]Member, len(in.Members)),
	}
	for i, m := range in.Members {
		m.State = MemberActive
		if m.StartDate == "" {
			m.StartDate = registered
		}
		h.Members[i] = m
	}
	return h, nil
}

// registrationDate is a new household's registration effective date: the one given, a real date not after
// today and, before today, with a reason; else today.
func registrationDate(in NewHousehold, today string) (string, Violations) {
	date := in.RegistrationDate
	if date == "" {
		return today, nil
	}
	if _, err := bizdate.Parse(date); err != nil || date > today {
		return today, Violations{{Member: -1, Field: "registration_date", Reason: ReasonDateInvalid,
			Description: "must be a date (YYYY-MM-DD) not in the future"}}
	}
	if date < today && strings.TrimSpace(in.RegistrationReason) == "" {
		return today, Violations{{Member: -1, Field: "registration_backdate_reason", Reason: ReasonBackdateReasonRequired,
			Description: fmt.Sprintf("registration_date %s is before today (%s): say why (e.g. the paper ledger it comes from)", date, today)}}
	}
	return date, nil
}

// checkMembers validates a new household's members and fills in what the 身份证号 says (sex, birth date,
// blind index, mask). It reports every broken rule at once.
func (s *Service) checkMembers(members []Member, today string) Violations {
	var bad Violations
	if len(members) > MaxMembers {
		bad = append(bad, Violation{Member: -1, Field: "members", Reason: ReasonInvalidField,
			Description: fmt.Sprintf("a household has at most %d members; found %d", MaxMembers, len(members))})
	}
	heads := 0
	seen := make(map[string]int, len(members))
	for i := range members {
		m := &members[i]
		bad = append(bad, memberViolations(m, i)...)
		if m.Relation == RelationHead {
			heads++
		}
		if m.StartDate != "" {
			if _, err := bizdate.Parse(m.StartDate); err != nil || m.StartDate > today {
				bad = append(bad, Violation{Member: i, Field: "start_date", Reason: ReasonDateInvalid, Description: "must be a date not in the future"})
			}
		}
		if err := s.fillPerson(&m.Person, today); err != nil {
			bad = append(bad, Violation{Member: i, Field: "id_number", Reason: ReasonIDNumberInvalid, Description: err.Error()})
			continue
		}
		if j, dup := seen[m.IDIndex]; dup {
			bad = append(bad, Violation{Member: i, Field: "id_number", Other: j, Reason: ReasonPersonRepeated,
				Description: "the same person appears twice in the household"})
		}
		seen[m.IDIndex] = i
	}
	if heads != 1 {
		bad = append(bad, Violation{Member: -1, Field: "members", Reason: ReasonHeadCount,
			Description: fmt.Sprintf("a household needs exactly one head (户主); found %d", heads)})
	}
	return bad
}

// memberViolations reports the fields a new member i must have, and normalises the name (pii.NormalizeName).
func memberViolations(m *Member, i int) Violations {
	var bad Violations
	if name, err := pii.NormalizeName(m.FullName); err != nil {
		bad = append(bad, Violation{Member: i, Field: "full_name", Reason: ReasonPersonNameInvalid, Description: err.Error()})
	} else {
		m.FullName = name
	}
	if m.Relation == RelationUnspecified {
		bad = append(bad, Violation{Member: i, Field: "relation_to_head", Reason: ReasonInvalidField, Description: "is required"})
	}
	return bad
}

// checkMember reports the fields a new member must have, named under field.
func checkMember(m *Member, field string) []apperr.FieldViolation {
	var bad []apperr.FieldViolation
	for _, v := range memberViolations(m, 0) {
		bad = append(bad, apperr.FieldViolation{Field: field + "." + v.Field, Description: v.Description, Reason: v.Reason})
	}
	return bad
}

// fillPerson validates the 身份证号 and derives what it encodes.
func (s *Service) fillPerson(p *Person, today string) error {
	t, _ := bizdate.Parse(today)
	id, err := pii.ParseIDNumber(p.IDNumber, t)
	if err != nil {
		return err
	}
	p.IDNumber = pii.NormalizeIDNumber(p.IDNumber)
	if p.IDCipher, err = s.pii.Seal(p.IDNumber); err != nil {
		return fmt.Errorf("seal id number: %w", err)
	}
	p.IDIndex = s.pii.BlindIndex(p.IDNumber)
	p.IDMasked = pii.MaskIDNumber(p.IDNumber)
	p.BirthDate = id.Birth.Format(bizdate.Layout)
	p.Sex = SexFemale
	if id.Male {
		p.Sex = SexMale
	}
	return nil
}

func (s *Service) village(ctx context.Context, code, field string) (*Region, error) {
	r, err := s.store.Region(ctx, code)
	if errors.Is(err, ErrRegionNotFound) {
		r, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	if problem := checkVillage(code, r); problem != "" {
		return nil, apperr.Invalid(ReasonRegionUnknown, field, problem)
	}
	return r, nil
}

// checkVillage says what is wrong with registering a household in region code (r, nil when the code is
// not in the master data), or "" when it is a village or community of the county in use.
func checkVillage(code string, r *Region) string {
	if r == nil || r.Level != LevelVillage {
		return "not a village or community of the county: " + code
	}
	if r.ValidTo != "" {
		return "the region code " + code + " is no longer in use"
	}
	return ""
}

// Reveal fills in the plain 身份证号 of every member, for a caller allowed to read them.
func (s *Service) Reveal(h *Household) error {
	for i := range h.Members {
		p := &h.Members[i].Person
		if p.IDNumber != "" || len(p.IDCipher) == 0 {
			continue
		}
		n, err := s.pii.Open(p.IDCipher)
		if err != nil {
			return fmt.Errorf("open id number of %s: %w", h.Members[i].PersonID, err)
		}
		p.IDNumber = n
	}
	return nil
}

// GetHousehold returns a household the caller may see.
func (s *Service) GetHousehold(ctx context.Context, c Caller, id string) (*Household, error) {
	h, err := s.store.GetHousehold(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := c.check(h.RegionCode); err != nil {
		return nil, err
	}
	return h, nil
}

// MaxBatchGet is the most households BatchGetHouseholds reads at once (the API's limit too).
const MaxBatchGet = 1000

// BatchGetHouseholds returns the households with these IDs, in the same order (an ID may repeat), with
// members but without history. All or nothing, as GetHousehold for each: the first ID the register does
// not have is ErrHouseholdNotFound, the first outside the caller's scope ErrOutOfScope, each naming the
// household ("households/{id}") in its message and in Metadata["name"].
func (s *Service) BatchGetHouseholds(ctx context.Context, c Caller, ids []string) ([]*Household, error) {
	if len(ids) > MaxBatchGet {
		return nil, apperr.Invalid(ReasonInvalidField, "names",
			fmt.Sprintf("at most %d households at once; got %d", MaxBatchGet, len(ids)))
	}
	if len(ids) == 0 {
		return nil, nil
	}
	found, err := s.store.GetHouseholds(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*Household, len(ids))
	for i, id := range ids {
		h, ok := found[id]
		if !ok {
			return nil, naming(ErrHouseholdNotFound, id, "not found")
		}
		if err := c.check(h.RegionCode); err != nil {
			return nil, naming(ErrOutOfScope, id, "lies outside the caller's region scope")
		}
		out[i] = h
	}
	return out, nil
}

// naming is a copy of a sentinel refusal that names the household it concerns.
func naming(sentinel *apperr.Error, id, what string) *apperr.Error {
	e := *sentinel
	name := "households/" + id
	e.Message = name + " " + what
	e.Metadata = map[string]string{"name": name}
	return &e
}

// ListHouseholds lists a page of the households in the caller's scope.
func (s *Service) ListHouseholds(ctx context.Context, c Caller, filter, after string, limit int) ([]*Household, string, error) {
	return s.store.ListHouseholds(ctx, ListQuery{Scope: c.Scope, Filter: filter, After: after, Limit: limit})
}

// LookupHousehold finds the active household a person currently belongs to.
func (s *Service) LookupHousehold(ctx context.Context, c Caller, idNumber string) (*Household, error) {
	if _, err := pii.ParseIDNumber(idNumber, s.now()); err != nil {
		return nil, apperr.Invalid(ReasonIDNumberInvalid, "id_number", err.Error())
	}
	h, err := s.store.HouseholdOfPerson(ctx, s.pii.BlindIndex(pii.NormalizeIDNumber(idNumber)))
	if err != nil {
		return nil, err
	}
	if err := c.check(h.RegionCode); err != nil {
		// Say nothing about a household the caller may not see.
		return nil, ErrHouseholdNotFound
	}
	return h, nil
}

// PersonOfIDNumber finds the stable id of the person a 身份证号 names, for an auditor filtering the audit
// log by person (the log keeps ids, never numbers): any person the register ever held for a county-wide
// caller; for a caller with a region scope only a person of an active household in it. ErrPersonNotFound
// otherwise, saying nothing about a person outside the scope.
func (s *Service) PersonOfIDNumber(ctx context.Context, c Caller, idNumber string) (string, error) {
	if _, err := pii.ParseIDNumber(idNumber, s.now()); err != nil {
		return "", apperr.Invalid(ReasonIDNumberInvalid, "id_number", err.Error())
	}
	index := s.pii.BlindIndex(pii.NormalizeIDNumber(idNumber))
	if c.Scope == "" {
		return s.store.PersonOfIndex(ctx, index)
	}
	h, err := s.store.HouseholdOfPerson(ctx, index)
	if errors.Is(err, ErrHouseholdNotFound) {
		return "", ErrPersonNotFound
	}
	if err != nil {
		return "", err
	}
	if c.check(h.RegionCode) != nil {
		return "", ErrPersonNotFound
	}
	for _, m := range h.Members {
		if m.IDIndex == index {
			return m.PersonID, nil
		}
	}
	return "", ErrPersonNotFound
}

// change runs fn on an active household in scope whose etag matches (when one is given).
func (s *Service) change(ctx context.Context, c Caller, id, etag string, fn func(h *Household, today string) error) (*Household, error) {
	return s.store.UpdateHousehold(ctx, id, func(h *Household) error {
		if err := c.check(h.RegionCode); err != nil {
			return err
		}
		if etag != "" && etag != h.Etag() {
			return apperr.StaleEtag
		}
		if h.State == HouseholdArchived {
			return ErrArchived
		}
		now := s.now()
		if err := fn(h, bizdate.Today(now)); err != nil {
			return err
		}
		h.UpdateTime = now
		return nil
	})
}

// HouseholdPatch carries household-level fields for UpdateHousehold.
type HouseholdPatch struct {
	Address string
	Number  string
}

// UpdateHousehold changes the household-level fields named in paths.
func (s *Service) UpdateHousehold(ctx context.Context, c Caller, id, etag string, paths []string, p HouseholdPatch) (*Household, error) {
	for _, path := range paths {
		if path != "address" && path != "household_number" {
			return nil, apperr.Invalid(ReasonFieldNotUpdatable, "update_mask",
				fmt.Sprintf("%q cannot be updated here (allowed: address, household_number)", path))
		}
	}
	return s.change(ctx, c, id, etag, func(h *Household, _ string) error {
		if slices.Contains(paths, "address") {
			h.Address = p.Address
		}
		if slices.Contains(paths, "household_number") {
			h.Number = p.Number
		}
		return nil
	})
}

// AddMember adds a person to a household from m.StartDate (default today).
func (s *Service) AddMember(ctx context.Context, c Caller, id, etag string, m Member) (*Household, error) {
	if m.Relation == RelationHead {
		return nil, apperr.Invalid(ReasonHeadCount, "member.relation_to_head",
			"a household has one head; a new member cannot be the head")
	}
	if bad := checkMember(&m, "member"); len(bad) > 0 {
		return nil, apperr.InvalidFields(bad...)
	}
	if err := s.checkConflicts(ctx); err != nil {
		return nil, err
	}
	h, err := s.change(ctx, c, id, etag, func(h *Household, today string) error {
		if err := s.fillPerson(&m.Person, today); err != nil {
			return apperr.Invalid(ReasonIDNumberInvalid, "member.id_number", err.Error())
		}
		for _, old := range h.Members {
			if old.IDIndex == m.IDIndex && old.Current() {
				return apperr.Exists(ReasonPersonRepeated, "the person is already a member of this household")
			}
		}
		if m.StartDate == "" {
			m.StartDate = today
		} else if _, err := bizdate.Parse(m.StartDate); err != nil || m.StartDate > today {
			return apperr.Invalid(ReasonDateInvalid, "member.start_date", "must be a date not in the future")
		}
		m.PersonID = s.newID()
		m.State = MemberActive
		h.Members = append(h.Members, m)
		return nil
	})
	return h, disclosing(c, err)
}

// MemberPatch carries a member's changeable attributes for UpdateMember.
type MemberPatch struct {
	FullName      string
	Ethnicity     string
	Education     Education
	Health        Health
	LabourAbility LabourAbility
	Relation      Relation
}

// UpdateMember changes a current member's attributes named in paths. Identity never changes here.
func (s *Service) UpdateMember(ctx context.Context, c Caller, id, personID, etag string, paths []string, p MemberPatch) (*Household, error) {
	allowed := []string{"full_name", "ethnicity", "education", "health", "labour_ability", "relation_to_head"}
	for _, path := range paths {
		if !slices.Contains(allowed, path) {
			return nil, apperr.Invalid(ReasonFieldNotUpdatable, "update_mask",
				fmt.Sprintf("%q cannot be updated (allowed: full_name, ethnicity, education, health, labour_ability, relation_to_head)", path))
		}
	}
	return s.change(ctx, c, id, etag, func(h *Household, _ string) error {
		m := h.Member(personID)
		if m == nil {
			return ErrMemberNotFound
		}
		if !m.Current() {
			return refuseNotCurrent(h, m)
		}
		for _, path := range paths {
			switch path {
			case "full_name":
				name, err := pii.NormalizeName(p.FullName)
				if err != nil {
					return apperr.Invalid(ReasonPersonNameInvalid, "member.full_name", err.Error())
				}
				m.FullName = name
			case "ethnicity":
				m.Ethnicity = p.Ethnicity
			case "education":
				m.Education = p.Education
			case "health":
				m.Health = p.Health
			case "labour_ability":
				m.LabourAbility = p.LabourAbility
			case "relation_to_head":
				if p.Relation == RelationHead || m.Relation == RelationHead {
					return apperr.Invalid(ReasonHeadCount, "member.relation_to_head",
						"the head changes only when the head dies or moves out (new_head)")
				}
				m.Relation = p.Relation
			}
		}
		return nil
	})
}

func refuseNotCurrent(h *Household, m *Member) error {
	return apperr.Refused(ReasonMemberNotCurrent, apperr.Violation{Type: "MEMBER_NOT_CURRENT",
		Subject: "households/" + h.ID + "/members/" + m.PersonID, Description: "the membership ended on " + m.EndDate})
}

// Departure is a member leaving a household: death (死亡) or moving out (迁出).
type Departure struct {
	PersonID string
	Date     string
	State    MemberState // MemberDeceased or MemberMovedOut
	Reason   string
	// NewHead is the person who becomes head when the head leaves and others remain.
	NewHead string
}

// RecordDeparture ends a membership on the given date. When the last member leaves, the household is
// archived; when the head leaves, NewHead becomes head.
func (s *Service) RecordDeparture(ctx context.Context, c Caller, id, etag string, d Departure) (*Household, error) {
	return s.change(ctx, c, id, etag, func(h *Household, today string) error {
		if _, err := bizdate.Parse(d.Date); err != nil || d.Date > today {
			return apperr.Invalid(ReasonDateInvalid, dateField(d.State), "must be a date not in the future")
		}
		m := h.Member(d.PersonID)
		if m == nil {
			return ErrMemberNotFound
		}
		if !m.Current() {
			return refuseNotCurrent(h, m)
		}
		if d.Date < m.StartDate {
			return apperr.Invalid(ReasonDateInvalid, dateField(d.State), "is before the membership began ("+m.StartDate+")")
		}
		wasHead := m.Relation == RelationHead
		m.State, m.EndDate, m.EndReason = d.State, d.Date, d.Reason
		if h.Size() == 0 {
			h.State = HouseholdArchived
			h.ArchiveReason = "no current members 无在户成员"
			return nil
		}
		if !wasHead {
			return nil
		}
		next := h.Member(d.NewHead)
		if d.NewHead == "" || next == nil || !next.Current() {
			return apperr.Refused(ReasonNewHeadRequired, apperr.Violation{Type: "NEW_HEAD_REQUIRED",
				Subject: "households/" + h.ID, Description: "the head is leaving: new_head must name a current member"})
		}
		next.Relation = RelationHead
		return nil
	})
}

func dateField(st MemberState) string {
	if st == MemberDeceased {
		return "date_of_death"
	}
	return "effective_date"
}

// MoveHousehold records the whole household moving to another village of the county. The caller's
// scope must cover both the old and the new village.
func (s *Service) MoveHousehold(ctx context.Context, c Caller, id, etag, regionCode, address, date string) (*Household, error) {
	if err := c.check(regionCode); err != nil {
		return nil, err
	}
	region, err := s.village(ctx, regionCode, "region_code")
	if err != nil {
		return nil, err
	}
	return s.change(ctx, c, id, etag, func(h *Household, today string) error {
		if _, err := bizdate.Parse(date); err != nil || date > today {
			return apperr.Invalid(ReasonDateInvalid, "effective_date", "must be a date not in the future")
		}
		h.RegionCode, h.Address, h.Urban = regionCode, address, region.Urban
		return nil
	})
}

// SetRegistryStatus records a registry status change with its effective date.
func (s *Service) SetRegistryStatus(ctx context.Context, c Caller, id, etag string, status RegistryStatus, date, reason string) (*Household, error) {
	return s.change(ctx, c, id, etag, func(h *Household, today string) error {
		t, err := bizdate.Parse(date)
		if err != nil || date > today {
			return apperr.Invalid(ReasonDateInvalid, "effective_date", "must be a date not in the future")
		}
		if n := len(h.History); n > 0 && date < h.History[n-1].EffectiveDate {
			return apperr.Invalid(ReasonDateInvalid, "effective_date",
				"is before the latest recorded change ("+h.History[n-1].EffectiveDate+")")
		}
		h.Status.Registry, h.Status.RegistryDate = status, date
		h.Status.ExitYear = 0
		if status == RegistryExited {
			h.Status.ExitYear = t.Year()
		}
		h.History = append(h.History, StatusChange{EffectiveDate: date, Registry: status,
			MonitoringType: h.Status.MonitoringType, MonitoringStatus: h.Status.MonitoringStatus,
			Reason: reason, Actor: c.Actor, RecordTime: s.now()})
		return nil
	})
}

// ArchiveHousehold closes a household. Its members' memberships stay in its history but no longer hold
// them: each may join another household.
func (s *Service) ArchiveHousehold(ctx context.Context, c Caller, id, etag, reason string) (*Household, error) {
	return s.change(ctx, c, id, etag, func(h *Household, _ string) error {
		h.State = HouseholdArchived
		h.ArchiveReason = reason
		return nil
	})
}

// Region returns one region.
func (s *Service) Region(ctx context.Context, code string) (*Region, error) {
	return s.store.Region(ctx, code)
}

// ListRegions lists regions under parent in code order.
func (s *Service) ListRegions(ctx context.Context, parent, after string, limit int) ([]*Region, error) {
	return s.store.ListRegions(ctx, parent, after, limit)
}
