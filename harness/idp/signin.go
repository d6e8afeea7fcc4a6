package idp

import (
	"net/http"
	"time"

	"github.com/ssowizard/ssowizard/harness/tenant"
)

// SignInOptions shape a sign-in started by another protocol.
type SignInOptions struct {
	// ForceLogin shows the login form even to a browser with a session (SAML
	// ForceAuthn, OIDC prompt=login).
	ForceLogin bool
	// Passive never shows the form (SAML IsPassive): without a session, finish is
	// called with a nil user.
	Passive bool
	// LoginHint pre-fills the form's login.
	LoginHint string
}

// SignIn identifies the user of this browser for another sign-in protocol served on
// the same login page and session, such as the SAML endpoint: at once when the browser
// has a session (SSO) and ForceLogin is false, otherwise through the login form. Then
// finish writes the protocol's answer for the user, who signed in at authTime (the
// session's start under SSO). The caller has already found and
// checked the app; assignment and consent are the caller's to check, since each
// protocol delivers those errors its own way.
func (p *IdP) SignIn(w http.ResponseWriter, r *http.Request, app tenant.App, opts SignInOptions, finish func(w http.ResponseWriter, r *http.Request, u *tenant.User, authTime time.Time)) {
	seg := r.PathValue("tenant")
	if seg == "" || !p.store.Resolves(seg) {
		seg = p.store.TenantID()
	}
	req := &authRequest{kind: kindExternal, tenantSeg: seg, clientID: app.AppID, app: app,
		loginHint: opts.LoginHint, finish: finish}
	if !opts.ForceLogin {
		if sess := p.sessionOf(r); sess != nil && (opts.LoginHint == "" || p.sameUser(sess, opts.LoginHint)) {
			p.completeSession(w, r, req, sess)
			return
		}
	}
	if opts.Passive {
		finish(w, r, nil, time.Time{})
		return
	}
	p.showLogin(w, r, req, "", http.StatusOK)
}

// ErrorPage shows Entra's own error page ("Sorry, but we're having trouble signing you
// in") with the AADSTS code and message, the trace, correlation ID and timestamp, as
// Entra answers errors it cannot send back to the application.
func (p *IdP) ErrorPage(w http.ResponseWriter, r *http.Request, code int, message string) {
	p.errorPage(w, r, &aadError{status: http.StatusBadRequest, err: "invalid_request", code: code, msg: message})
}
