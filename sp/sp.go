// Package sp is the embedded Service Provider: it performs one real test login, by
// OpenID Connect (an authorization code flow with PKCE and a client secret, on
// golang.org/x/oauth2 and coreos/go-oidc) or by SAML (an SP-initiated login by the
// redirect binding with the response POSTed back, on crewjam/saml), receives the answer
// on a loopback listener, verifies it, and explains it with the inspector: the claims in
// plain words, every problem with its fix, and for an error from Entra the AADSTS code.
//
// One login at a time per OIDC or SAML value, one callback accepted per login, a
// bounded wait. The listener binds 127.0.0.1 only, answers only requests addressed to a
// loopback host from a loopback peer, and never redirects anywhere: RelayState and
// state are random values it made itself, checked, not destinations.
package sp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/pkg/browser"

	"github.com/ssowizard/ssowizard/inspect"
)

// Protocols a Result names.
const (
	ProtocolOIDC = "oidc"
	ProtocolSAML = "saml"
)

// Finding codes this package adds to the inspector's report, beside the inspector's own.
const (
	// CodeNoCallback: the browser never came back to the SP before the wait ended.
	CodeNoCallback = "no-callback"
	// CodeIdPError: Entra answered with an error (OIDC error redirect, token endpoint
	// error, or a SAML Status other than Success) that the inspector's status-error
	// finding does not already report.
	CodeIdPError = "idp-error"
	// CodeSPRejected: the SP library (go-oidc or crewjam/saml) refused the answer.
	CodeSPRejected = "sp-rejected"
	// CodeReplay: an assertion or response ID this SP has already accepted came again.
	CodeReplay = "replay"
	// CodeNameIDNotEmail: the SAML NameID is not the user's email address.
	CodeNameIDNotEmail = "nameid-not-email"
	// CodeUPNDomainMismatch: the user's UPN is not in the domain the vendor expects.
	CodeUPNDomainMismatch = "upn-domain-mismatch"
	// CodeGroupsOverageUnresolved: the groups did not fit in the token and were not
	// fetched from Graph.
	CodeGroupsOverageUnresolved = "groups-overage-unresolved"
	// CodeGroupsResolved: the groups of an overage were listed through Graph.
	CodeGroupsResolved = "groups-resolved"
	// CodeUserInfoFailed: the userinfo endpoint did not answer.
	CodeUserInfoFailed = "userinfo-failed"
	// CodeUnsolicited: an IdP-initiated login's response, answering no request.
	CodeUnsolicited = "unsolicited"
	// CodeEmailFromUserInfo: the e-mail is in userinfo only, not in the ID token.
	CodeEmailFromUserInfo = "email-from-userinfo"
)

// DefaultTimeout bounds the wait for the browser to come back.
const DefaultTimeout = 5 * time.Minute

// Common is what both protocols need besides their own settings.
type Common struct {
	// HTTPClient fetches discovery, keys, metadata and tokens; nil means
	// http.DefaultClient. For the harness, give one that trusts its CA.
	HTTPClient *http.Client
	// Open shows the sign-in URL to the user; nil opens the system browser.
	Open func(url string) error
	// Timeout bounds the wait for the callback; 0 means DefaultTimeout.
	Timeout time.Duration
	// Now is the time the answer is checked at by the inspector and go-oidc; nil means
	// time.Now. crewjam/saml keeps reading its own clock: its globals are never touched.
	Now func() time.Time
	// Skew is the clock skew tolerated either side when checking validity times.
	Skew time.Duration
	// Tenant is the tenant (GUID or verified domain) the answer must come from; empty
	// skips the check.
	Tenant string
	// ExpectedDomain is the domain the vendor expects users' UPNs in (the ticket's
	// domain); empty skips the check.
	ExpectedDomain string
	// Random is the source of state, nonce and RelayState; nil means crypto/rand. (The
	// PKCE verifier and the AuthnRequest ID come from crypto/rand through their libraries.)
	Random func(b []byte) error
}

func (c *Common) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC()
	}
	return time.Now().UTC()
}

func (c *Common) client() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return http.DefaultClient
}

func (c *Common) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

func (c *Common) open(u string) error {
	if c.Open != nil {
		return c.Open(u)
	}
	return browser.OpenURL(u)
}

// token returns n random bytes, base64url-encoded: state, nonce, RelayState.
func (c *Common) token(n int) (string, error) {
	b := make([]byte, n)
	read := c.Random
	if read == nil {
		read = func(b []byte) error { _, err := rand.Read(b); return err }
	}
	if err := read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Result is the outcome of one test login.
type Result struct {
	Protocol string `json:"protocol"`
	// OK is true when the login completed and nothing in the report is an error.
	OK bool `json:"ok"`
	// Started is when the sign-in URL was opened; Callback is how long the browser took
	// to come back; Verify how long the SP took to check the answer (token exchange
	// included); Total the whole login.
	Started  time.Time     `json:"started"`
	Callback time.Duration `json:"callback_ns"`
	Verify   time.Duration `json:"verify_ns"`
	Total    time.Duration `json:"total_ns"`
	// SignInURL is the URL the browser was sent to.
	SignInURL string `json:"sign_in_url"`
	// RedirectURI is the callback URL actually listened on (its port filled in).
	RedirectURI string `json:"redirect_uri"`
	// RequestID is the SAML AuthnRequest ID; empty for an IdP-initiated login.
	RequestID string `json:"request_id,omitempty"`
	// Unsolicited is true for an IdP-initiated SAML login: the response answered no
	// request. RelayState is what came with it (the app's configured relay state).
	Unsolicited bool   `json:"unsolicited,omitempty"`
	RelayState  string `json:"relay_state,omitempty"`
	// Report is the inspector's report on what came back, with this package's findings
	// added. Without any answer (timeout) it holds only the no-callback finding.
	Report *inspect.Report `json:"report"`
	// AADSTS is Entra's error code with its explanation, when Entra answered an error.
	AADSTS *inspect.AADSTS `json:"aadsts,omitempty"`
	// Artifact is what came back, raw, held in memory: never store it as is; store
	// Artifact.Redacted().
	Artifact *Artifact `json:"-"`
	// Claims are the user's claims with where each was read (ID token, userinfo), when
	// the provider has a userinfo endpoint that answered.
	Claims []ClaimSource `json:"claims,omitempty"`
	// Groups are the user's group object IDs resolved through Graph after an overage.
	Groups []string `json:"groups,omitempty"`
}

// Artifact is the raw answer of a login.
type Artifact struct {
	// Kind is id_token, saml_response, error (an OIDC error redirect) or token_error.
	Kind string
	// Value is the ID token, the base64 SAMLResponse (in Redacted: its XML), the error
	// redirect's parameters (a query string) or the token endpoint's error body.
	Value string
	// AccessToken is kept for Graph calls; never stored.
	AccessToken string
	// RefreshToken is never stored.
	RefreshToken string
}

// Redacted returns the artifact with every secret removed: access and refresh tokens
// dropped, a JWT's signature replaced, a SAML response's signature values emptied. What
// remains shows what was asserted but cannot be replayed.
func (a *Artifact) Redacted() *Artifact {
	if a == nil {
		return nil
	}
	out := &Artifact{Kind: a.Kind, Value: a.Value}
	switch a.Kind {
	case "id_token":
		if i := strings.LastIndexByte(a.Value, '.'); i > 0 {
			out.Value = a.Value[:i] + ".REDACTED"
		}
	case "saml_response":
		out.Value = redactSAML(a.Value)
	}
	return out
}

// finish computes OK, the verdict and timings of a result.
func (r *Result) finish(started time.Time, callbackAt time.Time, end time.Time, loginOK bool) {
	r.Started = started
	if !callbackAt.IsZero() {
		r.Callback = callbackAt.Sub(started)
		r.Verify = end.Sub(callbackAt)
	}
	r.Total = end.Sub(started)
	finishReport(r.Report)
	r.OK = loginOK && r.Report.OK()
}

// finishReport recomputes the verdict after findings were added outside the inspector.
func finishReport(rep *inspect.Report) {
	rep.Verdict = "ok"
	if rep.Findings == nil {
		rep.Findings = []inspect.Finding{}
	}
	for _, f := range rep.Findings {
		switch f.Severity {
		case inspect.SeverityError:
			rep.Verdict = "error"
		case inspect.SeverityWarning:
			if rep.Verdict == "ok" {
				rep.Verdict = "warning"
			}
		}
	}
	// Errors first, as the inspector orders them, keeping the order within a severity.
	rank := map[inspect.Severity]int{inspect.SeverityError: 0, inspect.SeverityWarning: 1, inspect.SeverityInfo: 2}
	fs := rep.Findings
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && rank[fs[j].Severity] < rank[fs[j-1].Severity]; j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}

func addFinding(rep *inspect.Report, code string, sev inspect.Severity, msg, fix string) {
	rep.Findings = append(rep.Findings, inspect.Finding{Code: code, Severity: sev, Message: msg, Fix: fix})
}

// noCallbackReport is the report when the browser never came back.
func noCallbackReport(kind string, waited time.Duration, cause error) *inspect.Report {
	rep := &inspect.Report{Kind: kind}
	why := fmt.Sprintf("the browser did not come back to the SP within %s", waited.Round(time.Second))
	if errors.Is(cause, context.Canceled) {
		why = "the login was cancelled before the browser came back to the SP"
	}
	addFinding(rep, CodeNoCallback, inspect.SeverityError,
		strings.ToUpper(why[:1])+why[1:]+". When Entra rejects the request itself it shows its own error page and never returns: "+
			"a redirect URI or reply URL that is not registered (AADSTS50011), an unknown client ID or Entity ID (AADSTS700016), a user not assigned (AADSTS50105).",
		"Read the AADSTS code on the page the browser stopped at, or run the login again and finish signing in sooner.")
	finishReport(rep)
	return rep
}

// OpenError is a sign-in URL that Common.Open could not show: the system browser
// would not start, or a scripted browser's sign-in failed.
type OpenError struct {
	URL string
	Err error
}

func (e *OpenError) Error() string {
	return fmt.Sprintf("the sign-in page could not be opened (%v)", e.Err)
}

func (e *OpenError) Unwrap() error { return e.Err }

// removeFinding drops the findings of one code, when a later check settles them.
func removeFinding(rep *inspect.Report, code string) {
	rep.Findings = slices.DeleteFunc(rep.Findings, func(f inspect.Finding) bool { return f.Code == code })
}
