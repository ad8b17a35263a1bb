package gateway

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Where the gateway keeps sign-in state in etcd. Every key ends in the SHA-256 of a random id only the
// browser holds (in a cookie), so what etcd holds cannot be turned back into a cookie; each record lives
// under a lease of its own and goes when the lease ends. Any replica of the gateway serves any of them.
// Only signed-in people make records: a sign-in under way lives in a sealed cookie (sealCookie), so
// anonymous requests to /auth/login write nothing to etcd.
const (
	// sessionPrefix holds signed-in sessions: /fupin/sessions/<sha256 of the session id> → sessionRecord.
	sessionPrefix = "/fupin/sessions/"
	// signOutPrefix holds, for a few minutes after a sign-out, what the provider's end_session needs.
	signOutPrefix = "/fupin/sign-outs/"
)

// MinSessionKeyBytes is the least length of the gateway's session key.
const MinSessionKeyBytes = 32

// sessionRecord is what etcd holds for one session. Nothing in it is a secret: the person's identity as
// the verifier read it from their access token, the session's times, and the provider's tokens sealed
// (sealed) with a key made from the gateway's session key and the session's id, which only the browser's
// cookie holds. Whoever reads etcd, even with the gateway's session key, cannot use or read the tokens.
type sessionRecord struct {
	Subject    string    `json:"subject"`
	Name       string    `json:"name"`
	Department string    `json:"department"`
	Role       string    `json:"role"`
	Region     string    `json:"region"`
	Created    time.Time `json:"created"`
	// Expires is the session's absolute end: Created + the configured maximum.
	Expires time.Time `json:"expires"`
	// Until is when the session ends unless renewed: Expires, or sooner when the provider's refresh token
	// ends sooner (Keycloak's idle timeout, moved on by every renewal), or, without a refresh token, when
	// the access token does. The record's lease ends then.
	Until  time.Time `json:"until"`
	Sealed []byte    `json:"sealed"`
}

// sessionTokens are the provider's tokens of a session: sealed in etcd, never sent to the browser.
type sessionTokens struct {
	Access       string    `json:"access"`
	AccessIssued time.Time `json:"access_issued"`
	AccessExpiry time.Time `json:"access_expiry"`
	Refresh      string    `json:"refresh,omitempty"`
	// ID is the ID token, the hint the provider's end_session endpoint asks for at sign-out.
	ID string `json:"id,omitempty"`
}

// refreshDue reports whether the access token should be renewed now: it expires within a quarter of its
// life (at most 30 s), so a request never reaches a service with a token about to expire on the way.
func (t sessionTokens) refreshDue(now time.Time) bool {
	margin := min(30*time.Second, t.AccessExpiry.Sub(t.AccessIssued)/4)
	return !now.Before(t.AccessExpiry.Add(-margin))
}

// session is a session loaded from etcd.
type session struct {
	id     string
	record sessionRecord
	tokens sessionTokens
	rev    int64 // the record's etcd ModRevision, for compare-and-swap updates
	lease  clientv3.LeaseID
}

// errNoSession means the cookie names no session (any more): signed out, expired, or never there.
var errNoSession = errors.New("no such session")

// sessionStore keeps sessions, sign-ins under way and sign-outs in etcd.
type sessionStore struct {
	etcd *clientv3.Client
	key  []byte
	now  func() time.Time
}

// storeTimeout bounds each etcd operation of the store: while etcd is away, sign-in answers 503 rather
// than hanging.
const storeTimeout = 5 * time.Second

func bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, storeTimeout)
}

// newID is a fresh random id: 32 bytes, base64url.
func newID() string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(32))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return b
}

// etcdKey is where a record of a random id lives under prefix.
func etcdKey(prefix, id string) string {
	sum := sha256.Sum256([]byte(id))
	return prefix + hex.EncodeToString(sum[:])
}

// csrfToken is the session's CSRF token: an HMAC of its id under the session key, so it needs no storage,
// differs for every session, and cannot be made without the key even by whoever holds the id.
func (s *sessionStore) csrfToken(id string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("fupin csrf\x00" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// seal encrypts v (JSON) with AES-256-GCM under a key derived (HKDF-SHA256) from the session key, the
// record's random id and what it is, bound to the record's etcd key.
func (s *sessionStore) seal(purpose, id, key string, v any) ([]byte, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	aead, err := s.aead(purpose, id)
	if err != nil {
		return nil, err
	}
	nonce := randomBytes(aead.NonceSize())
	return aead.Seal(nonce, nonce, plain, []byte(key)), nil
}

// unseal is seal's inverse; any tampering (or another id, key or purpose) fails.
func (s *sessionStore) unseal(purpose, id, key string, sealed []byte, v any) error {
	aead, err := s.aead(purpose, id)
	if err != nil {
		return err
	}
	if len(sealed) < aead.NonceSize() {
		return errors.New("sealed value too short")
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(key))
	if err != nil {
		return err
	}
	return json.Unmarshal(plain, v)
}

// sealCookie seals v into the value of cookie name, bound to id (a sign-in's OAuth state): only a request
// carrying that id opens it, and the browser cannot read or change it.
func (s *sessionStore) sealCookie(name, id string, v any) (string, error) {
	b, err := s.seal("cookie "+name, id, name, v)
	return base64.RawURLEncoding.EncodeToString(b), err
}

// openCookie is sealCookie's inverse.
func (s *sessionStore) openCookie(name, id, value string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil {
		return err
	}
	return s.unseal("cookie "+name, id, name, b, v)
}

func (s *sessionStore) aead(purpose, id string) (cipher.AEAD, error) {
	k, err := hkdf.Key(sha256.New, s.key, []byte(id), "fupin gateway "+purpose, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// earliest is the earlier of two times.
func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// leaseSeconds is a lease's TTL for d, at least one second.
func leaseSeconds(d time.Duration) int64 {
	return max(1, int64(math.Ceil(d.Seconds())))
}

// create stores a new session (rec.Until is when its lease ends) and returns its id.
func (s *sessionStore) create(ctx context.Context, rec sessionRecord, toks sessionTokens) (string, error) {
	ctx, cancel := bounded(ctx)
	defer cancel()
	id := newID()
	key := etcdKey(sessionPrefix, id)
	sealed, err := s.seal("session tokens", id, key, toks)
	if err != nil {
		return "", err
	}
	rec.Sealed = sealed
	b, err := json.Marshal(rec)
	if err != nil {
		return "", err
	}
	lease, err := s.etcd.Grant(ctx, leaseSeconds(rec.Until.Sub(s.now())))
	if err != nil {
		return "", fmt.Errorf("session lease: %w", err)
	}
	if _, err := s.etcd.Put(ctx, key, string(b), clientv3.WithLease(lease.ID)); err != nil {
		return "", fmt.Errorf("store session: %w", err)
	}
	return id, nil
}

// load reads the session id names. It is errNoSession when there is none, when it has expired (the lease
// ends it within a second anyway) or when its tokens do not unseal (another session key): such a record
// is removed.
func (s *sessionStore) load(ctx context.Context, id string) (*session, error) {
	if id == "" {
		return nil, errNoSession
	}
	ctx, cancel := bounded(ctx)
	defer cancel()
	key := etcdKey(sessionPrefix, id)
	resp, err := s.etcd.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	if len(resp.Kvs) == 0 {
		return nil, errNoSession
	}
	kv := resp.Kvs[0]
	ss := &session{id: id, rev: kv.ModRevision, lease: clientv3.LeaseID(kv.Lease)}
	err = json.Unmarshal(kv.Value, &ss.record)
	if err == nil {
		err = s.unseal("session tokens", id, key, ss.record.Sealed, &ss.tokens)
	}
	if err != nil || !s.now().Before(ss.record.Until) {
		_ = s.end(ctx, ss)
		return nil, errNoSession
	}
	return ss, nil
}

// update replaces a session's tokens, identity and end (rec.Until, never past its absolute end) if the
// record has not changed since ss was loaded; ok is false when it has (another request or replica renewed
// it first) or the session has ended. A new end moves the record to a new lease.
func (s *sessionStore) update(ctx context.Context, ss *session, rec sessionRecord, toks sessionTokens) (bool, error) {
	ctx, cancel := bounded(ctx)
	defer cancel()
	key := etcdKey(sessionPrefix, ss.id)
	sealed, err := s.seal("session tokens", ss.id, key, toks)
	if err != nil {
		return false, err
	}
	rec.Sealed = sealed
	rec.Created, rec.Expires = ss.record.Created, ss.record.Expires
	if rec.Until.IsZero() {
		rec.Until = ss.record.Until
	}
	rec.Until = earliest(rec.Until, rec.Expires)
	b, err := json.Marshal(rec)
	if err != nil {
		return false, err
	}
	lease := ss.lease
	if !rec.Until.Equal(ss.record.Until) {
		l, err := s.etcd.Grant(ctx, leaseSeconds(rec.Until.Sub(s.now())))
		if err != nil {
			return false, fmt.Errorf("session lease: %w", err)
		}
		lease = l.ID
	}
	resp, err := s.etcd.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", ss.rev)).
		Then(clientv3.OpPut(key, string(b), clientv3.WithLease(lease))).
		Commit()
	switch ok := err == nil && resp.Succeeded; {
	case lease != ss.lease && ok:
		_, _ = s.etcd.Revoke(ctx, ss.lease) // the record has left it
	case lease != ss.lease:
		_, _ = s.etcd.Revoke(ctx, lease)
	}
	if errors.Is(err, rpctypes.ErrLeaseNotFound) {
		return false, nil // the lease has ended under us: the session is over
	}
	if err != nil {
		return false, err
	}
	return resp.Succeeded, nil
}

// end removes a session: revoking its lease deletes the record.
func (s *sessionStore) end(ctx context.Context, ss *session) error {
	ctx, cancel := bounded(ctx)
	defer cancel()
	if ss.lease != clientv3.NoLease {
		if _, err := s.etcd.Revoke(ctx, ss.lease); err == nil {
			return nil
		}
	}
	_, err := s.etcd.Delete(ctx, etcdKey(sessionPrefix, ss.id))
	return err
}

// put stores v sealed under prefix for the random id, for ttl.
func (s *sessionStore) put(ctx context.Context, prefix, id string, v any, ttl time.Duration) error {
	ctx, cancel := bounded(ctx)
	defer cancel()
	key := etcdKey(prefix, id)
	sealed, err := s.seal(prefix, id, key, v)
	if err != nil {
		return err
	}
	lease, err := s.etcd.Grant(ctx, leaseSeconds(ttl))
	if err != nil {
		return err
	}
	_, err = s.etcd.Put(ctx, key, string(sealed), clientv3.WithLease(lease.ID))
	return err
}

// take reads and deletes, at once, what put stored for id: a sign-in's state is used once. ok is false
// when there is nothing (never there, used already, expired).
func (s *sessionStore) take(ctx context.Context, prefix, id string, v any) (bool, error) {
	if id == "" {
		return false, nil
	}
	ctx, cancel := bounded(ctx)
	defer cancel()
	key := etcdKey(prefix, id)
	resp, err := s.etcd.Delete(ctx, key, clientv3.WithPrevKV())
	if err != nil {
		return false, err
	}
	if len(resp.PrevKvs) == 0 {
		return false, nil
	}
	if err := s.unseal(prefix, id, key, resp.PrevKvs[0].Value, v); err != nil {
		return false, nil
	}
	return true, nil
}
