package domain

import (
	"context"
	"slices"
	"strings"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/workflow"
)

// Subsidies' decisions about persons — who is in 低保 or 特困供养 in which months, who holds a valid
// disability certificate of which category and grade — are what other departments' rules start from (人社's
// labour ledger, 就业困难 and 零就业, the 养老保险代缴 list). They are published on subsidies' change feed in
// the transaction of the decision itself, and served whole by a snapshot (the decision export) that names
// the feed position it reflects, so a follower that starts late, or whose data predates the feed, resyncs
// and resumes the feed without missing or repeating anything. Both carry membership and months, never an
// amount or a name (docs/SHARING.md).

// Topics of the decisions on subsidies' change feed (fupin.subsidies.v1.DecisionExportService names their
// payloads).
const (
	TopicDibaoCoverageStarted = "dibao.coverage_started"
	TopicDibaoCoverageChanged = "dibao.coverage_changed"
	TopicDibaoCoverageEnded   = "dibao.coverage_ended"
	TopicDestituteStarted     = "destitute.started"
	TopicDestituteEnded       = "destitute.ended"
	TopicCertificateValid     = "certificate.valid"
	TopicCertificateRevoked   = "certificate.revoked"
)

// DecisionTopics are every topic of subsidies' decisions, for followers.
var DecisionTopics = []string{TopicDibaoCoverageStarted, TopicDibaoCoverageChanged, TopicDibaoCoverageEnded,
	TopicDestituteStarted, TopicDestituteEnded, TopicCertificateValid, TopicCertificateRevoked}

// LastMonth is the last month the coverage covers as far as is decided: the end month once ended, the
// 渐退期's last month in its 渐退期 (the end is fixed when the 渐退期 starts), "" while active.
func (c *DibaoCoverage) LastMonth() string {
	switch c.State {
	case CoverageEnded:
		return c.EndMonth
	case CoverageTaper:
		return c.TaperLastMonth
	}
	return ""
}

// DibaoCoverageTopic is the topic a write of a coverage publishes: before is the coverage as stored before
// the write (nil for a new one), after as written. It is "" when nothing a follower sees changed (an
// amount, a review date): the feed carries membership and months, not amounts. A coverage whose last month
// becomes fixed or moves (stopped, entering its 渐退期, stopped early in it) has ended as far as followers
// are concerned; storing the end of a 渐退期 that has run out changes no month and publishes nothing, since
// its end was published when the 渐退期 began.
func DibaoCoverageTopic(before, after *DibaoCoverage) string {
	switch {
	case after == nil:
		return ""
	case before == nil:
		return TopicDibaoCoverageStarted
	case after.LastMonth() != before.LastMonth() && after.LastMonth() != "":
		return TopicDibaoCoverageEnded
	case after.LastMonth() != before.LastMonth() || !slices.Equal(coverageMonths(before), coverageMonths(after)):
		return TopicDibaoCoverageChanged
	}
	return ""
}

// coverageMonths lists who a coverage covers in which months, as followers see it.
func coverageMonths(c *DibaoCoverage) []string {
	out := make([]string, len(c.Members))
	for i, m := range c.Members {
		out[i] = m.PersonID + "|" + m.IDIndex + "|" + m.FromMonth + "|" + m.ToMonth
	}
	return out
}

// CertificateTopic is the topic a write of a certificate publishes (before nil for a new one), or "" when
// its validity did not change (a move of the holder's household keeps it valid).
func CertificateTopic(before, after *Certificate) string {
	switch {
	case after == nil:
		return ""
	case before == nil && after.Status == CertificateValid:
		return TopicCertificateValid
	case before != nil && before.Status == CertificateValid && after.Status != CertificateValid:
		return TopicCertificateRevoked
	}
	return ""
}

// DestituteSupport is a person's 特困供养 as its decision left it: the case that approved it and the months
// its entitlements cover.
type DestituteSupport struct {
	CaseID      string
	HouseholdID string
	PersonID    string
	IDIndex     string
	RegionCode  string
	FromMonth   string
	// ToMonth is the last month supported ("" while supported); EndReason says why it ended.
	ToMonth   string
	EndReason string
}

// DestituteFeed is what 特困 needs to publish its decisions: the support as stored (after the decision's
// writes, in the same transaction) and the feed.
type DestituteFeed interface {
	// DestituteSupport returns the support approved by case id as its entitlements now stand, or nil when
	// it granted nothing.
	DestituteSupport(ctx context.Context, caseID string) (*DestituteSupport, error)
	// PublishDestitute appends a change of topic about s to the feed, in the transaction in ctx.
	PublishDestitute(ctx context.Context, topic string, s *DestituteSupport) error
}

// publishDestitute publishes the support of case id as it now stands.
func publishDestitute(ctx context.Context, feed DestituteFeed, topic, caseID string) error {
	s, err := feed.DestituteSupport(ctx, caseID)
	if err != nil || s == nil {
		return err
	}
	return feed.PublishDestitute(ctx, topic, s)
}

// DecisionKind is a kind of decision the export carries. Numbers equal fupin.subsidies.v1.DecisionKind.
type DecisionKind int32

// Decision kinds.
const (
	DecisionKindUnspecified DecisionKind = iota
	DecisionDibaoCoverage
	DecisionDestituteSupport
	DecisionCertificate
)

// DecisionBatch is one batch of the export: records of one kind.
type DecisionBatch struct {
	Coverages    []*DibaoCoverage
	Destitute    []*DestituteSupport
	Certificates []*Certificate
}

// Len is the number of records in the batch.
func (b DecisionBatch) Len() int { return len(b.Coverages) + len(b.Destitute) + len(b.Certificates) }

// DecisionExportQuery selects what the store exports.
type DecisionExportQuery struct {
	// Scope is the region prefix exported (already narrowed to the caller's scope).
	Scope string
	// Kinds are the kinds exported, in this order.
	Kinds []DecisionKind
	// BatchSize is the most records a batch holds.
	BatchSize int
	// EndedBefore (YYYY-MM), when set, leaves out coverages and supports whose last month is before it and
	// certificates that stopped being valid before its first day.
	EndedBefore string
}

// DecisionExportStore reads the decisions in one snapshot.
type DecisionExportStore interface {
	// ExportDecisions calls each with consecutive batches of q's records — kind by kind in q.Kinds' order,
	// each kind in id order — and the position of the change feed the read reflects (the sequence of the
	// last change it includes), all read in one snapshot. each is called at least once (with an empty batch
	// when nothing matches); its error stops the export and is returned.
	ExportDecisions(ctx context.Context, q DecisionExportQuery, each func(position int64, b DecisionBatch) error) error
}

// Export batch sizes, as the register's export.
const (
	DefaultDecisionBatch = 2000
	MaxDecisionBatch     = 10000
)

// DecisionExport is the export use case.
type DecisionExport struct {
	store DecisionExportStore
	now   func() time.Time
}

// NewDecisionExport returns the export over store; now decides which 渐退期 have run out.
func NewDecisionExport(store DecisionExportStore, now func() time.Time) *DecisionExport {
	return &DecisionExport{store: store, now: now}
}

// Export streams the decisions under region (a code prefix; "" for the caller's whole scope) to each. The
// region only narrows the caller's scope: one outside it exports nothing rather than confirming what lies
// beyond. A coverage whose 渐退期 has run out is sent as ended, as every read shows it. It returns the
// number of records exported.
func (e *DecisionExport) Export(ctx context.Context, by workflow.Caller, region string, kinds []DecisionKind, batchSize int,
	endedBefore string, each func(position int64, b DecisionBatch) error) (int, error) {
	if endedBefore != "" {
		if _, err := ParseMonth(endedBefore); err != nil {
			return 0, apperr.Invalid(workflow.ReasonInvalidField, "ended_before", err.Error())
		}
	}
	if len(kinds) == 0 {
		kinds = []DecisionKind{DecisionDibaoCoverage, DecisionDestituteSupport, DecisionCertificate}
	}
	if batchSize <= 0 {
		batchSize = DefaultDecisionBatch
	}
	month := MonthOf(bizdate.Today(e.now()))
	n := 0
	err := e.store.ExportDecisions(ctx, DecisionExportQuery{Scope: narrowScope(by.Scope, region), Kinds: kinds,
		BatchSize: min(batchSize, MaxDecisionBatch), EndedBefore: endedBefore},
		func(position int64, b DecisionBatch) error {
			for _, c := range b.Coverages {
				c.ApplyTaperEnd(month)
			}
			n += b.Len()
			return each(position, b)
		})
	return n, err
}

// narrowScope returns the narrower of two region prefixes, or a prefix no region code has when they do
// not overlap.
func narrowScope(scope, region string) string {
	switch {
	case strings.HasPrefix(region, scope):
		return region
	case strings.HasPrefix(scope, region):
		return scope
	}
	return scopeNone
}
