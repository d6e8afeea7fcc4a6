package sp_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/inspect"
	"github.com/ssowizard/ssowizard/sp"
)

const (
	alice = "alice@contoso.example"
	bob   = "bob@contoso.example"
	dave  = "dave@contoso.example"
	erin  = "erin@contoso.example"
	carol = "carol@fabrikam.example"
)

var passwords = map[string]string{
	alice: "Demo.Alice.2026", bob: "Demo.Bob.2026", carol: "Demo.Carol.2026", dave: "Demo.Dave.2026", erin: "Demo.Erin.2026",
}

func oidcLogin(t *testing.T, srv interface{}, cfg sp.OIDCConfig) (*sp.Result, error) {
	t.Helper()
	rp, err := sp.NewOIDC(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewOIDC: %v", err)
	}
	return rp.Login(context.Background())
}

func claim(r *sp.Result, name string) string {
	for _, c := range r.Report.Claims {
		if (c.Name == name || c.Friendly == name) && len(c.Values) > 0 {
			return c.Values[0]
		}
	}
	return ""
}

func TestOIDCLoginSucceeds(t *testing.T) {
	srv := startHarness(t)
	o := newOpener(newBrowser(t, srv, alice, passwords[alice]))
	cfg := oidcConfig(t, srv, o)
	cfg.Tenant = srv.TenantID
	cfg.ExpectedDomain = tenant.DemoDomain
	res, err := oidcLogin(t, srv, cfg)
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	p := o.last(t)
	if !res.OK {
		t.Fatalf("Login OK = false, findings %v", findingCodes(res))
	}
	if !strings.Contains(p.body, "Test login received") {
		t.Errorf("the browser ended on %q, want the SP's received page", p.body)
	}
	if got := claim(res, "preferred_username"); got != alice {
		t.Errorf("preferred_username = %q, want %q", got, alice)
	}
	if res.Report.Signature == nil || res.Report.Signature.Status != inspect.SigValid {
		t.Errorf("signature = %+v, want valid against the JWKS", res.Report.Signature)
	}
	u, _ := url.Parse(res.SignInURL)
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("nonce") == "" || len(q.Get("state")) < 20 {
		t.Errorf("sign-in URL %s lacks PKCE S256, a nonce or a long state", res.SignInURL)
	}
	if !strings.HasPrefix(res.RedirectURI, "http://127.0.0.1:") || strings.HasSuffix(res.RedirectURI, ":0/callback") {
		t.Errorf("RedirectURI = %q, want the real loopback port", res.RedirectURI)
	}
	if res.Artifact == nil || res.Artifact.AccessToken == "" {
		t.Fatal("the artifact keeps no access token in memory")
	}
	red := res.Artifact.Redacted()
	if red.AccessToken != "" || red.RefreshToken != "" || !strings.HasSuffix(red.Value, ".REDACTED") ||
		strings.Count(red.Value, ".") != 2 || strings.Contains(red.Value, res.Artifact.Value[strings.LastIndex(res.Artifact.Value, "."):]) {
		t.Errorf("Redacted() = %+v, want the ID token without its signature and no tokens", red)
	}
	if res.Callback <= 0 || res.Total < res.Callback {
		t.Errorf("timings callback %v total %v", res.Callback, res.Total)
	}
}

func TestSAMLLoginSucceeds(t *testing.T) {
	srv := startHarness(t)
	o := newOpener(newBrowser(t, srv, alice, passwords[alice]))
	cfg := samlConfig(t, srv, o)
	cfg.Tenant = srv.TenantID
	cfg.ExpectedDomain = tenant.DemoDomain
	s, err := sp.NewSAML(cfg)
	if err != nil {
		t.Fatalf("NewSAML: %v", err)
	}
	res, err := s.Login(context.Background())
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	o.last(t)
	if !res.OK {
		t.Fatalf("Login OK = false, findings %v", findingCodes(res))
	}
	if res.Report.Subject == nil || res.Report.Subject.NameID != alice {
		t.Errorf("subject = %+v, want NameID %s", res.Report.Subject, alice)
	}
	if res.RequestID == "" || (res.RequestID[0] >= '0' && res.RequestID[0] <= '9') {
		t.Errorf("request ID %q: Entra refuses IDs that start with a digit", res.RequestID)
	}
	if res.Report.InResponseTo != res.RequestID {
		t.Errorf("InResponseTo = %q, want %q", res.Report.InResponseTo, res.RequestID)
	}
	red := res.Artifact.Redacted()
	if !strings.Contains(red.Value, "SignatureValue>REDACTED</") || strings.Contains(red.Value, res.Artifact.Value) {
		t.Errorf("Redacted() keeps the signature: %.300s", red.Value)
	}
	md, err := s.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	rep := inspect.Inspect(md, inspect.Options{Now: time.Now()})
	if rep.Kind != inspect.KindSAMLMetadata || rep.Metadata == nil || rep.Metadata.EntityID != tenant.DemoEntityID ||
		len(rep.Metadata.ACSURLs) != 1 || rep.Metadata.ACSURLs[0].Location != "http://127.0.0.1/saml/acs" {
		t.Errorf("SP metadata = %+v, want entity %s and ACS http://127.0.0.1/saml/acs", rep.Metadata, tenant.DemoEntityID)
	}
}

// TestSAMLRollover: during a certificate rollover Entra's metadata lists two signing
// certificates; the SP trusts both and the login succeeds.
func TestSAMLRollover(t *testing.T) {
	srv := startHarness(t, "cert-rollover")
	o := newOpener(newBrowser(t, srv, alice, passwords[alice]))
	cfg := samlConfig(t, srv, o)
	md, err := inspect.ParseMetadata(cfg.IdPMetadata)
	if err != nil || len(md.SigningCerts) != 2 {
		t.Fatalf("rollover metadata: %v, %d certificates, want 2", err, len(md.SigningCerts))
	}
	s, err := sp.NewSAML(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Login(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	o.last(t)
	if !res.OK {
		t.Errorf("Login during a rollover: findings %v", findingCodes(res))
	}
}

// TestMetadataWithBOM: Entra's app metadata has been seen starting with a byte order mark.
func TestMetadataWithBOM(t *testing.T) {
	srv := startHarness(t)
	md := fetchMetadata(t, srv)
	if !strings.HasPrefix(string(md), "\xef\xbb\xbf") {
		md = append([]byte("\xef\xbb\xbf"), md...)
	}
	if _, err := sp.NewSAML(sp.SAMLConfig{IdPMetadata: md, EntityID: tenant.DemoEntityID}); err != nil {
		t.Fatalf("NewSAML(metadata with BOM) = %v", err)
	}
	file := filepath.Join(t.TempDir(), "md.xml")
	if err := os.WriteFile(file, md, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{file, srv.IdP.SAMLMetadataURL(tenant.DemoAppID)} {
		b, err := sp.LoadIdPMetadata(context.Background(), srv.Client(), src)
		if err != nil {
			t.Fatalf("LoadIdPMetadata(%s) = %v", src, err)
		}
		if _, err := sp.NewSAML(sp.SAMLConfig{IdPMetadata: b, EntityID: tenant.DemoEntityID}); err != nil {
			t.Errorf("NewSAML(metadata from %s) = %v", src, err)
		}
	}
	for _, src := range []string{"http://203.0.113.9/md.xml", "/no/such/file.xml", srv.BaseURL + "/nothing-here"} {
		if _, err := sp.LoadIdPMetadata(context.Background(), srv.Client(), src); err == nil {
			t.Errorf("LoadIdPMetadata(%s) = nil error, want a refusal", src)
		}
	}
	if _, err := sp.NewSAML(sp.SAMLConfig{IdPMetadata: []byte("<nope/>"), EntityID: tenant.DemoEntityID}); err == nil {
		t.Error("NewSAML(<nope/>) = nil error, want a refusal")
	}
}

// errorPageCase is a mistake Entra answers with its own error page: the browser never
// comes back, the SP's wait ends, and the page names the code.
func TestSetupMistakesOnErrorPage(t *testing.T) {
	srv := startHarness(t)
	cases := []struct {
		name   string
		aadsts string
		run    func(o *opener) (*sp.Result, error)
	}{
		{"oidc redirect not registered", "AADSTS50011", func(o *opener) (*sp.Result, error) {
			cfg := oidcConfig(t, srv, o)
			cfg.RedirectURI = "http://127.0.0.1:0/not-registered"
			cfg.Timeout = 1500 * time.Millisecond
			return oidcLogin(t, srv, cfg)
		}},
		{"oidc unknown client", "AADSTS700016", func(o *opener) (*sp.Result, error) {
			cfg := oidcConfig(t, srv, o)
			cfg.ClientID = "11111111-2222-4333-8444-555555555555"
			cfg.Timeout = 1500 * time.Millisecond
			return oidcLogin(t, srv, cfg)
		}},
		{"saml reply url not registered", "AADSTS50011", func(o *opener) (*sp.Result, error) {
			cfg := samlConfig(t, srv, o)
			cfg.ACS = "http://127.0.0.1:0/wrong/acs"
			cfg.Timeout = 1500 * time.Millisecond
			s, err := sp.NewSAML(cfg)
			if err != nil {
				t.Fatal(err)
			}
			return s.Login(context.Background())
		}},
		{"saml unknown entity id", "AADSTS700016", func(o *opener) (*sp.Result, error) {
			cfg := samlConfig(t, srv, o)
			cfg.EntityID = "https://vendor.example/not-registered"
			s, err := sp.NewSAML(cfg)
			if err != nil {
				t.Fatal(err)
			}
			// Cancelled, not timed out: the admin gave up waiting, once the browser
			// showed Entra's error page.
			ctx, cancel := context.WithCancel(context.Background())
			o.stopAt(cancel)
			return s.Login(ctx)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := newOpener(newBrowser(t, srv, alice, passwords[alice]))
			res, err := tc.run(o)
			p := o.last(t)
			if got := inspect.ExplainAADSTS(p.body); got == nil || got.Code != tc.aadsts {
				t.Errorf("the error page (%d) names %+v, want %s: %.300s", p.status, got, tc.aadsts, p.body)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "cancelled") {
					t.Errorf("Login error = %v, want a cancellation", err)
				}
				return
			}
			if res.OK || !hasCode(res, sp.CodeNoCallback) {
				t.Errorf("Login = OK %v findings %v, want no-callback", res.OK, findingCodes(res))
			}
		})
	}
}

// TestSetupMistakesExplained: mistakes Entra reports back to the SP end in the AADSTS
// code with its explanation.
func TestSetupMistakesExplained(t *testing.T) {
	cases := []struct {
		name      string
		scenarios []string
		user      string
		protocol  string
		change    func(t *testing.T, cfg *sp.OIDCConfig, srvSecretID string)
		aadsts    string
	}{
		{"secret id pasted", nil, alice, "oidc", func(t *testing.T, c *sp.OIDCConfig, id string) { c.ClientSecret = id }, "AADSTS7000215"},
		{"expired secret", []string{"expired-secret"}, alice, "oidc", nil, "AADSTS7000222"},
		{"user not assigned", nil, bob, "oidc", nil, "AADSTS50105"},
		{"user not assigned saml", nil, bob, "saml", nil, "AADSTS50105"},
		{"consent required", []string{"consent-required"}, alice, "oidc", nil, "AADSTS65001"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startHarness(t, tc.scenarios...)
			o := newOpener(newBrowser(t, srv, tc.user, passwords[tc.user]))
			var res *sp.Result
			var err error
			if tc.protocol == "saml" {
				s, e := sp.NewSAML(samlConfig(t, srv, o))
				if e != nil {
					t.Fatal(e)
				}
				res, err = s.Login(context.Background())
			} else {
				cfg := oidcConfig(t, srv, o)
				if tc.change != nil {
					_, id := demoSecret(t, srv)
					tc.change(t, &cfg, id)
				}
				res, err = oidcLogin(t, srv, cfg)
			}
			if err != nil {
				t.Fatalf("Login: %v", err)
			}
			o.last(t)
			if res.OK {
				t.Fatal("Login OK = true, want a failed login")
			}
			if res.AADSTS == nil || res.AADSTS.Code != tc.aadsts || res.AADSTS.Fix == "" {
				t.Fatalf("AADSTS = %+v, want %s with a fix; findings %v", res.AADSTS, tc.aadsts, findingCodes(res))
			}
			if hasCode(res, sp.CodeIdPError) == hasCode(res, inspect.CodeStatusError) {
				t.Errorf("findings %v: want exactly one of %s and %s", findingCodes(res), sp.CodeIdPError, inspect.CodeStatusError)
			}
		})
	}
}

// TestScenarioFindings: logins that Entra completes but whose answer a vendor must not
// take as it is.
func TestScenarioFindings(t *testing.T) {
	cases := []struct {
		name      string
		scenarios []string
		user      string
		protocol  string
		wantOK    bool
		codes     []string
	}{
		{"expired certificate", []string{"expired-cert"}, alice, "saml", false, []string{inspect.CodeCertExpired}},
		{"clock skew oidc", []string{"clock-skew"}, alice, "oidc", false, []string{inspect.CodeNotYetValid, sp.CodeSPRejected}},
		{"clock skew saml", []string{"clock-skew"}, alice, "saml", false, []string{inspect.CodeNotYetValid, sp.CodeSPRejected}},
		{"groups overage oidc", nil, erin, "oidc", true, []string{inspect.CodeGroupsOverage, sp.CodeGroupsOverageUnresolved}},
		{"groups overage saml", nil, erin, "saml", true, []string{inspect.CodeGroupsOverage, sp.CodeGroupsOverageUnresolved}},
		{"no email oidc", nil, dave, "oidc", true, []string{inspect.CodeEmailMissing}},
		{"no email saml", nil, dave, "saml", true, []string{inspect.CodeEmailMissing}},
		{"groups as object ids", nil, alice, "oidc", true, []string{inspect.CodeGroupsObjectIDs}},
		{"transient name id", []string{"transient-nameid"}, alice, "saml", true, []string{inspect.CodeNameIDTransient, sp.CodeNameIDNotEmail}},
		{"guest name id and upn domain", nil, carol, "saml", true, []string{sp.CodeNameIDNotEmail, sp.CodeUPNDomainMismatch}},
		{"guest upn domain oidc", nil, carol, "oidc", true, []string{sp.CodeUPNDomainMismatch}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startHarness(t, tc.scenarios...)
			o := newOpener(newBrowser(t, srv, tc.user, passwords[tc.user]))
			var res *sp.Result
			var err error
			if tc.protocol == "saml" {
				cfg := samlConfig(t, srv, o)
				cfg.ExpectedDomain = tenant.DemoDomain
				s, e := sp.NewSAML(cfg)
				if e != nil {
					t.Fatal(e)
				}
				res, err = s.Login(context.Background())
			} else {
				cfg := oidcConfig(t, srv, o)
				cfg.ExpectedDomain = tenant.DemoDomain
				res, err = oidcLogin(t, srv, cfg)
			}
			if err != nil {
				t.Fatalf("Login: %v", err)
			}
			o.last(t)
			if tc.user == alice && tc.scenarios == nil && hasCode(res, sp.CodeUPNDomainMismatch) {
				t.Errorf("alice's UPN is in %s, yet %v", tenant.DemoDomain, findingCodes(res))
			}
			if res.OK != tc.wantOK {
				t.Errorf("Login OK = %v, want %v; findings %v", res.OK, tc.wantOK, findingCodes(res))
			}
			for _, c := range tc.codes {
				if !hasCode(res, c) {
					t.Errorf("findings %v lack %s", findingCodes(res), c)
				}
			}
		})
	}
}

// TestVendorFindings: the UPN outside the ticket's domain, and a tenant that is not the
// one expected.
func TestVendorFindings(t *testing.T) {
	srv := startHarness(t)
	o := newOpener(newBrowser(t, srv, alice, passwords[alice]))
	cfg := oidcConfig(t, srv, o)
	cfg.ExpectedDomain = "vendor-customer.example"
	cfg.Tenant = "99999999-9999-4999-8999-999999999999"
	res, err := oidcLogin(t, srv, cfg)
	if err != nil {
		t.Fatal(err)
	}
	o.last(t)
	for _, c := range []string{sp.CodeUPNDomainMismatch, inspect.CodeTenantMismatch} {
		if !hasCode(res, c) {
			t.Errorf("findings %v lack %s", findingCodes(res), c)
		}
	}
	if res.OK {
		t.Error("a token from another tenant passed")
	}
}

// TestNowInjected: the SP checks at its own clock, not the machine's: two hours on, the
// ID token has expired, for the inspector and for go-oidc alike.
func TestNowInjected(t *testing.T) {
	srv := startHarness(t)
	o := newOpener(newBrowser(t, srv, alice, passwords[alice]))
	cfg := oidcConfig(t, srv, o)
	cfg.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	res, err := oidcLogin(t, srv, cfg)
	if err != nil {
		t.Fatal(err)
	}
	o.last(t)
	if res.OK || !hasCode(res, inspect.CodeExpired) || !hasCode(res, sp.CodeSPRejected) {
		t.Errorf("two hours on: OK %v findings %v, want expired and sp-rejected", res.OK, findingCodes(res))
	}

	o = newOpener(newBrowser(t, srv, alice, passwords[alice]))
	scfg := samlConfig(t, srv, o)
	scfg.Now = func() time.Time { return time.Now().Add(80 * time.Minute) }
	s, err := sp.NewSAML(scfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err = s.Login(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p := o.last(t)
	if res.OK || !hasCode(res, inspect.CodeExpired) {
		t.Errorf("SAML 80 minutes on: OK %v findings %v, want expired; page %.200s", res.OK, findingCodes(res), p.body)
	}
}
