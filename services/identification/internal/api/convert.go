package api

import (
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/pii"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func fromMembers(in []*identificationv1.Member) []domain.Member {
	out := make([]domain.Member, len(in))
	for i, m := range in {
		out[i] = fromMember(m)
	}
	return out
}

func fromMember(m *identificationv1.Member) domain.Member {
	return domain.Member{
		Person: domain.Person{
			FullName: m.GetFullName(), IDNumber: m.GetIdNumber(), Ethnicity: m.GetEthnicity(),
			Education: domain.Education(m.GetEducation()), Health: domain.Health(m.GetHealth()),
			LabourAbility: domain.LabourAbility(m.GetLabourAbility()),
		},
		Relation:  domain.Relation(m.GetRelationToHead()),
		StartDate: m.GetStartDate(),
	}
}

// view says what a caller sees of a household's members: the disclosure of their identity
// (pii.ViewPerson: plain 身份证号 and birth dates with plain access, after Reveal; birth dates for services;
// else the masked view), on which business day, and blind indexes (other fupin services, which match
// persons across departments by them).
type view struct {
	disclosure pii.Disclosure
	today      time.Time
	blindIndex bool
}

func viewOf(c *auth.Caller, now time.Time) view {
	return view{disclosure: c.Disclosure(), today: now, blindIndex: c.Role == commonv1.Role_ROLE_SERVICE}
}

// toHousehold converts for the wire, each member's identity as v allows.
func toHousehold(h *domain.Household, v view) *identificationv1.Household {
	name := "households/" + h.ID
	out := &identificationv1.Household{
		Name: name, RegionCode: h.RegionCode, Address: h.Address, HouseholdNumber: h.Number,
		RegistryStatus:     identificationv1.RegistryStatus(h.Status.Registry),
		RegistryStatusDate: h.Status.RegistryDate, ExitYear: int32(h.Status.ExitYear),
		MonitoringType:   identificationv1.MonitoringType(h.Status.MonitoringType),
		MonitoringStatus: identificationv1.MonitoringStatus(h.Status.MonitoringStatus),
		MonitoringDate:   h.Status.MonitoringDate,
		State:            identificationv1.HouseholdState(h.State), ArchiveReason: h.ArchiveReason,
		Urban: h.Urban, Size: int32(h.Size()), Etag: h.Etag(), RegistrationDate: h.Registered,
		CreateTime: timestamppb.New(h.CreateTime), UpdateTime: timestamppb.New(h.UpdateTime),
	}
	for i := range h.Members {
		m := &h.Members[i]
		id := m.IDMasked
		if m.IDNumber != "" {
			id = m.IDNumber
		}
		person := pii.ViewPerson(id, m.BirthDate, v.disclosure, v.today)
		index := ""
		if v.blindIndex {
			index = m.IDIndex
		}
		out.Members = append(out.Members, &identificationv1.Member{
			Name: name + "/members/" + m.PersonID, PersonId: m.PersonID, FullName: m.FullName, IdNumber: person.IDNumber,
			Sex: identificationv1.Sex(m.Sex), BirthDate: person.BirthDate, BirthYear: int32(person.BirthYear),
			RelationToHead: identificationv1.Relation(m.Relation), Ethnicity: m.Ethnicity,
			Education: identificationv1.Education(m.Education), Health: identificationv1.Health(m.Health),
			LabourAbility: identificationv1.LabourAbility(m.LabourAbility), State: identificationv1.MemberState(m.State),
			StartDate: m.StartDate, EndDate: m.EndDate, IdIndex: index,
		})
	}
	for _, c := range h.History {
		out.StatusHistory = append(out.StatusHistory, &identificationv1.StatusChange{
			EffectiveDate: c.EffectiveDate, RegistryStatus: identificationv1.RegistryStatus(c.Registry),
			MonitoringType:   identificationv1.MonitoringType(c.MonitoringType),
			MonitoringStatus: identificationv1.MonitoringStatus(c.MonitoringStatus),
			Reason:           c.Reason, Actor: c.Actor, RecordTime: timestamppb.New(c.RecordTime),
		})
	}
	return out
}

func toRegion(r *domain.Region) *identificationv1.Region {
	out := &identificationv1.Region{
		Name: "regions/" + r.Code, Code: r.Code, DisplayName: r.Name, Level: identificationv1.RegionLevel(r.Level),
		Urban: r.Urban, ParentCode: r.Parent, ValidFrom: r.ValidFrom, ValidTo: r.ValidTo,
	}
	for _, p := range r.Populations {
		out.Populations = append(out.Populations, &identificationv1.Population{Year: int32(p.Year), Residents: p.Residents})
	}
	return out
}
