package entra

import (
	"regexp"
	"strings"
)

// SecretAlphabet is the character set of Entra client secret values: letters, digits and
// the four URL-unreserved punctuation marks.
const SecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-"

// SecretMarker sits after the first three characters of every current Entra secret
// value; Microsoft's credential scanners key on it.
const SecretMarker = "8Q~"

// secretValueRE is the shape of a secret value: 3 characters, a version digit (8 today,
// 7 in older secrets), "Q~", 34 characters: 40 in all.
var secretValueRE = regexp.MustCompile(`^[A-Za-z0-9._~-]{3}[78]Q~[A-Za-z0-9._~-]{34}$`)

// LooksLikeSecretValue reports whether s (surrounding space ignored) has the shape of an
// Entra client secret value.
func LooksLikeSecretValue(s string) bool {
	return secretValueRE.MatchString(strings.TrimSpace(s))
}

// LooksLikeSecretID reports whether s (surrounding space ignored) has the shape of a
// secret's key ID, the "Secret ID" column that admins paste by mistake: a GUID.
func LooksLikeSecretID(s string) bool {
	return IsGUID(strings.TrimSpace(s))
}
