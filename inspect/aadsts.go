package inspect

import (
	"strconv"
	"strings"

	"github.com/ssowizard/ssowizard/entra"
)

// ExplainAADSTS finds the first AADSTS code in text (an error_description, a SAML
// StatusMessage, or the code itself as "AADSTS50011" or "50011") and explains it from
// Entra's catalogue (package entra). It returns nil when text carries no AADSTS code.
// Unknown codes are still returned, with a meaning that says so, because the code alone
// is worth a support search.
func ExplainAADSTS(text string) *AADSTS {
	code := entra.FindCode(text)
	if code == "" {
		if t := strings.TrimSpace(text); len(t) >= 4 && len(t) <= 7 && strings.Trim(t, "0123456789") == "" {
			code = t
		}
	}
	if code == "" {
		return nil
	}
	n, _ := strconv.Atoi(code)
	e, ok := entra.Lookup(n)
	if !ok || e.Meaning == "" || e.Fix == "" || strconv.Itoa(n) != code {
		return &AADSTS{
			Code:    "AADSTS" + code,
			Meaning: entra.UnknownMeaning,
			Fix:     "Look the code up at " + entra.LoginBase + "/error?code=" + code + ".",
		}
	}
	return &AADSTS{Code: "AADSTS" + code, Meaning: e.Meaning, Fix: e.Fix}
}
