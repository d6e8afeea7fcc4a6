package check

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/ssowizard/ssowizard/entra"
)

// maxURILength is the longest redirect URI (reply URL) Entra accepts.
const maxURILength = 256

const authenticationBlade = appRegistrations + " > Authentication"

// RedirectURI checks that the redirect URI the vendor will send is registered for the
// app, as Entra matches it: the exact string, except the port of http://127.0.0.1 and
// http://localhost (RFC 8252 §7.3). When none matches, the Result names the nearest
// registered URI and the kind of difference (whitespace, letter case, scheme, host, port,
// path, trailing slash, query, fragment), with Diff(nearest, entered) in Detail.
func RedirectURI(entered string, registered []string) Result {
	const id, field = "redirect-uri", fieldRedirectURI
	if strings.TrimSpace(entered) == "" {
		return fail(id+"-empty", field, "The redirect URI is empty.", "Enter the redirect (callback) URI the vendor gives you.")
	}
	if len(registered) == 0 {
		return fail(id+"-none-registered", field, "The app has no redirect URI registered, so Entra would refuse every sign-in (AADSTS500113).",
			"Add the redirect URI in "+authenticationBlade+" under the Web platform.")
	}
	if match, found := entra.MatchRedirectURI(registered, entered); found {
		if match == entered {
			return ok(id, field, "The redirect URI is registered exactly.")
		}
		return ok(id, field, fmt.Sprintf("The redirect URI matches the registered %s, since Entra ignores the port of loopback redirect URIs (RFC 8252).", match))
	}
	nearest := registered[0]
	best := -1
	for _, r := range registered {
		if d := editDistance(r, entered); best < 0 || d < best {
			nearest, best = r, d
		}
	}
	kinds := uriDifferences(nearest, entered)
	return fail(id+"-mismatch", field,
		fmt.Sprintf("The redirect URI differs from the registered %s in %s, so Entra would refuse the sign-in (AADSTS50011).", visible(nearest), joinAnd(kinds)),
		"Register the exact URI in "+authenticationBlade+", or use the registered one, since Entra compares scheme, host, path, letter case and trailing slash exactly.").
		with(Diff(nearest, entered))
}

// uriDifferences names how entered differs from registered, most telling first.
func uriDifferences(registered, entered string) []string {
	var kinds []string
	add := func(k string) {
		for _, x := range kinds {
			if x == k {
				return
			}
		}
		kinds = append(kinds, k)
	}
	e := entered
	if strings.IndexFunc(e, isSpaceOrInvisible) >= 0 {
		add("whitespace or invisible characters")
		e = strings.Map(func(r rune) rune {
			if isSpaceOrInvisible(r) {
				return -1
			}
			return r
		}, e)
	}
	if e == registered {
		return kinds
	}
	if strings.EqualFold(e, registered) {
		add("letter case")
		return kinds
	}
	ru, err1 := url.Parse(registered)
	eu, err2 := url.Parse(e)
	if err1 != nil || err2 != nil || !ru.IsAbs() || !eu.IsAbs() {
		add("other characters")
		return kinds
	}
	if ru.Scheme != eu.Scheme {
		add(fmt.Sprintf("scheme (%s instead of %s)", eu.Scheme, ru.Scheme))
	}
	if rh, eh := ru.Hostname(), eu.Hostname(); rh != eh {
		if strings.EqualFold(rh, eh) {
			add("letter case")
		} else {
			add(fmt.Sprintf("host (%s instead of %s)", eh, rh))
		}
	}
	if rp, ep := ru.Port(), eu.Port(); rp != ep {
		add(fmt.Sprintf("port (%s instead of %s)", portText(ep), portText(rp)))
	}
	if rp, ep := ru.EscapedPath(), eu.EscapedPath(); rp != ep {
		switch {
		case rp+"/" == ep:
			add("trailing slash (one too many)")
		case rp == ep+"/":
			add("trailing slash (missing)")
		case strings.EqualFold(rp, ep):
			add("letter case")
		case strings.EqualFold(strings.TrimSuffix(rp, "/"), strings.TrimSuffix(ep, "/")):
			add("letter case")
			add("trailing slash")
		default:
			add("path")
		}
	}
	if ru.RawQuery != eu.RawQuery {
		add("query")
	}
	if ru.Fragment != eu.Fragment || ru.User.String() != eu.User.String() {
		add("other characters")
	}
	if len(kinds) == 0 {
		add("other characters")
	}
	return kinds
}

func portText(p string) string {
	if p == "" {
		return "none"
	}
	return ":" + p
}

// joinAnd joins phrases as a sentence does: "a", "a and b", "a, b and c".
func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// ReplyURL checks the form of a reply URL (SAML ACS URL) or redirect URI before it is
// registered: https, except http://127.0.0.1 and http://localhost; absolute; no
// wildcard, fragment, white space or the characters Entra refuses; at most 256
// characters.
func ReplyURL(s string) Result {
	const id, field = "reply-url", fieldReplyURL
	fix := "Enter the URL exactly as the vendor gives it, e.g. https://vendor.example/saml/acs."
	switch {
	case strings.TrimSpace(s) == "":
		return fail(id+"-empty", field, "The reply URL is empty.", fix)
	case strings.IndexFunc(s, isSpaceOrInvisible) >= 0:
		return fail(id+"-whitespace", field, "The reply URL has a space, line break or invisible character in it.",
			"Remove it, or copy the URL again from the vendor's instructions.")
	case utf8.RuneCountInString(s) > maxURILength:
		return fail(id+"-too-long", field,
			fmt.Sprintf("The reply URL has %d characters, more than the %d Entra accepts.", utf8.RuneCountInString(s), maxURILength),
			"Ask the vendor for a shorter URL.")
	case strings.Contains(s, "*"):
		return fail(id+"-wildcard", field, "The reply URL has a wildcard (*), which Entra does not accept here.",
			"Register each exact URL the vendor uses.")
	case strings.Contains(s, "#"):
		return fail(id+"-fragment", field, "The reply URL has a fragment (#…), which Entra does not accept.", "Remove the # and what follows it.")
	case strings.ContainsAny(s, "!$'(),;"):
		return fail(id+"-characters", field, "The reply URL contains one of the characters ! $ ' ( ) , ; which Entra does not accept in reply URLs.",
			"Ask the vendor for the URL without them, or percent-encode them if the vendor's service accepts that.")
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return fail(id+"-not-absolute", field, "The reply URL is not an absolute URL with a scheme and a host.", fix)
	}
	loopback := u.Hostname() == "127.0.0.1" || u.Hostname() == "localhost"
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && loopback:
	case u.Scheme == "http":
		return fail(id+"-http", field, "The reply URL uses http, which Entra accepts only for http://127.0.0.1 and http://localhost.",
			fmt.Sprintf("Use https://%s, and ask the vendor for it if they gave http.", strings.TrimPrefix(s, u.Scheme+"://")))
	default:
		return fail(id+"-scheme", field, fmt.Sprintf("The reply URL's scheme is %s, but Entra accepts only https here.", u.Scheme), fix)
	}
	return ok(id, field, "The reply URL has a form Entra accepts.")
}
