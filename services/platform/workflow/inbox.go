package workflow

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/pagetoken"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Waiting is a step a kind of case can wait for and the RPC of the service's contract that records it:
// the inbox shows a case waiting for it to whoever that RPC's access rule admits.
type Waiting struct {
	Kind string
	// Step is the case's next step (Case.Next).
	Step string
	// Posting: the case's posting of Step is running (StatePosting), so what waits is its completion (or
	// an objection); otherwise the case is open and Step is to be recorded.
	Posting bool
	// Method is the RPC's full name ("/fupin.identification.v1.CaseService/RecordSurvey").
	Method string
	// Resource names what the step is recorded on, from the case ("cases/{id}", the clue a case is about…).
	Resource func(c *Case) string
}

// Operation is the RPC's OpenAPI operation id ("CaseService_RecordSurvey"), as the portal names it.
func (w Waiting) Operation() string {
	svc, method, _ := strings.Cut(strings.TrimPrefix(w.Method, "/"), "/")
	return svc[strings.LastIndex(svc, ".")+1:] + "_" + method
}

// Inbox serves ListInboxItems (fupin.common.v1.ListInboxItemsRequest, the 办理 inbox) over an engine's
// cases: those in the caller's region scope waiting for a step whose RPC the caller may call. Each service
// registers it under its own contract.
type Inbox struct {
	engine  *Engine
	waiting []Waiting
	mayCall func(c *auth.Caller, method string) bool
}

// NewInbox returns the inbox of the steps listed; mayCall applies the contract's access rules
// (server.MayCall).
func NewInbox(e *Engine, waiting []Waiting, mayCall func(c *auth.Caller, method string) bool) *Inbox {
	return &Inbox{engine: e, waiting: waiting, mayCall: mayCall}
}

const (
	defaultInboxPage = 50
	inboxTokenKind   = "inboxItems"
)

// ListInboxItems lists the cases waiting for the caller, longest waiting first, with their count.
func (in *Inbox) ListInboxItems(ctx context.Context, req *commonv1.ListInboxItemsRequest) (*commonv1.ListInboxItemsResponse, error) {
	parts, err := pagetoken.Decode(req.GetPageToken(), inboxTokenKind, 2)
	if err != nil {
		return nil, err
	}
	c, ok := auth.FromContext(ctx)
	if !ok {
		return &commonv1.ListInboxItemsResponse{}, nil
	}
	var mine []Waiting
	for _, w := range in.waiting {
		if in.mayCall(c, w.Method) {
			mine = append(mine, w)
		}
	}
	out := &commonv1.ListInboxItemsResponse{}
	if len(mine) == 0 {
		return out, nil
	}
	scope := c.Scope()
	// "state IN (1, 2)" lets the databases read the partial index fupin_cases_waiting (platform migration
	// 00009): closed cases are never read.
	where := []string{fmt.Sprintf("state IN (%d, %d)", StateOpen, StatePosting), "substr(region_code, 1, " + strconv.Itoa(len(scope)) + ") = $1"}
	args := []any{scope}
	var terms []string
	for _, w := range mine {
		state := StateOpen
		if w.Posting {
			state = StatePosting
		}
		args = append(args, w.Kind, w.Step, int32(state))
		n := len(args)
		terms = append(terms, fmt.Sprintf("(kind = $%d AND next_step = $%d AND state = $%d)", n-2, n-1, n))
	}
	where = append(where, "("+strings.Join(terms, " OR ")+")")
	q := in.engine.db.Q(ctx)
	var total int64
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM fupin_cases WHERE `+strings.Join(where, " AND "), args...).Scan(&total); err != nil {
		return nil, fmt.Errorf("count inbox: %w", err)
	}
	out.TotalSize = int32(min(total, 1<<31-1))
	if parts != nil {
		us, err := strconv.ParseInt(parts[0], 10, 64)
		if err != nil {
			return nil, pagetoken.Invalid()
		}
		args = append(args, us, parts[1])
		where = append(where, fmt.Sprintf("(updated_us > $%d OR (updated_us = $%d AND id > $%d))", len(args)-1, len(args)-1, len(args)))
	}
	limit := int(req.GetPageSize())
	if limit == 0 {
		limit = defaultInboxPage
	}
	args = append(args, limit+1)
	rows, err := q.QueryContext(ctx, `SELECT `+caseCols+` FROM fupin_cases WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY updated_us, id LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("list inbox: %w", err)
	}
	defer rows.Close()
	var last *Case
	for rows.Next() {
		l, err := scanCase(rows)
		if err != nil {
			return nil, fmt.Errorf("scan case: %w", err)
		}
		if len(out.InboxItems) == limit {
			out.NextPageToken = pagetoken.Encode(inboxTokenKind, strconv.FormatInt(last.UpdateTime.UnixMicro(), 10), last.ID)
			break
		}
		cs := l.Case
		last = cs
		for _, w := range mine {
			if w.Kind == cs.Kind && w.Step == cs.Next && w.Posting == (cs.State == StatePosting) {
				out.InboxItems = append(out.InboxItems, &commonv1.InboxItem{Resource: w.Resource(cs), Kind: cs.Kind, Subject: cs.Subject,
					RegionCode: cs.RegionCode, NextStep: cs.Next, Operation: w.Operation(), Posting: w.Posting,
					WaitingSince: timestamppb.New(cs.UpdateTime)})
				break
			}
		}
	}
	return out, rows.Err()
}
