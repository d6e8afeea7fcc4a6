package idp

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ssowizard/ssowizard/harness/tenant"
)

// deviceGrant is RFC 8628's grant type; Entra also takes the bare "device_code",
// which is what MSAL sends.
const (
	deviceGrant      = "urn:ietf:params:oauth:grant-type:device_code"
	deviceGrantShort = "device_code"
)

// tokenResponse is Entra's v2.0 token response.
type tokenResponse struct {
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope,omitempty"`
	ExpiresIn    int64  `json:"expires_in"`
	ExtExpiresIn int64  `json:"ext_expires_in"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	ClientInfo   string `json:"client_info,omitempty"`
}

// client is the authenticated (or public) caller of the token endpoint.
type client struct {
	app       tenant.App
	hasSecret bool // authenticated with a secret: appidacr 1
}

// token is /{tenant}/oauth2/v2.0/token. The claims parameter (CAE) is accepted and
// ignored.
func (p *IdP) token(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		p.writeJSONError(w, r, errInvalidRequest(900144, "The request body must be application/x-www-form-urlencoded and at most 64 KiB."))
		return
	}
	if _, ok := p.tenantSegment(w, r); !ok {
		return
	}
	f := r.PostForm
	p.delay(p.faultsFor(f.Get("client_id")))
	gt := f.Get("grant_type")
	if gt == deviceGrantShort {
		gt = deviceGrant
	}
	if gt == "" {
		p.writeJSONError(w, r, errMissingParam("grant_type"))
		return
	}
	switch gt {
	case "authorization_code", "refresh_token", "client_credentials", deviceGrant:
	default:
		p.writeJSONError(w, r, errUnsupportedGrant(gt))
		return
	}
	// Device code is a public client flow; the others need the secret of an app that
	// has one (a confidential client). An app without secrets is a public client.
	cl, aerr := p.authenticate(r, gt == "client_credentials", gt != deviceGrant)
	if aerr != nil {
		p.writeJSONError(w, r, aerr)
		return
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		p.writeJSONError(w, r, errCrossOrigin(origin))
		return
	}
	switch gt {
	case "authorization_code":
		p.redeemCode(w, r, cl)
	case "refresh_token":
		p.redeemRefresh(w, r, cl)
	case "client_credentials":
		p.clientCredentials(w, r, cl)
	case deviceGrant:
		p.redeemDevice(w, r, cl)
	}
}

// authenticate finds the client and checks its secret: client_secret_basic or
// client_secret_post. requireSecret is client credentials, which always needs one;
// confidential is whether an app with secrets must present one.
func (p *IdP) authenticate(r *http.Request, requireSecret, confidential bool) (*client, *aadError) {
	clientID, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if id, sec, ok := r.BasicAuth(); ok {
		// RFC 6749 §2.3.1: both parts are form-encoded before Basic encoding.
		if u, err := url.QueryUnescape(id); err == nil {
			id = u
		}
		if s, err := url.QueryUnescape(sec); err == nil {
			sec = s
		}
		if clientID != "" && !strings.EqualFold(clientID, id) {
			return nil, errInvalidRequest(900144, "The client_id in the body does not match the one in the Authorization header.")
		}
		clientID, secret = id, sec
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
	if secret == "" && r.PostForm.Get("client_assertion") == "" {
		if requireSecret || confidential && len(app.Secrets) > 0 {
			return nil, errSecretMissing()
		}
		return &client{app: app}, nil
	}
	if secret == "" {
		return nil, p.clientAssertion(r, &app)
	}
	check := tenant.CheckSecret(app.Secrets, secret, p.now())
	if check.Result == tenant.SecretOK && p.faultsFor(app.AppID).expiredSecret {
		check.Result = tenant.SecretExpired
	}
	switch check.Result {
	case tenant.SecretOK:
		return &client{app: app, hasSecret: true}, nil
	case tenant.SecretExpired:
		return nil, errSecretExpired(app.AppID)
	case tenant.SecretIsKeyID:
		p.log.Info("secret id sent as the secret", "client_id", app.AppID, "key_id", check.KeyID)
		return nil, errBadSecret(app.AppID)
	case tenant.SecretMissing:
		return nil, errSecretMissing()
	default:
		return nil, errBadSecret(app.AppID)
	}
}

func (p *IdP) redeemCode(w http.ResponseWriter, r *http.Request, cl *client) {
	f := r.PostForm
	code := f.Get("code")
	if code == "" {
		p.writeJSONError(w, r, errMissingParam("code"))
		return
	}
	now := p.now()
	p.mu.Lock()
	g := p.state.codes[code]
	var replay bool
	var gc grant
	if g != nil {
		replay = g.used
		g.used = true
		gc = *g
		if replay {
			p.revokeFamily(g.family)
		}
	}
	p.mu.Unlock()
	switch {
	case g == nil:
		p.writeJSONError(w, r, errInvalidGrant(9002313, "Invalid request. Request is malformed or invalid. The authorization code is not one this tenant issued."))
		return
	case replay:
		p.writeJSONError(w, r, errCodeRedeemed())
		return
	case now.After(gc.expires):
		p.writeJSONError(w, r, errInvalidGrant(70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."))
		return
	case !strings.EqualFold(gc.clientID, cl.app.AppID):
		p.writeJSONError(w, r, errInvalidGrant(70000, "Provided grant is invalid or malformed. The authorization code was issued to another client."))
		return
	case f.Get("redirect_uri") != gc.redirectURI:
		p.writeJSONError(w, r, errInvalidGrant(70000, fmt.Sprintf("Provided grant is invalid or malformed. The redirect_uri '%s' is not the one the authorization code was issued for.", f.Get("redirect_uri"))))
		return
	}
	if gc.challenge != "" || f.Has("code_verifier") {
		if !pkceMatches(gc.challenge, gc.method, f.Get("code_verifier")) {
			p.writeJSONError(w, r, errInvalidGrant(501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request."))
			return
		}
	}
	p.issueUserTokens(w, r, cl, &gc, gc.scopes, gc.scope, now)
}

// pkceMatches checks a code_verifier against the challenge (RFC 7636 §4.6).
func pkceMatches(challenge, method, verifier string) bool {
	if challenge == "" || verifier == "" {
		return false
	}
	want := verifier
	if method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}

// revokeFamily ends every refresh token issued from one sign-in, as Entra does when a
// code is replayed. Called with p.mu held.
func (p *IdP) revokeFamily(family string) {
	for k, g := range p.state.refresh {
		if g.family == family {
			delete(p.state.refresh, k)
		}
	}
}

func (p *IdP) redeemRefresh(w http.ResponseWriter, r *http.Request, cl *client) {
	f := r.PostForm
	rt := f.Get("refresh_token")
	if rt == "" {
		p.writeJSONError(w, r, errMissingParam("refresh_token"))
		return
	}
	now := p.now()
	p.mu.Lock()
	g := p.state.refresh[rt]
	var gc grant
	if g != nil {
		gc = *g
	}
	p.mu.Unlock()
	switch {
	case g == nil:
		p.writeJSONError(w, r, errInvalidGrant(9002313, "Invalid request. Request is malformed or invalid. The refresh token is unknown or has been revoked."))
		return
	case now.After(gc.expires):
		p.writeJSONError(w, r, errInvalidGrant(70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."))
		return
	case !strings.EqualFold(gc.clientID, cl.app.AppID):
		p.writeJSONError(w, r, errInvalidGrant(70000, "Provided grant is invalid or malformed. The refresh token was issued to another client."))
		return
	}
	scopes, scope := gc.scopes, gc.scope
	if s := f.Get("scope"); strings.TrimSpace(s) != "" {
		// A refresh token serves any resource the user may reach (a multi-resource
		// refresh token); the ID token still needs openid in the new request.
		ns, aerr := p.parseScopes(s, false)
		if aerr != nil {
			p.writeJSONError(w, r, aerr)
			return
		}
		scopes, scope = ns, s
	}
	p.issueUserTokens(w, r, cl, &gc, scopes, scope, now)
}

// issueUserTokens answers a delegated grant: access token, ID token with openid, refresh
// token with offline_access.
func (p *IdP) issueUserTokens(w http.ResponseWriter, r *http.Request, cl *client, g *grant, scopes *scopeSet, scope string, now time.Time) {
	u, ok := p.store.UserByID(g.userID)
	if !ok {
		p.writeJSONError(w, r, errInvalidGrant(50034, "The user account does not exist in the "+p.directoryName()+" directory."))
		return
	}
	if check, err := p.store.CheckAccess(cl.app.AppID, u.ID); err != nil || !check.Access.Allowed() {
		p.writeJSONError(w, r, errNotAssigned(&cl.app))
		return
	}
	appidacr := "0"
	if cl.hasSecret {
		appidacr = "1"
	}
	at, exp, err := p.accessToken(&cl.app, &u, scopes, appidacr, now)
	if err != nil {
		http.Error(w, "sign token", http.StatusInternalServerError)
		return
	}
	resp := tokenResponse{
		TokenType:    "Bearer",
		Scope:        scope,
		ExpiresIn:    int64(exp.Sub(now) / time.Second),
		ExtExpiresIn: int64(exp.Sub(now) / time.Second),
		AccessToken:  at,
	}
	ig := *g
	ig.scopes = scopes
	if scopes.openid {
		if resp.IDToken, err = p.idToken(&cl.app, &u, &ig, now, isV1(r)); err != nil {
			http.Error(w, "sign token", http.StatusInternalServerError)
			return
		}
	}
	if r.PostForm.Get("client_info") == "1" {
		resp.ClientInfo = clientInfo(u.ID, p.store.TenantID())
	}
	if scopes.offline {
		rt := "1.A" + randomID(192)
		ng := ig
		ng.nonce = "" // a refreshed ID token carries no nonce
		ng.scope = scope
		ng.expires = now.Add(refreshLifetime)
		p.mu.Lock()
		p.sweep(now)
		p.state.refresh[rt] = &ng
		p.mu.Unlock()
		resp.RefreshToken = rt
	}
	p.log.Info("tokens issued", "client_id", cl.app.AppID, "user", u.ID, "grant", r.PostForm.Get("grant_type"))
	if resp.IDToken != "" {
		p.issued(IssuedIDToken, []byte(resp.IDToken))
	}
	p.writeTokens(w, r, resp, scopes.resource, now)
}

func (p *IdP) clientCredentials(w http.ResponseWriter, r *http.Request, cl *client) {
	scope := r.PostForm.Get("scope")
	if strings.TrimSpace(scope) == "" {
		p.writeJSONError(w, r, errMissingParam("scope"))
		return
	}
	s, aerr := p.parseScopes(scope, true)
	if aerr != nil {
		p.writeJSONError(w, r, aerr)
		return
	}
	if cl.app.ServicePrincipalID == "" {
		p.writeJSONError(w, r, &aadError{http.StatusBadRequest, "invalid_client", 7000229, fmt.Sprintf("The client application %s is missing service principal in the tenant %s.", cl.app.AppID, p.store.TenantID())})
		return
	}
	now := p.now()
	at, exp, err := p.appToken(&cl.app, s, now)
	if err != nil {
		http.Error(w, "sign token", http.StatusInternalServerError)
		return
	}
	p.log.Info("tokens issued", "client_id", cl.app.AppID, "grant", "client_credentials")
	p.writeTokens(w, r, tokenResponse{
		TokenType:    "Bearer",
		Scope:        scope,
		ExpiresIn:    int64(exp.Sub(now) / time.Second),
		ExtExpiresIn: int64(exp.Sub(now) / time.Second),
		AccessToken:  at,
	}, s.resource, now)
}

// clientAssertion answers private_key_jwt, which the discovery document advertises as
// Entra's does. The harness's apps have no certificate credentials (the tenant file
// registers secrets only), so every assertion is refused as Entra refuses one signed by
// a key the app does not have: AADSTS700027 with the thumbprint the assertion names.
func (p *IdP) clientAssertion(r *http.Request, app *tenant.App) *aadError {
	const jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	if t := r.PostForm.Get("client_assertion_type"); t != jwtBearer {
		return errInvalidRequest(50027, fmt.Sprintf("Invalid client_assertion_type '%s'; it must be '%s'.", t, jwtBearer))
	}
	thumb := ""
	if h, _, ok := strings.Cut(r.PostForm.Get("client_assertion"), "."); ok {
		if b, err := base64.RawURLEncoding.DecodeString(h); err == nil {
			var hdr struct {
				X5t string `json:"x5t"`
			}
			if json.Unmarshal(b, &hdr) == nil {
				if raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(hdr.X5t, "=")); err == nil && len(raw) == 20 {
					thumb = strings.ToUpper(hex.EncodeToString(raw))
				}
			}
		}
	}
	if thumb == "" {
		return errInvalidRequest(50027, "JWT token is invalid or malformed: the client assertion has no x5t header naming its certificate.")
	}
	return &aadError{http.StatusUnauthorized, "invalid_client", 700027, fmt.Sprintf("The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '%s', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '%s'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployments to determine the corresponding service endpoint and https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http to build a query request URL, such as 'https://graph.microsoft.com/beta/applications/%s'.]", thumb, app.AppID, app.AppID)}
}
