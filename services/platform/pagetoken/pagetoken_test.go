package pagetoken_test

import (
	"slices"
	"testing"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/pagetoken"
)

func TestRoundTrip(t *testing.T) {
	tok := pagetoken.Encode("l1", "990001001001", "households/h1", "2026-03", "1")
	parts, err := pagetoken.Decode(tok, "l1", 4)
	if err != nil || !slices.Equal(parts, []string{"990001001001", "households/h1", "2026-03", "1"}) {
		t.Fatalf("got %v %v", parts, err)
	}
	after, err := pagetoken.After(pagetoken.Encode("dc", "case-9"), "dc")
	if err != nil || after != "case-9" {
		t.Fatalf("After = %q %v", after, err)
	}
}

func TestFirstAndLastPage(t *testing.T) {
	if tok := pagetoken.Encode("dc", ""); tok != "" {
		t.Errorf("no next cursor gave token %q", tok)
	}
	if parts, err := pagetoken.Decode("", "dc", 2); parts != nil || err != nil {
		t.Errorf("first page: %v %v", parts, err)
	}
	if after, err := pagetoken.After("", "dc"); after != "" || err != nil {
		t.Errorf("first page: %q %v", after, err)
	}
}

func TestRefused(t *testing.T) {
	for name, tok := range map[string]string{
		"another list's token": pagetoken.Encode("h1", "x"),
		"not base64":           "%%%",
		"too few parts":        pagetoken.Encode("l1", "a", "b"),
		"an empty part":        pagetoken.Encode("l1", "a", "", "c", "d"),
		"no kind":              "YWJj",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := pagetoken.Decode(tok, "l1", 4)
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.KindInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "page_token" {
				t.Fatalf("got %v, want INVALID_ARGUMENT naming page_token", err)
			}
		})
	}
}
