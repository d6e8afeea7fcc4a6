package graph_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/ssowizard/ssowizard/graph"
	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

// startHarness runs the demo tenant in-process with a short device code interval.
func startHarness(t *testing.T) *harness.Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := harness.Start(ctx, harness.Config{StateDir: t.TempDir(), DevicePollInterval: 200 * time.Millisecond})
	if err != nil {
		cancel()
		t.Fatalf("harness.Start: %v", err)
	}
	t.Cleanup(func() { cancel(); srv.Close() })
	return srv
}

func target(t *testing.T, srv *harness.Server, logs io.Writer) graph.Target {
	t.Helper()
	tg, err := graph.HarnessTarget(srv.BaseURL, srv.TenantID, srv.CertPool())
	if err != nil {
		t.Fatalf("HarnessTarget(%q) = %v", srv.BaseURL, err)
	}
	if logs != nil {
		tg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return tg
}

func demoApp(t *testing.T, srv *harness.Server) tenant.App {
	t.Helper()
	app, ok := srv.Store.AppByID(tenant.DemoAppID)
	if !ok || len(app.Secrets) == 0 {
		t.Fatal("the demo app or its secret is missing")
	}
	return app
}

func graphToken(t *testing.T, cred azcore.TokenCredential) (azcore.AccessToken, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{graph.GraphScope}})
}

func TestClientSecretCredential(t *testing.T) {
	srv := startHarness(t)
	roles := []string{"Application.ReadWrite.All", "User.Read.All"}
	if _, err := srv.Store.UpdateApp(tenant.DemoAppID, func(a *tenant.App) error { a.GraphPermissions = roles; return nil }); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	secret := demoApp(t, srv).Secrets[0].Value
	cred, err := graph.ClientSecretCredential(target(t, srv, &logs), tenant.DemoAppID, secret)
	if err != nil {
		t.Fatalf("ClientSecretCredential = %v", err)
	}
	tok, err := graphToken(t, cred)
	if err != nil {
		t.Fatalf("GetToken = %v", err)
	}
	at, err := srv.IdP.VerifyAccessToken(tok.Token)
	if err != nil {
		t.Fatalf("VerifyAccessToken = %v", err)
	}
	if at.Audience != "https://graph.microsoft.com" || at.AppID != tenant.DemoAppID || at.UserID != "" ||
		at.Claims["tid"] != srv.TenantID || !slices.Equal(at.Roles, roles) {
		t.Errorf("app token: aud %q appid %q user %q tid %v roles %v; want Graph, the demo app, no user, %s, %v",
			at.Audience, at.AppID, at.UserID, at.Claims["tid"], at.Roles, srv.TenantID, roles)
	}
	if until := time.Until(tok.ExpiresOn); until < 30*time.Minute || until > 2*time.Hour {
		t.Errorf("token expires in %v, want about an hour", until)
	}
	// No scope given means Graph; MSAL's cache answers without a second request.
	tok2, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{})
	if err != nil || tok2.Token != tok.Token {
		t.Errorf("second GetToken without scopes = %v (same token: %v), want the cached Graph token", err, tok2.Token == tok.Token)
	}
	if !strings.Contains(logs.String(), "token acquired") || strings.Contains(logs.String(), secret) || strings.Contains(logs.String(), tok.Token) {
		t.Errorf("log = %q, want the outcome without the secret or the token", logs.String())
	}
}

func TestClientSecretErrors(t *testing.T) {
	srv := startHarness(t)
	app := demoApp(t, srv)
	// A second app whose only secret ended yesterday.
	now := time.Now()
	expiredApp := tenant.App{AppID: "3c1f0e2d-5a4b-4c6d-8e7f-9a0b1c2d3e4f", DisplayName: "Expired secret app",
		Secrets: []tenant.Secret{{KeyID: "7d6c5b4a-3f2e-4d1c-8b0a-9f8e7d6c5b4a", Value: "Xy28Q~expiredexpiredexpiredexpiredexpir",
			Start: now.AddDate(0, -6, 0).UTC().Truncate(time.Second), End: now.AddDate(0, 0, -1).UTC().Truncate(time.Second)}}}
	if _, err := srv.Store.AddApp(expiredApp); err != nil {
		t.Fatalf("AddApp: %v", err)
	}
	if _, _, err := srv.Store.EnsureServicePrincipal(expiredApp.AppID); err != nil {
		t.Fatal(err)
	}
	wrong := "Abc8Q~" + strings.Repeat("x", 34)
	tests := []struct {
		name, clientID, secret string
		tenant                 string // empty: the harness's
		code                   int
		oauth                  string
		fix                    string
	}{
		{"wrong secret", tenant.DemoAppID, wrong, "", 7000215, "invalid_client", "paste the secret's Value, not its Secret ID"},
		{"secret ID pasted", tenant.DemoAppID, app.Secrets[0].KeyID, "", 7000215, "invalid_client", "is the Secret ID (a GUID); paste the secret's Value instead"},
		{"expired secret", expiredApp.AppID, expiredApp.Secrets[0].Value, "", 7000222, "invalid_client", "has expired: create a new secret"},
		{"unknown client", "11111111-2222-4333-8444-555555555555", wrong, "", 700016, "unauthorized_client",
			"no application with client ID 11111111-2222-4333-8444-555555555555 exists in tenant " + srv.TenantID},
		{"unknown tenant", tenant.DemoAppID, app.Secrets[0].Value, "fabrikam.example", 90002, "invalid_tenant",
			"tenant fabrikam.example does not exist: check the tenant ID or domain"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			tg := target(t, srv, &logs)
			if tc.tenant != "" {
				tg.TenantID = tc.tenant
			}
			cred, err := graph.ClientSecretCredential(tg, tc.clientID, tc.secret)
			if err != nil {
				t.Fatalf("ClientSecretCredential = %v", err)
			}
			_, err = graphToken(t, cred)
			var ae *graph.AuthError
			if !errors.As(err, &ae) {
				t.Fatalf("GetToken = %v (%T), want an *AuthError", err, err)
			}
			if ae.Code != tc.code || ae.OAuthError != tc.oauth || ae.Status != http.StatusBadRequest && ae.Status != http.StatusUnauthorized ||
				ae.Credential != graph.KindClientSecret || ae.ClientID != tc.clientID {
				t.Errorf("AuthError = %+v, want code %d, error %s", ae, tc.code, tc.oauth)
			}
			msg := err.Error()
			if !strings.Contains(msg, fmt.Sprintf("(AADSTS%d)", tc.code)) || !strings.Contains(msg, tc.fix) || strings.Contains(msg, "\n") {
				t.Errorf("Error() = %q, want one line with AADSTS%d and %q", msg, tc.code, tc.fix)
			}
			if !strings.HasPrefix(ae.Description, fmt.Sprintf("AADSTS%d:", tc.code)) || strings.Contains(ae.Description, "Trace ID") {
				t.Errorf("Description = %q, want Entra's text without the trace", ae.Description)
			}
			for where, s := range map[string]string{"Error()": msg, "Description": ae.Description, "log": logs.String(), "%+v": fmt.Sprintf("%+v %#v", cred, cred)} {
				if strings.Contains(s, tc.secret) {
					t.Errorf("%s holds the secret: %q", where, s)
				}
			}
			if !strings.Contains(logs.String(), fmt.Sprintf("code=%d", tc.code)) {
				t.Errorf("log = %q, want the refusal with its code", logs.String())
			}
		})
	}
}

// TestSecretNeverEchoed checks the redaction itself: an answer that quotes the secret
// (Entra's never do, a proxy's or a future one might) does not carry it into the error.
func TestSecretNeverEchoed(t *testing.T) {
	srv := startHarness(t)
	secret := demoApp(t, srv).Secrets[0].Value
	// Entra quotes an unknown resource in its description (AADSTS500011): a resource
	// holding the secret makes the harness echo it.
	tg := target(t, srv, nil)
	cred, err := graph.ClientSecretCredential(tg, tenant.DemoAppID, secret)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/" + secret + "/.default"}})
	var ae *graph.AuthError
	if !errors.As(err, &ae) || ae.Code == 0 {
		t.Fatalf("GetToken with a scope quoting the secret = %v, want an AuthError with a code", err)
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(ae.Description, secret) {
		t.Errorf("the secret came back: %q / %q", err, ae.Description)
	}
}

func TestTransportErrors(t *testing.T) {
	srv := startHarness(t)
	secret := demoApp(t, srv).Secrets[0].Value

	untrusted := target(t, srv, nil)
	untrusted.Roots = x509.NewCertPool() // not the harness's CA
	down := target(t, srv, nil)
	other := startHarness(t)
	baseDown := other.BaseURL
	other.Close()
	down.AuthorityHost = baseDown + "/"

	for _, tc := range []struct {
		name string
		tg   graph.Target
		fix  string
	}{
		{"untrusted CA", untrusted, "give the target its CA"},
		{"harness down", down, "nothing answers at the authority host"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cred, err := graph.ClientSecretCredential(tc.tg, tenant.DemoAppID, secret)
			if err != nil {
				t.Fatal(err)
			}
			// graphToken's 30 s context bounds retries that would hammer a server that
			// cannot answer: they end in a deadline error, not the sentence below.
			_, err = graphToken(t, cred)
			var ae *graph.AuthError
			if !errors.As(err, &ae) || ae.Code != 0 || !strings.Contains(err.Error(), tc.fix) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("GetToken = %q, want one line saying %q", err, tc.fix)
			}
		})
	}
}

func TestTargets(t *testing.T) {
	e := graph.EntraTarget("contoso.onmicrosoft.com")
	if err := e.Validate(); err != nil || e.AuthorityHost != "https://login.microsoftonline.com/" || e.GraphURL != "https://graph.microsoft.com/v1.0" || e.DisableInstanceDiscovery {
		t.Errorf("EntraTarget = %+v, %v", e, err)
	}
	pool := x509.NewCertPool()
	h, err := graph.HarnessTarget("https://127.0.0.1:8443", "6f1c3a2e-8d4b-4c7a-9e51-2b0d7f4a9c13", pool)
	if err != nil || h.AuthorityHost != "https://127.0.0.1:8443/" || h.GraphURL != "https://127.0.0.1:8443/v1.0" || !h.DisableInstanceDiscovery || h.Roots != pool {
		t.Errorf("HarnessTarget = %+v, %v", h, err)
	}
	for _, tc := range []struct {
		base, tenant string
		pool         *x509.CertPool
		want         string
	}{
		{"http://127.0.0.1:8443", "t", pool, "not an https origin"},
		{"https://127.0.0.1:8443/x", "t", pool, "not an https origin"},
		{"https://127.0.0.1:8443", "t", nil, "no CA"},
		{"https://127.0.0.1:8443", "", pool, "no tenant"},
		{"https://127.0.0.1:8443", "../evil", pool, "neither a GUID nor a domain"},
	} {
		if _, err := graph.HarnessTarget(tc.base, tc.tenant, tc.pool); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("HarnessTarget(%q, %q) = %v, want %q", tc.base, tc.tenant, err, tc.want)
		}
	}
	if _, err := graph.ClientSecretCredential(e, "not-a-guid", "x"); err == nil || !strings.Contains(err.Error(), "not a GUID") {
		t.Errorf("ClientSecretCredential(bad client ID) = %v", err)
	}
	if _, err := graph.ClientSecretCredential(e, tenant.DemoAppID, " "); err == nil || !strings.Contains(err.Error(), "no secret") {
		t.Errorf("ClientSecretCredential(no secret) = %v", err)
	}
}

func TestHarnessTargetFromFacts(t *testing.T) {
	srv := startHarness(t)
	line := fmt.Sprintf(`{"base_url":%q,"tenant_id":%q,"graph_url":%q,"ca_cert":%q}`, srv.BaseURL, srv.TenantID, srv.BaseURL+"/v1.0", srv.CACertPath)
	tg, err := graph.HarnessTargetFromFacts([]byte(line))
	if err != nil {
		t.Fatalf("HarnessTargetFromFacts = %v", err)
	}
	cred, err := graph.ClientSecretCredential(tg, tenant.DemoAppID, demoApp(t, srv).Secrets[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := graphToken(t, cred); err != nil {
		t.Errorf("GetToken through a target read from the facts = %v", err)
	}
	for _, bad := range []string{`not json`, `{"base_url":"https://127.0.0.1:1","tenant_id":"t"}`, `{"base_url":"https://127.0.0.1:1","tenant_id":"t","ca_cert":"/nonexistent/ca.pem"}`} {
		if _, err := graph.HarnessTargetFromFacts([]byte(bad)); err == nil {
			t.Errorf("HarnessTargetFromFacts(%q) = nil error", bad)
		}
	}
}

// user is a browser for the device login page: a cookie jar and the harness's CA.
type user struct {
	t *testing.T
	c *http.Client
}

func newUser(t *testing.T, srv *harness.Server) *user {
	jar, _ := cookiejar.New(nil)
	c := srv.Client()
	c.Jar = jar
	return &user{t: t, c: c}
}

var (
	formRe  = regexp.MustCompile(`(?s)<form\b([^>]*)>(.*?)</form>`)
	inputRe = regexp.MustCompile(`<input\b([^>]*)>`)
	attrRe  = regexp.MustCompile(`([a-zA-Z_-]+)="([^"]*)"`)
)

type form struct {
	action string
	values url.Values
}

func attrs(s string) map[string]string {
	m := map[string]string{}
	for _, a := range attrRe.FindAllStringSubmatch(s, -1) {
		m[strings.ToLower(a[1])] = html.UnescapeString(a[2])
	}
	return m
}

func forms(body string) []form {
	var out []form
	for _, f := range formRe.FindAllStringSubmatch(body, -1) {
		fm := form{action: attrs(f[1])["action"], values: url.Values{}}
		for _, in := range inputRe.FindAllStringSubmatch(f[2], -1) {
			if a := attrs(in[1]); a["name"] != "" {
				fm.values.Add(a["name"], a["value"])
			}
		}
		out = append(out, fm)
	}
	return out
}

func (u *user) read(resp *http.Response, err error) (string, error) {
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("%s %s = %d", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode)
	}
	return string(b), err
}

// submit posts form n of page, with fill set.
func (u *user) submit(page string, n int, fill map[string]string) (string, error) {
	fs := forms(page)
	if len(fs) <= n {
		return "", fmt.Errorf("page has %d forms, want form %d: %.300s", len(fs), n, page)
	}
	f := fs[n]
	for k, v := range fill {
		f.values.Set(k, v)
	}
	return u.read(u.c.PostForm(f.action, f.values))
}

// approve enters the code on the device login page and signs in (or declines).
func (u *user) approve(dc graph.DeviceCode, login, password string, decline bool) error {
	page, err := u.read(u.c.Get(dc.VerificationURL))
	if err != nil {
		return err
	}
	if page, err = u.submit(page, 0, map[string]string{"otc": dc.UserCode}); err != nil {
		return err
	}
	if !strings.Contains(page, `name="passwd"`) {
		return fmt.Errorf("after the code, no login form: %.300s", page)
	}
	if decline {
		_, err = u.submit(page, 1, nil)
		return err
	}
	page, err = u.submit(page, 0, map[string]string{"login": login, "passwd": password})
	if err == nil && !strings.Contains(page, "You have signed in") {
		err = fmt.Errorf("after signing in: %.300s", page)
	}
	return err
}

func deviceCredential(t *testing.T, srv *harness.Server, decline bool) (azcore.TokenCredential, func() (graph.DeviceCode, error)) {
	t.Helper()
	var mu sync.Mutex
	var got graph.DeviceCode
	approved := make(chan error, 1)
	cred, err := graph.DeviceCodeCredential(target(t, srv, nil), tenant.DemoAppID, func(ctx context.Context, dc graph.DeviceCode) error {
		mu.Lock()
		got = dc
		mu.Unlock()
		// The person acts while the credential polls.
		go func() { approved <- newUser(t, srv).approve(dc, "alice@contoso.example", "Demo.Alice.2026", decline) }()
		return nil
	})
	if err != nil {
		t.Fatalf("DeviceCodeCredential = %v", err)
	}
	return cred, func() (graph.DeviceCode, error) {
		select {
		case err := <-approved:
			mu.Lock()
			defer mu.Unlock()
			return got, err
		case <-time.After(time.Minute): // a hang guard: it is called in milliseconds
			return graph.DeviceCode{}, errors.New("the prompt was never called")
		}
	}
}

func TestDeviceCodeCredential(t *testing.T) {
	srv := startHarness(t)
	cred, result := deviceCredential(t, srv, false)
	tok, err := graphToken(t, cred)
	dc, aerr := result()
	if aerr != nil {
		t.Fatalf("approving on the device page: %v", aerr)
	}
	if err != nil {
		t.Fatalf("GetToken = %v", err)
	}
	if len(dc.UserCode) != 9 || dc.VerificationURL != srv.BaseURL+"/devicelogin" || !strings.Contains(dc.Message, dc.UserCode) {
		t.Errorf("prompt got %+v, want a 9-character code and %s/devicelogin", dc, srv.BaseURL)
	}
	at, err := srv.IdP.VerifyAccessToken(tok.Token)
	if err != nil {
		t.Fatalf("VerifyAccessToken = %v", err)
	}
	alice, _ := srv.Store.UserByUPN("alice@contoso.example")
	if at.UserID != alice.ID || at.Claims["upn"] != "alice@contoso.example" || at.Audience != "https://graph.microsoft.com" || at.AppID != tenant.DemoAppID {
		t.Errorf("device token: user %q upn %v aud %q appid %q; want alice (%s) for Graph from the demo app", at.UserID, at.Claims["upn"], at.Audience, at.AppID, alice.ID)
	}
}

func TestDeviceCodeDeclined(t *testing.T) {
	srv := startHarness(t)
	cred, result := deviceCredential(t, srv, true)
	_, err := graphToken(t, cred)
	if _, aerr := result(); aerr != nil {
		t.Fatalf("declining on the device page: %v", aerr)
	}
	var ae *graph.AuthError
	if !errors.As(err, &ae) || ae.OAuthError != "authorization_declined" || ae.Credential != graph.KindDeviceCode ||
		!strings.Contains(err.Error(), "declined on the device login page") {
		t.Fatalf("GetToken after declining = %v, want an AuthError saying it was declined", err)
	}
}

func TestDeviceCodeCancelled(t *testing.T) {
	srv := startHarness(t)
	prompted := make(chan struct{}, 1)
	cred, err := graph.DeviceCodeCredential(target(t, srv, nil), tenant.DemoAppID, func(context.Context, graph.DeviceCode) error {
		prompted <- struct{}{}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	// Cancelled once the code is shown, while the credential polls for the person.
	go func() { <-prompted; cancel() }()
	_, err = cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{graph.GraphScope}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("GetToken cancelled while pending = %v, want context.Canceled", err)
	}
}

// wizardApp registers the wizard's own app: a public client (no secret) whose redirect
// URI is loopback, any port, as a desktop app registers it.
func wizardApp(t *testing.T, srv *harness.Server, assignmentRequired bool) string {
	t.Helper()
	const appID = "5e0d4c3b-2a19-4f08-9e7d-6c5b4a392817"
	if _, err := srv.Store.AddApp(tenant.App{AppID: appID, DisplayName: "SSO wizard", RedirectURIs: []string{"http://localhost"},
		AssignmentRequired: assignmentRequired}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := srv.Store.EnsureServicePrincipal(appID); err != nil {
		t.Fatal(err)
	}
	return appID
}

// browserSignIn gets a Graph token through InteractiveBrowserCredential, with the test
// as the browser: it opens the URL the credential hands to xdg-open, signs in, and posts
// the form_post answer to the credential's loopback listener.
func browserSignIn(t *testing.T, srv *harness.Server, appID, login, password string) (azcore.AccessToken, error) {
	t.Helper()
	opened := fakeBrowser(t)
	cred, err := graph.InteractiveBrowserCredential(target(t, srv, nil), appID, "")
	if err != nil {
		t.Fatalf("InteractiveBrowserCredential = %v", err)
	}
	type result struct {
		tok azcore.AccessToken
		err error
	}
	done, finished := make(chan result, 1), make(chan struct{})
	go func() {
		tok, err := graphToken(t, cred)
		done <- result{tok, err}
		close(finished)
	}()

	authURL, err := opened(finished)
	if err != nil {
		t.Fatal(err)
	}
	q := mustQuery(t, authURL)
	if q.Get("code_challenge_method") != "S256" || q.Get("response_mode") != "form_post" || !strings.HasPrefix(q.Get("redirect_uri"), "http://localhost:") ||
		!strings.HasPrefix(authURL, srv.BaseURL+"/"+srv.TenantID+"/oauth2/v2.0/authorize?") {
		t.Errorf("opened %s, want the harness's authorize endpoint with PKCE S256, form_post and a localhost redirect", authURL)
	}
	u := newUser(t, srv)
	page, err := u.read(u.c.Get(authURL))
	if err != nil {
		t.Fatalf("authorize page: %v: %.300s", err, page)
	}
	if page, err = u.submit(page, 0, map[string]string{"login": login, "passwd": password}); err != nil {
		t.Fatalf("sign in: %v: %.300s", err, page)
	}
	// The form_post page: the browser posts the answer to the credential's listener.
	fs := forms(page)
	if len(fs) != 1 || !strings.HasPrefix(fs[0].action, "http://localhost:") || fs[0].values.Get("state") == "" {
		t.Fatalf("after sign-in, want a form posting to localhost: %.400s", page)
	}
	if resp, err := http.PostForm(fs[0].action, fs[0].values); err != nil {
		t.Fatalf("posting to the credential's listener: %v", err)
	} else {
		resp.Body.Close()
	}
	select {
	case r := <-done:
		return r.tok, r.err
	case <-time.After(30 * time.Second):
		t.Fatal("GetToken never returned")
	}
	return azcore.AccessToken{}, nil
}

func TestInteractiveBrowserCredential(t *testing.T) {
	srv := startHarness(t)
	appID := wizardApp(t, srv, false)
	tok, err := browserSignIn(t, srv, appID, "bob@contoso.example", "Demo.Bob.2026")
	if err != nil {
		t.Fatalf("GetToken = %v", err)
	}
	at, err := srv.IdP.VerifyAccessToken(tok.Token)
	if err != nil {
		t.Fatalf("VerifyAccessToken = %v", err)
	}
	if at.Claims["upn"] != "bob@contoso.example" || at.AppID != appID || at.Audience != "https://graph.microsoft.com" {
		t.Errorf("browser token: upn %v appid %q aud %q, want bob through the wizard's app for Graph", at.Claims["upn"], at.AppID, at.Audience)
	}
}

func TestInteractiveBrowserNotAssigned(t *testing.T) {
	srv := startHarness(t)
	appID := wizardApp(t, srv, true)
	_, err := browserSignIn(t, srv, appID, "bob@contoso.example", "Demo.Bob.2026")
	var ae *graph.AuthError
	if !errors.As(err, &ae) || ae.Code != 50105 || ae.Credential != graph.KindInteractiveBrowser ||
		!strings.Contains(err.Error(), "(AADSTS50105): the user is not assigned to the app") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("GetToken for an unassigned user = %q, want one line with AADSTS50105", err)
	}
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("parse %q: %v", raw, err)
	}
	return u.Query()
}
