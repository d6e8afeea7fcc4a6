package idp_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

// tokensFor signs the user in with the scopes and redeems the code by hand.
func tokensFor(t *testing.T, srv *harness.Server, upn, password, scope string) map[string]any {
	t.Helper()
	b := newBrowser(t, srv)
	q := redirectParams(t, b.signIn(authorizeURL(srv, srv.TenantID, map[string]string{"scope": scope}), upn, password), "http://127.0.0.1:53682/callback?")
	p := b.post(tokenURL(srv), url.Values{"grant_type": {"authorization_code"}, "client_id": {tenant.DemoAppID},
		"client_secret": {demoSecret(t, srv)}, "code": {q.Get("code")}, "redirect_uri": {loopbackRedirect}})
	var tok map[string]any
	if err := json.Unmarshal([]byte(p.body), &tok); err != nil || p.status != http.StatusOK {
		t.Fatalf("token for %s = %d %s", upn, p.status, p.body)
	}
	if tok["scope"] != scope {
		t.Errorf("token response scope = %v, want the requested %q", tok["scope"], scope)
	}
	return tok
}

func TestIDTokenClaimShapes(t *testing.T) {
	srv, _ := start(t)
	// Without the optional claim, email needs the email scope.
	if _, err := srv.Store.UpdateApp(tenant.DemoAppID, func(a *tenant.App) error { a.OptionalClaims = nil; return nil }); err != nil {
		t.Fatal(err)
	}
	alice, _ := srv.Store.UserByUPN("alice@contoso.example")
	carol, _ := srv.Store.UserByLogin("carol@fabrikam.example")
	erin, _ := srv.Store.UserByUPN("erin@contoso.example")
	tests := []struct {
		name, upn, password, scope string
		has, lacks                 []string
		check                      func(c map[string]any) string
	}{
		{"openid only", "alice@contoso.example", "Demo.Alice.2026", "openid",
			[]string{"sub", "tid", "ver", "nonce"}, []string{"email", "oid", "preferred_username", "name", "idp"}, nil},
		{"profile, no email scope", "alice@contoso.example", "Demo.Alice.2026", "openid profile",
			[]string{"oid", "preferred_username", "name"}, []string{"email"}, nil},
		{"email scope", "alice@contoso.example", "Demo.Alice.2026", "openid profile email",
			[]string{"email"}, nil, func(c map[string]any) string {
				if c["email"] != alice.Mail {
					return "email is not alice's mail"
				}
				return ""
			}},
		{"guest gets email and idp by default", "carol@fabrikam.example", "Demo.Carol.2026", "openid profile",
			[]string{"email", "idp"}, nil, func(c map[string]any) string {
				if c["idp"] != "https://sts.windows.net/"+carol.HomeTenantID+"/" || c["preferred_username"] != "carol@fabrikam.example" || c["tid"] != srv.TenantID {
					return "guest claims wrong"
				}
				return ""
			}},
		{"no mail, no email", "dave@contoso.example", "Demo.Dave.2026", "openid profile email",
			nil, []string{"email"}, nil},
		{"overage", "erin@contoso.example", "Demo.Erin.2026", "openid profile",
			[]string{"_claim_names", "_claim_sources"}, []string{"groups"}, func(c map[string]any) string {
				src, _ := c["_claim_sources"].(map[string]any)["src1"].(map[string]any)
				if c["_claim_names"].(map[string]any)["groups"] != "src1" ||
					src["endpoint"] != "https://graph.microsoft.com/v1.0/users/"+erin.ID+"/getMemberObjects" {
					return "overage indicator wrong"
				}
				return ""
			}},
	}
	for _, tc := range tests {
		tok := tokensFor(t, srv, tc.upn, tc.password, tc.scope)
		c := jwtClaims(t, tok["id_token"].(string))
		for _, k := range tc.has {
			if c[k] == nil {
				t.Errorf("%s: id_token lacks %s: %v", tc.name, k, c)
			}
		}
		for _, k := range tc.lacks {
			if c[k] != nil {
				t.Errorf("%s: id_token has %s = %v", tc.name, k, c[k])
			}
		}
		if tc.check != nil {
			if msg := tc.check(c); msg != "" {
				t.Errorf("%s: %s: %v", tc.name, msg, c)
			}
		}
		if strings.Contains(tc.scope, "offline_access") != (tok["refresh_token"] != nil) {
			t.Errorf("%s: refresh token %v with scope %q", tc.name, tok["refresh_token"] != nil, tc.scope)
		}
	}
}

func TestAccessTokenForOwnAPI(t *testing.T) {
	srv, _ := start(t)
	api := "api://" + tenant.DemoAppID
	if err := srv.Store.SetIdentifierURIs(tenant.DemoAppID, []string{tenant.DemoEntityID, api}); err != nil {
		t.Fatal(err)
	}
	tok := tokensFor(t, srv, "alice@contoso.example", "Demo.Alice.2026", "openid offline_access "+api+"/access_as_user")
	at := jwtClaims(t, tok["access_token"].(string))
	if at["aud"] != api || at["scp"] != "access_as_user" || at["ver"] != "1.0" || at["groups"] == nil || at["upn"] != "alice@contoso.example" {
		t.Errorf("own API access token = %v", at)
	}
	// The refresh token serves Graph too (a multi-resource refresh token).
	p := newBrowser(t, srv).post(tokenURL(srv), url.Values{"grant_type": {"refresh_token"}, "client_id": {tenant.DemoAppID},
		"client_secret": {demoSecret(t, srv)}, "refresh_token": {tok["refresh_token"].(string)}, "scope": {"https://graph.microsoft.com/User.Read"}})
	var fresh map[string]any
	if err := json.Unmarshal([]byte(p.body), &fresh); err != nil || p.status != http.StatusOK {
		t.Fatalf("refresh for Graph = %d %s", p.status, p.body)
	}
	if at := jwtClaims(t, fresh["access_token"].(string)); at["aud"] != "https://graph.microsoft.com" || at["groups"] != nil {
		t.Errorf("Graph token from the refresh token = %v", at)
	}
}

func TestUserinfoAndVerifyAccessToken(t *testing.T) {
	srv, clk := start(t)
	tok := tokensFor(t, srv, "alice@contoso.example", "Demo.Alice.2026", "openid profile email")
	b := newBrowser(t, srv)
	get := func(token string) page {
		req, _ := http.NewRequest(http.MethodGet, srv.BaseURL+"/oidc/userinfo", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return b.do(req)
	}
	p := get(tok["access_token"].(string))
	var info map[string]any
	if err := json.Unmarshal([]byte(p.body), &info); err != nil || p.status != http.StatusOK {
		t.Fatalf("userinfo = %d %s", p.status, p.body)
	}
	idt := jwtClaims(t, tok["id_token"].(string))
	if info["sub"] != idt["sub"] || info["email"] != "alice@contoso.example" || info["name"] != "Alice Smith" {
		t.Errorf("userinfo = %v, want the ID token's sub and alice's profile", info)
	}
	if p := get(""); p.status != http.StatusUnauthorized {
		t.Errorf("userinfo without a token = %d", p.status)
	}
	// Graph's userinfo gives names for profile and the e-mail for email only.
	bare := tokensFor(t, srv, "alice@contoso.example", "Demo.Alice.2026", "openid")
	info = nil
	if err := json.Unmarshal([]byte(get(bare["access_token"].(string)).body), &info); err != nil {
		t.Fatal(err)
	}
	if info["sub"] == nil || info["email"] != nil || info["name"] != nil {
		t.Errorf("userinfo for openid alone = %v, want sub only", info)
	}
	at := tok["access_token"].(string)
	tampered := at[:len(at)-4] + "AAAA"
	if p := get(tampered); p.status != http.StatusUnauthorized || !strings.Contains(p.body, "signature") {
		t.Errorf("userinfo with a bad signature = %d %s", p.status, p.body)
	}
	if _, err := srv.IdP.VerifyAccessToken(at); err != nil {
		t.Errorf("VerifyAccessToken(fresh) = %v", err)
	}
	clk.Advance(2 * time.Hour)
	if _, err := srv.IdP.VerifyAccessToken(at); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("VerifyAccessToken(two hours on) = %v, want expired", err)
	}
	if _, err := srv.IdP.VerifyAccessToken("e30.e30.sig"); err == nil {
		t.Error("VerifyAccessToken accepted a token without RS256")
	}
}
