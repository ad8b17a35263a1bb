package store_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/subsidies/internal/domain"
)

func TestCertificateStore(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		s := newStore(t, d)
		ctx := t.Context()
		at := time.UnixMicro(time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC).UnixMicro())
		cert := func(id, person, region string, category, grade int, issue string) *domain.Certificate {
			return &domain.Certificate{ID: id, NumberCipher: []byte{1, 2, 3, byte(len(id))}, NumberMasked: "9900**********123X" + "41",
				IDIndex: "idx-" + person, PersonID: person, HouseholdID: "h-" + person, RegionCode: region, Category: category,
				Grade: grade, Status: domain.CertificateValid, IssueDate: issue, StatusDate: issue, Version: 1, CreateTime: at, UpdateTime: at}
		}
		certs := []*domain.Certificate{
			cert("c1", "p1", "990001001001", 4, 1, "2024-05-01"),
			cert("c2", "p2", "990001001002", 5, 3, "2025-01-10"),
			cert("c3", "p3", "990001002003", 4, 2, "2025-06-01"),
		}
		for _, c := range certs {
			if err := s.CreateCertificate(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		t.Run("a certificate reads back whole", func(t *testing.T) {
			got, err := s.GetCertificate(ctx, "c2")
			if err != nil {
				t.Fatal(err)
			}
			want := *certs[1]
			if !slices.Equal(got.NumberCipher, want.NumberCipher) {
				t.Fatalf("cipher %v", got.NumberCipher)
			}
			got.NumberCipher, want.NumberCipher = nil, nil
			if !reflect.DeepEqual(*got, want) {
				t.Fatalf("got %+v\nwant %+v", got, &want)
			}
		})
		t.Run("an unknown certificate is not found", func(t *testing.T) {
			if _, err := s.GetCertificate(ctx, "nope"); !errors.Is(err, domain.ErrCertificateNotFound) {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("a second valid certificate of a person is refused", func(t *testing.T) {
			err := s.CreateCertificate(ctx, cert("c9", "p1", "990001001001", 2, 2, "2025-01-01"))
			if !errors.Is(err, domain.ErrCertificateExists) {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("list in scope, filtered and paged", func(t *testing.T) {
			ids := func(q domain.CertificateQuery) []string {
				t.Helper()
				var out []string
				for {
					cs, next, err := s.ListCertificates(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					for _, c := range cs {
						out = append(out, c.ID)
					}
					if next == "" {
						return out
					}
					q.After = next
				}
			}
			for _, tt := range []struct {
				name string
				q    domain.CertificateQuery
				want []string
			}{
				{"county, pages of one", domain.CertificateQuery{Limit: 1}, []string{"c1", "c2", "c3"}},
				{"a township's scope", domain.CertificateQuery{Scope: "990001001", Limit: 10}, []string{"c1", "c2"}},
				{"a village's scope", domain.CertificateQuery{Scope: "990001002003", Limit: 10}, []string{"c3"}},
				{"no region at all", domain.CertificateQuery{Scope: "none", Limit: 10}, nil},
				{"severe grades", domain.CertificateQuery{Filter: "grade <= 2", Limit: 10}, []string{"c1", "c3"}},
				{"category and status", domain.CertificateQuery{Filter: "category = 4 AND status = VALID", Limit: 10}, []string{"c1", "c3"}},
				{"region prefix filter", domain.CertificateQuery{Filter: `region_code:"990001002"`, Limit: 10}, []string{"c3"}},
				{"by person", domain.CertificateQuery{Filter: `person_id = "p2"`, Limit: 10}, []string{"c2"}},
			} {
				t.Run(tt.name, func(t *testing.T) {
					if got := ids(tt.q); !slices.Equal(got, tt.want) {
						t.Errorf("got %v, want %v", got, tt.want)
					}
				})
			}
			if _, _, err := s.ListCertificates(ctx, domain.CertificateQuery{Filter: "colour = red", Limit: 10}); err == nil {
				t.Error("an unknown filter field was accepted")
			} else if e, ok := apperr.As(err); !ok || e.Fields[0].Field != "filter" {
				t.Errorf("got %v", err)
			}
		})
		t.Run("update raises the version and keeps the history dates", func(t *testing.T) {
			got, err := s.UpdateCertificate(ctx, "c1", func(c *domain.Certificate) error {
				c.Status, c.StatusDate, c.Reason, c.UpdateTime = domain.CertificateRevoked, "2026-03-01", "重新评定", at.Add(time.Hour)
				return nil
			})
			if err != nil || got.Version != 2 {
				t.Fatalf("got %+v, %v", got, err)
			}
			back, _ := s.GetCertificate(ctx, "c1")
			if back.Status != domain.CertificateRevoked || back.StatusDate != "2026-03-01" || back.Reason != "重新评定" ||
				back.Version != 2 || !back.UpdateTime.Equal(at.Add(time.Hour)) || back.IssueDate != "2024-05-01" {
				t.Fatalf("got %+v", back)
			}
			refusal := apperr.Refused("X")
			if _, err := s.UpdateCertificate(ctx, "c1", func(*domain.Certificate) error { return refusal }); err != refusal {
				t.Fatalf("fn's error: got %v", err)
			}
			if back, _ := s.GetCertificate(ctx, "c1"); back.Version != 2 {
				t.Fatalf("a refused update changed the version to %d", back.Version)
			}
			if _, err := s.UpdateCertificate(ctx, "nope", func(*domain.Certificate) error { return nil }); !errors.Is(err, domain.ErrCertificateNotFound) {
				t.Fatalf("unknown: got %v", err)
			}
		})
		t.Run("a person whose certificate was revoked may get a new one", func(t *testing.T) {
			if err := s.CreateCertificate(ctx, cert("c4", "p1", "990001001001", 4, 2, "2026-03-02")); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("valid certificates on a date", func(t *testing.T) {
			for _, tt := range []struct {
				date string
				want map[string]string // person → certificate
			}{
				{"2024-04-30", map[string]string{}},
				{"2024-05-01", map[string]string{"p1": "c1"}},
				{"2025-06-01", map[string]string{"p1": "c1", "p2": "c2", "p3": "c3"}},
				{"2026-02-28", map[string]string{"p1": "c1", "p2": "c2", "p3": "c3"}},
				{"2026-03-01", map[string]string{"p2": "c2", "p3": "c3"}},
				{"2026-03-02", map[string]string{"p1": "c4", "p2": "c2", "p3": "c3"}},
			} {
				got, err := s.ValidCertificates(ctx, []string{"p1", "p2", "p3", "p-none"}, tt.date)
				if err != nil {
					t.Fatal(err)
				}
				gotIDs := map[string]string{}
				for p, c := range got {
					gotIDs[p] = c.ID
				}
				if len(gotIDs) != len(tt.want) {
					t.Errorf("%s: got %v, want %v", tt.date, gotIDs, tt.want)
					continue
				}
				for p, id := range tt.want {
					if gotIDs[p] != id {
						t.Errorf("%s: got %v, want %v", tt.date, gotIDs, tt.want)
					}
				}
			}
			if got, err := s.ValidCertificates(ctx, nil, "2026-03-02"); err != nil || len(got) != 0 {
				t.Errorf("no persons: got %v, %v", got, err)
			}
		})
		t.Run("more persons than one statement takes", func(t *testing.T) {
			persons := make([]string, 1200)
			for i := range persons {
				persons[i] = fmt.Sprintf("q%d", i)
			}
			persons[1100] = "p3"
			got, err := s.ValidCertificates(ctx, persons, "2026-03-02")
			if err != nil || len(got) != 1 || got["p3"].ID != "c3" {
				t.Fatalf("got %v, %v", got, err)
			}
		})
		t.Run("the database refuses a grade outside 1-4", func(t *testing.T) {
			if err := s.CreateCertificate(ctx, cert("c5", "p5", "990001001001", 4, 5, "2025-01-01")); err == nil {
				t.Error("grade 5 stored")
			}
		})
	})
}
