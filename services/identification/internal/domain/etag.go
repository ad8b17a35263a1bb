package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// etag is opaque to callers: a short hash of the record's id and version.
func etag(id string, version int64) string {
	sum := sha256.Sum256([]byte(id + "/" + strconv.FormatInt(version, 10)))
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}
