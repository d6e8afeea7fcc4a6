package check

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ssowizard/ssowizard/entra"
)

// minSecretLength is below the length of any secret Entra has generated (32 to 44
// characters in older forms, 40 today).
const minSecretLength = 16

// SecretValue checks a pasted client secret before any request: the Secret ID (a GUID,
// or one of knownKeyIDs) pasted instead of the Value; the hint or the masked value the
// portal shows once the Value is hidden; spaces or line breaks; and a value not shaped
// like Entra's (a warning: older secrets had other shapes). The Result never contains
// the value, nor any part of it.
func SecretValue(value string, knownKeyIDs []string) Result {
	const id, field = "client-secret", fieldSecret
	newSecret := "In " + appRegistrations + " > Certificates & secrets, add a new client secret and copy its Value column right away (it is shown only once), not the Secret ID."
	t := strings.TrimSpace(value)
	switch {
	case t == "":
		return fail(id+"-empty", field, "The client secret is empty.", newSecret)
	case isKnownKeyID(t, knownKeyIDs):
		return fail("secret-id-not-value", field, "This is the Secret ID of one of the app's client secrets, not the secret's Value.", newSecret).
			with("Entra would refuse it with AADSTS7000215 (invalid client secret).")
	case entra.LooksLikeSecretID(t) || isBracedGUID(t):
		return fail("secret-id-not-value", field, "This is a GUID, which is the shape of a Secret ID, not of a secret's Value.", newSecret).
			with("Entra would refuse it with AADSTS7000215 (invalid client secret).")
	case isMasked(t):
		return fail("secret-hint-only", field, "This is the masked secret the portal shows after leaving the page, not the Value itself.", newSecret)
	case utf8.RuneCountInString(t) <= 3:
		return fail("secret-hint-only", field, "This is at most three characters, the length of a secret's hint, not the full Value.", newSecret)
	case strings.IndexFunc(t, isSpaceOrInvisible) >= 0:
		return fail(id+"-whitespace", field, "The client secret has a space, line break or invisible character inside it, which a secret Value never has.",
			"Copy the Value again with the copy button beside it in Certificates & secrets, or add a new client secret if it is hidden now.")
	case utf8.RuneCountInString(t) < minSecretLength:
		return fail(id+"-too-short", field, "The client secret is too short to be an Entra secret Value.", newSecret).
			with(fmt.Sprintf("It has %d characters; Entra's have 40.", utf8.RuneCountInString(t)))
	case !entra.LooksLikeSecretValue(t):
		r := warn(id+"-shape", field,
			"The client secret does not have the shape of a current Entra secret Value (40 characters with 8Q~ after the first three).",
			"If the test sign-in fails, copy the Value column again, or add a new client secret and copy its Value.")
		if n := utf8.RuneCountInString(t); n != 40 {
			r.Detail = fmt.Sprintf("It has %d characters; secrets made before 2021 had other shapes and still work.", n)
		}
		return r
	case t != value:
		return warn(id+"-whitespace-around", field, "The client secret has spaces or a line break around it.",
			"Remove them before you give it to the vendor, whose form may keep them and then be refused by Entra (AADSTS7000215).")
	}
	return ok(id, field, "The client secret has the shape of an Entra secret Value.")
}

func isKnownKeyID(t string, ids []string) bool {
	if g, _, found := unwrapGUID(t); found {
		t = g
	}
	for _, k := range ids {
		if k = strings.TrimSpace(k); k != "" && strings.EqualFold(t, k) {
			return true
		}
	}
	return false
}

// isBracedGUID reports whether t is a GUID in braces, quotes or with a urn:uuid: prefix.
// Thirty-two bare hex digits are not taken for one: the portal always shows Secret IDs
// with dashes, and some secrets of other systems have that shape.
func isBracedGUID(t string) bool {
	_, how, found := unwrapGUID(t)
	return found && (how == guidBraced || how == guidQuoted || how == guidURN)
}

// isMasked reports whether t is the secret as the portal shows it once hidden: the hint
// followed by asterisks (or bullets, or an ellipsis).
func isMasked(t string) bool {
	if strings.Contains(t, "***") || strings.ContainsAny(t, "•●…") {
		return true
	}
	// "." is in the secret alphabet: a real Value may end with three dots.
	return strings.HasSuffix(t, "...") && !entra.LooksLikeSecretValue(t)
}

// isSpaceOrInvisible matches white space and the format characters (zero-width space,
// byte order mark, direction marks) that copying from web pages and dialogs brings along.
func isSpaceOrInvisible(r rune) bool {
	return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) || !unicode.IsPrint(r)
}
