package tenant

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ssowizard/ssowizard/entra"
)

// NewSecret mints a client secret as addPassword does: a 40-character value (three
// random characters, "8Q~", 34 more from [A-Za-z0-9._~-]), a random GUID as its key ID
// (the portal's "Secret ID"), the first three characters as its hint, valid from now
// (to the second) for lifetime.
func NewSecret(rnd io.Reader, now time.Time, lifetime time.Duration) (Secret, error) {
	if lifetime <= 0 {
		return Secret{}, fmt.Errorf("new secret: lifetime %v is not positive", lifetime)
	}
	keyID, err := entra.NewGUID(rnd)
	if err != nil {
		return Secret{}, fmt.Errorf("new secret: %w", err)
	}
	head, err := randomChars(rnd, 3)
	if err != nil {
		return Secret{}, fmt.Errorf("new secret: %w", err)
	}
	tail, err := randomChars(rnd, 34)
	if err != nil {
		return Secret{}, fmt.Errorf("new secret: %w", err)
	}
	value := head + entra.SecretMarker + tail
	start := now.UTC().Truncate(time.Second)
	return Secret{KeyID: keyID, Value: value, Hint: hintOf(value), Start: start, End: start.Add(lifetime)}, nil
}

// randomChars draws n characters uniformly from entra.SecretAlphabet, rejecting the bytes that
// would bias the choice.
func randomChars(rnd io.Reader, n int) (string, error) {
	const limit = 256 - 256%len(entra.SecretAlphabet)
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		if _, err := io.ReadFull(rnd, buf[:]); err != nil {
			return "", err
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, entra.SecretAlphabet[int(b)%len(entra.SecretAlphabet)])
			}
		}
	}
	return string(out), nil
}

// hintOf is what Graph returns as a secret's hint: its first three characters.
func hintOf(value string) string {
	if len(value) < 3 {
		return value
	}
	return value[:3]
}

// SecretResult is the outcome of presenting a client secret.
type SecretResult int

const (
	// SecretOK: the value is a current secret of the app.
	SecretOK SecretResult = iota
	// SecretMissing: no secret was sent (AADSTS7000218).
	SecretMissing
	// SecretWrong: the value is no secret of the app, or one not valid yet (AADSTS7000215).
	SecretWrong
	// SecretIsKeyID: the value is a secret's key ID, the Secret ID pasted in place of the
	// value. Entra answers AADSTS7000215 as for any wrong secret; the harness can say more.
	SecretIsKeyID
	// SecretExpired: the value is a secret of the app whose end has passed (AADSTS7000222).
	SecretExpired
)

var secretResultNames = [...]string{"ok", "missing", "wrong", "secret-id", "expired"}

// String names the result as logs and JSON show it.
func (r SecretResult) String() string {
	if int(r) < len(secretResultNames) {
		return secretResultNames[r]
	}
	return fmt.Sprintf("SecretResult(%d)", int(r))
}

// AADSTS is the error code Entra answers with, or 0 for SecretOK.
func (r SecretResult) AADSTS() int {
	switch r {
	case SecretMissing:
		return 7000218
	case SecretWrong, SecretIsKeyID:
		return 7000215
	case SecretExpired:
		return 7000222
	}
	return 0
}

// SecretCheck is what CheckSecret found: the result and, when the value matched a
// secret or its key ID, that secret's key ID.
type SecretCheck struct {
	Result SecretResult
	KeyID  string
}

// CheckSecret judges value against an app's secrets at now. A secret is valid from its
// start (inclusive) to its end (exclusive). Values are compared in constant time.
func CheckSecret(secrets []Secret, value string, now time.Time) SecretCheck {
	if value == "" {
		return SecretCheck{Result: SecretMissing}
	}
	found := SecretCheck{Result: SecretWrong}
	for _, s := range secrets {
		if subtle.ConstantTimeCompare([]byte(s.Value), []byte(value)) != 1 {
			continue
		}
		switch {
		case !s.Start.IsZero() && now.Before(s.Start):
			// Not valid yet: Entra does not tell this apart from a wrong secret.
		case !now.Before(s.End):
			found = SecretCheck{Result: SecretExpired, KeyID: s.KeyID}
		default:
			return SecretCheck{Result: SecretOK, KeyID: s.KeyID}
		}
	}
	if found.Result != SecretWrong {
		return found
	}
	trimmed := strings.TrimSpace(value)
	for _, s := range secrets {
		if entra.SameGUID(s.KeyID, trimmed) {
			return SecretCheck{Result: SecretIsKeyID, KeyID: s.KeyID}
		}
	}
	return found
}

// ErrNotFound is wrapped by Store methods when the app, user, group or credential they
// were asked about does not exist.
var ErrNotFound = errors.New("not found")
