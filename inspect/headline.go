package inspect

import (
	"fmt"
	"strings"
)

// kindNames are the names people know the message kinds by.
var kindNames = map[string]string{
	KindSAMLResponse:       "SAML Response",
	KindSAMLAssertion:      "SAML Assertion",
	KindSAMLAuthnRequest:   "SAML AuthnRequest",
	KindSAMLLogoutRequest:  "SAML LogoutRequest",
	KindSAMLLogoutResponse: "SAML LogoutResponse",
	KindSAMLMetadata:       "SAML metadata",
	KindJWT:                "JWT",
	KindOIDCError:          "OpenID Connect error",
	KindOIDCCode:           "OpenID Connect authorization response",
	KindHAR:                "HAR capture",
}

// KindName is the name people know a report kind by ("SAML Response"), or the kind
// itself when it has none.
func KindName(kind string) string {
	if n, ok := kindNames[kind]; ok {
		return n
	}
	if kind == "" {
		return "Unrecognised input"
	}
	return kind
}

// Counts tallies the report's error and warning findings.
func (r *Report) Counts() (errs, warns int) {
	for _, f := range r.Findings {
		switch f.Severity {
		case SeverityError:
			errs++
		case SeverityWarning:
			warns++
		}
	}
	return errs, warns
}

// Headline says in one line what the input is and how it fared, for the top of a
// result: "SAML Response — rejected: 2 errors, 1 warning", "SAML Response — OK",
// "HAR capture — 3 messages, 1 rejected".
func (r *Report) Headline() string {
	name := KindName(r.Kind)
	if r.Kind == KindHAR && len(r.Messages) == 0 && r.summary != nil {
		return captureHeadline(name, r.summary.messages, r.summary.rejected, r.summary.unverified)
	}
	if r.Kind == KindHAR && len(r.Messages) > 0 {
		bad := 0
		for _, m := range r.Messages {
			if m.Verdict == "error" {
				bad++
			}
		}
		unverified := 0
		for _, m := range r.Messages {
			if m.Verdict == VerdictUnverified {
				unverified++
			}
		}
		return captureHeadline(name, len(r.Messages), bad, unverified)
	}
	errs, warns := r.Counts()
	switch r.Verdict {
	case "error":
		parts := []string{plural(errs, "error")}
		if warns > 0 {
			parts = append(parts, plural(warns, "warning"))
		}
		return fmt.Sprintf("%s — rejected: %s", name, strings.Join(parts, ", "))
	case VerdictUnverified:
		why := "nothing verified it"
		if len(r.Unverified) > 0 {
			why = r.Unverified[0]
		}
		return fmt.Sprintf("%s — not verified: %s", name, why)
	case "warning":
		return fmt.Sprintf("%s — OK with %s", name, plural(warns, "warning"))
	}
	return name + " — OK"
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func captureHeadline(name string, messages, rejected, unverified int) string {
	line := fmt.Sprintf("%s — %s", name, plural(messages, "message"))
	if rejected > 0 {
		line += fmt.Sprintf(", %d rejected", rejected)
	}
	if unverified > 0 {
		line += fmt.Sprintf(", %d not verified", unverified)
	}
	return line
}
