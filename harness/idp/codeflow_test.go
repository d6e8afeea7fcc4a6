package idp_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

const loopbackRedirect = "http://127.0.0.1:53682/callback" // port ignored by matching

// oidcClient is the RP side of a code flow: x/oauth2 and go-oidc pointed at the harness.
type oidcClient struct {
	conf     *oauth2.Config
	verifier *oidc.IDTokenVerifier
	ctx      context.Context
}

func newOIDCClient(t testing.TB, srv *harness.Server, scopes ...string) *oidcClient {
	t.Helper()
	ctx := oidc.ClientContext(context.Background(), srv.Client())
	provider, err := oidc.NewProvider(ctx, srv.Authority)
	if err != nil {
		t.Fatalf("oidc.NewProvider(%s): %v", srv.Authority, err)
	}
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess}
	}
	return &oidcClient{
		conf: &oauth2.Config{
			ClientID:     tenant.DemoAppID,
			ClientSecret: demoSecret(t, srv),
			Endpoint:     provider.Endpoint(),
			RedirectURL:  loopbackRedirect,
			Scopes:       scopes,
		},
		verifier: provider.Verifier(&oidc.Config{ClientID: tenant.DemoAppID}),
		ctx:      ctx,
	}
}

// login runs the whole code flow with PKCE S256 for one user and returns the verified
// ID token and the token response.
func (c *oidcClient) login(t testing.TB, b *browser, upn, password string) (*oidc.IDToken, *oauth2.Token) {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	state, nonce := oauth2.GenerateVerifier()[:16], oauth2.GenerateVerifier()[:16]
	authURL := c.conf.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	q := redirectParams(t, b.signIn(authURL, upn, password), "http://127.0.0.1:53682/callback?")
	if q.Get("state") != state {
		t.Fatalf("state = %q, want %q", q.Get("state"), state)
	}
	tok, err := c.conf.Exchange(c.ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := c.verifier.Verify(c.ctx, raw)
	if err != nil {
		t.Fatalf("Verify(id_token): %v", err)
	}
	if idt.Nonce != nonce {
		t.Fatalf("nonce = %q, want %q", idt.Nonce, nonce)
	}
	return idt, tok
}

func TestCodeFlowWithOAuth2AndGoOIDC(t *testing.T) {
	srv, _ := start(t)
	c := newOIDCClient(t, srv)
	b := newBrowser(t, srv)
	idt, tok := c.login(t, b, "alice@contoso.example", "Demo.Alice.2026")

	if idt.Issuer != srv.Authority {
		t.Errorf("iss = %q, want %q", idt.Issuer, srv.Authority)
	}
	if !slices.Equal(idt.Audience, []string{tenant.DemoAppID}) {
		t.Errorf("aud = %v, want the client ID", idt.Audience)
	}
	var cl map[string]any
	if err := idt.Claims(&cl); err != nil {
		t.Fatal(err)
	}
	alice, _ := srv.Store.UserByUPN("alice@contoso.example")
	want := map[string]any{
		"tid": srv.TenantID, "oid": alice.ID, "preferred_username": "alice@contoso.example",
		"name": "Alice Smith", "email": "alice@contoso.example", "ver": "2.0",
		"sub": srv.Store.Sub(alice.ID, tenant.DemoAppID),
	}
	for k, v := range want {
		if cl[k] != v {
			t.Errorf("id_token %s = %v, want %v", k, cl[k], v)
		}
	}
	if cl["sub"] == alice.ID {
		t.Errorf("sub equals oid; want a pairwise identifier")
	}
	for _, k := range []string{"aio", "rh", "uti", "iat", "nbf", "exp"} {
		if cl[k] == nil {
			t.Errorf("id_token lacks %s", k)
		}
	}
	if _, ok := cl["idp"]; ok {
		t.Errorf("member's id_token has idp %v; only guests have one", cl["idp"])
	}
	groups, _ := cl["groups"].([]any)
	if len(groups) != 2 {
		t.Errorf("groups = %v, want Vendor Users and Legal (security groups only)", cl["groups"])
	}

	// The token response's own fields.
	for _, k := range []string{"scope", "ext_expires_in", "id_token"} {
		if tok.Extra(k) == nil {
			t.Errorf("token response lacks %s", k)
		}
	}
	if tok.TokenType != "Bearer" || tok.RefreshToken == "" || tok.Expiry.IsZero() {
		t.Errorf("token = type %q, refresh %t, expiry %v; want Bearer with a refresh token and an expiry", tok.TokenType, tok.RefreshToken != "", tok.Expiry)
	}
	at := jwtClaims(t, tok.AccessToken)
	if at["aud"] != "https://graph.microsoft.com" || at["iss"] != "https://sts.windows.net/"+srv.TenantID+"/" {
		t.Errorf("access token aud %v iss %v, want Graph's v1 shape", at["aud"], at["iss"])
	}
	if scp, _ := at["scp"].(string); !strings.Contains(scp, "User.Read") || at["appid"] != tenant.DemoAppID || at["appidacr"] != "1" {
		t.Errorf("access token scp %v appid %v appidacr %v", at["scp"], at["appid"], at["appidacr"])
	}

	// Refresh: a new access token and ID token without a nonce.
	fresh, err := c.conf.TokenSource(c.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if fresh.AccessToken == "" || fresh.AccessToken == tok.AccessToken || fresh.RefreshToken == "" {
		t.Errorf("refresh gave access token %t (new %t), refresh token %t", fresh.AccessToken != "", fresh.AccessToken != tok.AccessToken, fresh.RefreshToken != "")
	}
	idt2, err := c.verifier.Verify(c.ctx, fresh.Extra("id_token").(string))
	if err != nil || idt2.Subject != idt.Subject || idt2.Nonce != "" {
		t.Errorf("refreshed id_token: %v, sub %q nonce %q; want same sub and no nonce", err, idt2.Subject, idt2.Nonce)
	}

	// The session gives SSO: a second authorize goes straight back with a code.
	p := b.get(c.conf.AuthCodeURL("s2"))
	if q := redirectParams(t, p, "http://127.0.0.1:53682/callback?"); q.Get("code") == "" || q.Get("state") != "s2" {
		t.Errorf("SSO authorize = %v, want a code and state s2", q)
	}
	// prompt=login forces the form despite the session.
	p = b.get(c.conf.AuthCodeURL("s3", oauth2.SetAuthURLParam("prompt", "login")))
	if p.status != http.StatusOK || !strings.Contains(p.body, `name="passwd"`) {
		t.Errorf("prompt=login = %d, want the login form", p.status)
	}
}
