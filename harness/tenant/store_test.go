package tenant_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/entra"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

var demoNow = time.Date(2026, 11, 23, 17, 30, 0, 0, time.UTC)

func demoStore(t *testing.T) *tenant.Store {
	t.Helper()
	s, err := tenant.NewStore(tenant.Demo(demoNow), seeded())
	if err != nil {
		t.Fatalf("NewStore(Demo) = %v", err)
	}
	return s
}

func mustUser(t *testing.T, s *tenant.Store, upn string) tenant.User {
	t.Helper()
	u, ok := s.UserByUPN(upn)
	if !ok {
		t.Fatalf("UserByUPN(%q) found nothing", upn)
	}
	return u
}

func groupNamed(t *testing.T, s *tenant.Store, name string) string {
	t.Helper()
	for _, g := range s.Groups() {
		if g.DisplayName == name {
			return g.ID
		}
	}
	t.Fatalf("no group %q", name)
	return ""
}

func TestDemoIsDeterministic(t *testing.T) {
	a, b := tenant.Demo(demoNow), tenant.Demo(demoNow)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("Demo(now) twice gave different tenants")
	}
	ja, err := tenant.Marshal(a)
	if err != nil {
		t.Fatalf("Marshal(Demo) = %v", err)
	}
	jb, _ := tenant.Marshal(b)
	laterSameDay, _ := tenant.Marshal(tenant.Demo(demoNow.Add(6 * time.Hour)))
	if !bytes.Equal(ja, jb) || !bytes.Equal(ja, laterSameDay) {
		t.Error("Demo JSON differs between calls on the same day")
	}
	nextDay, _ := tenant.Marshal(tenant.Demo(demoNow.Add(24 * time.Hour)))
	if bytes.Equal(ja, nextDay) {
		t.Error("Demo JSON for the next day is the same; its secret should be dated from that day")
	}
	// The demo is a valid tenant file: it survives the round trip byte for byte.
	back, err := tenant.Parse(ja, nil)
	if err != nil {
		t.Fatalf("Parse(Marshal(Demo)) = %v", err)
	}
	jc, _ := tenant.Marshal(back)
	if !bytes.Equal(ja, jc) {
		t.Error("Demo does not round-trip byte for byte")
	}
}

func TestDemoFacts(t *testing.T) {
	d := tenant.Demo(demoNow)
	if d.TenantID != tenant.DemoTenantID || d.DisplayName != "Contoso Demo" {
		t.Errorf("Demo tenant = %s %q", d.TenantID, d.DisplayName)
	}
	s := demoStore(t)
	app, ok := s.AppByID(tenant.DemoAppID)
	if !ok {
		t.Fatal("demo app missing")
	}
	for _, uri := range []string{"https://vendor.example/callback", "http://127.0.0.1/callback", "https://vendor.example/saml/acs", "http://127.0.0.1/saml/acs"} {
		if _, ok := app.MatchRedirectURI(uri); !ok {
			t.Errorf("demo app does not accept %q", uri)
		}
	}
	if got, ok := s.AppByIdentifierURI("https://vendor.example/saml"); !ok || got.AppID != tenant.DemoAppID {
		t.Errorf("AppByIdentifierURI(demo entity ID) = %v, %v", got.AppID, ok)
	}
	if len(app.Secrets) != 1 {
		t.Fatalf("demo app has %d secrets, want 1", len(app.Secrets))
	}
	if c := tenant.CheckSecret(app.Secrets, app.Secrets[0].Value, demoNow); c.Result != tenant.SecretOK {
		t.Errorf("demo secret at now = %v, want ok", c.Result)
	}
	if !entra.LooksLikeSecretValue(app.Secrets[0].Value) {
		t.Errorf("demo secret %q is not in Entra's shape", app.Secrets[0].Value)
	}
	// Every documented password signs its user in.
	for _, tc := range []struct{ login, password string }{
		{"alice@contoso.example", "Demo.Alice.2026"}, {"bob@contoso.example", "Demo.Bob.2026"},
		{"carol@fabrikam.example", "Demo.Carol.2026"}, {"dave@contoso.example", "Demo.Dave.2026"},
		{"erin@contoso.example", "Demo.Erin.2026"}, {"frank@contoso.example", "Demo.Frank.2026"},
		{"admin@contoso.example", "Demo.Admin.2026"},
	} {
		u, ok := s.UserByLogin(tc.login)
		if !ok || !tenant.CheckPassword(u, tc.password) || tenant.CheckPassword(u, tc.password+"x") {
			t.Errorf("UserByLogin(%q) = %v; password check failed", tc.login, ok)
		}
	}
	if u := mustUser(t, s, "dave@contoso.example"); u.Mail != "" {
		t.Errorf("dave has mail %q, want none", u.Mail)
	}
	carol, _ := s.UserByLogin("carol@fabrikam.example")
	if !carol.Guest || carol.HomeTenantID == "" || carol.HomeTenantID == tenant.DemoTenantID {
		t.Errorf("carol = %+v, want a guest from another tenant", carol)
	}
	if got := carol.IdentityProvider(); got != "https://sts.windows.net/"+carol.HomeTenantID+"/" {
		t.Errorf("carol's idp = %q", got)
	}
}

func TestDemoSetupApp(t *testing.T) {
	s := demoStore(t)
	setup, ok := s.AppByID(tenant.DemoSetupAppID)
	if !ok {
		t.Fatal("demo setup app missing")
	}
	if setup.ServicePrincipalID == "" || len(setup.RedirectURIs) != 0 || setup.AssignmentRequired {
		t.Errorf("setup app = %+v, want a service principal, no redirect URI, no assignment required", setup)
	}
	if !slices.Equal(setup.GraphPermissions, tenant.DemoSetupPermissions) {
		t.Errorf("setup app permissions = %v, want %v", setup.GraphPermissions, tenant.DemoSetupPermissions)
	}
	if len(setup.Secrets) != 1 || tenant.CheckSecret(setup.Secrets, setup.Secrets[0].Value, demoNow).Result != tenant.SecretOK {
		t.Errorf("setup app secrets = %+v, want one current secret", setup.Secrets)
	}
	vendor, _ := s.AppByID(tenant.DemoAppID)
	if setup.Secrets[0].Value == vendor.Secrets[0].Value || setup.ObjectID == vendor.ObjectID ||
		setup.ServicePrincipalID == vendor.ServicePrincipalID {
		t.Error("setup app shares a secret or an object ID with the vendor app")
	}
}

func TestAssignmentNestedGroupsNotHonoured(t *testing.T) {
	s := demoStore(t)
	vendorUsers := groupNamed(t, s, "Vendor Users")
	tests := []struct {
		upn    string
		access tenant.Access
		group  string
	}{
		{"alice@contoso.example", tenant.AccessViaGroup, vendorUsers},
		{"bob@contoso.example", tenant.AccessDenied, ""},
		{"carol_fabrikam.example#EXT#@contosodemo.onmicrosoft.com", tenant.AccessDirect, ""},
		{"frank@contoso.example", tenant.AccessNested, vendorUsers},
		{"admin@contoso.example", tenant.AccessDenied, ""},
	}
	for _, tc := range tests {
		u := mustUser(t, s, tc.upn)
		got, err := s.CheckAccess(tenant.DemoAppID, u.ID)
		if err != nil || got.Access != tc.access || got.Group != tc.group {
			t.Errorf("CheckAccess(%s) = %v %q, %v, want %v %q", tc.upn, got.Access, got.Group, err, tc.access, tc.group)
		}
		wantCode := 0
		if !tc.access.Allowed() {
			wantCode = 50105
		}
		if got.Access.AADSTS() != wantCode {
			t.Errorf("CheckAccess(%s).AADSTS() = %d, want %d", tc.upn, got.Access.AADSTS(), wantCode)
		}
		assigned, _ := s.IsAssigned(tenant.DemoAppID, u.ID)
		if want := tc.access == tenant.AccessDirect || tc.access == tenant.AccessViaGroup; assigned != want {
			t.Errorf("IsAssigned(%s) = %v, want %v", tc.upn, assigned, want)
		}
	}
	if err := s.SetAssignmentRequired(tenant.DemoAppID, false); err != nil {
		t.Fatal(err)
	}
	frank := mustUser(t, s, "frank@contoso.example")
	if got, _ := s.CheckAccess(tenant.DemoAppID, frank.ID); got.Access != tenant.AccessNotRequired || !got.Access.Allowed() {
		t.Errorf("CheckAccess(frank, assignment not required) = %v, want not-required", got.Access)
	}
	if _, err := s.CheckAccess("00000000-0000-4000-8000-000000000000", frank.ID); !errors.Is(err, tenant.ErrNotFound) {
		t.Errorf("CheckAccess(unknown app) = %v, want ErrNotFound", err)
	}
	if _, err := s.CheckAccess(tenant.DemoAppID, "00000000-0000-4000-8000-000000000000"); !errors.Is(err, tenant.ErrNotFound) {
		t.Errorf("CheckAccess(unknown user) = %v, want ErrNotFound", err)
	}
}

func TestGroupsClaim(t *testing.T) {
	s := demoStore(t)
	vendorUsers, contractors := groupNamed(t, s, "Vendor Users"), groupNamed(t, s, "Vendor Contractors")
	legal, allStaff := groupNamed(t, s, "Legal"), groupNamed(t, s, "All Staff")

	alice := mustUser(t, s, "alice@contoso.example")
	got, err := s.GroupsClaim(tenant.DemoAppID, alice.ID, tenant.JWT)
	if err != nil || !got.Emit || got.Overage || !slices.Equal(got.IDs, []string{vendorUsers, legal}) {
		t.Errorf("GroupsClaim(alice, security) = %+v, %v, want Vendor Users and Legal (not the Microsoft 365 group)", got, err)
	}
	// The claim follows nesting, though assignment does not.
	frank := mustUser(t, s, "frank@contoso.example")
	got, _ = s.GroupsClaim(tenant.DemoAppID, frank.ID, tenant.SAMLToken)
	if !slices.Equal(got.IDs, []string{vendorUsers, contractors}) {
		t.Errorf("GroupsClaim(frank) = %v, want Vendor Users (through nesting) and Vendor Contractors", got.IDs)
	}
	erin := mustUser(t, s, "erin@contoso.example")
	for _, f := range []tenant.TokenFormat{tenant.JWT, tenant.SAMLToken} {
		got, _ = s.GroupsClaim(tenant.DemoAppID, erin.ID, f)
		if !got.Emit || !got.Overage || got.IDs != nil || got.Count != tenant.DemoOverageCount+1 {
			t.Errorf("GroupsClaim(erin, %v) = emit %v overage %v %d IDs count %d, want overage of %d", f, got.Emit, got.Overage, len(got.IDs), got.Count, tenant.DemoOverageCount+1)
		}
	}
	if _, err := s.UpdateApp(tenant.DemoAppID, func(a *tenant.App) error { a.GroupClaims = tenant.GroupClaimsAll; return nil }); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GroupsClaim(tenant.DemoAppID, alice.ID, tenant.JWT)
	if !slices.Equal(got.IDs, []string{vendorUsers, legal, allStaff}) {
		t.Errorf("GroupsClaim(alice, all) = %v, want the Microsoft 365 group too", got.IDs)
	}
	if _, err := s.UpdateApp(tenant.DemoAppID, func(a *tenant.App) error { a.GroupClaims = tenant.GroupClaimsNone; return nil }); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.GroupsClaim(tenant.DemoAppID, alice.ID, tenant.JWT); got.Emit || got.IDs != nil {
		t.Errorf("GroupsClaim(none) = %+v, want nothing emitted", got)
	}
}

// TestOverageThresholds pins the limits: up to 200 groups in a JWT and 150 in SAML are
// listed, one more gives the overage indicator.
func TestOverageThresholds(t *testing.T) {
	base := tenant.Demo(demoNow)
	base.Users = base.Users[:1]
	base.Users[0].Groups = nil
	base.Apps[0].Assignments = nil
	var all []string
	for _, g := range base.Groups {
		if g.Type == tenant.GroupSecurity && len(g.Groups) == 0 {
			all = append(all, g.ID)
		}
	}
	tests := []struct {
		n       int
		format  tenant.TokenFormat
		overage bool
	}{
		{150, tenant.SAMLToken, false}, {151, tenant.SAMLToken, true},
		{200, tenant.JWT, false}, {201, tenant.JWT, true}, {151, tenant.JWT, false},
	}
	for _, tc := range tests {
		tn := base.Clone()
		tn.Users[0].Groups = all[:tc.n]
		s, err := tenant.NewStore(tn, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := s.GroupsClaim(tenant.DemoAppID, tn.Users[0].ID, tc.format)
		if got.Overage != tc.overage || got.Count != tc.n || (len(got.IDs) == tc.n) == tc.overage {
			t.Errorf("GroupsClaim(%d groups, format %v) = overage %v, %d IDs, want overage %v", tc.n, tc.format, got.Overage, len(got.IDs), tc.overage)
		}
	}
}

func TestPairwiseSub(t *testing.T) {
	s := demoStore(t)
	alice, bob := mustUser(t, s, "alice@contoso.example"), mustUser(t, s, "bob@contoso.example")
	other, err := s.AddApp(tenant.App{DisplayName: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	sub := s.Sub(alice.ID, tenant.DemoAppID)
	if len(sub) != 43 || strings.ContainsAny(sub, "+/=") {
		t.Errorf("Sub = %q, want 43 base64url characters", sub)
	}
	if again := s.Sub(strings.ToUpper(alice.ID), strings.ToUpper(tenant.DemoAppID)); again != sub {
		t.Errorf("Sub is not stable: %q then %q", sub, again)
	}
	if s.Sub(alice.ID, other.AppID) == sub {
		t.Error("Sub is the same for two apps")
	}
	if s.Sub(bob.ID, tenant.DemoAppID) == sub {
		t.Error("Sub is the same for two users")
	}
	// It survives a restart: the pairwise key is in the file.
	data, _ := tenant.Marshal(s.Snapshot())
	back, err := tenant.Parse(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Sub(alice.ID, tenant.DemoAppID); got != sub {
		t.Errorf("Sub after reload = %q, want %q", got, sub)
	}
}

func TestResolves(t *testing.T) {
	tn := tenant.Demo(demoNow)
	tn.Domains = append(tn.Domains, tenant.Domain{Name: "pending.example"})
	s, err := tenant.NewStore(tn, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in   string
		want bool
	}{
		{tenant.DemoTenantID, true},
		{strings.ToUpper(tenant.DemoTenantID), true},
		{"contoso.example", true},
		{"Contoso.Example", true},
		{"contosodemo.onmicrosoft.com", true},
		{"organizations", true},
		{"common", true},
		{"Common", true},
		{"consumers", false},
		{"pending.example", false},
		{"fabrikam.example", false},
		{"00000000-0000-4000-8000-000000000000", false},
		{"", false},
	}
	for _, tc := range tests {
		if got := s.Resolves(tc.in); got != tc.want {
			t.Errorf("Resolves(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestUserLookups(t *testing.T) {
	tn := tenant.Demo(demoNow)
	// A member whose mail differs from their UPN cannot sign in with the mail.
	tn.Users[1].Mail = "robert@contoso.example"
	s, err := tenant.NewStore(tn, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		login string
		want  string // UPN, "" for none
	}{
		{"alice@contoso.example", "alice@contoso.example"},
		{"  ALICE@Contoso.Example ", "alice@contoso.example"},
		{"carol@fabrikam.example", "carol_fabrikam.example#EXT#@contosodemo.onmicrosoft.com"},
		{"Carol@Fabrikam.example", "carol_fabrikam.example#EXT#@contosodemo.onmicrosoft.com"},
		{"carol_fabrikam.example#EXT#@contosodemo.onmicrosoft.com", "carol_fabrikam.example#EXT#@contosodemo.onmicrosoft.com"},
		{"robert@contoso.example", ""},
		{"nobody@contoso.example", ""},
	}
	for _, tc := range tests {
		u, ok := s.UserByLogin(tc.login)
		if ok != (tc.want != "") || u.UPN != tc.want {
			t.Errorf("UserByLogin(%q) = %q, %v, want %q", tc.login, u.UPN, ok, tc.want)
		}
	}
	if u, ok := s.UserByMail("ROBERT@contoso.example"); !ok || u.UPN != "bob@contoso.example" {
		t.Errorf("UserByMail(robert) = %q, %v", u.UPN, ok)
	}
	bob, _ := s.UserByUPN("bob@contoso.example")
	if u, ok := s.UserByID(strings.ToUpper(bob.ID)); !ok || u.UPN != bob.UPN {
		t.Errorf("UserByID(upper case) = %q, %v", u.UPN, ok)
	}
	// Copies: changing what a lookup returned changes nothing in the store.
	bob.Groups[0] = "changed"
	if again, _ := s.UserByUPN("bob@contoso.example"); again.Groups[0] == "changed" {
		t.Error("UserByUPN returned shared state")
	}
	app, _ := s.AppByID(tenant.DemoAppID)
	app.RedirectURIs[0] = "https://evil.example/"
	if again, _ := s.AppByID(tenant.DemoAppID); again.RedirectURIs[0] != tenant.DemoRedirectURI {
		t.Error("AppByID returned shared state")
	}
	if tenant.CheckPassword(tenant.User{}, "") {
		t.Error("CheckPassword accepted an empty password for a user without one")
	}
}

func TestMutations(t *testing.T) {
	s := demoStore(t)
	alice := mustUser(t, s, "alice@contoso.example")

	app, err := s.AddApp(tenant.App{DisplayName: "Graph-made", RedirectURIs: []string{"https://new.example/cb"}})
	if err != nil {
		t.Fatalf("AddApp = %v", err)
	}
	if !entra.IsGUID(app.AppID) || !entra.IsGUID(app.ObjectID) || app.ServicePrincipalID != "" || app.SAML.Sign != tenant.SignAssertion {
		t.Errorf("AddApp = %+v, want generated IDs, defaults and no service principal", app)
	}
	if got, ok := s.AppByObjectID(app.ObjectID); !ok || got.AppID != app.AppID {
		t.Errorf("AppByObjectID(new) = %v, %v", got.AppID, ok)
	}

	// Assignments belong to the service principal, so there must be one.
	err = s.Assign(app.AppID, alice.ID)
	var ferr *tenant.FieldError
	if !errors.As(err, &ferr) || ferr.Error() != "apps[2].assignments[0]: the app has no service principal yet, and assignments belong to it" {
		t.Errorf("Assign(no service principal) = %v", err)
	}
	sp, created, err := s.EnsureServicePrincipal(app.AppID)
	if err != nil || !created || !entra.IsGUID(sp) {
		t.Fatalf("EnsureServicePrincipal = %q, %v, %v", sp, created, err)
	}
	if again, created, _ := s.EnsureServicePrincipal(app.AppID); again != sp || created {
		t.Errorf("EnsureServicePrincipal again = %q, %v, want %q, false", again, created, sp)
	}
	if got, ok := s.AppByServicePrincipalID(sp); !ok || got.AppID != app.AppID {
		t.Errorf("AppByServicePrincipalID = %v, %v", got.AppID, ok)
	}
	if err := s.Assign(app.AppID, strings.ToUpper(alice.ID)); err != nil {
		t.Fatalf("Assign = %v", err)
	}
	if err := s.Assign(app.AppID, alice.ID); !errors.Is(err, tenant.ErrExists) {
		t.Errorf("Assign twice = %v, want ErrExists", err)
	}
	if err := s.Assign(app.AppID, "99999999-9999-4999-8999-999999999999"); !errors.As(err, &ferr) ||
		!strings.Contains(err.Error(), "is neither a user nor a group of this tenant") {
		t.Errorf("Assign(unknown principal) = %v", err)
	}
	if ok, _ := s.IsAssigned(app.AppID, alice.ID); !ok {
		t.Error("IsAssigned after Assign = false")
	}
	if err := s.Unassign(app.AppID, alice.ID); err != nil {
		t.Errorf("Unassign = %v", err)
	}
	if err := s.Unassign(app.AppID, alice.ID); !errors.Is(err, tenant.ErrNotFound) {
		t.Errorf("Unassign twice = %v, want ErrNotFound", err)
	}

	sec, err := s.AddPassword(app.AppID, "wizard", demoNow, 90*24*time.Hour)
	if err != nil || !entra.LooksLikeSecretValue(sec.Value) || sec.DisplayName != "wizard" {
		t.Fatalf("AddPassword = %+v, %v", sec, err)
	}
	if c, _ := s.CheckSecret(app.AppID, sec.Value, demoNow.Add(time.Hour)); c.Result != tenant.SecretOK || c.KeyID != sec.KeyID {
		t.Errorf("CheckSecret(new secret) = %+v", c)
	}
	if c, _ := s.CheckSecret(app.AppID, sec.KeyID, demoNow.Add(time.Hour)); c.Result != tenant.SecretIsKeyID {
		t.Errorf("CheckSecret(secret ID) = %v, want secret-id", c.Result)
	}
	if c, _ := s.CheckSecret(app.AppID, sec.Value, demoNow.Add(91*24*time.Hour)); c.Result != tenant.SecretExpired {
		t.Errorf("CheckSecret(after 91 days) = %v, want expired", c.Result)
	}
	if err := s.RemovePassword(app.AppID, sec.KeyID); err != nil {
		t.Errorf("RemovePassword = %v", err)
	}
	if c, _ := s.CheckSecret(app.AppID, sec.Value, demoNow); c.Result != tenant.SecretWrong {
		t.Errorf("CheckSecret(removed secret) = %v, want wrong", c.Result)
	}
	if err := s.RemovePassword(app.AppID, sec.KeyID); !errors.Is(err, tenant.ErrNotFound) {
		t.Errorf("RemovePassword twice = %v, want ErrNotFound", err)
	}
	if _, err := s.CheckSecret("99999999-9999-4999-8999-999999999999", "x", demoNow); !errors.Is(err, tenant.ErrNotFound) {
		t.Errorf("CheckSecret(unknown app) = %v, want ErrNotFound", err)
	}

	// A refused change leaves nothing behind.
	before := s.Snapshot()
	if err := s.SetRedirectURIs(app.AppID, []string{"https://ok.example/cb", "http://vendor.example/cb"}); !errors.As(err, &ferr) ||
		ferr.Path != "apps[2].redirect_uris[1]" {
		t.Errorf("SetRedirectURIs(http) = %v, want apps[2].redirect_uris[1] refused", err)
	}
	if err := s.SetIdentifierURIs(app.AppID, []string{tenant.DemoEntityID}); !errors.As(err, &ferr) ||
		ferr.Error() != `apps[2].identifier_uris[0]: "https://vendor.example/saml" is already an identifier URI of apps[0].identifier_uris[0]; an identifier (Entity ID) is unique in the tenant` {
		t.Errorf("SetIdentifierURIs(taken) = %v", err)
	}
	if !reflect.DeepEqual(before, s.Snapshot()) {
		t.Error("a refused change altered the store")
	}
	if err := s.SetIdentifierURIs(app.AppID, []string{"https://new.example/saml"}); err != nil {
		t.Errorf("SetIdentifierURIs = %v", err)
	}
	if got, ok := s.AppByIdentifierURI("https://new.example/saml"); !ok || got.AppID != app.AppID {
		t.Errorf("AppByIdentifierURI(new) = %v, %v", got.AppID, ok)
	}
	if err := s.SetRedirectURIs(app.AppID, []string{"http://127.0.0.1/callback"}); err != nil {
		t.Errorf("SetRedirectURIs = %v", err)
	}

	first, err := s.AddSigningCert(app.AppID, tenant.SigningCert{DisplayName: "CN=one", End: demoNow.AddDate(3, 0, 0)})
	if err != nil || !first.Active || !entra.IsGUID(first.KeyID) {
		t.Fatalf("AddSigningCert(first) = %+v, %v, want active with a key ID", first, err)
	}
	second, err := s.AddSigningCert(app.AppID, tenant.SigningCert{DisplayName: "CN=two", End: demoNow.AddDate(4, 0, 0)})
	if err != nil || second.Active {
		t.Fatalf("AddSigningCert(second) = %+v, %v, want inactive", second, err)
	}
	if err := s.SetActiveSigningCert(app.AppID, second.KeyID); err != nil {
		t.Fatal(err)
	}
	got, _ := s.AppByID(app.AppID)
	if c := got.SAML.Certificates; len(c) != 2 || c[0].Active || !c[1].Active {
		t.Errorf("after rollover certificates = %+v", c)
	}
	if err := s.SetActiveSigningCert(app.AppID, "99999999-9999-4999-8999-999999999999"); !errors.Is(err, tenant.ErrNotFound) {
		t.Errorf("SetActiveSigningCert(unknown) = %v, want ErrNotFound", err)
	}

	if err := s.SetPreferredSSOMode(app.AppID, "saml"); err != nil {
		t.Error(err)
	}
	if err := s.SetPreferredSSOMode(app.AppID, "magic"); !errors.As(err, &ferr) {
		t.Errorf("SetPreferredSSOMode(magic) = %v, want refusal", err)
	}
	if err := s.GrantConsent(app.AppID); err != nil {
		t.Error(err)
	}
	if err := s.DeleteApp(app.AppID); err != nil {
		t.Errorf("DeleteApp = %v", err)
	}
	if _, ok := s.AppByID(app.AppID); ok {
		t.Error("app still there after DeleteApp")
	}
	if _, ok := s.AppByIdentifierURI("https://new.example/saml"); ok {
		t.Error("deleted app still answers for its identifier URI")
	}
	if err := s.DeleteApp(app.AppID); !errors.Is(err, tenant.ErrNotFound) {
		t.Errorf("DeleteApp twice = %v, want ErrNotFound", err)
	}
}

func TestNewStoreRefusesInvalid(t *testing.T) {
	tn := tenant.Demo(demoNow)
	tn.Users[0].UPN = "alice@fabrikam.example"
	if _, err := tenant.NewStore(tn, nil); err == nil || err.Error() != `users[0].upn: domain "fabrikam.example" is not a domain of this tenant; use one listed in domains` {
		t.Errorf("NewStore(invalid) = %v", err)
	}
}

func TestSaveAndLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tenant.json")
	s := demoStore(t)
	if err := s.Save(path); err != nil {
		t.Fatalf("Save = %v", err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("saved file mode = %v, %v, want 0600", info.Mode(), err)
	}
	loaded, err := tenant.Load(path, nil)
	if err != nil {
		t.Fatalf("Load = %v", err)
	}
	if !reflect.DeepEqual(loaded, s.Snapshot()) {
		t.Error("Load(Save(demo)) differs from the demo")
	}
	saved, _ := os.ReadFile(path)

	// A tenant that fails validation is not written, and the old file stays whole.
	bad := s.Snapshot()
	bad.Apps[0].SAML.Algorithm = "md5"
	if err := tenant.Save(path, bad); err == nil || !strings.Contains(err.Error(), `apps[0].saml.algorithm: "md5"`) {
		t.Errorf("Save(invalid) = %v, want refusal naming the field", err)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, saved) {
		t.Error("a refused Save changed the file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after Save, want only the tenant file", len(entries))
	}
	if err := tenant.Save(filepath.Join(dir, "missing", "tenant.json"), s.Snapshot()); err == nil {
		t.Error("Save into a missing directory succeeded")
	}

	if err := os.WriteFile(path, []byte(`{"tenant_id": 1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = tenant.Load(path, nil)
	if err == nil || err.Error() != fmt.Sprintf("tenant file %s: tenant_id: want a string, got the number 1", path) {
		t.Errorf("Load(bad) = %v", err)
	}
	if _, err := tenant.Load(filepath.Join(dir, "absent.json"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(absent) = %v, want a not-exist error", err)
	}
}

// TestConcurrentReadsAndWrites runs lookups against changes and saves; run with -race.
func TestConcurrentReadsAndWrites(t *testing.T) {
	s := demoStore(t)
	path := filepath.Join(t.TempDir(), "tenant.json")
	alice := mustUser(t, s, "alice@contoso.example")
	app, _ := s.AppByID(tenant.DemoAppID)
	secret := app.Secrets[0].Value

	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if _, ok := s.UserByLogin("alice@contoso.example"); !ok {
					errs <- errors.New("alice vanished")
					return
				}
				if c, err := s.CheckSecret(tenant.DemoAppID, secret, demoNow); err != nil || c.Result != tenant.SecretOK {
					errs <- fmt.Errorf("demo secret = %v, %v", c.Result, err)
					return
				}
				if a, err := s.CheckAccess(tenant.DemoAppID, alice.ID); err != nil || !a.Access.Allowed() {
					errs <- fmt.Errorf("alice's access = %v, %v", a.Access, err)
					return
				}
				a, _ := s.AppByID(tenant.DemoAppID)
				if _, ok := a.MatchRedirectURI("http://127.0.0.1:4000/callback"); !ok {
					errs <- errors.New("loopback redirect refused")
					return
				}
				s.GroupsClaim(tenant.DemoAppID, alice.ID, tenant.JWT)
				s.Sub(alice.ID, tenant.DemoAppID)
				s.Resolves("contoso.example")
				_ = s.Snapshot().TenantID
			}
		}()
	}
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				sec, err := s.AddPassword(tenant.DemoAppID, "churn", demoNow, time.Hour)
				if err != nil {
					errs <- err
					return
				}
				if err := s.RemovePassword(tenant.DemoAppID, sec.KeyID); err != nil {
					errs <- err
					return
				}
				uris := []string{tenant.DemoRedirectURI, "http://127.0.0.1/callback", tenant.DemoReplyURL, "http://127.0.0.1/saml/acs"}
				if i%2 == 0 {
					uris = append(uris, "https://vendor.example/extra")
				}
				if err := s.SetRedirectURIs(tenant.DemoAppID, uris); err != nil {
					errs <- err
					return
				}
				if i%10 == 0 {
					if err := s.Save(path); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	final, _ := s.AppByID(tenant.DemoAppID)
	if len(final.Secrets) != 1 {
		t.Errorf("after churn the demo app has %d secrets, want 1", len(final.Secrets))
	}
	if _, err := tenant.Load(path, nil); err != nil {
		t.Errorf("Load(file saved under load) = %v", err)
	}
}

func TestNewStoreNormalises(t *testing.T) {
	tn := tenant.Demo(demoNow)
	tn.TenantID = strings.ToUpper(tn.TenantID)
	tn.Users[0].ID = strings.ToUpper(tn.Users[0].ID)
	tn.Apps[0].AppID = strings.ToUpper(tn.Apps[0].AppID)
	tn.Users = append(tn.Users, tenant.User{UPN: "new@contoso.example"})
	s, err := tenant.NewStore(tn, seeded())
	if err != nil {
		t.Fatalf("NewStore = %v", err)
	}
	if !s.Resolves(tenant.DemoTenantID) {
		t.Error("Resolves(lower-case tenant ID) = false for a tenant given in upper case")
	}
	if _, ok := s.UserByID(tn.Users[0].ID); !ok {
		t.Error("UserByID(upper-case ID) found nothing")
	}
	if _, ok := s.AppByID(tenant.DemoAppID); !ok {
		t.Error("AppByID(lower-case) found nothing for an app given in upper case")
	}
	if u, ok := s.UserByUPN("new@contoso.example"); !ok || !entra.IsGUID(u.ID) || u.DisplayName != "new" {
		t.Errorf("user added without ID = %+v, %v, want a generated ID and display name", u, ok)
	}
}

func TestTransitiveGroups(t *testing.T) {
	s := demoStore(t)
	frank := mustUser(t, s, "frank@contoso.example")
	got, err := s.TransitiveGroups(frank.ID)
	want := []string{groupNamed(t, s, "Vendor Users"), groupNamed(t, s, "Vendor Contractors")}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("TransitiveGroups(frank) = %v, %v, want %v", got, err, want)
	}
	erin := mustUser(t, s, "erin@contoso.example")
	if got, _ := s.TransitiveGroups(erin.ID); len(got) != tenant.DemoOverageCount+1 {
		t.Errorf("TransitiveGroups(erin) has %d groups, want %d", len(got), tenant.DemoOverageCount+1)
	}
	if _, err := s.TransitiveGroups("99999999-9999-4999-8999-999999999999"); !errors.Is(err, tenant.ErrNotFound) {
		t.Errorf("TransitiveGroups(unknown) = %v, want ErrNotFound", err)
	}
	if n := len(s.Users()); n != 7 {
		t.Errorf("Users() = %d users, want the 7 documented", n)
	}
}

func TestDemoAdmin(t *testing.T) {
	s := demoStore(t)
	admin := mustUser(t, s, "admin@contoso.example")
	if !admin.Admin {
		t.Errorf("admin@contoso.example has Admin = false, want the consent-granting administrator")
	}
	for _, u := range s.Users() {
		if u.Admin && u.ID != admin.ID {
			t.Errorf("%s is an administrator; the demo documents only admin@contoso.example", u.UPN)
		}
	}
}

func TestScenarios(t *testing.T) {
	s := demoStore(t)
	if got := s.ScenariosFor(tenant.DemoAppID); len(got) != 0 {
		t.Errorf("demo scenarios = %v, want none", got)
	}
	if err := s.SetScenarios("", []string{"slow", "no-email"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetScenarios(tenant.DemoAppID, []string{"no-email", "consent-required"}); err != nil {
		t.Fatal(err)
	}
	if got := s.ScenariosFor(tenant.DemoAppID); !slices.Equal(got, []string{"slow", "no-email", "consent-required"}) {
		t.Errorf("ScenariosFor(demo app) = %v, want the tenant's then the app's, once each", got)
	}
	if got := s.ScenariosFor(""); !slices.Equal(got, []string{"slow", "no-email"}) {
		t.Errorf("ScenariosFor(\"\") = %v, want the tenant's", got)
	}
	var fe *tenant.FieldError
	if err := s.SetScenarios(tenant.DemoAppID, []string{"sometimes"}); !errors.As(err, &fe) {
		t.Errorf("SetScenarios(unknown name) = %v, want a *FieldError", err)
	}
	if err := s.SetScenarios("99999999-9999-4999-8999-999999999999", nil); !errors.Is(err, tenant.ErrNotFound) {
		t.Errorf("SetScenarios(unknown app) = %v, want ErrNotFound", err)
	}
	if err := s.SetScenarios("", nil); err != nil || len(s.ScenariosFor(tenant.DemoAppID)) != 2 {
		t.Errorf("clearing the tenant's scenarios: %v, left %v", err, s.ScenariosFor(tenant.DemoAppID))
	}
}
