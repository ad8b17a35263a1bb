package domain

import (
	"context"
	"fmt"
	"strings"

	"fupin.dev/services/platform/workflow"
)

// TrailSourceCases names the trail events of identification and exit cases.
const TrailSourceCases = "cases"

// CaseSubjectField is how case filters name a case's household (`household = "households/1"`).
const CaseSubjectField = "household"

// TrailEvents lists every step of the household's identification and exit cases for its trail (痕迹管理):
// the application, survey, village review, postings and objections, reviews and the decision, each with
// its actor, business date and recording time. The trail checks the caller's scope on the household.
func (cs *Cases) TrailEvents(ctx context.Context, householdID string) ([]TrailEvent, error) {
	var out []TrailEvent
	subject := "households/" + householdID
	filter := fmt.Sprintf("%s = %q", CaseSubjectField, subject)
	for after := ""; ; {
		page, next, err := cs.engine.List(ctx, workflow.Caller{Actor: "trail"}, workflow.ListQuery{
			Kinds: []string{KindIdentification, KindExit}, Filter: filter, After: after, Limit: 100})
		if err != nil {
			return nil, fmt.Errorf("cases of %s: %w", subject, err)
		}
		for _, c := range page {
			for _, s := range c.Steps {
				summary := caseKindLabel(c.Kind) + ": " + s.Name
				if s.Decision != nil {
					summary += " (" + strings.ToLower(s.Decision.Outcome.String()) + ")"
				}
				if s.Note != "" {
					summary += " — " + s.Note
				}
				out = append(out, TrailEvent{Date: s.OccurredAt, RecordTime: s.RecordedAt, Source: TrailSourceCases,
					Kind: c.Kind + "." + s.Name, Actor: s.Actor, Summary: summary, Reason: s.BackdateReason,
					Resource: "cases/" + c.ID})
			}
			for _, p := range c.Postings {
				for _, o := range p.Objections {
					out = append(out, TrailEvent{Date: o.FiledAt, RecordTime: o.RecordedAt, Source: TrailSourceCases,
						Kind: c.Kind + ".objection", Actor: o.RecordedBy, Summary: caseKindLabel(c.Kind) + ": 异议 " + o.Content,
						Reason: o.BackdateReason, Resource: "cases/" + c.ID})
				}
				if p.EndedAt != "" {
					out = append(out, TrailEvent{Date: p.EndedAt, RecordTime: p.EndRecord, Source: TrailSourceCases,
						Kind: c.Kind + ".posting_ended", Actor: p.EndedBy,
						Summary: fmt.Sprintf("%s: 公示%s (started %s, at least %d days) %s", caseKindLabel(c.Kind),
							postingEnd(p.State), p.StartedAt, p.MinDays, p.EndedNote),
						Reason: p.EndReason, Resource: "cases/" + c.ID})
				}
			}
		}
		if next == "" {
			return out, nil
		}
		after = next
	}
}

func caseKindLabel(kind string) string {
	switch kind {
	case KindIdentification:
		return "精准识别"
	case KindExit:
		return "脱贫退出"
	}
	return kind
}

func postingEnd(st workflow.PostingState) string {
	if st == workflow.PostingInterrupted {
		return "因异议中止"
	}
	return "期满"
}
