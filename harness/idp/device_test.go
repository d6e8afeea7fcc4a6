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

type deviceAuth struct {
	UserCode        string `json:"user_code"`
	DeviceCode      string `json:"device_code"`
	VerificationURI string `json:"verification_uri"`
	ExpiresIn       int    `json:"expires_in"`
	Interval        int    `json:"interval"`
	Message         string `json:"message"`
}

func startDevice(t *testing.T, srv *harness.Server, b *browser) deviceAuth {
	t.Helper()
	p := b.post(srv.BaseURL+"/"+srv.TenantID+"/oauth2/v2.0/devicecode", url.Values{"client_id": {tenant.DemoAppID}, "scope": {"openid profile offline_access User.Read"}})
	var d deviceAuth
	if err := json.Unmarshal([]byte(p.body), &d); err != nil || p.status != http.StatusOK {
		t.Fatalf("devicecode = %d %s", p.status, p.body)
	}
	if len(d.UserCode) != 9 || d.DeviceCode == "" || d.VerificationURI != srv.BaseURL+"/devicelogin" || d.ExpiresIn != 900 ||
		!strings.Contains(d.Message, d.UserCode) || !strings.Contains(d.Message, d.VerificationURI) {
		t.Errorf("devicecode response = %+v", d)
	}
	return d
}

func poll(srv *harness.Server, b *browser, d deviceAuth) page {
	return b.post(tokenURL(srv), url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
		"client_id": {tenant.DemoAppID}, "device_code": {d.DeviceCode}})
}

func TestDeviceCodeFlow(t *testing.T) {
	srv, clk := start(t)
	clk.Stop()                   // the polls' spacing is what the test advances, not the machine's speed
	device := newBrowser(t, srv) // the CLI polling
	d := startDevice(t, srv, device)
	jsonError(t, "before approval", poll(srv, device, d), 400, "authorization_pending", 70016)
	jsonError(t, "polling too fast", poll(srv, device, d), 400, "slow_down", 70016)
	clk.Advance(250 * time.Millisecond) // the interval (DevicePollInterval 200 ms)
	jsonError(t, "polling at the interval", poll(srv, device, d), 400, "authorization_pending", 70016)

	// The user approves in a browser; the device's next poll gets the tokens.
	user := newBrowser(t, srv)
	p := user.get(d.VerificationURI)
	p = user.submit(p, map[string]string{"otc": strings.ToLower(d.UserCode[:4]) + " " + d.UserCode[4:]})
	if !strings.Contains(p.body, `name="passwd"`) || !strings.Contains(p.body, "Vendor SSO (demo)") {
		t.Fatalf("after the code: %d %.400s, want the login form for the app", p.status, p.body)
	}
	p = user.submit(p, map[string]string{"login": "alice@contoso.example", "passwd": "Demo.Alice.2026"})
	if !strings.Contains(p.body, "You have signed in to the Vendor SSO (demo) application on your device") {
		t.Errorf("approval page: %d %.400s", p.status, p.body)
	}
	clk.Advance(250 * time.Millisecond)
	p = poll(srv, device, d)
	var tok map[string]any
	if err := json.Unmarshal([]byte(p.body), &tok); err != nil || p.status != http.StatusOK || tok["access_token"] == nil || tok["id_token"] == nil || tok["refresh_token"] == nil {
		t.Fatalf("device token = %d %s", p.status, p.body)
	}
	if c := jwtClaims(t, tok["id_token"].(string)); c["preferred_username"] != "alice@contoso.example" {
		t.Errorf("device id_token = %v", c)
	}
	clk.Advance(250 * time.Millisecond)
	jsonError(t, "redeemed twice", poll(srv, device, d), 400, "invalid_grant", 54005)

	// A wrong code is refused on the page.
	p = user.submit(user.get(d.VerificationURI), map[string]string{"otc": "AAAAAAAAA"})
	if !strings.Contains(p.body, "That code didn") || !strings.Contains(p.body, `name="otc"`) {
		t.Errorf("wrong code: %.400s", p.body)
	}
}

func TestDeviceCodeDeclinedAndExpired(t *testing.T) {
	srv, clk := start(t)
	device := newBrowser(t, srv)
	d := startDevice(t, srv, device)
	user := newBrowser(t, srv)
	p := user.submit(user.get(d.VerificationURI), map[string]string{"otc": d.UserCode})
	fs := forms(p.body)
	if len(fs) != 2 || fs[1].values.Get("decline") != "1" {
		t.Fatalf("login form for a device flow has %d forms, want sign-in and cancel", len(fs))
	}
	p = user.post(fs[1].action, fs[1].values)
	if !strings.Contains(p.body, "declined") {
		t.Errorf("cancel page: %.300s", p.body)
	}
	jsonError(t, "declined", poll(srv, device, d), 400, "authorization_declined", 70000)

	d = startDevice(t, srv, device)
	clk.Advance(15*time.Minute + time.Second)
	jsonError(t, "expired", poll(srv, device, d), 400, "expired_token", 70020)
	jsonError(t, "unknown device code", device.post(tokenURL(srv), url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
		"client_id": {tenant.DemoAppID}, "device_code": {"nope"}}), 400, "bad_verification_code", 70000)
	jsonError(t, "devicecode for unknown client", device.post(srv.BaseURL+"/"+srv.TenantID+"/oauth2/v2.0/devicecode",
		url.Values{"client_id": {"11111111-2222-4333-8444-555555555555"}, "scope": {"openid"}}), 400, "unauthorized_client", 700016)
}

func TestAdminConsent(t *testing.T) {
	srv, _ := start(t)
	if _, err := srv.Store.UpdateApp(tenant.DemoAppID, func(a *tenant.App) error { a.ConsentRequired = true; return nil }); err != nil {
		t.Fatal(err)
	}
	consentURL := srv.BaseURL + "/" + srv.TenantID + "/v2.0/adminconsent?" + url.Values{"client_id": {tenant.DemoAppID},
		"scope": {"https://graph.microsoft.com/.default"}, "redirect_uri": {loopbackRedirect}, "state": {"st"}}.Encode()

	// Not an administrator: sent back with an error, nothing granted.
	b := newBrowser(t, srv)
	p := b.signIn(consentURL, "alice@contoso.example", "Demo.Alice.2026")
	redirectedError(t, "non-admin consent", p, "access_denied", "90094")
	if app, _ := srv.Store.AppByID(tenant.DemoAppID); app.ConsentGranted {
		t.Fatal("a non-administrator granted consent")
	}
	redirectedError(t, "before consent", b.get(authorizeURL(srv, srv.TenantID, nil)), "consent_required", "65001")

	// The administrator accepts; the app is consented and users get in.
	admin := newBrowser(t, srv)
	p = admin.signIn(consentURL, "admin@contoso.example", "Demo.Admin.2026")
	if !strings.Contains(p.body, "Accept for your organization") {
		t.Fatalf("admin consent page: %d %.400s", p.status, p.body)
	}
	q := redirectParams(t, admin.submit(p, nil), "http://127.0.0.1:53682/callback?")
	if q.Get("admin_consent") != "True" || q.Get("tenant") != srv.TenantID || q.Get("state") != "st" {
		t.Errorf("admin consent redirect = %v", q)
	}
	if app, _ := srv.Store.AppByID(tenant.DemoAppID); !app.ConsentGranted {
		t.Error("consent not recorded in the tenant")
	}
	if q := redirectParams(t, b.get(authorizeURL(srv, srv.TenantID, nil)), "http://127.0.0.1:53682/callback?"); q.Get("code") == "" {
		t.Errorf("after consent, authorize = %v, want a code", q)
	}
	errorPageCode(t, "admin consent with wrong redirect", b.get(strings.Replace(consentURL, "53682%2Fcallback", "53682%2Fother", 1)), "50011")
}

func TestPromptConsent(t *testing.T) {
	srv, _ := start(t)
	b := newBrowser(t, srv)
	p := b.signIn(authorizeURL(srv, srv.TenantID, map[string]string{"prompt": "consent"}), "alice@contoso.example", "Demo.Alice.2026")
	if !strings.Contains(p.body, "Permissions requested") {
		t.Fatalf("prompt=consent: %d %.300s, want the consent page", p.status, p.body)
	}
	if q := redirectParams(t, b.submit(p, nil), "http://127.0.0.1:53682/callback?"); q.Get("code") == "" {
		t.Errorf("after accepting: %v", q)
	}
}
