package subsidies_test

import (
	"slices"
	"strings"
	"testing"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	payrollv1 "fupin.dev/proto/gen/fupin/payroll/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/structpb"
)

// TestMaskedViewsLeaveAThousandCandidates is the test of docs/MASKING.md: it registers persons at the edges
// (a baby born on 2 January of this year, one born last New Year's Eve, two born on 29 February, the very
// old), calls every method of identification and subsidies that returns something about a person, as
// callers without plain access (a township officer, county staff without a purpose), collects everything
// the responses say about each person's 身份证号 (masked numbers, masked certificate numbers, birth dates,
// years, ages, sex, wherever they appear: in messages, step data, inputs), and counts with pii.CountCandidates
// the numbers that remain possible given the county's region code. Every person must keep at least 1,000.
func TestMaskedViewsLeaveAThousandCandidates(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		clock := &countyClock{}
		clock.On("2025-03-10")
		c := startCounty(t, d, countyOptions{Now: clock.Now})
		seen := observations{}
		see := func(m proto.Message, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			seen.collect(t, m)
		}
		households := identificationv1.NewHouseholdServiceClient(c.Register)
		township := c.As(t, "rural_revitalization", "township_officer", "990001001")
		admin := c.RegisterAdmin(t) // no purpose: masked
		member := func(name, birth string, seq int, rel identificationv1.Relation) *identificationv1.Member {
			return &identificationv1.Member{FullName: name, IdNumber: IDNumber(birth, seq), RelationToHead: rel}
		}
		create := func(members ...*identificationv1.Member) *identificationv1.Household {
			t.Helper()
			h, err := households.CreateHousehold(township, &identificationv1.CreateHouseholdRequest{Household: &identificationv1.Household{
				RegionCode: village1, Address: "一组", Members: members}})
			see(h, err)
			return h
		}

		// The register, as the township officer who keeps it.
		a := create(member("王大山", "19650304", 1, identificationv1.Relation_RELATION_HEAD),
			member("李秀英", "19960229", 2, identificationv1.Relation_RELATION_SPOUSE),
			member("王小山", "20230615", 3, identificationv1.Relation_RELATION_SON))
		b := create(member("赵老", "19300101", 5, identificationv1.Relation_RELATION_HEAD),
			member("赵闰", "20000229", 6, identificationv1.Relation_RELATION_DAUGHTER))
		cc := create(member("孙一", "19701231", 7, identificationv1.Relation_RELATION_HEAD),
			member("孙二", "19720101", 8, identificationv1.Relation_RELATION_SPOUSE),
			member("孙三", "19991010", 9, identificationv1.Relation_RELATION_SON))
		dd := create(member("钱独", "19551111", 10, identificationv1.Relation_RELATION_HEAD))
		a, err := households.AddMember(township, &identificationv1.AddMemberRequest{Parent: a.GetName(),
			Member: member("王小妹", "20250102", 11, identificationv1.Relation_RELATION_DAUGHTER)})
		see(a, err)
		a, err = households.AddMember(township, &identificationv1.AddMemberRequest{Parent: a.GetName(),
			Member: member("王小弟", "20241231", 12, identificationv1.Relation_RELATION_SON)})
		see(a, err)
		newborn := a.GetMembers()[3]
		see(households.UpdateMember(township, &identificationv1.UpdateMemberRequest{Member: &identificationv1.Member{
			Name: newborn.GetName(), FullName: "王小梅"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"full_name"}}}))
		see(households.UpdateHousehold(township, &identificationv1.UpdateHouseholdRequest{Household: &identificationv1.Household{
			Name: a.GetName(), Address: "一组2号"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"address"}}}))
		see(households.GetHousehold(township, &identificationv1.GetHouseholdRequest{Name: a.GetName()}))
		see(households.BatchGetHouseholds(township, &identificationv1.BatchGetHouseholdsRequest{Names: []string{a.GetName(), b.GetName()}}))
		see(households.ListHouseholds(township, &identificationv1.ListHouseholdsRequest{PageSize: 100}))
		see(households.LookupHousehold(township, &identificationv1.LookupHouseholdRequest{IdNumber: IDNumber("20000229", 6)}))
		see(households.RecordDeath(township, &identificationv1.RecordDeathRequest{Name: cc.GetMembers()[2].GetName(), DateOfDeath: "2025-03-10"}))
		see(households.RecordMoveOut(township, &identificationv1.RecordMoveOutRequest{Name: cc.GetMembers()[1].GetName(),
			EffectiveDate: "2025-03-10", Destination: "外省"}))
		see(households.MoveHousehold(admin, &identificationv1.MoveHouseholdRequest{Name: cc.GetName(), RegionCode: "990001001002",
			Address: "西街", EffectiveDate: "2025-03-10"}))
		see(households.SetRegistryStatus(admin, &identificationv1.SetRegistryStatusRequest{Name: a.GetName(),
			RegistryStatus: identificationv1.RegistryStatus_REGISTRY_STATUS_POOR, EffectiveDate: "2025-03-10", Reason: "识别"}))
		see(households.ArchiveHousehold(admin, &identificationv1.ArchiveHouseholdRequest{Name: dd.GetName(), Reason: "合户"}))
		see(identificationv1.NewTrailServiceClient(c.Register).GetHouseholdTrail(township,
			&identificationv1.GetHouseholdTrailRequest{Name: a.GetName() + "/trail"}))
		// The register export is for services only (they receive birth dates and blind indexes to match
		// persons): a person is refused before anything is sent.
		export, err := identificationv1.NewRegisterExportServiceClient(c.Register).ExportRegister(admin, &identificationv1.ExportRegisterRequest{})
		if err == nil {
			_, err = export.Recv()
		}
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("a person exporting the register: %v, want PERMISSION_DENIED", err)
		}

		// 残联: a certificate of the daughter born on 29 February, and her care subsidy.
		fed := c.Federation(t)
		certs := subsidiesv1.NewCertificateServiceClient(c.Conn)
		cert, err := certs.RegisterCertificate(fed, &subsidiesv1.RegisterCertificateRequest{Number: IDNumber("20000229", 6) + "41",
			IssueDate: "2020-05-01"})
		see(cert, err)
		see(certs.GetCertificate(fed, &subsidiesv1.GetCertificateRequest{Name: cert.GetName()}))
		see(certs.ListCertificates(c.As(t, "disabled_persons_federation", "township_officer", "990001001"), &subsidiesv1.ListCertificatesRequest{}))
		subs := subsidiesv1.NewDisabilitySubsidyServiceClient(c.Conn)
		care, err := subs.CreateDisabilitySubsidy(fed, &subsidiesv1.CreateDisabilitySubsidyRequest{
			Kind: subsidiesv1.DisabilitySubsidyKind_DISABILITY_SUBSIDY_KIND_CARE, Certificate: cert.GetName()})
		see(care, err)
		see(subs.CheckDisabilitySubsidy(c.As(t, "disabled_persons_federation", "township_officer", "990001001"),
			&subsidiesv1.CheckDisabilitySubsidyRequest{Name: care.GetName(), Approved: true}))
		see(subs.ReviewDisabilitySubsidy(fed, &subsidiesv1.ReviewDisabilitySubsidyRequest{Name: care.GetName(), Approved: true}))
		see(subs.ListDisabilitySubsidies(fed, &subsidiesv1.ListDisabilitySubsidiesRequest{}))

		// 民政: 低保 for household A (every member covered, the amount's step data list them), 特困 for the
		// oldest.
		ca := c.CivilAffairs(t)
		dibao := subsidiesv1.NewDibaoServiceClient(c.Conn)
		k, err := dibao.CreateDibaoCase(ca, &subsidiesv1.CreateDibaoCaseRequest{Household: a.GetName()})
		see(k, err)
		see(dibao.RecordDibaoSurvey(ca, &subsidiesv1.RecordDibaoSurveyRequest{Name: k.GetName(), Team: []string{"张", "李"},
			Income: &subsidiesv1.DibaoIncome{Source: &subsidiesv1.DibaoIncome_Items{Items: &subsidiesv1.DibaoIncomeItems{}}}}))
		see(dibao.RecordDibaoVillageReview(ca, &subsidiesv1.RecordDibaoVillageReviewRequest{Name: k.GetName(),
			RegisteredRepresentatives: 30, Present: 21, VotesFor: 18}))
		see(dibao.StartDibaoPosting(ca, &subsidiesv1.StartDibaoPostingRequest{Name: k.GetName()}))
		clock.On("2025-03-17")
		see(dibao.CompleteDibaoPosting(ca, &subsidiesv1.CompleteDibaoPostingRequest{Name: k.GetName()}))
		see(dibao.RecordDibaoTownshipReview(ca, &subsidiesv1.RecordDibaoTownshipReviewRequest{Name: k.GetName(), Approved: true}))
		k, err = dibao.DecideDibaoCase(ca, &subsidiesv1.DecideDibaoCaseRequest{Name: k.GetName(),
			Outcome: subsidiesv1.ReliefCaseOutcome_RELIEF_CASE_OUTCOME_APPROVED})
		see(k, err)
		see(dibao.GetDibaoCase(c.As(t, "civil_affairs", "township_officer", "990001001"), &subsidiesv1.GetDibaoCaseRequest{Name: k.GetName()}))
		see(dibao.ListDibaoCases(ca, &subsidiesv1.ListDibaoCasesRequest{}))
		see(dibao.GetDibaoCoverage(ca, &subsidiesv1.GetDibaoCoverageRequest{Name: k.GetCoverage()}))
		see(dibao.ListEligibilityChecks(ca, &subsidiesv1.ListEligibilityChecksRequest{}))
		destitute := subsidiesv1.NewDestituteServiceClient(c.Conn)
		tk, err := destitute.CreateDestituteCase(ca, &subsidiesv1.CreateDestituteCaseRequest{Person: b.GetMembers()[0].GetName()})
		see(tk, err)
		see(destitute.RecordDestituteSurvey(ca, &subsidiesv1.RecordDestituteSurveyRequest{Name: tk.GetName(), NoIncomeSource: true,
			NoAbleSupporter: true}))
		see(destitute.RecordDestituteTownshipReview(ca, &subsidiesv1.RecordDestituteTownshipReviewRequest{Name: tk.GetName(), Approved: true}))
		see(destitute.DecideDestituteCase(ca, &subsidiesv1.DecideDestituteCaseRequest{Name: tk.GetName(),
			Outcome: subsidiesv1.ReliefCaseOutcome_RELIEF_CASE_OUTCOME_APPROVED}))
		see(destitute.GetDestituteCase(ca, &subsidiesv1.GetDestituteCaseRequest{Name: tk.GetName()}))
		see(destitute.ListDestituteCases(ca, &subsidiesv1.ListDestituteCasesRequest{}))
		assistance := subsidiesv1.NewTemporaryAssistanceServiceClient(c.Conn)
		ta, err := assistance.CreateTemporaryAssistance(ca, &subsidiesv1.CreateTemporaryAssistanceRequest{TemporaryAssistance: &subsidiesv1.TemporaryAssistance{
			Household: b.GetName(), Kind: subsidiesv1.TemporaryAssistanceKind_TEMPORARY_ASSISTANCE_KIND_EMERGENCY, AmountFen: 50_000, Reason: "火灾"}})
		see(ta, err)
		see(assistance.GetTemporaryAssistance(ca, &subsidiesv1.GetTemporaryAssistanceRequest{Name: ta.GetName()}))
		comparisons := subsidiesv1.NewComparisonServiceClient(c.Conn)
		run, err := comparisons.RunComparison(ca, &subsidiesv1.RunComparisonRequest{})
		see(run, err)
		see(comparisons.ListMismatches(ca, &subsidiesv1.ListMismatchesRequest{Parent: run.GetName()}))
		rolls := subsidiesv1.NewPaymentRollServiceClient(c.Conn)
		roll, err := rolls.ComputeRoll(ca, &subsidiesv1.ComputeRollRequest{Program: payrollv1.Program_PROGRAM_DIBAO, Month: "2025-03"})
		see(roll, err)
		see(rolls.ListRollLines(ca, &subsidiesv1.ListRollLinesRequest{Parent: roll.GetName()}))

		// Every person registered was seen, and keeps at least 1,000 candidate numbers.
		facts := pii.PublicFacts{Regions: []string{"990001"}, Today: clock.Now()}
		var counts []int
		for _, h := range []*identificationv1.Household{a, b, cc, dd} {
			for _, m := range h.GetMembers() {
				o, ok := seen[m.GetPersonId()]
				if !ok || len(o.IDNumbers) == 0 {
					t.Errorf("%s: no masked number seen", m.GetName())
					continue
				}
				n, err := pii.CountCandidates(*o, facts)
				if err != nil {
					t.Fatal(err)
				}
				if n < 1000 {
					t.Errorf("%s %s: %d candidate numbers from %+v", m.GetFullName(), m.GetName(), n, *o)
				}
				counts = append(counts, n)
			}
		}
		slices.Sort(counts)
		t.Logf("%d persons: %d to %d candidate numbers each", len(counts), counts[0], counts[len(counts)-1])
	})
}

// observations are, per person id, what the responses said about the person's 身份证号.
type observations map[string]*pii.Observed

func (s observations) of(person string) *pii.Observed {
	o, ok := s[person]
	if !ok {
		o = &pii.Observed{}
		s[person] = o
	}
	return o
}

// collect walks a response and everything in it.
func (s observations) collect(t *testing.T, m proto.Message) {
	t.Helper()
	s.message(t, m.ProtoReflect(), "")
}

// message collects one message's facts for the person it is about: its person_id, its person or holder
// ("households/{h}/members/{p}"), else the person of the message it is in.
func (s observations) message(t *testing.T, m protoreflect.Message, person string) {
	t.Helper()
	fields := m.Descriptor().Fields()
	for _, name := range []protoreflect.Name{"person", "holder", "person_id"} {
		if f := fields.ByName(name); f != nil && f.Kind() == protoreflect.StringKind && !f.IsList() {
			if v := m.Get(f).String(); v != "" {
				person = v[strings.LastIndex(v, "/")+1:]
			}
		}
	}
	if f := fields.ByName("birth_year"); f != nil && person != "" {
		s.fact(t, person, "birth_year", float64(m.Get(f).Int()))
	}
	if st, ok := m.Interface().(*structpb.Struct); ok {
		s.structFacts(t, st, person)
		return
	}
	m.Range(func(f protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case f.IsMap():
			v.Map().Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
				if f.MapValue().Kind() == protoreflect.MessageKind {
					s.message(t, v.Message(), person)
				} else if k.String() == "age" || k.String() == "birth_date" {
					t.Errorf("%s %s = %v in %s, to a caller without plain access", f.Name(), k, v, m.Descriptor().FullName())
				}
				return true
			})
		case f.IsList() && f.Kind() == protoreflect.MessageKind:
			for i := range v.List().Len() {
				s.message(t, v.List().Get(i).Message(), person)
			}
		case f.Kind() == protoreflect.MessageKind:
			s.message(t, v.Message(), person)
		case f.Kind() == protoreflect.EnumKind && f.Name() == "sex" && person != "":
			s.fact(t, person, "sex", float64(v.Enum()))
		case f.Kind() == protoreflect.StringKind && !f.IsList():
			s.fact(t, person, string(f.Name()), v.String())
		}
		return true
	})
}

// structFacts collects the facts of step data, by the same field names.
func (s observations) structFacts(t *testing.T, st *structpb.Struct, person string) {
	t.Helper()
	if p := st.GetFields()["person_id"].GetStringValue(); p != "" {
		person = p
	}
	for k, v := range st.GetFields() {
		switch x := v.GetKind().(type) {
		case *structpb.Value_StructValue:
			s.structFacts(t, x.StructValue, person)
		case *structpb.Value_ListValue:
			for _, e := range x.ListValue.GetValues() {
				if e.GetStructValue() != nil {
					s.structFacts(t, e.GetStructValue(), person)
				}
			}
		case *structpb.Value_NumberValue:
			s.fact(t, person, k, x.NumberValue)
		case *structpb.Value_StringValue:
			s.fact(t, person, k, x.StringValue)
		}
	}
}

// fact records one field about a person's number: the number or a certificate number, the birth date or
// year, the sex; an age is never shown to these callers.
func (s observations) fact(t *testing.T, person, field string, v any) {
	t.Helper()
	str, _ := v.(string)
	num, _ := v.(float64)
	switch field {
	case "id_number", "number":
		if len(str) == pii.IDNumberLength || len(str) == pii.CertificateLength {
			if person == "" {
				t.Errorf("a number %q of nobody in particular", str)
				return
			}
			s.of(person).IDNumbers = append(s.of(person).IDNumbers, str[:pii.IDNumberLength])
		}
	case "birth_date":
		if str != "" {
			if person == "" {
				t.Errorf("a birth date of nobody in particular")
				return
			}
			s.of(person).BirthDate = str
		}
	case "birth_year":
		if num == 0 {
			s.of(person).YearWithheld = true
		} else {
			s.of(person).BirthYear = int(num)
		}
	case "sex":
		switch identificationv1.Sex(num) {
		case identificationv1.Sex_SEX_MALE:
			s.of(person).Sex = pii.SexMale
		case identificationv1.Sex_SEX_FEMALE:
			s.of(person).Sex = pii.SexFemale
		}
	case "age":
		t.Errorf("an age (%v) of %s, to a caller without plain access", v, person)
	}
}
