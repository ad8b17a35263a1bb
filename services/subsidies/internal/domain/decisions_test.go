package domain

import "testing"

func TestDibaoCoverageTopic(t *testing.T) {
	member := func(id, to string) CoverageMember {
		return CoverageMember{CoveredMember: CoveredMember{PersonID: id, IDIndex: "idx-" + id}, FromMonth: "2026-01", ToMonth: to}
	}
	active := func(ms ...CoverageMember) *DibaoCoverage {
		return &DibaoCoverage{State: CoverageActive, FromMonth: "2026-01", AmountFen: 100, Members: ms}
	}
	with := func(c *DibaoCoverage, fn func(c *DibaoCoverage)) *DibaoCoverage {
		out := *c
		out.Members = append([]CoverageMember(nil), c.Members...)
		fn(&out)
		return &out
	}
	base := active(member("a", ""), member("b", ""))
	taper := with(base, func(c *DibaoCoverage) { c.State, c.TaperLastMonth = CoverageTaper, "2026-09" })
	tests := []struct {
		name          string
		before, after *DibaoCoverage
		want          string
	}{
		{"a new coverage started", nil, base, TopicDibaoCoverageStarted},
		{"nothing written", base, nil, ""},
		{"the amount and review dates alone: nothing", base, with(base, func(c *DibaoCoverage) { c.AmountFen, c.NextReviewDate = 5, "2027-01-01" }), ""},
		{"a member's end: changed", base, with(base, func(c *DibaoCoverage) { c.Members[1].ToMonth = "2026-04" }), TopicDibaoCoverageChanged},
		{"a member added: changed", base, with(base, func(c *DibaoCoverage) { c.Members = append(c.Members, member("c", "")) }), TopicDibaoCoverageChanged},
		{"a member's blind index: changed", base, with(base, func(c *DibaoCoverage) { c.Members[0].IDIndex = "other" }), TopicDibaoCoverageChanged},
		{"stopped: ended", base, with(base, func(c *DibaoCoverage) { c.State, c.EndMonth = CoverageEnded, "2026-05" }), TopicDibaoCoverageEnded},
		{"entering the 渐退期: ended, the last month fixed", base, taper, TopicDibaoCoverageEnded},
		{"the 渐退期's run-out end stored: nothing", taper, with(taper, func(c *DibaoCoverage) { c.ApplyTaperEnd("2026-10") }), ""},
		{"the 渐退期 not yet run out: nothing", taper, with(taper, func(c *DibaoCoverage) { c.ApplyTaperEnd("2026-09") }), ""},
		{"stopped early in the 渐退期: ended again", taper, with(taper, func(c *DibaoCoverage) { c.State, c.EndMonth = CoverageEnded, "2026-06" }), TopicDibaoCoverageEnded},
		{"a death in the 渐退期: changed", taper, with(taper, func(c *DibaoCoverage) { c.Members[0].ToMonth = "2026-07" }), TopicDibaoCoverageChanged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DibaoCoverageTopic(tt.before, tt.after); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCertificateTopic(t *testing.T) {
	valid := &Certificate{Status: CertificateValid, RegionCode: "990001001001"}
	moved := func(s CertificateStatus) *Certificate { return &Certificate{Status: s, RegionCode: valid.RegionCode} }
	tests := []struct {
		name          string
		before, after *Certificate
		want          string
	}{
		{"registered valid", nil, valid, TopicCertificateValid},
		{"registered already revoked (not done today): nothing", nil, moved(CertificateRevoked), ""},
		{"revoked", valid, moved(CertificateRevoked), TopicCertificateRevoked},
		{"moved to another county: no longer valid here", valid, moved(CertificateMoved), TopicCertificateRevoked},
		{"the household moved within the county: still valid, nothing", valid, &Certificate{Status: CertificateValid, RegionCode: "990001002001"}, ""},
		{"nothing written", valid, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CertificateTopic(tt.before, tt.after); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNarrowScope(t *testing.T) {
	for _, tt := range []struct{ scope, region, want string }{
		{"", "", ""}, {"", "990001", "990001"}, {"990001001", "990001", "990001001"}, {"990001001", "990001002", scopeNone},
		{scopeNone, "", scopeNone},
	} {
		if got := narrowScope(tt.scope, tt.region); got != tt.want {
			t.Errorf("narrowScope(%q, %q) = %q, want %q", tt.scope, tt.region, got, tt.want)
		}
	}
}
