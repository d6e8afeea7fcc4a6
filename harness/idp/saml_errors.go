package idp

import (
	"fmt"
	"net/http"
	"time"

	"github.com/ssowizard/ssowizard/harness/tenant"
)

// Errors of Entra's SAML endpoint, in its words where they are known.

func errSAMLMissing() *aadError { return aad(750054, "query string", "Redirect") }

// errSAMLMissingPost is 750054 for the POST binding, whose parameters are form fields.
func errSAMLMissingPost() *aadError { return aad(750054, "form", "POST") }

// errSAMLResponseUnexpected answers a SAMLResponse sent to the endpoint: the harness
// starts no logout at an SP (IdP-initiated flows are left out), so none is awaited.
func errSAMLResponseUnexpected() *aadError {
	return errSAMLInvalid("The endpoint received a SAMLResponse, but no logout was started here that it could answer; send an AuthnRequest or LogoutRequest as SAMLRequest.")
}

func errSAMLInvalid(detail string) *aadError { return aad(75005, detail) }

func errSAMLBadID(id string) *aadError { return aad(7500529, id) }

func errSAMLRequestExpired(issued time.Time, age time.Duration) *aadError {
	return aad(76026, issued.UTC().Format(time.RFC3339), age.Round(time.Second))
}

func errSAMLNameIDPolicy(format string) *aadError { return aad(75016, format) }

// errSAMLAuthnContext is AADSTS75011 in Entra's runtime words.
func errSAMLAuthnContext(have, want string, app *tenant.App) *aadError {
	return aad(75011, have, want, app.DisplayName)
}

// errSAMLComparison refuses a RequestedAuthnContext Comparison other than exact.
func errSAMLComparison(cmp string) *aadError {
	return &aadError{http.StatusBadRequest, "invalid_request", 75011, fmt.Sprintf("The RequestedAuthnContext Comparison is '%s'; Entra supports only 'exact'.", cmp)}
}

// errSAMLUnsigned is 76021; why, when set, says what was wrong with the signature
// that was there.
func errSAMLUnsigned(app *tenant.App, why string) *aadError {
	e := aad(76021, app.AppID)
	if why != "" {
		e.msg = fmt.Sprintf("The application '%s' requires signed requests, and the request's signature is not acceptable: %s.", app.AppID, why)
	}
	return e
}
