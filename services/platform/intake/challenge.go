package intake

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"fupin.dev/services/platform/apperr"
)

// The human check of the objection form: a small sum the service makes and signs (Sealer.Sign, a key
// derived from the county's personal-data master key, so every replica checks what any replica made),
// valid for ChallengeTTL and spent by the objection that passes it (its nonce is unique among received
// objections). It needs no network and no third party, and works on any phone that can send a form. It
// is a speed bump, not a wall: the per-notice daily allowance and the gateway's per-client rate limits do
// the rest.

// ChallengeTTL is how long a challenge is accepted.
const ChallengeTTL = 30 * time.Minute

// Challenge is a question and its signed token.
type Challenge struct {
	Question string
	Token    string
	Expires  time.Time
}

// NewChallenge makes a challenge for an objection to notice noticeID.
func (in *Intake) NewChallenge(noticeID string) Challenge {
	a, b := digit(10, 49), digit(1, 9)
	var nonce [12]byte
	_, _ = rand.Read(nonce[:])
	exp := in.cfg.Now().Add(ChallengeTTL)
	body := base64.RawURLEncoding.EncodeToString(nonce[:]) + "." + strconv.FormatInt(exp.Unix(), 10)
	sig := in.cfg.Sealer.Sign([]byte(signed(noticeID, body, strconv.Itoa(a+b))))
	return Challenge{Question: fmt.Sprintf("%d + %d = ?", a, b), Token: body + "." + base64.RawURLEncoding.EncodeToString(sig), Expires: exp}
}

// verify checks an answer to a challenge made for noticeID and returns the challenge's nonce.
func (in *Intake) verify(token, answer, noticeID string, now time.Time) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", challengeFailed("challenge_token", "not a challenge of this form: reload the page")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "", challengeFailed("challenge_token", "not a challenge of this form: reload the page")
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return "", challengeFailed("challenge_token", "not a challenge of this form: reload the page")
	}
	body := parts[0] + "." + parts[1]
	want := in.cfg.Sealer.Sign([]byte(signed(noticeID, body, strings.TrimSpace(answer))))
	if !hmac.Equal(sig, want) {
		return "", challengeFailed("challenge_answer", "the answer to the check is not right: try again")
	}
	if now.Unix() > exp {
		return "", challengeFailed("challenge_token", "the check has expired: reload the page for a new one")
	}
	return parts[0], nil
}

// signed is what a challenge's signature covers: the notice, the nonce and expiry, and the answer.
func signed(noticeID, body, answer string) string {
	return "intake challenge\x00" + noticeID + "\x00" + body + "\x00" + answer
}

func digit(lo, hi int64) int {
	n, _ := rand.Int(rand.Reader, big.NewInt(hi-lo+1))
	return int(lo + n.Int64())
}

func challengeFailed(field, desc string) error {
	return apperr.InvalidFields(apperr.FieldViolation{Field: field, Description: desc, Reason: ReasonChallengeFailed})
}
