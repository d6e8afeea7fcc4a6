// Package idp is the login side of the local Entra: the OpenID Connect v2.0 endpoints
// (discovery, JWKS, instance discovery, authorize, token, device code, admin consent),
// the login page, and Entra's AADSTS errors delivered where Entra delivers them; and
// Entra's SAML side: /{tenant}/saml2 and the federation metadata (saml.go). It answers
// for one tenant, held by a *tenant.Store, and signs tokens with the keys the harness
// gives it; SAML answers with each app's own signing certificate.
//
// Tokens follow Entra's shapes: ID tokens are v2.0 (issuer
// {base}/{tid}/v2.0, pairwise sub, oid, tid, preferred_username, optional email, groups
// with overage, idp for guests), access tokens are v1.0 as Entra issues them to
// resources that do not ask for v2 (issuer https://sts.windows.net/{tid}/, aud the
// resource as requested: https://graph.microsoft.com or the app's identifier URI).
package idp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ssowizard/ssowizard/harness/entrasaml"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

// SigningKey is an RSA key that signs tokens, with the self-signed certificate the JWKS
// publishes for it (x5c) and its key ID (kid, which is also its x5t).
type SigningKey struct {
	ID   string
	Key  *rsa.PrivateKey
	Cert *x509.Certificate
}

// Config is what the login side needs from the harness.
type Config struct {
	// BaseURL is the origin the harness serves, as https://127.0.0.1:PORT, standing for
	// https://login.microsoftonline.com. It has no trailing slash.
	BaseURL string
	// Store is the tenant the login side answers for.
	Store *tenant.Store
	// Keys sign tokens; the first signs, all are published in the JWKS.
	Keys []SigningKey
	// Now is the clock; nil means time.Now. Code, token and session lifetimes follow it.
	Now func() time.Time
	// DevicePollInterval is the interval the device code endpoint asks clients to poll
	// at; zero means Entra's 5 seconds. Tests shorten it.
	DevicePollInterval time.Duration
	// SlowDelay is how long the slow scenario holds answers back; zero means 3 seconds.
	SlowDelay time.Duration
	// Logger receives one line per sign-in outcome; nil discards. It never sees
	// secrets, codes, tokens or passwords.
	Logger *slog.Logger
	// SAMLKeyDir keeps the apps' SAML token signing key pairs (by certificate key ID)
	// across restarts; empty keeps them in memory only.
	SAMLKeyDir string
	// OnIssue, when set, is handed each SAML Response posted to a reply URL (kind
	// IssuedSAMLResponse, the base64 as posted, error statuses included) and each ID
	// token issued (kind IssuedIDToken, the compact JWT), so a tool can show the last
	// answer. It runs on the request's goroutine before the answer is written, and must
	// return quickly; the message is the caller's to keep.
	OnIssue func(kind string, message []byte)
}

// Kinds of message OnIssue is handed.
const (
	IssuedSAMLResponse = "saml-response"
	IssuedIDToken      = "id-token"
)

// Lifetimes Entra uses.
const (
	codeLifetime       = 10 * time.Minute
	tokenLifetime      = 75 * time.Minute // Entra varies 60–90 minutes; its middle
	refreshLifetime    = 90 * 24 * time.Hour
	sessionLifetime    = 24 * time.Hour
	pendingLifetime    = time.Hour // Entra's flow token
	deviceCodeLifetime = 15 * time.Minute
	deviceInterval     = 5 * time.Second
)

// IdP serves the login endpoints of one tenant. Its state (codes, sessions, refresh
// tokens, device codes, pending sign-ins) lives in memory and dies with it.
type IdP struct {
	base      string
	store     *tenant.Store
	keys      []SigningKey
	now       func() time.Time
	log       *slog.Logger
	poll      time.Duration
	slowDelay time.Duration
	csrf      []byte // HMAC key binding the login form's canary to its cookie
	jwks      []byte
	mu        sync.Mutex
	state     memState
	sweeps    int

	samlKeys   *samlKeys
	samlCertMu sync.Mutex // serialises creating an app's first SAML certificate
	samlEnc    sync.Map   // encryption certificate PEM → *x509.Certificate

	onIssue func(kind string, message []byte)
}

// memState is everything the IdP remembers between requests; guarded by IdP.mu.
type memState struct {
	pending  map[string]*authRequest // ctx (flow token) → the sign-in in progress
	sessions map[string]*session     // session cookie → signed-in user
	codes    map[string]*grant       // authorization code → what it grants
	refresh  map[string]*grant       // refresh token → what it grants
	devices  map[string]*deviceFlow  // device_code → flow
	userCode map[string]*deviceFlow  // user code → flow
}

// New makes the login side for the tenant in cfg.
func New(cfg Config) (*IdP, error) {
	if cfg.Store == nil {
		return nil, errors.New("idp: no tenant store")
	}
	if len(cfg.Keys) == 0 {
		return nil, errors.New("idp: no signing key")
	}
	if !strings.HasPrefix(cfg.BaseURL, "https://") && !strings.HasPrefix(cfg.BaseURL, "http://") {
		return nil, fmt.Errorf("idp: base URL %q is not an http(s) origin", cfg.BaseURL)
	}
	p := &IdP{
		base:      strings.TrimSuffix(cfg.BaseURL, "/"),
		store:     cfg.Store,
		keys:      cfg.Keys,
		now:       cfg.Now,
		log:       cfg.Logger,
		poll:      cfg.DevicePollInterval,
		slowDelay: cfg.SlowDelay,
		onIssue:   cfg.OnIssue,
		state: memState{
			pending:  map[string]*authRequest{},
			sessions: map[string]*session{},
			codes:    map[string]*grant{},
			refresh:  map[string]*grant{},
			devices:  map[string]*deviceFlow{},
			userCode: map[string]*deviceFlow{},
		},
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.slowDelay <= 0 {
		p.slowDelay = 3 * time.Second
	}
	if p.poll <= 0 {
		p.poll = deviceInterval
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.samlKeys = &samlKeys{dir: cfg.SAMLKeyDir, pairs: map[string]*entrasaml.KeyPair{}}
	p.csrf = make([]byte, 32)
	rand.Read(p.csrf)
	jwks, err := marshalJWKS(cfg.Keys, "")
	if err != nil {
		return nil, err
	}
	p.jwks = jwks
	return p, nil
}

// Register adds the login routes to mux. Paths follow login.microsoftonline.com; the
// tenant segment is a tenant GUID, a verified domain, "organizations" or "common".
func (p *IdP) Register(mux *http.ServeMux) {
	for pattern, h := range map[string]http.HandlerFunc{
		"/{tenant}/v2.0/.well-known/openid-configuration": p.discovery,
		"/{tenant}/.well-known/openid-configuration":      p.discoveryV1,
		"/{tenant}/discovery/v2.0/keys":                   p.keysHandler,
		"/{tenant}/discovery/keys":                        p.keysHandler,
		"/common/discovery/instance":                      p.instanceDiscovery,
	} {
		mux.HandleFunc("GET "+pattern, corsGET(h))
		mux.HandleFunc("OPTIONS "+pattern, preflight("GET, OPTIONS"))
	}
	for pattern, h := range map[string]http.HandlerFunc{
		"/{tenant}/oauth2/v2.0/token": p.token,
		"/{tenant}/oauth2/token":      p.tokenV1,
	} {
		mux.HandleFunc("POST "+pattern, corsToken(h))
		mux.HandleFunc("OPTIONS "+pattern, preflight("POST, OPTIONS"))
	}
	mux.HandleFunc("GET /{tenant}/oauth2/v2.0/authorize", p.authorize)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/authorize", p.authorize)
	mux.HandleFunc("GET /{tenant}/oauth2/authorize", p.authorizeV1)
	mux.HandleFunc("POST /{tenant}/oauth2/authorize", p.authorizeV1)
	mux.HandleFunc("POST /{tenant}/login", p.login)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/devicecode", p.deviceCode)
	mux.HandleFunc("GET /{tenant}/oauth2/v2.0/logout", p.logout)
	mux.HandleFunc("GET /{tenant}/oauth2/logout", p.logout)
	mux.HandleFunc("GET /{tenant}/v2.0/adminconsent", p.adminConsent)
	mux.HandleFunc("GET /devicelogin", p.deviceLogin)
	mux.HandleFunc("POST /devicelogin", p.deviceLoginSubmit)
	mux.HandleFunc("GET /error", p.errorInfo)
	mux.HandleFunc("GET /oidc/userinfo", p.userinfo)
	mux.HandleFunc("POST /oidc/userinfo", p.userinfo)
	mux.HandleFunc("GET /{tenant}/openid/userinfo", p.userinfo)
	mux.HandleFunc("POST /{tenant}/openid/userinfo", p.userinfo)
	p.registerSAML(mux)
}

// issued tells OnIssue about a message handed out.
func (p *IdP) issued(kind string, message []byte) {
	if p.onIssue != nil {
		p.onIssue(kind, message)
	}
}

// Issuer is the v2.0 issuer of the tenant's ID tokens.
func (p *IdP) Issuer() string { return p.base + "/" + p.store.TenantID() + "/v2.0" }

// randomID returns n random bytes as base64url, for codes, tokens and cookies. Codes
// and tokens are secrets, so they always come from crypto/rand, whose Read never fails.
func randomID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// guid returns a random GUID, as Entra's trace and correlation IDs.
func guid() string {
	id, _ := tenant.NewGUID(rand.Reader) // crypto/rand never fails
	return id
}

// canary is the CSRF token of a login form: bound to the browser's cookie and to the
// sign-in in progress, so a form cannot be replayed from another browser.
func (p *IdP) canary(cookie, ctx string) string {
	m := hmac.New(sha256.New, p.csrf)
	m.Write([]byte(cookie + "\x00" + ctx))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// sweep forgets what has expired, every so often, so a long-running harness under load
// keeps a bounded memory. Called with p.mu held.
func (p *IdP) sweep(now time.Time) {
	p.sweeps++
	if p.sweeps%256 != 0 {
		return
	}
	for k, v := range p.state.pending {
		if now.After(v.expires) {
			delete(p.state.pending, k)
		}
	}
	for k, v := range p.state.sessions {
		if now.After(v.expires) {
			delete(p.state.sessions, k)
		}
	}
	for k, v := range p.state.codes {
		if now.After(v.expires) {
			delete(p.state.codes, k)
		}
	}
	for k, v := range p.state.refresh {
		if now.After(v.expires) {
			delete(p.state.refresh, k)
		}
	}
	for k, v := range p.state.devices {
		if now.After(v.expires.Add(time.Hour)) {
			delete(p.state.devices, k)
			delete(p.state.userCode, v.userCode)
		}
	}
}
