package idp

import (
	"crypto/rand"
	"net/http"
	"strings"
	"time"
)

// deviceFlow is one device authorization (RFC 8628) from request to redemption.
type deviceFlow struct {
	deviceCode string
	userCode   string
	clientID   string
	scope      string
	scopes     *scopeSet
	expires    time.Time
	lastPoll   time.Time
	userID     string // set on approval
	authTime   time.Time
	declined   bool
	redeemed   bool
}

// userCodeAlphabet leaves out letters and digits people confuse, as Entra's codes do.
const userCodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

func newUserCode() string {
	b := make([]byte, 9)
	rand.Read(b)
	for i := range b {
		b[i] = userCodeAlphabet[int(b[i])%len(userCodeAlphabet)]
	}
	return string(b)
}

// deviceCode is /{tenant}/oauth2/v2.0/devicecode.
func (p *IdP) deviceCode(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		p.writeJSONError(w, r, errInvalidRequest(900144, "The request body must be application/x-www-form-urlencoded and at most 64 KiB."))
		return
	}
	if _, ok := p.tenantSegment(w, r); !ok {
		return
	}
	clientID := r.PostForm.Get("client_id")
	if clientID == "" {
		p.writeJSONError(w, r, errMissingParam("client_id"))
		return
	}
	app, ok := p.store.AppByID(clientID)
	if !ok {
		p.writeJSONError(w, r, errAppNotFound(http.StatusBadRequest, clientID, p.directoryName()))
		return
	}
	scope := r.PostForm.Get("scope")
	if strings.TrimSpace(scope) == "" {
		p.writeJSONError(w, r, errMissingParam("scope"))
		return
	}
	s, aerr := p.parseScopes(scope, false)
	if aerr != nil {
		p.writeJSONError(w, r, aerr)
		return
	}
	now := p.now()
	f := &deviceFlow{
		deviceCode: "DAQABAAEAAA" + randomID(96),
		clientID:   app.AppID,
		scope:      scope,
		scopes:     s,
		expires:    now.Add(deviceCodeLifetime),
	}
	p.mu.Lock()
	p.sweep(now)
	for {
		f.userCode = newUserCode()
		if p.state.userCode[f.userCode] == nil {
			break
		}
	}
	p.state.devices[f.deviceCode] = f
	p.state.userCode[f.userCode] = f
	p.mu.Unlock()
	uri := p.base + "/devicelogin"
	writeJSON(w, http.StatusOK, map[string]any{
		"user_code":        f.userCode,
		"device_code":      f.deviceCode,
		"verification_uri": uri,
		"expires_in":       int(deviceCodeLifetime / time.Second),
		"interval":         max(1, int(p.interval()/time.Second)),
		"message":          "To sign in, use a web browser to open the page " + uri + " and enter the code " + f.userCode + " to authenticate.",
	})
}

func (p *IdP) interval() time.Duration { return p.poll }

// redeemDevice is the token endpoint's device_code grant: pending until the user
// approves on /devicelogin, slow_down for a client polling faster than the interval.
func (p *IdP) redeemDevice(w http.ResponseWriter, r *http.Request, cl *client) {
	dc := r.PostForm.Get("device_code")
	if dc == "" {
		p.writeJSONError(w, r, errMissingParam("device_code"))
		return
	}
	now := p.now()
	p.mu.Lock()
	f := p.state.devices[dc]
	var fc deviceFlow
	var tooFast bool
	if f != nil {
		tooFast = !f.lastPoll.IsZero() && now.Sub(f.lastPoll) < p.interval()/2
		f.lastPoll = now
		fc = *f
		if fc.userID != "" && !fc.redeemed && !tooFast && !now.After(fc.expires) && strings.EqualFold(fc.clientID, cl.app.AppID) {
			f.redeemed = true
		}
	}
	p.mu.Unlock()
	switch {
	case f == nil:
		p.writeJSONError(w, r, &aadError{400, "bad_verification_code", 70000, "The provided value for the input parameter 'device_code' is not valid."})
	case !strings.EqualFold(fc.clientID, cl.app.AppID):
		p.writeJSONError(w, r, &aadError{400, "invalid_grant", 70000, "Provided grant is invalid or malformed. The device code was issued to another client."})
	case now.After(fc.expires):
		p.writeJSONError(w, r, &aadError{400, "expired_token", 70020, "The provided value for the input parameter 'device_code' is not valid. This device code has expired."})
	case fc.declined:
		p.writeJSONError(w, r, &aadError{400, "authorization_declined", 70000, "The user declined the authorization request."})
	case tooFast:
		p.writeJSONError(w, r, &aadError{400, "slow_down", 70016, "OAuth 2.0 device flow error. Polling too fast; wait the interval between requests."})
	case fc.userID == "":
		p.writeJSONError(w, r, &aadError{400, "authorization_pending", 70016, "OAuth 2.0 device flow error. Authorization is pending. Continue polling."})
	case fc.redeemed:
		p.writeJSONError(w, r, &aadError{400, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token."})
	default:
		g := &grant{clientID: fc.clientID, userID: fc.userID, scope: fc.scope, scopes: fc.scopes,
			authTime: fc.authTime, expires: fc.expires, family: randomID(16)}
		p.issueUserTokens(w, r, cl, g, fc.scopes, fc.scope, now)
	}
}

// deviceLogin shows the code entry page of /devicelogin.
func (p *IdP) deviceLogin(w http.ResponseWriter, r *http.Request) {
	p.showCodeEntry(w, r, "")
}

func (p *IdP) showCodeEntry(w http.ResponseWriter, r *http.Request, errLine string) {
	token := p.csrfToken(w, r)
	renderPage(w, http.StatusOK, pageData{
		Tenant:  p.tenantName(),
		Title:   "Enter code",
		Message: "Enter the code displayed on your app or device.",
		Error:   errLine,
		Action:  p.base + "/devicelogin",
		Hidden:  []hiddenInput{{"canary", p.canary(token, "devicelogin")}},
		ShowOTC: true,
		Button:  "Next",
	})
}

// deviceLoginSubmit takes the code entered (then shows the login form for that device
// flow) or a decline posted from that login form.
func (p *IdP) deviceLoginSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, r, errInvalidRequest(900144, "The form could not be read."))
		return
	}
	if r.PostForm.Get("decline") == "1" {
		ctx := r.PostForm.Get("ctx")
		req := p.pendingRequest(ctx)
		if req == nil || req.device == nil || !p.checkCanary(r, ctx) {
			p.errorPage(w, r, errInvalidRequest(50089, "Flow token expired - Authentication Failed. Start the sign-in again from the device."))
			return
		}
		p.mu.Lock()
		req.device.declined = true
		p.mu.Unlock()
		p.forget(ctx)
		renderPage(w, http.StatusOK, pageData{Tenant: p.tenantName(), Title: "Sign-in cancelled", Message: "You have declined to sign in to " + req.app.DisplayName + " on the other device. You may now close this window."})
		return
	}
	if !p.checkCanary(r, "devicelogin") {
		p.errorPage(w, r, errInvalidRequest(50089, "Flow token expired - Authentication Failed. Open the device login page again."))
		return
	}
	code := strings.ToUpper(strings.Join(strings.Fields(r.PostForm.Get("otc")), ""))
	now := p.now()
	p.mu.Lock()
	f := p.state.userCode[code]
	usable := f != nil && !now.After(f.expires) && f.userID == "" && !f.declined
	p.mu.Unlock()
	if !usable {
		p.showCodeEntry(w, r, "AADSTS70000: That code didn't work. Check the code and try again.")
		return
	}
	app, ok := p.store.AppByID(f.clientID)
	if !ok {
		p.errorPage(w, r, errAppNotFound(http.StatusBadRequest, f.clientID, p.directoryName()))
		return
	}
	req := &authRequest{kind: kindDevice, tenantSeg: p.store.TenantID(), clientID: app.AppID, app: app,
		scope: f.scope, scopes: f.scopes, device: f, prompt: "login"}
	p.showLogin(w, r, req, "", http.StatusOK)
}

// completeDevice approves the device flow for the signed-in user.
func (p *IdP) completeDevice(w http.ResponseWriter, r *http.Request, req *authRequest, userID, upn string) {
	if check, err := p.store.CheckAccess(req.clientID, userID); err != nil || !check.Access.Allowed() {
		p.errorPage(w, r, errNotAssigned(&req.app))
		return
	}
	now := p.now()
	p.mu.Lock()
	f := req.device
	expired := now.After(f.expires) || f.declined
	if !expired {
		f.userID, f.authTime = userID, now
	}
	p.mu.Unlock()
	if expired {
		p.errorPage(w, r, &aadError{400, "expired_token", 70020, "The device code has expired or was cancelled. Start again on the device."})
		return
	}
	p.log.Info("device approved", "client_id", req.clientID, "user", userID)
	renderPage(w, http.StatusOK, pageData{Tenant: p.tenantName(), Title: req.app.DisplayName,
		Message: "You have signed in to the " + req.app.DisplayName + " application on your device. You may now close this window."})
}
