package api

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/pii"
	"google.golang.org/protobuf/types/known/structpb"
)

// personView is what a caller sees of persons in this service's responses: their disclosure
// (pii.ViewPerson: masked for people without plain access, birth dates for services) and the business day
// a birth year is judged on.
type personView struct {
	disclosure pii.Disclosure
	today      time.Time
}

// personViewOf is the view of the caller in ctx.
func personViewOf(ctx context.Context, now func() time.Time) personView {
	c, _ := auth.FromContext(ctx)
	return personView{disclosure: c.Disclosure(), today: now()}
}

// record converts person facts kept as JSON (a step's data) for the wire as v allows (pii.ViewRecord: a
// birth year instead of a birth date, no age, no blind index for people).
func (v personView) record(data []byte) (*structpb.Struct, error) {
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("step data: %w", err)
	}
	pii.ViewRecord(doc, v.disclosure, v.today)
	return structpb.NewStruct(doc)
}
