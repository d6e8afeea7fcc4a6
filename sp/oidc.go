package sp

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ssowizard/ssowizard/inspect"
)

// DefaultOIDCRedirectURI is the callback the OIDC login listens on: any free port, as
// Entra ignores the port of http://127.0.0.1 redirect URIs.
const DefaultOIDCRedirectURI = "http://127.0.0.1:0/callback"

// DefaultScopes are asked for when OIDCConfig.Scopes is empty.
var DefaultScopes = []string{oidc.ScopeOpenID, "profile", "email"}

// maxDocBytes bounds discovery, JWKS, userinfo and Graph answers.
const maxDocBytes = 1 << 20

// OIDCConfig configures an OpenID Connect test login.
type OIDCConfig struct {
	Common
	// Authority is the issuer, e.g. https://login.microsoftonline.com/{tenant}/v2.0.
	Authority string
	// ClientID is the Application (client) ID.
	ClientID string
	// ClientSecret is the secret value; it is sent to the token endpoint only.
	ClientSecret string
	// RedirectURI is the loopback callback; empty means DefaultOIDCRedirectURI.
	RedirectURI string
	// Scopes asked for; empty means DefaultScopes.
	Scopes []string
	// UserInfo makes a failure of the userinfo endpoint a warning. The endpoint is
	// read whenever the provider has one (as a client library does), and its claims
	// join the ID token's with their source.
	UserInfo bool
	// GraphURL is the Graph base (https://graph.microsoft.com) used to resolve a
	// groups overage with the access token; empty leaves an overage unresolved.
	GraphURL string
}

// OIDC is an OpenID Connect relying party bound to one provider.
type OIDC struct {
	cfg      OIDCConfig
	provider *oidc.Provider
	jwks     []byte
	issuer   string
	busy     sync.Mutex
}

// NewOIDC discovers the provider at cfg.Authority and fetches its keys.
func NewOIDC(ctx context.Context, cfg OIDCConfig) (*OIDC, error) {
	if cfg.Authority == "" {
		return nil, errors.New("no authority: give the issuer URL, such as https://login.microsoftonline.com/TENANT/v2.0")
	}
	if cfg.ClientID == "" {
		return nil, errors.New("no client ID: give the Application (client) ID from App registrations > Overview")
	}
	ctx = oidc.ClientContext(ctx, cfg.client())
	p, err := oidc.NewProvider(ctx, strings.TrimSuffix(cfg.Authority, "/"))
	if err != nil {
		var mismatch *oidc.IssuerMismatchError
		if errors.As(err, &mismatch) && strings.Contains(mismatch.Discovered, "{tenantid}") {
			return nil, fmt.Errorf("%s is a multi-tenant authority (common or organizations), whose issuer names no tenant: give the tenant's own, https://login.microsoftonline.com/TENANT-ID/v2.0", cfg.Authority)
		}
		if errors.As(err, &mismatch) {
			return nil, fmt.Errorf("the discovery document at %s declares issuer %s: use that as the authority", cfg.Authority, mismatch.Discovered)
		}
		return nil, fmt.Errorf("discovery at %s failed (%v): check the authority URL and the tenant", cfg.Authority, err)
	}
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := p.Claims(&meta); err != nil || meta.JWKSURI == "" {
		return nil, fmt.Errorf("the discovery document at %s has no jwks_uri", cfg.Authority)
	}
	jwks, err := getDoc(ctx, cfg.client(), meta.JWKSURI, "")
	if err != nil {
		return nil, fmt.Errorf("fetch the signing keys: %w", err)
	}
	return &OIDC{cfg: cfg, provider: p, jwks: jwks, issuer: meta.Issuer}, nil
}

// getDoc GETs a JSON document, bounded, optionally with a bearer token.
func getDoc(ctx context.Context, c *http.Client, u, bearer string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxDocBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxDocBytes {
		return nil, fmt.Errorf("%s answered more than %d bytes", u, maxDocBytes)
	}
	if resp.StatusCode != http.StatusOK {
		return b, fmt.Errorf("%s answered %s", u, resp.Status)
	}
	return b, nil
}

// errBusy refuses a second login while one is in flight.
var errBusy = errors.New("a test login is already in progress; finish or cancel it first")

// Login performs one test login: it opens the sign-in URL, waits for the callback,
// redeems the code and checks the ID token. A failed login (an error from Entra, a
// token that does not verify, no callback before the timeout) is a Result with OK false;
// the error is for logins that could not be attempted or were cancelled.
func (o *OIDC) Login(ctx context.Context) (*Result, error) {
	if !o.busy.TryLock() {
		return nil, errBusy
	}
	defer o.busy.Unlock()
	c := &o.cfg
	state, err := c.token(24)
	if err != nil {
		return nil, err
	}
	nonce, err := c.token(24)
	if err != nil {
		return nil, err
	}
	verifier := oauth2.GenerateVerifier()
	redirect := c.RedirectURI
	if redirect == "" {
		redirect = DefaultOIDCRedirectURI
	}
	check := func(p url.Values) error {
		switch {
		case p.Get("state") == "":
			return errors.New("the callback carries no state, so it cannot be tied to this login")
		case subtle.ConstantTimeCompare([]byte(p.Get("state")), []byte(state)) != 1:
			return errors.New("the callback's state is not this login's: it answers another sign-in, or was forged")
		case p.Get("code") == "" && p.Get("error") == "":
			return errors.New("the callback carries neither a code nor an error")
		}
		return nil
	}
	lb, err := listenLoopback(redirect, []string{http.MethodGet, http.MethodPost}, check, c.now)
	if err != nil {
		return nil, err
	}
	defer lb.close()
	scopes := c.Scopes
	if len(scopes) == 0 {
		scopes = DefaultScopes
	}
	oc := &oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: lb.uri, Scopes: scopes,
		Endpoint: o.provider.Endpoint()}
	// Entra takes the secret in the body; auto-detection would send it twice on failure.
	oc.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	authURL := oc.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce))
	res := &Result{Protocol: ProtocolOIDC, SignInURL: authURL, RedirectURI: lb.uri}
	lb.start()
	started := time.Now()
	if err := c.open(authURL); err != nil {
		return nil, &OpenError{URL: authURL, Err: err}
	}
	cb, err := lb.wait(ctx, c.timeout())
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			res.Report = noCallbackReport(inspect.KindOIDCError, c.timeout(), err)
			res.finish(started, time.Time{}, time.Now(), false)
			return res, nil
		}
		return nil, fmt.Errorf("login cancelled: %w", err)
	}
	cbAt := time.Now()
	ok := o.finishLogin(ctx, res, oc, cb.params, verifier, nonce)
	if ctx.Err() != nil {
		// Cancelled while redeeming the code: what failed was the wait, not the login.
		return nil, fmt.Errorf("login cancelled: %w", ctx.Err())
	}
	res.finish(started, cbAt, time.Now(), ok)
	return res, nil
}

// finishLogin handles the callback's parameters; it reports whether the login got a
// verified ID token.
func (o *OIDC) finishLogin(ctx context.Context, res *Result, oc *oauth2.Config, p url.Values, verifier, nonce string) bool {
	c := &o.cfg
	if p.Get("error") != "" {
		// An error redirect: the inspector reads error and error_description as Entra
		// sends them.
		q := url.Values{}
		for _, k := range []string{"error", "error_description", "error_uri", "error_codes", "trace_id", "correlation_id", "timestamp"} {
			if v := p.Get(k); v != "" {
				q.Set(k, v)
			}
		}
		res.Artifact = &Artifact{Kind: "error", Value: q.Encode()}
		res.Report = inspect.Inspect([]byte(q.Encode()), o.inspectOptions(nonce))
		res.AADSTS = inspect.ExplainAADSTS(p.Get("error_description"))
		o.idpError(res, p.Get("error"), p.Get("error_description"))
		return false
	}
	hctx := oidc.ClientContext(ctx, c.client())
	tok, err := oc.Exchange(hctx, p.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			res.Artifact = &Artifact{Kind: "token_error", Value: string(re.Body)}
			res.Report = inspect.Inspect(re.Body, o.inspectOptions(nonce))
			res.AADSTS = inspect.ExplainAADSTS(re.ErrorDescription)
			o.idpError(res, re.ErrorCode, re.ErrorDescription)
			return false
		}
		res.Report = &inspect.Report{Kind: inspect.KindOIDCError}
		addFinding(res.Report, CodeSPRejected, inspect.SeverityError,
			fmt.Sprintf("The token endpoint could not be reached to redeem the code: %v.", err),
			"Check the network and that the authority's token endpoint answers.")
		return false
	}
	raw, _ := tok.Extra("id_token").(string)
	res.Artifact = &Artifact{Kind: "id_token", Value: raw, AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken}
	if raw == "" {
		res.Report = &inspect.Report{Kind: inspect.KindJWT}
		addFinding(res.Report, CodeSPRejected, inspect.SeverityError,
			"The token endpoint answered without an id_token.",
			"Ask for the openid scope.")
		return false
	}
	res.Report = inspect.Inspect([]byte(raw), o.inspectOptions(nonce))
	verified := true
	v := o.provider.Verifier(&oidc.Config{ClientID: c.ClientID, Now: c.now})
	idt, err := v.Verify(hctx, raw)
	if err != nil {
		verified = false
		addFinding(res.Report, CodeSPRejected, inspect.SeverityError,
			"go-oidc refused the ID token: "+err.Error()+".",
			"See the other findings for the cause; the token must be signed by a key in the JWKS, issued by the authority, for this client ID, and valid now.")
	} else if idt.Nonce != nonce && !res.Report.Has(inspect.CodeNonceMismatch) {
		verified = false
		addFinding(res.Report, inspect.CodeNonceMismatch, inspect.SeverityError,
			"The ID token's nonce is not the one this login sent: the token answers another sign-in, or was replayed.",
			"Start a new test login.")
	}
	if verified && tok.AccessToken != "" && o.provider.UserInfoEndpoint() != "" {
		o.readUserInfo(hctx, res, tok, idt.Subject)
	}
	o.vendorFindings(hctx, res)
	return verified
}

func (o *OIDC) inspectOptions(nonce string) inspect.Options {
	c := &o.cfg
	opts := inspect.Options{ClientID: c.ClientID, Tenant: c.Tenant, Nonce: nonce, Now: c.now(), Skew: c.Skew}
	if _, _, err := opts.AddTrust(o.jwks); err == nil && opts.Keys != nil {
		opts.Keys.Issuer = o.issuer
	}
	return opts
}

// idpError adds the finding for an error Entra answered with.
func (o *OIDC) idpError(res *Result, code, desc string) {
	msg := "Entra answered with an error instead of signing the user in: " + code
	if desc != "" {
		msg += ": " + firstLine(desc)
	}
	fix := "Read the error description."
	if res.AADSTS != nil {
		msg = "Entra answered " + res.AADSTS.Code + ": " + res.AADSTS.Meaning
		fix = res.AADSTS.Fix
	}
	// The inspector's status-error already says it, with the same explanation.
	if !res.Report.Has(CodeIdPError) && !res.Report.Has(inspect.CodeStatusError) {
		addFinding(res.Report, CodeIdPError, inspect.SeverityError, msg, fix)
	}
}

func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}

// vendorFindings adds what matters to a vendor about the ID token's claims.
func (o *OIDC) vendorFindings(ctx context.Context, res *Result) {
	c := &o.cfg
	claims := claimMap(res.Report)
	upn := first(claims, "preferred_username", "upn", "unique_name")
	upnDomain(res.Report, upn, c.ExpectedDomain)
	if claims["_claim_names"] == nil && !res.Report.Has(inspect.CodeGroupsOverage) {
		return
	}
	oid := first(claims, "oid")
	if c.GraphURL == "" || res.Artifact.AccessToken == "" || oid == "" {
		addFinding(res.Report, CodeGroupsOverageUnresolved, inspect.SeverityInfo,
			"The user is in too many groups to fit in the token, and the SP did not ask Microsoft Graph for them (no Graph URL or no access token for it).",
			"A vendor must call POST https://graph.microsoft.com/v1.0/users/{oid}/getMemberObjects with a token carrying GroupMember.Read.All, or the admin assigns groups to the app and sets the groups claim to \"Groups assigned to the application\".")
		return
	}
	groups, err := memberObjects(ctx, c.client(), strings.TrimSuffix(c.GraphURL, "/"), oid, res.Artifact.AccessToken)
	if err != nil {
		addFinding(res.Report, CodeGroupsOverageUnresolved, inspect.SeverityWarning,
			"The user is in too many groups to fit in the token, and Graph did not list them: "+err.Error()+".",
			"Grant the app GroupMember.Read.All (delegated) and admin consent, or assign groups to the app and emit only those.")
		return
	}
	res.Groups = groups
	addFinding(res.Report, CodeGroupsResolved, inspect.SeverityInfo,
		fmt.Sprintf("Microsoft Graph listed the user's %d groups and roles (getMemberObjects), as a vendor must after an overage.", len(groups)),
		"")
}

// memberObjects is Graph's getMemberObjects for a user: every group and directory role
// the user is in, transitively.
func memberObjects(ctx context.Context, c *http.Client, graph, oid, token string) ([]string, error) {
	body := strings.NewReader(`{"securityEnabledOnly":false}`)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, graph+"/v1.0/users/"+url.PathEscape(oid)+"/getMemberObjects", body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxDocBytes))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("Graph answered %s", resp.Status)
	}
	var out struct {
		Value []string `json:"value"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("Graph's answer does not parse: %v", err)
	}
	return out.Value, nil
}

// ClaimSource is one claim of the signed-in user and where the SP read it.
type ClaimSource struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
	// From is "id_token", "userinfo", or "id_token+userinfo" when both carry it.
	From string `json:"from"`
}

// readUserInfo calls the provider's userinfo endpoint with the access token, as a
// client library does, and records each claim with its source. The answer counts only
// for the ID token's subject (OpenID Connect Core 5.3.2). An e-mail found only there
// replaces the ID token's email-missing warning: certified providers commonly put
// e-mail in userinfo alone.
func (o *OIDC) readUserInfo(ctx context.Context, res *Result, tok *oauth2.Token, sub string) {
	severity := inspect.SeverityInfo
	if o.cfg.UserInfo {
		severity = inspect.SeverityWarning
	}
	ui, err := o.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		addFinding(res.Report, CodeUserInfoFailed, severity,
			"The userinfo endpoint "+o.provider.UserInfoEndpoint()+" did not answer with the access token: "+err.Error()+"; only the ID token's claims are known.",
			"Ask for the openid scope; Entra's userinfo needs a token for Microsoft Graph.")
		return
	}
	var info map[string]any
	if err := ui.Claims(&info); err != nil {
		addFinding(res.Report, CodeUserInfoFailed, severity, "The userinfo answer is not a JSON object.", "")
		return
	}
	if got, _ := info["sub"].(string); got != sub {
		addFinding(res.Report, CodeUserInfoFailed, inspect.SeverityError,
			fmt.Sprintf("The userinfo answer is for subject %q, not the ID token's %q: its claims are not the signed-in user's and were not used.", got, sub),
			"The access token belongs to another sign-in; start a new test login.")
		return
	}
	idClaims := map[string]any{}
	for _, c := range res.Report.Claims {
		if len(c.Values) == 1 {
			idClaims[c.Name] = c.Values[0]
		} else if len(c.Values) > 1 {
			idClaims[c.Name] = c.Values
		}
	}
	var out []ClaimSource
	for name, v := range idClaims {
		from := "id_token"
		if _, ok := info[name]; ok {
			from = "id_token+userinfo"
		}
		out = append(out, ClaimSource{Name: name, Value: v, From: from})
	}
	for name, v := range info {
		if _, ok := idClaims[name]; !ok {
			out = append(out, ClaimSource{Name: name, Value: v, From: "userinfo"})
		}
	}
	slices.SortFunc(out, func(a, b ClaimSource) int { return strings.Compare(a.Name, b.Name) })
	res.Claims = out
	if mail, _ := info["email"].(string); mail != "" && idClaims["email"] == nil {
		removeFinding(res.Report, inspect.CodeEmailMissing)
		addFinding(res.Report, CodeEmailFromUserInfo, inspect.SeverityInfo,
			"The ID token has no email claim, but the userinfo endpoint gives it: "+mail+". A vendor that reads only the ID token sees no e-mail.",
			"If the vendor reads the ID token alone, add the email optional claim in App registrations > your app > Token configuration.")
	}
}
