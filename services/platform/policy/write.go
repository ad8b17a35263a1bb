package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Set writes a value, replacing any value at the same parameter, region and effective date. The
// parts are validated: parameter [a-z0-9_.]+, region "*" or 1-12 digits, effective YYYY-MM-DD, value
// valid JSON (stored compact). A new effective date is a new entry; old entries stay for history.
func Set(ctx context.Context, cli *clientv3.Client, parameter, region, effective string, value json.RawMessage) error {
	raw, err := validate(parameter, region, effective, value)
	if err != nil {
		return fmt.Errorf("policy: set: %w", err)
	}
	key := Key(parameter, region, effective)
	if _, err := cli.Put(ctx, key, string(raw)); err != nil {
		return fmt.Errorf("policy: set %s: %w", key, err)
	}
	return nil
}

// SeedDefaults writes each entry whose key does not exist yet and returns how many it wrote: a fresh
// install gets the defaults, and a value an operator has changed is never overwritten. Every entry
// is validated before anything is written.
func SeedDefaults(ctx context.Context, cli *clientv3.Client, entries []Entry) (written int, err error) {
	raws := make([]json.RawMessage, len(entries))
	for i, e := range entries {
		if raws[i], err = validate(e.Parameter, e.Region, e.Effective, e.Value); err != nil {
			return 0, fmt.Errorf("policy: seed defaults: entry %d: %w", i, err)
		}
	}
	for i, e := range entries {
		key := Key(e.Parameter, e.Region, e.Effective)
		resp, err := cli.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
			Then(clientv3.OpPut(key, string(raws[i]))).
			Commit()
		if err != nil {
			return written, fmt.Errorf("policy: seed defaults: %s: %w", key, err)
		}
		if resp.Succeeded {
			written++
		}
	}
	return written, nil
}

// defaultsFile is the format of deploy/policy/defaults.json.
type defaultsFile struct {
	Description string  `json:"description"`
	Entries     []Entry `json:"entries"`
}

// LoadDefaultsFile reads a defaults file: {"description": "...", "entries": [Entry...]}. Unknown
// fields, invalid entries and duplicate keys are errors, so a typo fails the install instead of
// silently dropping a value.
func LoadDefaultsFile(path string) ([]Entry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("policy: load defaults: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f defaultsFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("policy: load defaults %s: %w", path, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("policy: load defaults %s: data after the top-level object", path)
	}
	seen := map[string]bool{}
	for i, e := range f.Entries {
		if _, err := validate(e.Parameter, e.Region, e.Effective, e.Value); err != nil {
			return nil, fmt.Errorf("policy: load defaults %s: entry %d: %w", path, i, err)
		}
		key := Key(e.Parameter, e.Region, e.Effective)
		if seen[key] {
			return nil, fmt.Errorf("policy: load defaults %s: entry %d: %w: duplicate %s", path, i, ErrInvalid, key)
		}
		seen[key] = true
	}
	return f.Entries, nil
}
