package devstack

import (
	"context"
	"log/slog"
	"strings"
	"time"

	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	"fupin.dev/services/employment"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/discovery"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// demoWorkshops are the demo county's 就业帮扶车间, registered through the employment service's API as 人社's
// staff would (a made-up county code in every credit code, so none can be a real organisation's). Their
// recognition waits for the ledger's spells, which 人社's quarterly file brings.
var demoWorkshops = []*employmentv1.Workshop{
	{DisplayName: "潘家台村服装加工车间", CreditCode: "92990001MA0000101C", RegionCode: "990001002001", Address: "村委会旁厂房",
		Kind: employmentv1.WorkshopKind_WORKSHOP_KIND_FACTORY},
	{DisplayName: "蒋家冲村手工编织车间", CreditCode: "92990001MA0000102F", RegionCode: "990001002002", Address: "各户居家",
		Kind: employmentv1.WorkshopKind_WORKSHOP_KIND_HOME_BASED},
	{DisplayName: "赵家坪村食用菌种植车间", CreditCode: "92990001MA0000103J", RegionCode: "990001002003", Address: "三组大棚",
		Kind: employmentv1.WorkshopKind_WORKSHOP_KIND_FARMING},
}

// seedDemoWorkshops registers the demo workshops when the employment service holds none yet. It never
// fails the stack: a refusal is logged.
func (s *Stack) seedDemoWorkshops(ctx context.Context, logger *slog.Logger) {
	logger = logger.With("component", "demo-workshops")
	conn, err := discovery.Dial(s.Etcd, employment.Name, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		logger.Warn("demo workshops not registered", "err", err)
		return
	}
	defer conn.Close()
	tok, err := s.Token("dev:demo-human-resources-department-staff", "human_resources", "department_staff", "", demoTokenTTL)
	if err != nil {
		logger.Warn("demo workshops not registered", "err", err)
		return
	}
	staff := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
	ws := employmentv1.NewWorkshopServiceClient(conn)
	existing, err := call(staff, ws.ListWorkshops, &employmentv1.ListWorkshopsRequest{PageSize: 1})
	if err != nil || len(existing.GetWorkshops()) > 0 {
		if err != nil {
			logger.Warn("demo workshops not registered: cannot list workshops", "err", err)
		}
		return
	}
	registered := bizdate.Today(time.Now().AddDate(0, -8, 0))
	n := 0
	for _, w := range demoWorkshops {
		w.RegisteredOn = registered
		if _, err := call(staff, ws.CreateWorkshop, &employmentv1.CreateWorkshopRequest{Workshop: w,
			RequestId: demoRequestIDPrefix + "workshop-" + strings.ToLower(w.GetCreditCode())}); err != nil {
			logger.Warn("demo workshop not registered", "workshop", w.GetDisplayName(), "err", err)
			continue
		}
		n++
	}
	logger.Info("demo workshops registered through the API", "workshops", n)
}
