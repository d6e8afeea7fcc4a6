// Package check holds the checks that catch the classic mistakes Entra administrators
// make while setting up single sign-on by hand: a Secret ID pasted for the secret Value,
// an Object ID for the client ID, a *.onmicrosoft.com domain, a redirect URI one slash
// off, an Entity ID another app already uses, a wrong issuer, an expiring certificate.
//
// Every check is a pure function: no I/O, no clock (the time is passed in), no globals.
// Each returns a Result whose Message says in one sentence what was found and whose Fix
// says in one sentence what to do, in the words of the Entra admin center. An OK Result
// carries the check's base ID ("client-id", "redirect-uri"); a failed one a specific ID
// naming the mistake ("client-id-braces", "redirect-uri-mismatch"). IDs are stable: the
// wizard stores them and may map them to help.
//
// No Result ever carries a client secret value.
package check

// Severity grades a Result.
type Severity string

// The severities, from harmless to blocking.
const (
	// OK: nothing to change.
	OK Severity = "ok"
	// Warning: likely to work, or worth a second look, but does not block the step.
	Warning Severity = "warning"
	// Error: the setup would fail as it stands.
	Error Severity = "error"
)

// Result is the outcome of one check.
type Result struct {
	ID       string   `json:"id"`              // stable kebab-case, e.g. "secret-id-not-value"
	Field    string   `json:"field,omitempty"` // the input it is about, e.g. "client_secret"
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`          // one sentence: what was found
	Fix      string   `json:"fix,omitempty"`    // one sentence: what to do (empty when OK)
	Detail   string   `json:"detail,omitempty"` // e.g. the character-level diff
}

// Failed reports whether the Result blocks the step (its Severity is Error).
func (r Result) Failed() bool { return r.Severity == Error }

// Failed reports whether any of the Results failed.
func Failed(rs []Result) bool {
	for _, r := range rs {
		if r.Failed() {
			return true
		}
	}
	return false
}

// Input fields the Results name.
const (
	fieldClientID     = "client_id"
	fieldTenantID     = "tenant_id"
	fieldSecret       = "client_secret"
	fieldDomain       = "domain"
	fieldRedirectURI  = "redirect_uri"
	fieldReplyURL     = "reply_url"
	fieldEntityID     = "entity_id"
	fieldIssuer       = "issuer"
	fieldFingerprint  = "fingerprint"
	fieldIdPMetadata  = "idp_metadata"
	fieldCertificate  = "certificate"
	entraAdminCenter  = "Entra admin center"
	appRegistrations  = entraAdminCenter + " > App registrations > your app"
	enterpriseSAMLApp = entraAdminCenter + " > Enterprise applications > your app > Single sign-on"
)

func ok(id, field, message string) Result {
	return Result{ID: id, Field: field, Severity: OK, Message: message}
}

func warn(id, field, message, fix string) Result {
	return Result{ID: id, Field: field, Severity: Warning, Message: message, Fix: fix}
}

func fail(id, field, message, fix string) Result {
	return Result{ID: id, Field: field, Severity: Error, Message: message, Fix: fix}
}

// with returns r with its Detail set.
func (r Result) with(detail string) Result {
	r.Detail = detail
	return r
}

// ResultError is a failed Result used as an error, so that callers can recover it with
// errors.As; its text is the Message followed by the Fix.
type ResultError struct{ Result Result }

// Error returns what was found and what to do.
func (e *ResultError) Error() string {
	if e.Result.Fix == "" {
		return e.Result.Message
	}
	return e.Result.Message + " " + e.Result.Fix
}

// Validator adapts a check of one string to the func(string) error shape of form
// validators (fyne.StringValidator fits it): nil unless the Result failed, else a
// *ResultError. Warnings pass.
func Validator(c func(string) Result) func(string) error {
	return func(s string) error {
		if r := c(s); r.Failed() {
			return &ResultError{Result: r}
		}
		return nil
	}
}
