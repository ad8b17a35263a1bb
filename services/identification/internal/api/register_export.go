package api

import (
	"context"
	"fmt"
	"strings"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/pii"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// RegisterExport serves fupin.identification.v1.RegisterExportService.
type RegisterExport struct {
	identificationv1.UnimplementedRegisterExportServiceServer
	export *domain.RegisterExport
	audit  *audit.Log
	now    func() time.Time
}

var _ identificationv1.RegisterExportServiceServer = (*RegisterExport)(nil)

// NewRegisterExport returns the export handler. The platform audits unary reads itself; a stream's
// result is known only at its end, so the handler writes the cross-department read's audit row (one per
// call, with the number of households sent) through log.
func NewRegisterExport(export *domain.RegisterExport, log *audit.Log, now func() time.Time) *RegisterExport {
	return &RegisterExport{export: export, audit: log, now: now}
}

// ExportRegister streams the register in batches.
func (s *RegisterExport) ExportRegister(req *identificationv1.ExportRegisterRequest,
	stream grpc.ServerStreamingServer[identificationv1.ExportRegisterResponse]) error {
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	c, ac := caller(ctx)
	statuses := make([]domain.RegistryStatus, len(req.GetRegistryStatuses()))
	for i, st := range req.GetRegistryStatuses() {
		statuses[i] = domain.RegistryStatus(st)
	}
	// The database read and the sending run side by side: the reading goroutine only scans rows, while
	// this one converts, marshals and writes the previous batch (on another core), so the two costs
	// overlap instead of adding up. A failed send cancels the read.
	disclosure, today := ac.Disclosure(), s.now()
	type batch struct {
		position int64
		hs       []domain.ExportedHousehold
	}
	batches := make(chan batch, 2)
	sent := make(chan error, 1)
	go func() {
		var err error
		for b := range batches {
			if err == nil {
				if err = stream.Send(&identificationv1.ExportRegisterResponse{FeedSequence: b.position,
					Households: toExportedHouseholds(b.hs, disclosure, today)}); err != nil {
					cancel()
				}
			}
		}
		sent <- err
	}()
	opts := domain.ExportOptions{IncludeMemberships: req.GetIncludeMemberships(), HistoryFrom: req.GetHistoryFrom(),
		HistoryTo: req.GetHistoryTo()}
	n, err := s.export.Export(ctx, c, req.GetRegionCode(), statuses, int(req.GetBatchSize()), opts,
		func(position int64, hs []domain.ExportedHousehold) error {
			select {
			case batches <- batch{position, hs}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	close(batches)
	if serr := <-sent; serr != nil {
		err = serr
	}
	s.auditExport(stream, ac, exportFilter(req), n, err)
	return err
}

// auditExport records the read when it crossed departments or was made for a person, as the platform
// does for unary reads (the export never carries plain personal data).
func (s *RegisterExport) auditExport(stream grpc.ServerStream, c *auth.Caller, filter string, n int, err error) {
	if c.Department == commonv1.Department_DEPARTMENT_RURAL_REVITALIZATION && c.OnBehalfOf == nil {
		return
	}
	r := audit.ByCaller(stream.Context(), c, s.now(), audit.KindRead, identificationv1.RegisterExportService_ExportRegister_FullMethodName,
		"households", n)
	r.Filter = filter
	if err != nil {
		r.Code = status.Code(err).String()
	}
	s.audit.Enqueue(r)
}

// exportFilter writes what an export asked for as the audit log shows a List's filter.
func exportFilter(req *identificationv1.ExportRegisterRequest) string {
	var terms []string
	if req.GetRegionCode() != "" {
		terms = append(terms, fmt.Sprintf("region_code:%q", req.GetRegionCode()))
	}
	if sts := req.GetRegistryStatuses(); len(sts) > 0 {
		names := make([]string, len(sts))
		for i, st := range sts {
			names[i] = st.String()
		}
		terms = append(terms, "registry_status in ["+strings.Join(names, ", ")+"]")
	}
	return strings.Join(terms, " AND ")
}

// toExportedHouseholds converts a batch, each member's birth as pii.ViewPerson allows the caller (the date
// for services, the year for people).
func toExportedHouseholds(hs []domain.ExportedHousehold, d pii.Disclosure, today time.Time) []*identificationv1.ExportedHousehold {
	out := make([]*identificationv1.ExportedHousehold, len(hs))
	// One allocation for every member of the batch instead of one per member.
	n := 0
	for i := range hs {
		n += len(hs[i].Members)
	}
	members := make([]identificationv1.ExportedMember, n)
	k := 0
	for i := range hs {
		h := &hs[i]
		e := &identificationv1.ExportedHousehold{Household: "households/" + h.ID, RegionCode: h.RegionCode, Urban: h.Urban,
			RegistryStatus:   identificationv1.RegistryStatus(h.Registry),
			MonitoringType:   identificationv1.MonitoringType(h.MonitoringType),
			MonitoringStatus: identificationv1.MonitoringStatus(h.MonitoringStatus), Size: int32(h.Size),
			Members: make([]*identificationv1.ExportedMember, len(h.Members))}
		for j, m := range h.Members {
			pm := &members[k]
			k++
			birth := pii.ViewPerson("", m.BirthDate, d, today)
			pm.PersonId, pm.IdIndex, pm.RelationToHead, pm.BirthDate, pm.BirthYear = m.PersonID, m.IDIndex,
				identificationv1.Relation(m.Relation), birth.BirthDate, int32(birth.BirthYear)
			dated(pm, &m)
			e.Members[j] = pm
		}
		if len(h.Ended) > 0 {
			e.EndedMembers = make([]*identificationv1.ExportedMember, len(h.Ended))
			for j, m := range h.Ended {
				birth := pii.ViewPerson("", m.BirthDate, d, today)
				pm := &identificationv1.ExportedMember{PersonId: m.PersonID, IdIndex: m.IDIndex,
					RelationToHead: identificationv1.Relation(m.Relation), BirthDate: birth.BirthDate, BirthYear: int32(birth.BirthYear)}
				dated(pm, &m)
				e.EndedMembers[j] = pm
			}
		}
		if h.CreateDate != "" {
			e.CreateDate = h.CreateDate
		}
		for _, st := range h.History {
			e.StatusHistory = append(e.StatusHistory, &identificationv1.StatusChange{EffectiveDate: st.EffectiveDate,
				RegistryStatus:   identificationv1.RegistryStatus(st.Registry),
				MonitoringType:   identificationv1.MonitoringType(st.MonitoringType),
				MonitoringStatus: identificationv1.MonitoringStatus(st.MonitoringStatus), Reason: st.Reason, Actor: st.Actor,
				RecordTime: timestamppb.New(st.RecordTime)})
		}
		out[i] = e
	}
	return out
}

// dated fills a member's dated membership and person details, when the export asked for them (State is
// set only then).
func dated(pm *identificationv1.ExportedMember, m *domain.ExportedMember) {
	if m.State == domain.MemberStateUnspecified {
		return
	}
	pm.StartDate, pm.EndDate, pm.EndNote = m.StartDate, m.EndDate, m.EndReason
	pm.LabourAbility, pm.Health = identificationv1.LabourAbility(m.LabourAbility), identificationv1.Health(m.Health)
	if len(m.BirthDate) >= 7 && pm.BirthDate != "" {
		pm.BirthMonth = m.BirthDate[:7]
	}
	switch {
	case m.State == domain.MemberDeceased:
		pm.EndReason = identificationv1.MembershipEndReason_MEMBERSHIP_END_REASON_DEATH
	case m.State == domain.MemberMovedOut:
		pm.EndReason = identificationv1.MembershipEndReason_MEMBERSHIP_END_REASON_MOVE_OUT
	case m.EndDate != "":
		pm.EndReason = identificationv1.MembershipEndReason_MEMBERSHIP_END_REASON_OTHER
	}
}
