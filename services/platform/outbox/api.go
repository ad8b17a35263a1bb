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
	last := req.GetAfterSequence()
	if n := len(changes); n > 0 {
		last = changes[n-1].GetSequence()
	}
	return &commonv1.ListChangesResponse{Changes: changes, LastSequence: last}, nil
}

// WatchChanges streams changes in the caller's region scope until the caller goes away.
func (a *API) WatchChanges(req *commonv1.WatchChangesRequest, stream grpc.ServerStreamingServer[commonv1.Change]) error {
	ctx := stream.Context()
	err := a.feed.Watch(ctx, Query{After: req.GetAfterSequence(), Topics: req.GetTopics(), Scope: scope(ctx)}, stream.Send)
	if ctx.Err() != nil {
		return nil
	}
	return err
}
