package idp

import (
	"fmt"
	"net/http"
	"time"

	"github.com/ssowizard/ssowizard/harness/tenant"
)

// Errors of Entra's SAML endpoint, in its words where they are known.

func errSAMLMissing() *aadError {
	return &aadError{http.StatusBadRequest, "invalid_request", 750054, "SAMLRequest or SAMLResponse must be present as query string parameters in HTTP request for SAML Redirect binding."}
}

// errSAMLMissingPost is 750054 for the POST binding, whose parameters are form fields.
func errSAMLMissingPost() *aadError {
	return &aadError{http.StatusBadRequest, "invalid_request", 750054, "SAMLRequest or SAMLResponse must be present as form parameters in HTTP request for SAML POST binding."}
}

// errSAMLResponseUnexpected answers a SAMLResponse sent to the endpoint: the harness
// starts no logout at an SP (IdP-initiated flows are left out), so none is awaited.
func errSAMLResponseUnexpected() *aadError {
	return errSAMLInvalid("The endpoint received a SAMLResponse, but no logout was started here that it could answer; send an AuthnRequest or LogoutRequest as SAMLRequest.")
}

func errSAMLInvalid(detail string) *aadError { return errSAMLInvalidCode(75005, detail) }

func errSAMLInvalidCode(code int, detail string) *aadError {
	return &aadError{http.StatusBadRequest, "invalid_request", code, "The SAML request is invalid. " + detail}
}

func errSAMLBadID(id string) *aadError {
	return &aadError{http.StatusBadRequest, "invalid_request", 7500529, fmt.Sprintf("The value '%s' is not a valid SAML ID. The ID must not start with a number.", id)}
}

func errSAMLRequestExpired(issued time.Time, age time.Duration) *aadError {
	return &aadError{http.StatusBadRequest, "invalid_request", 76026, fmt.Sprintf("The IssueInstant %s of the SAML request is expired: it is %s old. Check the clock of the service provider and send a fresh request.",
		issued.UTC().Format(time.RFC3339), age.Round(time.Second))}
}

func errSAMLNameIDPolicy(format string) *aadError {
	return &aadError{http.StatusBadRequest, "invalid_request", 75016, fmt.Sprintf("The SAML2 Authentication Request has an invalid NameIDPolicy Format '%s'. Supported formats are persistent, emailAddress, unspecified and transient.", format)}
}

// errSAMLAuthnContext is AADSTS75011 in Entra's runtime words.
func errSAMLAuthnContext(have, want string, app *tenant.App) *aadError {
	return &aadError{http.StatusBadRequest, "invalid_request", 75011, fmt.Sprintf("Authentication method '%s' by which the user authenticated with the service doesn't match requested authentication method '%s'. Contact the %s application owner.", have, want, app.DisplayName)}
}

// errSAMLComparison refuses a RequestedAuthnContext Comparison other than exact.
func errSAMLComparison(cmp string) *aadError {
	return &aadError{http.StatusBadRequest, "invalid_request", 75011, fmt.Sprintf("The RequestedAuthnContext Comparison is '%s'; Entra supports only 'exact'.", cmp)}
}

// errSAMLUnsigned is 76021; why, when set, says what was wrong with the signature
// that was there.
func errSAMLUnsigned(app *tenant.App, why string) *aadError {
	msg := fmt.Sprintf("The request sent by the client is not signed while the application '%s' requires signed requests.", app.AppID)
	if why != "" {
		msg = fmt.Sprintf("The application '%s' requires signed requests, and the request's signature is not acceptable: %s.", app.AppID, why)
	}
	return &aadError{http.StatusBadRequest, "invalid_request", 76021, msg}
}
