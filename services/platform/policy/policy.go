// Package policy serves the county's policy parameters (poverty line, 低保 standards, subsidy
// amounts, deadlines, thresholds…) from etcd.
//
// Every number in the domain is a policy decision that differs by region and changes over time, so
// none is a constant in code. A value lives under
//
//	/fupin/policy/<parameter>/<region prefix or *>/<effective date YYYY-MM-DD>
//
// and a lookup picks, among the entries already in force on the business date in question, the one
// with the longest region prefix of the household's region code, then the latest effective date. Old
// entries stay, so a decision can be recomputed as of any date.
//
// A Store keeps every value in memory and follows etcd's watch, so an operator's change applies
// without a restart, and a service keeps deciding with its last known values while etcd is away.
// Decisions record the Value they used together with its content hash: etcd revisions are compacted
// and must never serve as versions.
package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Prefix is the etcd key prefix of every policy value.
const Prefix = "/fupin/policy/"

// AnyRegion is the region part of a value that applies to every region.
const AnyRegion = "*"

// ErrNotFound is wrapped by lookups that match no value.
var ErrNotFound = errors.New("policy value not found")

// ErrInvalid is wrapped by errors about a malformed parameter name, region, date or value.
var ErrInvalid = errors.New("invalid policy entry")

var (
	parameterRE = regexp.MustCompile(`^[a-z0-9_.]+$`)
	regionRE    = regexp.MustCompile(`^[0-9]{1,12}$`)
)

// shanghai is the zone of business dates. China has kept UTC+8 without daylight saving since 1991,
// so the fixed zone is exact for every date the platform handles when no tz database is installed.
var shanghai = func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
}()

// dateLayout is the layout of effective dates and business dates.
const dateLayout = time.DateOnly

// businessDate returns t's calendar date in Asia/Shanghai.
func businessDate(t time.Time) string { return t.In(shanghai).Format(dateLayout) }

// Value is one policy value as stored, with where it came from and a content hash.
type Value struct {
	Parameter string `json:"parameter"`
	Region    string `json:"region"`
	Effective string `json:"effective"`
	// Raw is the JSON value in compact form.
	Raw json.RawMessage `json:"value"`
	// Hash is the hex SHA-256 of parameter, region, effective date and Raw: what a decision stores
	// to show which value it used.
	Hash string `json:"hash"`
}

// Entry is a value to write, as in the defaults file.
type Entry struct {
	Parameter string          `json:"parameter"`
	Region    string          `json:"region"`
	Effective string          `json:"effective"`
	Value     json.RawMessage `json:"value"`
	// Note explains the value to operators (unit, source, local variations); it is not stored in etcd.
	Note string `json:"note,omitempty"`
}

// Ratio is an exact fraction, the form every ratio parameter takes: {"num":3,"den":2}. Ratios are
// never floats, so a threshold like 1.5 × 2,995 元 gives the same fen on every machine.
type Ratio struct {
	Num int64 `json:"num"`
	Den int64 `json:"den"`
}

// UnmarshalJSON rejects a missing or non-positive denominator.
func (r *Ratio) UnmarshalJSON(b []byte) error {
	type plain Ratio
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	if p.Den <= 0 {
		return fmt.Errorf("ratio %s: denominator must be positive", b)
	}
	*r = Ratio(p)
	return nil
}

// Key returns the etcd key of a value.
func Key(parameter, region, effective string) string {
	return Prefix + parameter + "/" + region + "/" + effective
}

// validate checks the key parts and returns the value in compact form.
func validate(parameter, region, effective string, value json.RawMessage) (json.RawMessage, error) {
	if !parameterRE.MatchString(parameter) {
		return nil, fmt.Errorf("%w: parameter %q must match [a-z0-9_.]+", ErrInvalid, parameter)
	}
	if region != AnyRegion && !regionRE.MatchString(region) {
		return nil, fmt.Errorf("%w: %s: region %q must be %q or 1-12 digits", ErrInvalid, parameter, region, AnyRegion)
	}
	if d, err := time.Parse(dateLayout, effective); err != nil || d.Format(dateLayout) != effective {
		return nil, fmt.Errorf("%w: %s: effective date %q must be YYYY-MM-DD", ErrInvalid, parameter, effective)
	}
	if !json.Valid(value) {
		return nil, fmt.Errorf("%w: %s: value is not valid JSON", ErrInvalid, parameter)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, value); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalid, parameter, err)
	}
	return buf.Bytes(), nil
}

// newValue builds a Value from validated parts.
func newValue(parameter, region, effective string, raw json.RawMessage) Value {
	h := sha256.New()
	for _, part := range []string{parameter, region, effective} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(raw)
	return Value{
		Parameter: parameter,
		Region:    region,
		Effective: effective,
		Raw:       raw,
		Hash:      hex.EncodeToString(h.Sum(nil)),
	}
}

// parseKV turns a stored key and value into a Value.
func parseKV(key, value []byte) (Value, error) {
	rest, ok := strings.CutPrefix(string(key), Prefix)
	parts := strings.Split(rest, "/")
	if !ok || len(parts) != 3 {
		return Value{}, fmt.Errorf("%w: key %q is not %s<parameter>/<region>/<effective>", ErrInvalid, key, Prefix)
	}
	raw, err := validate(parts[0], parts[1], parts[2], value)
	if err != nil {
		return Value{}, err
	}
	return newValue(parts[0], parts[1], parts[2], raw), nil
}

// lookup picks the value for regionCode on date (YYYY-MM-DD) among values of one parameter: of the
// entries in force on that date whose region prefixes regionCode, the longest region wins ("*" is
// the shortest), then the latest effective date. A region's entry dated after the date does not
// hide a shorter region's entry already in force.
func lookup(values map[string]Value, regionCode, date string) (Value, bool) {
	var best Value
	bestLen, found := -1, false
	for _, v := range values {
		if v.Effective > date {
			continue
		}
		n := 0
		if v.Region != AnyRegion {
			if !strings.HasPrefix(regionCode, v.Region) {
				continue
			}
			n = len(v.Region)
		}
		if n > bestLen || (n == bestLen && v.Effective > best.Effective) {
			best, bestLen, found = v, n, true
		}
	}
	return best, found
}
