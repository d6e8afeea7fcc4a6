package idp

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ssowizard/ssowizard/harness/tenant"
)

// Kinds of sign-in the login page can be serving.
const (
	kindAuthorize = iota
	kindDevice
	kindAdminConsent
	kindExternal // another protocol's sign-in (SAML): finish answers
)

// authRequest is a sign-in in progress: the validated authorize (or device, or admin
// consent) request, remembered under its flow token while the user fills the form.
type authRequest struct {
	ctx          string
	kind         int
	tenantSeg    string
	clientID     string
	app          tenant.App
	redirectURI  string
	responseMode string
	state        string
	nonce        string
	scope        string
	scopes       *scopeSet
	challenge    string
	method       string
	prompt       string
	loginHint    string
	clientInfo   bool
	consented    bool   // the user accepted the consent page
	userID       string // set once the user has signed in, for the consent step
	device       *deviceFlow
	finish       func(w http.ResponseWriter, r *http.Request, u *tenant.User, authTime time.Time)
	authTime     time.Time // when the user signed in: the session's start, not this request
	expires      time.Time
}

// session is a signed-in browser: what gives SSO on the next authorize.
type session struct {
	userID   string
	authTime time.Time
	expires  time.Time
}

const (
	sessionCookie = "ESTSAUTH" // Entra's session cookie
	csrfCookie    = "esctx"    // binds the form canary to this browser
)

// authorize is /{tenant}/oauth2/v2.0/authorize. Errors about the application or the
// redirect URI are shown on Entra's error page, since they cannot be trusted to go
// back; the others go back to the redirect URI.
func (p *IdP) authorize(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, r, errInvalidRequest(900144, "The request could not be read as a form."))
		return
	}
	q := r.Form
	p.delay(p.faultsFor(q.Get("client_id")))
	req, aerr := p.clientAndRedirect(r, q.Get("client_id"), q.Get("redirect_uri"), q.Has("redirect_uri"))
	if aerr != nil {
		p.errorPage(w, r, aerr)
		return
	}
	req.kind = kindAuthorize
	req.state = q.Get("state")
	req.nonce = q.Get("nonce")
	req.loginHint = q.Get("login_hint")
	req.clientInfo = q.Get("client_info") == "1"
	req.responseMode = q.Get("response_mode")
	switch req.responseMode {
	case "":
		req.responseMode = "query"
	case "query", "form_post", "fragment":
	default:
		req.responseMode = "query"
		p.redirectError(w, r, req, errInvalidRequest(900144, "The provided value for the input parameter 'response_mode' is not valid. Expected one of: query, fragment, form_post."))
		return
	}
	switch rt := q.Get("response_type"); {
	case rt == "":
		p.redirectError(w, r, req, errMissingParam("response_type"))
		return
	case rt != "code":
		p.redirectError(w, r, req, &aadError{http.StatusBadRequest, "unsupported_response_type", 700054,
			"response_type '" + rt + "' is not enabled for the application."})
		return
	}
	req.scope = q.Get("scope")
	if strings.TrimSpace(req.scope) == "" {
		p.redirectError(w, r, req, errMissingParam("scope"))
		return
	}
	scopes, aerr := p.parseScopes(req.scope, false)
	if aerr != nil {
		p.redirectError(w, r, req, aerr)
		return
	}
	req.scopes = scopes
	req.challenge = q.Get("code_challenge")
	req.method = q.Get("code_challenge_method")
	if req.challenge != "" {
		switch req.method {
		case "":
			req.method = "plain"
		case "S256", "plain":
		default:
			p.redirectError(w, r, req, errInvalidRequest(501491, "The code_challenge_method '"+req.method+"' is not supported; use S256 or plain."))
			return
		}
		if n := len(req.challenge); n < 43 || n > 128 {
			p.redirectError(w, r, req, errInvalidRequest(501491, "Invalid size of Code_Challenge parameter."))
			return
		}
	}
	req.prompt = q.Get("prompt")
	switch req.prompt {
	case "", "login", "none", "consent", "select_account":
	default:
		p.redirectError(w, r, req, errInvalidRequest(90023, "Unsupported 'prompt' value '"+req.prompt+"'. Use login, none, consent or select_account."))
		return
	}

	sess := p.sessionOf(r)
	if req.prompt == "none" {
		if sess == nil || (req.loginHint != "" && !p.sameUser(sess, req.loginHint)) {
			p.redirectError(w, r, req, errLoginRequired())
			return
		}
		p.completeSession(w, r, req, sess)
		return
	}
	if sess != nil && req.prompt == "" || sess != nil && req.prompt == "consent" {
		if req.loginHint == "" || p.sameUser(sess, req.loginHint) {
			p.completeSession(w, r, req, sess)
			return
		}
	}
	if req.loginHint == "" && sess != nil {
		if u, ok := p.store.UserByID(sess.userID); ok {
			req.loginHint = u.UPN
		}
	}
	p.showLogin(w, r, req, "", http.StatusOK)
}

// clientAndRedirect checks the tenant, the client and the redirect URI: the errors
// that Entra shows on its own page rather than redirect.
func (p *IdP) clientAndRedirect(r *http.Request, clientID, redirectURI string, hasRedirect bool) (*authRequest, *aadError) {
	seg := r.PathValue("tenant")
	if !p.store.Resolves(seg) {
		return nil, errTenantNotFound(seg)
	}
	if clientID == "" {
		return nil, errMissingParam("client_id")
	}
	app, ok := p.store.AppByID(clientID)
	if !ok {
		if !validAppID(clientID) {
			return nil, errInvalidAppID(clientID)
		}
		return nil, errAppNotFound(http.StatusBadRequest, clientID, p.directoryName())
	}
	if len(app.RedirectURIs) == 0 {
		return nil, errNoReplyAddress()
	}
	if !hasRedirect {
		if len(app.RedirectURIs) != 1 {
			return nil, errInvalidRequest(900971, "No reply address provided.")
		}
		redirectURI = app.RedirectURIs[0]
	}
	if _, ok := app.MatchRedirectURI(redirectURI); !ok {
		return nil, errRedirectMismatch(redirectURI, app.AppID)
	}
	return &authRequest{tenantSeg: seg, clientID: app.AppID, app: app, redirectURI: redirectURI, responseMode: "query"}, nil
}

func (p *IdP) directoryName() string {
	if t := p.store.Snapshot(); t.DisplayName != "" {
		return t.DisplayName
	}
	return p.store.TenantID()
}

// sameUser reports whether a login hint names the session's user.
func (p *IdP) sameUser(s *session, hint string) bool {
	u, ok := p.store.UserByLogin(hint)
	return ok && u.ID == s.userID
}

// completeSession completes the request for the browser's signed-in user (SSO), who
// signed in when the session began.
func (p *IdP) completeSession(w http.ResponseWriter, r *http.Request, req *authRequest, sess *session) {
	req.authTime = sess.authTime
	p.complete(w, r, req, sess.userID)
}

// sessionOf returns the browser's live session, if it has one.
func (p *IdP) sessionOf(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.state.sessions[c.Value]
	if s == nil || now.After(s.expires) {
		return nil
	}
	if _, ok := p.store.UserByID(s.userID); !ok {
		return nil // the user was deleted since
	}
	return s
}

// complete finishes a sign-in for the user: the checks Entra makes after
// authentication (assignment, consent), then the code (or the device approval, or the
// admin consent) delivered to the application.
func (p *IdP) complete(w http.ResponseWriter, r *http.Request, req *authRequest, userID string) {
	if req.authTime.IsZero() {
		req.authTime = p.now()
	}
	u, ok := p.store.UserByID(userID)
	if !ok {
		p.errorPage(w, r, errInvalidRequest(50034, "The user account does not exist in the "+p.directoryName()+" directory."))
		return
	}
	switch req.kind {
	case kindAdminConsent:
		p.completeAdminConsent(w, r, req, &u)
		return
	case kindDevice:
		p.completeDevice(w, r, req, u.ID, u.UPN)
		return
	case kindExternal:
		p.log.Info("signed in", "client_id", req.clientID, "user", u.ID, "delivery", "protocol")
		req.finish(w, r, &u, req.authTime)
		return
	}
	check, err := p.store.CheckAccess(req.clientID, u.ID)
	if err != nil {
		p.errorPage(w, r, errAppNotFound(http.StatusBadRequest, req.clientID, p.directoryName()))
		return
	}
	if !check.Access.Allowed() {
		p.redirectError(w, r, req, errNotAssigned(&req.app))
		return
	}
	app, _ := p.store.AppByID(req.clientID) // consent may have been granted meanwhile
	if (app.ConsentRequired || p.faultsFor(app.AppID).consentRequired) && !app.ConsentGranted {
		p.redirectError(w, r, req, errConsentRequired(&app))
		return
	}
	if req.prompt == "consent" && !req.consented {
		p.showConsent(w, r, req, &u)
		return
	}
	now := p.now()
	g := &grant{
		clientID:    req.clientID,
		redirectURI: req.redirectURI,
		userID:      u.ID,
		scope:       req.scope,
		scopes:      req.scopes,
		nonce:       req.nonce,
		challenge:   req.challenge,
		method:      req.method,
		authTime:    req.authTime,
		expires:     now.Add(codeLifetime),
		family:      randomID(16),
	}
	code := "1.A" + randomID(96)
	p.mu.Lock()
	p.sweep(now)
	p.state.codes[code] = g
	p.mu.Unlock()
	p.log.Info("signed in", "client_id", req.clientID, "user", u.ID, "delivery", req.responseMode)

	v := url.Values{}
	v.Set("code", code)
	if req.clientInfo {
		v.Set("client_info", clientInfo(u.ID, p.store.TenantID()))
	}
	if req.state != "" {
		v.Set("state", req.state)
	}
	v.Set("session_state", g.family)
	p.respond(w, r, req, v)
}

// respond delivers parameters to the redirect URI by the request's response mode.
func (p *IdP) respond(w http.ResponseWriter, r *http.Request, req *authRequest, v url.Values) {
	w.Header().Set("Cache-Control", "no-store")
	switch req.responseMode {
	case "form_post":
		renderFormPost(w, req.redirectURI, v)
	case "fragment":
		http.Redirect(w, r, req.redirectURI+"#"+v.Encode(), http.StatusFound)
	default:
		sep := "?"
		if strings.Contains(req.redirectURI, "?") {
			sep = "&"
		}
		http.Redirect(w, r, req.redirectURI+sep+v.Encode(), http.StatusFound)
	}
}

// newSession signs the browser in for SSO on later requests.
func (p *IdP) newSession(w http.ResponseWriter, userID string) {
	now := p.now()
	id := randomID(32)
	p.mu.Lock()
	p.sweep(now)
	p.state.sessions[id] = &session{userID: userID, authTime: now, expires: now.Add(sessionLifetime)}
	p.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true,
		Secure: strings.HasPrefix(p.base, "https://"), SameSite: http.SameSiteLaxMode})
}

// logout ends the browser's session and, when asked, sends it back to the app.
func (p *IdP) logout(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.tenantSegment(w, r); !ok {
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		p.mu.Lock()
		delete(p.state.sessions, c.Value)
		p.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: strings.HasPrefix(p.base, "https://"), SameSite: http.SameSiteLaxMode})
	q := r.URL.Query()
	if to := q.Get("post_logout_redirect_uri"); to != "" && p.registeredAnywhere(to) {
		if st := q.Get("state"); st != "" {
			sep := "?"
			if strings.Contains(to, "?") {
				sep = "&"
			}
			to += sep + url.Values{"state": {st}}.Encode()
		}
		http.Redirect(w, r, to, http.StatusFound)
		return
	}
	renderPage(w, http.StatusOK, pageData{Title: "You signed out of your account", Message: "It’s a good idea to close all browser windows."})
}

func (p *IdP) registeredAnywhere(uri string) bool {
	return slices.ContainsFunc(p.store.Apps(), func(a tenant.App) bool {
		_, ok := a.MatchRedirectURI(uri)
		return ok
	})
}
