package idp_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

func authorizeURL(srv *harness.Server, segment string, params map[string]string) string {
	v := url.Values{"client_id": {tenant.DemoAppID}, "response_type": {"code"}, "redirect_uri": {loopbackRedirect},
		"scope": {"openid profile"}, "state": {"st"}, "nonce": {"nn"}}
	for k, val := range params {
		if val == "" {
			v.Del(k)
		} else {
			v.Set(k, val)
		}
	}
	return srv.BaseURL + "/" + segment + "/oauth2/v2.0/authorize?" + v.Encode()
}

// errorPageCode checks that p is Entra's error page (not a redirect) showing the code.
func errorPageCode(t *testing.T, name string, p page, code string) {
	t.Helper()
	if p.location != "" {
		t.Errorf("%s: redirected to %q, want Entra's own error page", name, p.location)
	}
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "AADSTS"+code+":") || !strings.Contains(p.body, "Correlation Id:") {
		t.Errorf("%s: %d %.300q, want the error page with AADSTS%s", name, p.status, p.body, code)
	}
	if strings.Contains(p.body, `name="passwd"`) {
		t.Errorf("%s: error page offers the login form", name)
	}
}

func TestAuthorizeErrorsOnEntraPage(t *testing.T) {
	srv, _ := start(t)
	noReply, err := srv.Store.AddApp(tenant.App{DisplayName: "No reply URL"})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, srv)
	tests := []struct {
		name, segment string
		params        map[string]string
		code          string
	}{
		{"unknown tenant", "fabrikam.example", nil, "90002"},
		{"unknown client", srv.TenantID, map[string]string{"client_id": "11111111-2222-4333-8444-555555555555"}, "700016"},
		{"client not a GUID", srv.TenantID, map[string]string{"client_id": "vendor-sso"}, "700038"},
		{"redirect URI not registered", srv.TenantID, map[string]string{"redirect_uri": "https://vendor.example/callback/"}, "50011"},
		{"redirect URI case differs", srv.TenantID, map[string]string{"redirect_uri": "https://Vendor.example/callback"}, "50011"},
		{"https loopback is not port-free", srv.TenantID, map[string]string{"redirect_uri": "https://127.0.0.1:8443/callback"}, "50011"},
		{"no reply address registered", srv.TenantID, map[string]string{"client_id": noReply.AppID}, "500113"},
		{"several registered, none sent", srv.TenantID, map[string]string{"redirect_uri": ""}, "900971"},
	}
	for _, tc := range tests {
		errorPageCode(t, tc.name, b.get(authorizeURL(srv, tc.segment, tc.params)), tc.code)
	}
	p := b.get(authorizeURL(srv, srv.TenantID, map[string]string{"redirect_uri": "https://vendor.example/other"}))
	if !strings.Contains(p.body, "The redirect URI &#39;https://vendor.example/other&#39; specified in the request does not match the redirect URIs configured for the application &#39;"+tenant.DemoAppID+"&#39;.") {
		t.Errorf("50011 page does not quote Entra's message: %.600s", p.body)
	}

	// Loopback: the port is ignored on both sides (RFC 8252 §7.3), on 127.0.0.1.
	for _, uri := range []string{"http://127.0.0.1/callback", "http://127.0.0.1:1/callback", "http://127.0.0.1:65535/callback"} {
		if p := b.get(authorizeURL(srv, srv.TenantID, map[string]string{"redirect_uri": uri})); p.status != http.StatusOK || !strings.Contains(p.body, `name="passwd"`) {
			t.Errorf("authorize(redirect %s) = %d, want the login form", uri, p.status)
		}
	}
}

// redirectedError checks an error delivered to the redirect URI as query parameters.
func redirectedError(t *testing.T, name string, p page, oauthErr, code string) {
	t.Helper()
	if p.status != http.StatusFound || !strings.HasPrefix(p.location, "http://127.0.0.1:53682/callback?") {
		t.Errorf("%s: %d Location %q, want a redirect to the app: %.300s", name, p.status, p.location, p.body)
		return
	}
	u, _ := url.Parse(p.location)
	q := u.Query()
	if q.Get("error") != oauthErr || !strings.HasPrefix(q.Get("error_description"), "AADSTS"+code+": ") ||
		!traceLine.MatchString(q.Get("error_description")) || q.Get("state") != "st" || q.Get("code") != "" {
		t.Errorf("%s: redirect query %v, want error=%s AADSTS%s with state", name, q, oauthErr, code)
	}
}

func TestAuthorizeErrorsRedirected(t *testing.T) {
	srv, _ := start(t)
	b := newBrowser(t, srv)
	redirectedError(t, "implicit", b.get(authorizeURL(srv, srv.TenantID, map[string]string{"response_type": "id_token"})), "unsupported_response_type", "700054")
	redirectedError(t, "token", b.get(authorizeURL(srv, srv.TenantID, map[string]string{"response_type": "token"})), "unsupported_response_type", "700054")
	redirectedError(t, "no scope", b.get(authorizeURL(srv, srv.TenantID, map[string]string{"scope": ""})), "invalid_request", "900144")
	redirectedError(t, "unknown resource", b.get(authorizeURL(srv, srv.TenantID, map[string]string{"scope": "openid api://nothing/read"})), "invalid_resource", "500011")
	redirectedError(t, "two resources", b.get(authorizeURL(srv, srv.TenantID, map[string]string{"scope": "openid User.Read " + tenant.DemoEntityID + "/read"})), "invalid_scope", "28000")
	redirectedError(t, "prompt=none without session", b.get(authorizeURL(srv, srv.TenantID, map[string]string{"prompt": "none"})), "login_required", "50058")

	// Sign-in outcomes that go back to the app.
	redirectedError(t, "bob not assigned", b.signIn(authorizeURL(srv, srv.TenantID, nil), "bob@contoso.example", "Demo.Bob.2026"), "access_denied", "50105")
	b = newBrowser(t, srv)
	p := b.signIn(authorizeURL(srv, srv.TenantID, nil), "frank@contoso.example", "Demo.Frank.2026")
	redirectedError(t, "frank only through a nested group", p, "access_denied", "50105")
	if u, _ := url.Parse(p.location); !strings.Contains(u.Query().Get("error_description"), "'{EmailHidden}' is blocked because they are not a direct member of a group with access") {
		t.Errorf("50105 description = %q", u.Query().Get("error_description"))
	}

	if _, err := srv.Store.UpdateApp(tenant.DemoAppID, func(a *tenant.App) error { a.ConsentRequired = true; return nil }); err != nil {
		t.Fatal(err)
	}
	b = newBrowser(t, srv)
	redirectedError(t, "consent required", b.signIn(authorizeURL(srv, srv.TenantID, nil), "alice@contoso.example", "Demo.Alice.2026"), "consent_required", "65001")
}

// loginPageError checks a refusal shown on the login form itself.
func loginPageError(t *testing.T, name string, p page, code string) {
	t.Helper()
	if p.status != http.StatusOK || p.location != "" || !strings.Contains(p.body, `name="passwd"`) || !strings.Contains(p.body, "AADSTS"+code+":") {
		t.Errorf("%s: %d %q, want the login form again with AADSTS%s: %.400s", name, p.status, p.location, code, p.body)
	}
}

func TestLoginPageErrors(t *testing.T) {
	srv, _ := start(t)
	b := newBrowser(t, srv)
	auth := authorizeURL(srv, srv.TenantID, nil)
	loginPageError(t, "wrong password", b.signIn(auth, "alice@contoso.example", "wrong"), "50126")
	loginPageError(t, "member by mail is not a login", b.signIn(auth, "nobody@contoso.example", "x"), "50034")
	p := b.signIn(auth, "mallory@fabrikam.example", "x")
	loginPageError(t, "account from elsewhere", p, "50020")
	if !strings.Contains(p.body, "User account &#39;mallory@fabrikam.example&#39; from identity provider") {
		t.Errorf("50020 text: %.600s", p.body)
	}
	// After a failure the same form still signs in: the error did not end the request.
	p = b.signIn(auth, "alice@contoso.example", "wrong")
	p = b.submit(p, map[string]string{"login": "alice@contoso.example", "passwd": "Demo.Alice.2026"})
	if q := redirectParams(t, p, "http://127.0.0.1:53682/callback?"); q.Get("code") == "" {
		t.Errorf("sign-in after a failure: %v, want a code", q)
	}
	// A guest signs in with their own address.
	b = newBrowser(t, srv)
	if q := redirectParams(t, b.signIn(auth, "carol@fabrikam.example", "Demo.Carol.2026"), "http://127.0.0.1:53682/callback?"); q.Get("code") == "" {
		t.Errorf("guest sign-in: %v", q)
	}
}

func TestLoginFormCSRF(t *testing.T) {
	srv, _ := start(t)
	b := newBrowser(t, srv)
	p := b.get(authorizeURL(srv, srv.TenantID, nil))
	f := forms(p.body)[0]
	f.values.Set("login", "alice@contoso.example")
	f.values.Set("passwd", "Demo.Alice.2026")
	// Another browser (no cookie) posting the same form is refused.
	other := newBrowser(t, srv)
	if r := other.post(f.action, f.values); r.status != http.StatusBadRequest || !strings.Contains(r.body, "AADSTS50089") {
		t.Errorf("form posted from another browser = %d %q, want refused", r.status, r.location)
	}
	// So is a tampered canary from the right browser.
	bad := url.Values{}
	for k, v := range f.values {
		bad[k] = v
	}
	bad.Set("canary", "x"+bad.Get("canary"))
	if r := b.post(f.action, bad); r.status != http.StatusBadRequest {
		t.Errorf("tampered canary = %d, want refused", r.status)
	}
	if r := b.post(f.action, f.values); r.status != http.StatusFound {
		t.Errorf("genuine form = %d, want a redirect with the code", r.status)
	}
}

func TestPromptNoneAndFormPost(t *testing.T) {
	srv, _ := start(t)
	b := newBrowser(t, srv)
	redirectedError(t, "prompt=none, no session", b.get(authorizeURL(srv, srv.TenantID, map[string]string{"prompt": "none"})), "login_required", "50058")
	redirectParams(t, b.signIn(authorizeURL(srv, srv.TenantID, nil), "alice@contoso.example", "Demo.Alice.2026"), "http://127.0.0.1:53682/callback?")
	q := redirectParams(t, b.get(authorizeURL(srv, srv.TenantID, map[string]string{"prompt": "none"})), "http://127.0.0.1:53682/callback?")
	if q.Get("code") == "" || q.Get("state") != "st" {
		t.Errorf("prompt=none with a session = %v, want a code", q)
	}
	// A login hint naming someone else cannot be satisfied silently.
	redirectedError(t, "prompt=none, other user", b.get(authorizeURL(srv, srv.TenantID, map[string]string{"prompt": "none", "login_hint": "dave@contoso.example"})), "login_required", "50058")
	// select_account shows the form, pre-filled with the signed-in account.
	p := b.get(authorizeURL(srv, srv.TenantID, map[string]string{"prompt": "select_account"}))
	if !strings.Contains(p.body, `value="alice@contoso.example"`) {
		t.Errorf("prompt=select_account: %d, want the form pre-filled with alice: %.300s", p.status, p.body)
	}

	// form_post answers an auto-submitting form to the redirect URI.
	p = b.get(authorizeURL(srv, srv.TenantID, map[string]string{"response_mode": "form_post"}))
	fs := forms(p.body)
	if p.status != http.StatusOK || len(fs) != 1 || fs[0].action != loopbackRedirect || fs[0].method != "POST" ||
		fs[0].values.Get("code") == "" || fs[0].values.Get("state") != "st" || !strings.Contains(p.body, "submit()") {
		t.Errorf("form_post = %d %+v", p.status, fs)
	}
	// Errors go the same way.
	b2 := newBrowser(t, srv)
	p = b2.get(authorizeURL(srv, srv.TenantID, map[string]string{"response_mode": "form_post", "prompt": "none"}))
	if fs := forms(p.body); len(fs) != 1 || fs[0].values.Get("error") != "login_required" || !strings.HasPrefix(fs[0].values.Get("error_description"), "AADSTS50058: ") {
		t.Errorf("form_post error = %+v", fs)
	}
}

func TestPKCEPlain(t *testing.T) {
	srv, _ := start(t)
	b := newBrowser(t, srv)
	verifier := strings.Repeat("v", 50)
	q := redirectParams(t, b.signIn(authorizeURL(srv, srv.TenantID, map[string]string{"code_challenge": verifier, "code_challenge_method": "plain"}),
		"alice@contoso.example", "Demo.Alice.2026"), "http://127.0.0.1:53682/callback?")
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {tenant.DemoAppID}, "client_secret": {demoSecret(t, srv)},
		"code": {q.Get("code")}, "redirect_uri": {loopbackRedirect}, "code_verifier": {verifier}}
	if p := b.post(srv.BaseURL+"/"+srv.TenantID+"/oauth2/v2.0/token", form); p.status != http.StatusOK {
		t.Errorf("plain PKCE redemption = %d %s", p.status, p.body)
	}
}

func TestLogoutEndsTheSession(t *testing.T) {
	srv, _ := start(t)
	b := newBrowser(t, srv)
	redirectParams(t, b.signIn(authorizeURL(srv, srv.TenantID, nil), "alice@contoso.example", "Demo.Alice.2026"), "http://127.0.0.1:53682/callback?")
	p := b.get(srv.BaseURL + "/" + srv.TenantID + "/oauth2/v2.0/logout?" + url.Values{"post_logout_redirect_uri": {tenant.DemoRedirectURI}, "state": {"bye"}}.Encode())
	if p.status != http.StatusFound || p.location != tenant.DemoRedirectURI+"?state=bye" {
		t.Errorf("logout = %d %q, want the registered URI with the state", p.status, p.location)
	}
	redirectedError(t, "prompt=none after logout", b.get(authorizeURL(srv, srv.TenantID, map[string]string{"prompt": "none"})), "login_required", "50058")
	// An unregistered address is not followed: no open redirect.
	if p := b.get(srv.BaseURL + "/" + srv.TenantID + "/oauth2/v2.0/logout?post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F"); p.status != http.StatusOK || p.location != "" {
		t.Errorf("logout to an unregistered URI = %d %q, want the signed-out page", p.status, p.location)
	}
	if p := b.get(srv.BaseURL + "/error?code=50011"); !strings.Contains(p.body, "AADSTS50011") || !strings.Contains(p.body, "redirect URI does not match") {
		t.Errorf("error_uri page: %.300s", p.body)
	}
}
