package idp_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

func tokenURL(srv *harness.Server) string {
	return srv.BaseURL + "/" + srv.TenantID + "/oauth2/v2.0/token"
}

// jsonError checks an error delivered as Entra's JSON body.
func jsonError(t *testing.T, name string, p page, status int, oauthErr string, code int) entraError {
	t.Helper()
	e := decodeError(t, p)
	if p.status != status || e.Error != oauthErr || !slices.Equal(e.ErrorCodes, []int{code}) ||
		!strings.HasPrefix(e.ErrorDescription, "AADSTS") || !traceLine.MatchString(e.ErrorDescription) {
		t.Errorf("%s: %d %+v, want %d %s [%d]", name, p.status, e, status, oauthErr, code)
	}
	return e
}

// codeFor signs alice in and returns a fresh authorization code.
func codeFor(t *testing.T, srv *harness.Server, b *browser, params map[string]string) string {
	t.Helper()
	p := b.get(authorizeURL(srv, srv.TenantID, params))
	if p.status == http.StatusOK {
		p = b.submit(p, map[string]string{"login": "alice@contoso.example", "passwd": "Demo.Alice.2026"})
	}
	return redirectParams(t, p, "http://127.0.0.1:53682/callback?").Get("code")
}

func TestClientSecretErrors(t *testing.T) {
	srv, clk := start(t)
	b := newBrowser(t, srv)
	app, _ := srv.Store.AppByID(tenant.DemoAppID)
	secret := app.Secrets[0]
	cc := func(clientID, secret string) url.Values {
		v := url.Values{"grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com/.default"}, "client_id": {clientID}}
		if secret != "" {
			v.Set("client_secret", secret)
		}
		return v
	}
	e := jsonError(t, "wrong secret", b.post(tokenURL(srv), cc(tenant.DemoAppID, "abc8Q~"+strings.Repeat("x", 34))), 401, "invalid_client", 7000215)
	want := "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '" + tenant.DemoAppID + "'."
	if !strings.HasPrefix(e.ErrorDescription, want) {
		t.Errorf("7000215 description = %q, want it to start %q", e.ErrorDescription, want)
	}
	jsonError(t, "secret ID sent as the secret", b.post(tokenURL(srv), cc(tenant.DemoAppID, secret.KeyID)), 401, "invalid_client", 7000215)
	jsonError(t, "no secret", b.post(tokenURL(srv), cc(tenant.DemoAppID, "")), 401, "invalid_client", 7000218)
	e = jsonError(t, "unknown client", b.post(tokenURL(srv), cc("11111111-2222-4333-8444-555555555555", secret.Value)), 400, "unauthorized_client", 700016)
	if !strings.Contains(e.ErrorDescription, "Application with identifier '11111111-2222-4333-8444-555555555555' was not found in the directory 'Contoso Demo'.") {
		t.Errorf("700016 description = %q", e.ErrorDescription)
	}
	jsonError(t, "unsupported grant", b.post(tokenURL(srv), url.Values{"grant_type": {"password"}, "client_id": {tenant.DemoAppID}}), 400, "unsupported_grant_type", 70003)
	jsonError(t, "unknown tenant", b.post(srv.BaseURL+"/fabrikam.example/oauth2/v2.0/token", cc(tenant.DemoAppID, secret.Value)), 400, "invalid_tenant", 90002)
	jsonError(t, "scope without .default", b.post(tokenURL(srv), url.Values{"grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com/User.Read"},
		"client_id": {tenant.DemoAppID}, "client_secret": {secret.Value}}), 400, "invalid_scope", 1002012)

	// client_secret_basic works as well as _post.
	req, _ := http.NewRequest(http.MethodPost, tokenURL(srv), strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com/.default"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(tenant.DemoAppID, url.QueryEscape(secret.Value))
	if p := b.do(req); p.status != http.StatusOK {
		t.Errorf("client_secret_basic = %d %s", p.status, p.body)
	}

	// The secret expires with the clock.
	clk.Advance(secret.End.Sub(clk.Now()) + time.Second)
	e = jsonError(t, "expired secret", b.post(tokenURL(srv), cc(tenant.DemoAppID, secret.Value)), 401, "invalid_client", 7000222)
	if !strings.Contains(e.ErrorDescription, "The provided client secret keys for app '"+tenant.DemoAppID+"' are expired.") {
		t.Errorf("7000222 description = %q", e.ErrorDescription)
	}
}

func TestClientCredentials(t *testing.T) {
	srv, _ := start(t)
	b := newBrowser(t, srv)
	if _, err := srv.Store.UpdateApp(tenant.DemoAppID, func(a *tenant.App) error {
		a.GraphPermissions = []string{"User.Read.All", "Group.Read.All"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	app, _ := srv.Store.AppByID(tenant.DemoAppID)
	p := b.post(tokenURL(srv), url.Values{"grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com/.default"},
		"client_id": {tenant.DemoAppID}, "client_secret": {app.Secrets[0].Value}, "claims": {`{"access_token":{"xms_cc":{"values":["CP1"]}}}`}})
	var resp map[string]any
	if err := json.Unmarshal([]byte(p.body), &resp); err != nil || p.status != http.StatusOK {
		t.Fatalf("client_credentials = %d %s", p.status, p.body)
	}
	if resp["token_type"] != "Bearer" || resp["expires_in"] == nil || resp["ext_expires_in"] == nil || resp["id_token"] != nil || resp["refresh_token"] != nil {
		t.Errorf("client_credentials response = %v", resp)
	}
	at := jwtClaims(t, resp["access_token"].(string))
	roles, _ := at["roles"].([]any)
	if at["aud"] != "https://graph.microsoft.com" || at["idtyp"] != "app" || at["oid"] != app.ServicePrincipalID || len(roles) != 2 || at["scp"] != nil {
		t.Errorf("app token = %v, want Graph audience, the service principal and two roles", at)
	}

	// The app's own identifier as resource.
	p = b.post(tokenURL(srv), url.Values{"grant_type": {"client_credentials"}, "scope": {tenant.DemoEntityID + "/.default"},
		"client_id": {tenant.DemoAppID}, "client_secret": {app.Secrets[0].Value}})
	if err := json.Unmarshal([]byte(p.body), &resp); err != nil || p.status != http.StatusOK {
		t.Fatalf("client_credentials for own API = %d %s", p.status, p.body)
	}
	if at := jwtClaims(t, resp["access_token"].(string)); at["aud"] != tenant.DemoEntityID || at["roles"] != nil {
		t.Errorf("own-API app token aud %v roles %v", at["aud"], at["roles"])
	}
	jsonError(t, "unknown resource", b.post(tokenURL(srv), url.Values{"grant_type": {"client_credentials"}, "scope": {"api://unknown/.default"},
		"client_id": {tenant.DemoAppID}, "client_secret": {app.Secrets[0].Value}}), 400, "invalid_resource", 500011)
}

func TestCodeRedemptionRules(t *testing.T) {
	srv, clk := start(t)
	b := newBrowser(t, srv)
	secret := demoSecret(t, srv)
	redeem := func(code string, mod map[string]string) page {
		v := url.Values{"grant_type": {"authorization_code"}, "client_id": {tenant.DemoAppID}, "client_secret": {secret},
			"code": {code}, "redirect_uri": {loopbackRedirect}}
		for k, val := range mod {
			if val == "" {
				v.Del(k)
			} else {
				v.Set(k, val)
			}
		}
		return b.post(tokenURL(srv), v)
	}
	scopes := map[string]string{"scope": "openid profile offline_access"}

	// Single use; a replay is 54005 and revokes what the code gave.
	code := codeFor(t, srv, b, scopes)
	p := redeem(code, nil)
	var tok map[string]any
	if err := json.Unmarshal([]byte(p.body), &tok); err != nil || p.status != http.StatusOK || tok["refresh_token"] == nil {
		t.Fatalf("first redemption = %d %s", p.status, p.body)
	}
	jsonError(t, "code replay", redeem(code, nil), 400, "invalid_grant", 54005)
	p = b.post(tokenURL(srv), url.Values{"grant_type": {"refresh_token"}, "client_id": {tenant.DemoAppID}, "client_secret": {secret},
		"refresh_token": {tok["refresh_token"].(string)}})
	jsonError(t, "refresh after replay", p, 400, "invalid_grant", 9002313)

	// Bound to the redirect URI and the client; the secret of a confidential client is needed.
	jsonError(t, "other redirect URI", redeem(codeFor(t, srv, b, scopes), map[string]string{"redirect_uri": "https://vendor.example/callback"}), 400, "invalid_grant", 70000)
	jsonError(t, "no secret", redeem(codeFor(t, srv, b, scopes), map[string]string{"client_secret": ""}), 401, "invalid_client", 7000218)
	other, err := srv.Store.AddApp(tenant.App{DisplayName: "Other", RedirectURIs: []string{"http://127.0.0.1/callback"}})
	if err != nil {
		t.Fatal(err)
	}
	jsonError(t, "other client", redeem(codeFor(t, srv, b, scopes), map[string]string{"client_id": other.AppID, "client_secret": ""}), 400, "invalid_grant", 70000)
	jsonError(t, "unknown code", redeem("1.Anot-a-code", nil), 400, "invalid_grant", 9002313)

	// PKCE: the verifier is checked.
	verifier := strings.Repeat("a", 43)
	code = codeFor(t, srv, b, map[string]string{"code_challenge": s256(verifier), "code_challenge_method": "S256"})
	jsonError(t, "wrong verifier", redeem(code, map[string]string{"code_verifier": strings.Repeat("b", 43)}), 400, "invalid_grant", 501481)
	code = codeFor(t, srv, b, map[string]string{"code_challenge": s256(verifier), "code_challenge_method": "S256"})
	jsonError(t, "missing verifier", redeem(code, nil), 400, "invalid_grant", 501481)
	code = codeFor(t, srv, b, map[string]string{"code_challenge": s256(verifier), "code_challenge_method": "S256"})
	if p := redeem(code, map[string]string{"code_verifier": verifier}); p.status != http.StatusOK {
		t.Errorf("right verifier = %d %s", p.status, p.body)
	}

	// Ten minutes to redeem.
	code = codeFor(t, srv, b, scopes)
	clk.Advance(10*time.Minute + time.Second)
	jsonError(t, "expired code", redeem(code, nil), 400, "invalid_grant", 70008)
}
