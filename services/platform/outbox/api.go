package outbox

import (
	"context"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/auth"
	"google.golang.org/grpc"
)

// API serves fupin.common.v1.ChangeFeedService from a Feed; every service registers it.
type API struct {
	commonv1.UnimplementedChangeFeedServiceServer
	feed *Feed
}

var _ commonv1.ChangeFeedServiceServer = (*API)(nil)

// NewAPI serves feed.
func NewAPI(feed *Feed) *API { return &API{feed: feed} }

func scope(ctx context.Context) string {
	if c, ok := auth.FromContext(ctx); ok {
		return c.Scope()
	}
	return auth.NoRegion
}

// redactor returns what the caller receives of a change: the change itself for a service, and for a
// person the change without its payload when the feed declared the topic for services only.
func (a *API) redactor(ctx context.Context) func(*commonv1.Change) *commonv1.Change {
	if c, ok := auth.FromContext(ctx); (ok && c.Role == commonv1.Role_ROLE_SERVICE) || len(a.feed.servicesOnly) == 0 {
		return func(c *commonv1.Change) *commonv1.Change { return c }
	}
	return func(c *commonv1.Change) *commonv1.Change {
		if a.feed.servicesOnly[c.GetTopic()] {
			c.Payload = nil
		}
		return c
	}
}

// ListChanges returns a page of changes in the caller's region scope.
func (a *API) ListChanges(ctx context.Context, req *commonv1.ListChangesRequest) (*commonv1.ListChangesResponse, error) {
	limit := int(req.GetPageSize())
	if limit == 0 {
		limit = 500
	}
	changes, err := a.feed.List(ctx, Query{After: req.GetAfterSequence(), Topics: req.GetTopics(), Scope: scope(ctx), Limit: limit})
	if err != nil {
		return nil, err
	}
	redact := a.redactor(ctx)
	for i, c := range changes {
		changes[i] = redact(c)
	}
	last := req.GetAfterSequence()
	if n := len(changes); n > 0 {
		last = changes[n-1].GetSequence()
	}
	return &commonv1.ListChangesResponse{Changes: changes, LastSequence: last}, nil
}

// WatchChanges streams changes in the caller's region scope until the caller goes away.
func (a *API) WatchChanges(req *commonv1.WatchChangesRequest, stream grpc.ServerStreamingServer[commonv1.Change]) error {
	ctx := stream.Context()
	redact := a.redactor(ctx)
	err := a.feed.Watch(ctx, Query{After: req.GetAfterSequence(), Topics: req.GetTopics(), Scope: scope(ctx)},
		func(c *commonv1.Change) error { return stream.Send(redact(c)) })
	if ctx.Err() != nil {
		return nil
	}
	return err
}
