package graph_test

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/directory"
	"github.com/ssowizard/ssowizard/entra"
	"github.com/ssowizard/ssowizard/graph"
	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/graphapi"
	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/inspect"
	"github.com/ssowizard/ssowizard/sp"
)

var demoPasswords = map[string]string{
	"alice@" + tenant.DemoDomain: "Demo.Alice.2026",
	"bob@" + tenant.DemoDomain:   "Demo.Bob.2026",
}

// browserResult is the page a played browser stopped at.
type browserResult struct {
	status int
	body   string
	err    error
}

// spBrowser plays a person's browser for sp.Common.Open: it follows redirects (to the
// harness and to the SP's loopback callback), signs in on the harness's form and posts
// each page's first form (consent, the SAML auto-post) until a page has none.
type spBrowser struct {
	c               *http.Client
	login, password string
	done            chan browserResult
}

func newSPBrowser(srv *harness.Server, login string) *spBrowser {
	jar, _ := cookiejar.New(nil)
	c := srv.Client()
	c.Jar = jar
	c.Timeout = 20 * time.Second
	return &spBrowser{c: c, login: login, password: demoPasswords[login], done: make(chan browserResult, 1)}
}

func (b *spBrowser) fetch(req *http.Request) (browserResult, error) {
	resp, err := b.c.Do(req)
	if err != nil {
		return browserResult{}, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return browserResult{status: resp.StatusCode, body: string(body)}, nil
}

func (b *spBrowser) play(signIn string) browserResult {
	req, _ := http.NewRequest(http.MethodGet, signIn, nil)
	p, err := b.fetch(req)
	for step := 0; err == nil && step < 8; step++ {
		fs := forms(p.body)
		if len(fs) == 0 {
			return p
		}
		f := fs[0]
		if strings.Contains(p.body, `name="passwd"`) {
			f.values.Set("login", b.login)
			f.values.Set("passwd", b.password)
		}
		req, _ = http.NewRequest(http.MethodPost, f.action, strings.NewReader(f.values.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		p, err = b.fetch(req)
	}
	return browserResult{err: err, status: p.status, body: p.body}
}

// open is sp.Common.Open: the browser runs beside the SP's wait for its callback.
func (b *spBrowser) open(u string) error {
	go func() { b.done <- b.play(u) }()
	return nil
}

func (b *spBrowser) wait(t *testing.T) browserResult {
	t.Helper()
	select {
	case r := <-b.done:
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("the browser did not finish")
		return browserResult{}
	}
}

func spCommon(srv *harness.Server, b *spBrowser) sp.Common {
	return sp.Common{HTTPClient: srv.Client(), Open: b.open, Timeout: 20 * time.Second, Tenant: srv.TenantID}
}

// oidcLogin signs login in to the app through the embedded SP.
func oidcLogin(t *testing.T, srv *harness.Server, appID, secret, login string) *sp.Result {
	t.Helper()
	b := newSPBrowser(srv, login)
	rp, err := sp.NewOIDC(testCtx(t), sp.OIDCConfig{Common: spCommon(srv, b), Authority: srv.Authority,
		ClientID: appID, ClientSecret: secret})
	if err != nil {
		t.Fatalf("sp.NewOIDC: %v", err)
	}
	res, err := rp.Login(testCtx(t))
	if err != nil {
		t.Fatalf("OIDC Login as %s: %v", login, err)
	}
	b.wait(t)
	return res
}

func samlLogin(t *testing.T, srv *harness.Server, metadata []byte, entityID, login string) *sp.Result {
	t.Helper()
	b := newSPBrowser(srv, login)
	s, err := sp.NewSAML(sp.SAMLConfig{Common: spCommon(srv, b), IdPMetadata: metadata, EntityID: entityID})
	if err != nil {
		t.Fatalf("sp.NewSAML: %v", err)
	}
	res, err := s.Login(testCtx(t))
	if err != nil {
		t.Fatalf("SAML Login as %s: %v", login, err)
	}
	b.wait(t)
	return res
}

func findingCodes(r *sp.Result) []string {
	var out []string
	for _, f := range r.Report.Findings {
		out = append(out, f.Code+"/"+string(f.Severity))
	}
	return out
}

func checkLogin(t *testing.T, what string, res *sp.Result, wantOK bool, wantAADSTS string) {
	t.Helper()
	switch {
	case wantOK && !res.OK:
		t.Errorf("%s: login failed, want it to succeed; AADSTS %+v, findings %v", what, res.AADSTS, findingCodes(res))
	case !wantOK && res.OK:
		t.Errorf("%s: login succeeded, want %s", what, wantAADSTS)
	case !wantOK && (res.AADSTS == nil || res.AADSTS.Code != wantAADSTS):
		t.Errorf("%s: AADSTS = %+v, want %s; findings %v", what, res.AADSTS, wantAADSTS, findingCodes(res))
	}
}

func findOne(t *testing.T, what string, ps []directory.Principal, err error, name string) directory.Principal {
	t.Helper()
	if err != nil {
		t.Fatalf("%s = %v", what, err)
	}
	i := slices.IndexFunc(ps, func(p directory.Principal) bool { return p.DisplayName == name })
	if i < 0 {
		t.Fatalf("%s = %+v, want %q among them", what, ps, name)
	}
	return ps[i]
}

// A full automatic OIDC setup through the real SDK and credential — app, secret,
// redirect URIs, assignment required, a group assigned — and then logins through the
// embedded SP: alice, in the group, gets in; bob, not in it, gets AADSTS50105.
func TestOIDCSetupThenLogin(t *testing.T) {
	e := setupClient(t, graphapi.Settings{}, graph.Options{})
	ctx := testCtx(t)
	app, err := e.client.CreateOIDCApp(ctx, "Vendor OIDC via Graph", []string{"http://127.0.0.1/callback"})
	if err != nil {
		t.Fatalf("CreateOIDCApp = %v", err)
	}
	if !isGUID(app.ObjectID) || !isGUID(app.AppID) || !isGUID(app.ServicePrincipalID) || app.DisplayName != "Vendor OIDC via Graph" {
		t.Fatalf("CreateOIDCApp = %+v, want three GUIDs and the name", app)
	}
	end := time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second)
	pw, err := e.client.AddPassword(ctx, app, "ssowizard", end)
	if err != nil {
		t.Fatalf("AddPassword = %v", err)
	}
	if !isGUID(pw.KeyID) || len(pw.Value) != 40 || pw.Hint != pw.Value[:3] || !pw.End.Equal(end) {
		t.Errorf("AddPassword = key %s hint %s value of %d characters ending %v; want a GUID, the value's first three, 40 characters, %v",
			pw.KeyID, pw.Hint, len(pw.Value), pw.End, end)
	}
	uris := []string{"http://127.0.0.1/callback", "https://vendor.example/oidc/callback"}
	if err := e.client.SetRedirectURIs(ctx, app, uris); err != nil {
		t.Fatalf("SetRedirectURIs = %v", err)
	}
	if err := e.client.RequireAssignment(ctx, app, true); err != nil {
		t.Fatalf("RequireAssignment = %v", err)
	}
	groups, err := e.client.SearchGroups(ctx, "vendor us")
	group := findOne(t, "SearchGroups(vendor us)", groups, err, "Vendor Users")
	a, err := e.client.Assign(ctx, app, group)
	if err != nil || a.PrincipalID != group.ID || a.PrincipalType != "Group" || a.ID == "" {
		t.Fatalf("Assign(Vendor Users) = %+v, %v", a, err)
	}
	again, err := e.client.Assign(ctx, app, group)
	if err != nil || again.ID != a.ID {
		t.Errorf("Assign(Vendor Users) again = %+v, %v; want the same assignment", again, err)
	}
	list, err := e.client.ListAssignments(ctx, app)
	if err != nil || len(list) != 1 || list[0] != a {
		t.Errorf("ListAssignments = %+v, %v; want [%+v]", list, err, a)
	}

	stored, ok := e.srv.Store.AppByID(app.AppID)
	if !ok || !slices.Equal(stored.RedirectURIs, uris) || !stored.AssignmentRequired || stored.SignInAudience != "AzureADMyOrg" {
		t.Errorf("the tenant holds redirect URIs %v, assignment required %v, audience %q; want %v, true, AzureADMyOrg",
			stored.RedirectURIs, stored.AssignmentRequired, stored.SignInAudience, uris)
	}
	checkLogin(t, "alice (in Vendor Users)", oidcLogin(t, e.srv, app.AppID, pw.Value, "alice@"+tenant.DemoDomain), true, "")
	checkLogin(t, "bob (not assigned)", oidcLogin(t, e.srv, app.AppID, pw.Value, "bob@"+tenant.DemoDomain), false, "AADSTS50105")

	if logs := e.logs.String(); strings.Contains(logs, pw.Value) || !strings.Contains(logs, "graph client secret added") {
		t.Errorf("log = %q, want the secret's addition without its value", logs)
	}

	// Unassigning the group locks alice out; removing the secret stops it working.
	if err := e.client.Unassign(ctx, app, a.ID); err != nil {
		t.Fatalf("Unassign = %v", err)
	}
	if list, err := e.client.ListAssignments(ctx, app); err != nil || len(list) != 0 {
		t.Errorf("ListAssignments after Unassign = %+v, %v; want none", list, err)
	}
	checkLogin(t, "alice after unassigning her group", oidcLogin(t, e.srv, app.AppID, pw.Value, "alice@"+tenant.DemoDomain), false, "AADSTS50105")
	if err := e.client.RemovePassword(ctx, app, pw.KeyID); err != nil {
		t.Fatalf("RemovePassword = %v", err)
	}
	if stored, _ := e.srv.Store.AppByID(app.AppID); len(stored.Secrets) != 0 {
		t.Errorf("secrets after RemovePassword = %d, want 0", len(stored.Secrets))
	}
}

// The SAML setup through the real SDK: the non-gallery template, the SAML URLs, a
// signing certificate added and activated, a user assigned; the app's federation
// metadata then carries that certificate, and a SAML login through the embedded SP is
// verified against it.
func TestSAMLSetupThenLogin(t *testing.T) {
	e := setupClient(t, graphapi.Settings{}, graph.Options{})
	ctx := testCtx(t)
	app, err := e.client.InstantiateSAMLApp(ctx, "Vendor SAML via Graph")
	if err != nil {
		t.Fatalf("InstantiateSAMLApp = %v", err)
	}
	if !isGUID(app.ObjectID) || !isGUID(app.AppID) || !isGUID(app.ServicePrincipalID) {
		t.Fatalf("InstantiateSAMLApp = %+v, want three GUIDs", app)
	}
	const entityID = "https://vendor.example/saml/graph"
	if err := e.client.SetSAMLURLs(ctx, app, entityID, "http://127.0.0.1/saml/acs", "/home"); err != nil {
		t.Fatalf("SetSAMLURLs = %v", err)
	}
	end := time.Now().AddDate(1, 0, 0).UTC().Truncate(time.Second)
	cert, err := e.client.AddTokenSigningCertificate(ctx, app, "CN=Vendor SAML via Graph", end)
	if err != nil {
		t.Fatalf("AddTokenSigningCertificate = %v", err)
	}
	if cert.Certificate == nil || cert.Certificate.Subject.CommonName != "Vendor SAML via Graph" || !cert.End.Equal(end) {
		t.Fatalf("AddTokenSigningCertificate = %+v, want a certificate for CN=Vendor SAML via Graph ending %v", cert, end)
	}
	if sum := sha1.Sum(cert.Certificate.Raw); strings.ToUpper(hex.EncodeToString(sum[:])) != cert.Thumbprint {
		t.Errorf("thumbprint %s is not the certificate's SHA-1 %X", cert.Thumbprint, sum)
	}
	if err := e.client.ActivateSigningCertificate(ctx, app, cert.Thumbprint); err != nil {
		t.Fatalf("ActivateSigningCertificate = %v", err)
	}
	if err := e.client.RequireAssignment(ctx, app, true); err != nil {
		t.Fatalf("RequireAssignment = %v", err)
	}
	users, err := e.client.SearchUsers(ctx, "alice")
	alice := findOne(t, "SearchUsers(alice)", users, err, "Alice Smith")
	if alice.UserPrincipalName != "alice@"+tenant.DemoDomain {
		t.Errorf("SearchUsers(alice) = %+v, want her UPN", alice)
	}
	if _, err := e.client.Assign(ctx, app, alice); err != nil {
		t.Fatalf("Assign(alice) = %v", err)
	}
	stored, _ := e.srv.Store.AppByID(app.AppID)
	if stored.PreferredSSOMode != "saml" || !slices.Equal(stored.IdentifierURIs, []string{entityID}) ||
		!slices.Equal(stored.RedirectURIs, []string{"http://127.0.0.1/saml/acs"}) || stored.SAML.RelayState != "/home" {
		t.Errorf("the tenant holds mode %q, identifiers %v, reply URLs %v, relay state %q", stored.PreferredSSOMode,
			stored.IdentifierURIs, stored.RedirectURIs, stored.SAML.RelayState)
	}

	resp, err := e.srv.Client().Get(e.srv.IdP.SAMLMetadataURL(app.AppID))
	if err != nil {
		t.Fatalf("fetch the app's federation metadata: %v", err)
	}
	metadata, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	md, err := inspect.ParseMetadata(metadata)
	if err != nil || len(md.SigningCerts) == 0 || !bytes.Equal(md.SigningCerts[0].Raw, cert.Certificate.Raw) {
		t.Fatalf("the app's metadata (%v) does not list the certificate activated through Graph first", err)
	}
	res := samlLogin(t, e.srv, metadata, entityID, "alice@"+tenant.DemoDomain)
	checkLogin(t, "alice (assigned)", res, true, "")
	if sig := res.Report.Signature; sig == nil || sig.Status != "valid" || !strings.EqualFold(strings.ReplaceAll(sig.CertSHA1, ":", ""), cert.Thumbprint) {
		t.Errorf("alice's SAML response signature = %+v, want valid, by the certificate %s activated through Graph", sig, cert.Thumbprint)
	}
	checkLogin(t, "bob (not assigned)", samlLogin(t, e.srv, metadata, entityID, "bob@"+tenant.DemoDomain), false, "AADSTS50105")
}

func isGUID(s string) bool { return entra.IsGUID(s) }
