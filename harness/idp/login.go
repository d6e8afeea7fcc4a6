package idp

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"

	"github.com/ssowizard/ssowizard/harness/tenant"
)

// maxForm bounds every form and token request body the login side reads.
const maxForm = 64 << 10

// csrfToken returns the browser's CSRF cookie value, setting a new one when it has none.
func (p *IdP) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	v := randomID(32)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/", HttpOnly: true,
		Secure: strings.HasPrefix(p.base, "https://"), SameSite: http.SameSiteLaxMode})
	return v
}

// checkCanary verifies that a posted form came from a page this browser was given.
func (p *IdP) checkCanary(r *http.Request, ctx string) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil {
		return false
	}
	want := p.canary(c.Value, ctx)
	return subtle.ConstantTimeCompare([]byte(want), []byte(r.PostForm.Get("canary"))) == 1
}

// remember stores a sign-in in progress under a new flow token.
func (p *IdP) remember(req *authRequest) {
	now := p.now()
	if req.ctx == "" {
		req.ctx = randomID(24)
	}
	req.expires = now.Add(pendingLifetime)
	p.mu.Lock()
	p.sweep(now)
	p.state.pending[req.ctx] = req
	p.mu.Unlock()
}

func (p *IdP) pendingRequest(ctx string) *authRequest {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	req := p.state.pending[ctx]
	if req == nil || now.After(req.expires) {
		return nil
	}
	// A copy: concurrent posts of one form must not share a request they change.
	c := *req
	return &c
}

func (p *IdP) forget(ctx string) {
	p.mu.Lock()
	delete(p.state.pending, ctx)
	p.mu.Unlock()
}

// showLogin renders the login form for the sign-in in progress, with an error line
// when the last attempt failed.
func (p *IdP) showLogin(w http.ResponseWriter, r *http.Request, req *authRequest, errLine string, status int) {
	p.showLoginHint(w, r, req, "", errLine, status)
}

// loginHints are the sentences Entra's login page shows a person for each refusal.
var loginHints = map[int]string{
	50126:  "Your account or password is incorrect. If you don't remember your password, ask your administrator to reset it.",
	50034:  "We couldn't find an account with that username. Try another, or check the spelling.",
	50020:  "This account does not exist in this organization. Ask the administrator to invite it as a guest, or sign in with another account.",
	50057:  "Your account has been disabled. Contact your administrator.",
	900144: "Enter your email, phone, or Skype name.",
}

func (p *IdP) showLoginHint(w http.ResponseWriter, r *http.Request, req *authRequest, hint, errLine string, status int) {
	if req.ctx == "" {
		p.remember(req)
	}
	token := p.csrfToken(w, r)
	d := pageData{
		Tenant:       p.tenantName(),
		AppName:      req.app.DisplayName,
		Hint:         hint,
		Error:        errLine,
		Action:       p.base + "/" + req.tenantSeg + "/login",
		Hidden:       []hiddenInput{{"ctx", req.ctx}, {"canary", p.canary(token, req.ctx)}},
		Login:        req.loginHint,
		ShowLogin:    true,
		ShowPassword: true,
		Button:       "Sign in",
	}
	if req.kind == kindDevice {
		d.SecondaryAction = p.base + "/devicelogin"
		d.SecondaryHidden = []hiddenInput{{"ctx", req.ctx}, {"canary", p.canary(token, req.ctx)}, {"decline", "1"}}
		d.SecondaryButton = "Cancel"
		d.Message = "You are signing in to " + req.app.DisplayName + " on another device. If you did not start this, cancel."
	}
	if req.kind == kindAdminConsent {
		d.Message = "Sign in with an administrator account to grant consent for your organization."
	}
	renderPage(w, status, d)
}

func (p *IdP) tenantName() string {
	for _, d := range p.store.Domains() {
		if d.Default {
			return d.Name
		}
	}
	return p.store.TenantID()
}

// loginFailure is a refusal shown on the login page itself, as Entra shows wrong
// passwords and unknown accounts.
func (p *IdP) loginFailure(w http.ResponseWriter, r *http.Request, req *authRequest, e *aadError) {
	p.log.Info("refused", "endpoint", r.URL.Path, "aadsts", e.code, "error", e.err, "delivery", "login page")
	b := p.errorBody(r, e)
	p.showLoginHint(w, r, req, loginHints[e.code], fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s",
		e.code, e.msg, b.TraceID, b.CorrelationID, b.Timestamp), http.StatusOK)
}

// login handles the posted login form (and the consent form, which posts to the same
// place with consent=accept once the user is known).
func (p *IdP) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, r, errInvalidRequest(900144, "The sign-in form could not be read."))
		return
	}
	seg := r.PathValue("tenant")
	if !p.store.Resolves(seg) {
		p.errorPage(w, r, errTenantNotFound(seg))
		return
	}
	ctx := r.PostForm.Get("ctx")
	req := p.pendingRequest(ctx)
	if req == nil || !p.checkCanary(r, ctx) {
		p.errorPage(w, r, errInvalidRequest(50089, "Flow token expired - Authentication Failed. Start the sign-in again from the application."))
		return
	}
	if r.PostForm.Get("consent") == "accept" && req.userID != "" {
		req.consented = true
		p.forget(ctx)
		p.complete(w, r, req, req.userID)
		return
	}
	login := strings.TrimSpace(r.PostForm.Get("login"))
	password := r.PostForm.Get("passwd")
	req.loginHint = login
	if login == "" {
		p.loginFailure(w, r, req, errMissingParam("login"))
		return
	}
	u, ok := p.store.UserByLogin(login)
	if !ok {
		p.loginFailure(w, r, req, p.unknownAccount(login, req))
		return
	}
	if u.Disabled {
		p.loginFailure(w, r, req, &aadError{http.StatusBadRequest, "invalid_grant", 50057, "The user account is disabled."})
		return
	}
	if !tenant.CheckPassword(u, password) {
		p.loginFailure(w, r, req, &aadError{http.StatusBadRequest, "invalid_grant", 50126, "Error validating credentials due to invalid username or password."})
		return
	}
	p.newSession(w, u.ID)
	req.userID = u.ID
	req.authTime = p.now()
	if req.kind == kindAuthorize && req.prompt != "consent" || req.kind == kindDevice || req.kind == kindExternal {
		p.forget(ctx)
	}
	p.complete(w, r, req, u.ID)
}

// unknownAccount is 50034 for a name in one of the tenant's domains, and 50020 for an
// account from elsewhere that has not been invited as a guest.
func (p *IdP) unknownAccount(login string, req *authRequest) *aadError {
	_, domain, _ := strings.Cut(login, "@")
	domain = strings.ToLower(domain)
	for _, d := range p.store.Domains() {
		if d.Name == domain {
			return &aadError{http.StatusBadRequest, "invalid_grant", 50034, fmt.Sprintf("The user account %s does not exist in the %s directory. To sign into this application, the account must be added to the directory.", login, p.store.TenantID())}
		}
	}
	idp := "https://sts.windows.net/" + tenant.MSATenantID + "/"
	if domain != "" && !consumerDomain(domain) {
		idp = domain
	}
	return &aadError{http.StatusBadRequest, "invalid_grant", 50020, fmt.Sprintf("User account '%s' from identity provider '%s' does not exist in tenant '%s' and cannot access the application '%s'(%s) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Azure Active Directory user account.", login, idp, p.directoryName(), req.clientID, req.app.DisplayName)}
}

func consumerDomain(d string) bool {
	switch d {
	case "outlook.com", "hotmail.com", "live.com", "msn.com", "gmail.com", "yahoo.com":
		return true
	}
	return false
}

// showConsent asks the signed-in user to accept what the app requests (prompt=consent,
// and the admin consent endpoint).
func (p *IdP) showConsent(w http.ResponseWriter, r *http.Request, req *authRequest, u *tenant.User) {
	req.userID = u.ID
	p.remember(req)
	token := p.csrfToken(w, r)
	title, msg := "Permissions requested", "Signed in as "+u.UPN+"."
	scopes := strings.Fields(req.scope)
	if req.kind == kindAdminConsent {
		title = "Permissions requested — Accept for your organization"
		msg += " Accepting grants these permissions for every user in " + p.tenantName() + "."
	}
	renderPage(w, http.StatusOK, pageData{
		Tenant:      p.tenantName(),
		Title:       title,
		AppName:     req.app.DisplayName,
		Message:     msg,
		Action:      p.base + "/" + req.tenantSeg + "/login",
		Hidden:      []hiddenInput{{"ctx", req.ctx}, {"canary", p.canary(token, req.ctx)}, {"consent", "accept"}},
		ShowConsent: true,
		Scopes:      scopes,
		Button:      "Accept",
	})
}
