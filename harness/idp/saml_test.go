package idp_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/entrasaml"
	"github.com/ssowizard/ssowizard/harness/idp"
	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/inspect"
)

const (
	alice, alicePassword = "alice@" + tenant.DemoDomain, "Demo.Alice.2026"
)

// setSAML changes the demo app's SAML settings.
func setSAML(t testing.TB, srv *harness.Server, change func(s *tenant.SAML)) {
	t.Helper()
	if _, err := srv.Store.UpdateApp(tenant.DemoAppID, func(a *tenant.App) error {
		change(&a.SAML)
		return nil
	}); err != nil {
		t.Fatalf("update SAML settings: %v", err)
	}
}

// crewjam's SP completes logins by both bindings for every signing option Entra
// offers, with both algorithms, and the inspector finds nothing wrong in any response.
func TestSAMLLoginEverySigningOption(t *testing.T) {
	srv, _ := start(t)
	sp := newSP(t, srv, nil)
	for _, sign := range []string{tenant.SignAssertion, tenant.SignResponse, tenant.SignBoth} {
		for _, alg := range []string{tenant.AlgorithmSHA256, tenant.AlgorithmSHA1} {
			for _, post := range []bool{false, true} {
				name := fmt.Sprintf("%s/%s/post=%v", sign, alg, post)
				t.Run(name, func(t *testing.T) {
					setSAML(t, srv, func(s *tenant.SAML) { s.Sign, s.Algorithm = sign, alg })
					// A new browser signs in through the form; the same one again rides its session.
					b := newBrowser(t, srv)
					for round := range 2 {
						a, id := samlLogin(t, b, sp, post, alice, alicePassword)
						if a.action != tenant.DemoReplyURL || a.relayState != "relay-42" {
							t.Errorf("round %d: form posts to %q with RelayState %q, want %q and the SP's relay-42", round, a.action, a.relayState, tenant.DemoReplyURL)
						}
						as, err := sp.parse(a, id)
						if err != nil {
							t.Fatalf("round %d: crewjam ParseResponse: %v\n%s", round, err, a.xml)
						}
						if got := as.Subject.NameID.Value; got != alice {
							t.Errorf("NameID = %q, want %q", got, alice)
						}
						if got := as.Issuer.Value; got != entrasaml.Issuer(tenant.DemoTenantID) {
							t.Errorf("Issuer = %q, want Entra's %q", got, entrasaml.Issuer(tenant.DemoTenantID))
						}
						if got := attrValues(as, entrasaml.AttrEmail); !slices.Equal(got, []string{alice}) {
							t.Errorf("emailaddress = %v, want [%s]", got, alice)
						}
						if got := attrValues(as, entrasaml.AttrGroups); len(got) == 0 {
							t.Error("no groups claim, want alice's security groups (group_claims security)")
						}
						resp, assertion := signedParts(t, a.xml)
						wantResp, wantAssertion := sign != tenant.SignAssertion, sign != tenant.SignResponse
						if resp != wantResp || assertion != wantAssertion {
							t.Errorf("signed: response %v, assertion %v; want %v, %v for %q", resp, assertion, wantResp, wantAssertion, sign)
						}
						rep := inspectPost(t, a, sp.metadata, id, time.Now(), nil)
						if errs := errorFindings(rep); len(errs) > 0 {
							t.Errorf("inspector errors: %+v", errs)
						}
						if got := rep.Has(inspect.CodeWeakAlgorithm); got != (alg == tenant.AlgorithmSHA1) {
							t.Errorf("weak-algorithm finding = %v for %s", got, alg)
						}
						if rep.Signature == nil || !rep.ClaimsSigned {
							t.Errorf("inspector: signature %+v, claims signed %v; want a trusted signature over the claims", rep.Signature, rep.ClaimsSigned)
						}
					}
				})
			}
		}
	}
}

// The response's timing is real Entra's: NotBefore 5 minutes before the issue
// instant, Conditions and the bearer confirmation both ending 60 minutes after it, and
// AuthnInstant when the user signed in: the session's start under SSO, not the response.
func TestSAMLTiming(t *testing.T) {
	srv, clk := start(t)
	sp := newSP(t, srv, nil)
	b := newBrowser(t, srv)
	before := clk.Now().Truncate(time.Second)
	a, id := samlLogin(t, b, sp, false, alice, alicePassword)
	as, err := sp.parse(a, id)
	if err != nil {
		t.Fatal(err)
	}
	if d := as.IssueInstant.Sub(as.Conditions.NotBefore); d != 5*time.Minute {
		t.Errorf("NotBefore is %v before the IssueInstant, want 5m", d)
	}
	if d := as.Conditions.NotOnOrAfter.Sub(as.IssueInstant); d != 60*time.Minute {
		t.Errorf("Conditions last %v, want 60m", d)
	}
	scd := as.Subject.SubjectConfirmations[0].SubjectConfirmationData
	if !scd.NotOnOrAfter.Equal(as.Conditions.NotOnOrAfter) {
		t.Errorf("confirmation ends %v, want the Conditions' end %v", scd.NotOnOrAfter, as.Conditions.NotOnOrAfter)
	}
	if scd.InResponseTo != id {
		t.Errorf("InResponseTo = %q, want %q", scd.InResponseTo, id)
	}
	if as.IssueInstant.Before(before) {
		t.Errorf("IssueInstant %v is before the login began (%v)", as.IssueInstant, before)
	}
	signedIn := as.AuthnStatements[0].AuthnInstant
	if signedIn.Before(before) || signedIn.After(as.IssueInstant) {
		t.Errorf("AuthnInstant %v, want the sign-in, between %v and the IssueInstant %v", signedIn, before, as.IssueInstant)
	}

	// Two hours later the browser's session signs the user in again: a new response,
	// the same AuthnInstant. (The harness's clock is ahead of the SP's now, so the
	// response is read, not validated.)
	clk.Advance(2 * time.Hour)
	x, _ := authnRequest(t, func(o *entrasaml.AuthnRequestOptions) { o.Now = clk.Now() })
	a = readACSPost(t, b.get(redirectTo(t, srv, x, nil)))
	var resp saml.Response
	if err := xml.Unmarshal(a.xml, &resp); err != nil || resp.Assertion == nil || len(resp.Assertion.AuthnStatements) != 1 {
		t.Fatalf("SSO response: %v\n%s", err, a.xml)
	}
	as = resp.Assertion
	if got := as.AuthnStatements[0].AuthnInstant; !got.Equal(signedIn) {
		t.Errorf("SSO AuthnInstant = %v, want the first sign-in %v", got, signedIn)
	}
	if d := as.IssueInstant.Sub(signedIn); d < 2*time.Hour {
		t.Errorf("SSO IssueInstant is %v after the sign-in, want the 2h the clock moved", d)
	}
}

// old-session: the user signed in OldSessionAge before the response, as a persistent
// session from the morning does, so an SP's maximum-authentication-age rule fires.
func TestSAMLOldSession(t *testing.T) {
	srv, _ := startWith(t, func(c *harness.Config) { c.Scenarios = []string{idp.ScenarioOldSession} })
	sp := newSP(t, srv, nil)
	a, id := samlLogin(t, newBrowser(t, srv), sp, false, alice, alicePassword)
	as, err := sp.parse(a, id)
	if err != nil {
		t.Fatal(err)
	}
	if d := as.IssueInstant.Sub(as.AuthnStatements[0].AuthnInstant); d < idp.OldSessionAge || d > idp.OldSessionAge+time.Hour {
		t.Errorf("AuthnInstant is %v before the IssueInstant, want about %v", d, idp.OldSessionAge)
	}
}

// Federation metadata: Entra's entityID, the harness's endpoints, the app's signing
// certificate, a byte order mark on the app-specific document; the facts point to it.
func TestSAMLFederationMetadata(t *testing.T) {
	srv, _ := start(t)
	md := fetchMetadata(t, srv, tenant.DemoAppID)
	if !bytes.HasPrefix(md, []byte("\xef\xbb\xbf<?xml")) {
		t.Errorf("app metadata starts %q, want a BOM and the XML declaration", md[:min(8, len(md))])
	}
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(bytes.TrimPrefix(md, []byte("\xef\xbb\xbf")), &ed); err != nil {
		t.Fatal(err)
	}
	if want := entrasaml.Issuer(tenant.DemoTenantID); ed.EntityID != want {
		t.Errorf("entityID = %q, want %q", ed.EntityID, want)
	}
	ep := srv.BaseURL + "/" + tenant.DemoTenantID + "/saml2"
	d := ed.IDPSSODescriptors[0]
	if len(d.SingleSignOnServices) != 2 || d.SingleSignOnServices[0].Location != ep || d.SingleSignOnServices[1].Location != ep {
		t.Errorf("SSO services %+v, want redirect and POST at %s", d.SingleSignOnServices, ep)
	}
	if len(d.SingleLogoutServices) != 1 || d.SingleLogoutServices[0].Location != ep || d.SingleLogoutServices[0].Binding != entrasaml.BindingRedirect {
		t.Errorf("SLO services %+v, want redirect at %s", d.SingleLogoutServices, ep)
	}
	md2, err := inspect.ParseMetadata(md)
	if err != nil {
		t.Fatal(err)
	}
	app, _ := srv.Store.AppByID(tenant.DemoAppID)
	if len(md2.SigningCerts) != 1 || certThumb(md2.SigningCerts[0]) != app.SAML.Certificates[0].Thumbprint {
		t.Errorf("metadata certificates %d, tenant records thumbprint %q: want the one active certificate", len(md2.SigningCerts), app.SAML.Certificates[0].Thumbprint)
	}
	rep := inspect.Inspect(md, inspect.Options{Now: time.Now()})
	if errs := errorFindings(rep); rep.Kind != inspect.KindSAMLMetadata || len(errs) > 0 {
		t.Errorf("inspector on metadata: kind %q, errors %+v", rep.Kind, errs)
	}
	var facts string
	for _, a := range srv.Facts().Apps {
		if a.AppID == tenant.DemoAppID {
			facts = a.SAMLMetadataURL
		}
	}
	if facts != srv.IdP.SAMLMetadataURL(tenant.DemoAppID) {
		t.Errorf("Facts SAMLMetadataURL = %q, want %q", facts, srv.IdP.SAMLMetadataURL(tenant.DemoAppID))
	}

	b := newBrowser(t, srv)
	// The tenant document, by verified domain, lists the tenant's keys, not the app's.
	p := b.get(srv.BaseURL + "/" + tenant.DemoDomain + "/federationmetadata/2007-06/federationmetadata.xml")
	if p.status != http.StatusOK || strings.HasPrefix(p.body, "\xef\xbb\xbf") || !strings.Contains(p.body, `entityID="`+entrasaml.Issuer(tenant.DemoTenantID)+`"`) {
		t.Errorf("tenant metadata: %d %.200s", p.status, p.body)
	}
	if p := b.get(srv.BaseURL + "/nosuch.example/federationmetadata/2007-06/federationmetadata.xml"); !strings.Contains(p.body, "AADSTS90002") {
		t.Errorf("unknown tenant: %d, want the AADSTS90002 page: %.300s", p.status, p.body)
	}
	if p := b.get(srv.IdP.SAMLMetadataURL("00000000-0000-0000-0000-000000000001")); !strings.Contains(p.body, "AADSTS700016") {
		t.Errorf("unknown appid: %d, want the AADSTS700016 page: %.300s", p.status, p.body)
	}
}

func certThumb(c *x509.Certificate) string {
	sum := sha1.Sum(c.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// The signing key lives in the state directory and survives a restart, so an SP that
// pinned the certificate keeps working; an app without a certificate gets one, which
// the tenant records.
func TestSAMLSigningKeyKept(t *testing.T) {
	dir := t.TempDir()
	ten := tenant.Demo(time.Now())
	ten.Apps = append(ten.Apps, tenant.App{AppID: "3c1f9a7e-2b4d-4e8a-9c6f-1d2e3f4a5b6c", DisplayName: "New SAML app",
		RedirectURIs: []string{"https://new.example/acs"}, IdentifierURIs: []string{"https://new.example"}})
	first, err := harness.Start(context.Background(), harness.Config{StateDir: dir, Tenant: ten})
	if err != nil {
		t.Fatal(err)
	}
	md1 := fetchMetadata(t, first, tenant.DemoAppID)
	newMD := fetchMetadata(t, first, "3c1f9a7e-2b4d-4e8a-9c6f-1d2e3f4a5b6c")
	app, _ := first.Store.AppByID("3c1f9a7e-2b4d-4e8a-9c6f-1d2e3f4a5b6c")
	first.Close()
	if len(app.SAML.Certificates) != 1 || !app.SAML.Certificates[0].Active || app.SAML.Certificates[0].Thumbprint == "" {
		t.Fatalf("new app's certificates = %+v, want one active, with its thumbprint", app.SAML.Certificates)
	}
	if left := app.SAML.Certificates[0].End.Sub(time.Now()); left < 3*364*24*time.Hour {
		t.Errorf("new certificate ends in %v, want Entra's 3 years", left)
	}
	m, err := inspect.ParseMetadata(newMD)
	if err != nil || len(m.SigningCerts) != 1 || certThumb(m.SigningCerts[0]) != app.SAML.Certificates[0].Thumbprint {
		t.Errorf("new app's metadata does not publish the recorded certificate (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "saml", "saml-"+app.SAML.Certificates[0].KeyID+"-key.pem")); err != nil {
		t.Errorf("key not kept in the state directory: %v", err)
	}
	// Tomorrow's demo tenant dates its certificate record a day later: the kept key
	// still serves, so an SP configured today keeps working.
	second, err := harness.Start(context.Background(), harness.Config{StateDir: dir, Tenant: tenant.Demo(time.Now().Add(24 * time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	c1, _ := inspect.ParseMetadata(md1)
	c2, _ := inspect.ParseMetadata(fetchMetadata(t, second, tenant.DemoAppID))
	if !c1.SigningCerts[0].Equal(c2.SigningCerts[0]) {
		t.Error("the demo app's signing certificate changed across a restart with the same state directory")
	}

	// A record whose end an admin (or a test) moves into the past gets an expired
	// certificate with the recorded dates.
	end := time.Now().Add(-48 * time.Hour).UTC().Truncate(time.Second)
	setSAML(t, second, func(s *tenant.SAML) {
		s.Certificates[0].End, s.Certificates[0].Start = end, end.Add(-3*365*24*time.Hour)
	})
	c3, _ := inspect.ParseMetadata(fetchMetadata(t, second, tenant.DemoAppID))
	if got := c3.SigningCerts[0].NotAfter; !got.Equal(end) {
		t.Errorf("after the record expired, the certificate ends %v, want the recorded %v", got, end)
	}
}

// An app with an encryption certificate gets an EncryptedAssertion that the SP (and the
// inspector, given the SP's key) decrypts.
func TestSAMLEncryptedAssertion(t *testing.T) {
	srv, _ := start(t)
	kp := spKeyPair(t)
	setSAML(t, srv, func(s *tenant.SAML) { s.EncryptionCert = string(kp.CertPEM()) })
	sp := newSP(t, srv, kp)
	a, id := samlLogin(t, newBrowser(t, srv), sp, false, alice, alicePassword)
	if !bytes.Contains(a.xml, []byte("EncryptedAssertion")) || bytes.Contains(a.xml, []byte(alice)) {
		t.Fatalf("response is not encrypted:\n%s", a.xml)
	}
	as, err := sp.parse(a, id)
	if err != nil {
		t.Fatalf("crewjam ParseResponse: %v", err)
	}
	if as.Subject.NameID.Value != alice {
		t.Errorf("NameID = %q", as.Subject.NameID.Value)
	}
	rep := inspectPost(t, a, sp.metadata, id, time.Now(), kp)
	if errs := errorFindings(rep); len(errs) > 0 || !rep.Encrypted {
		t.Errorf("inspector: encrypted %v, errors %+v", rep.Encrypted, errs)
	}
}

// NameID per the app's source, and the request's NameIDPolicy Format winning.
func TestSAMLNameID(t *testing.T) {
	srv, _ := start(t)
	aliceUser, _ := srv.Store.UserByUPN(alice)
	for _, tc := range []struct {
		source, requested  string
		wantValue, wantFmt string
	}{
		{tenant.NameIDUPN, "", alice, entrasaml.NameIDEmail},
		{tenant.NameIDMail, string(saml.EmailAddressNameIDFormat), alice, entrasaml.NameIDEmail},
		{tenant.NameIDObjectID, string(saml.UnspecifiedNameIDFormat), aliceUser.ID, entrasaml.NameIDUnspecified},
		{tenant.NameIDPersistent, "", srv.Store.Sub(aliceUser.ID, tenant.DemoAppID), entrasaml.NameIDPersistent},
		{tenant.NameIDObjectID, string(saml.PersistentNameIDFormat), aliceUser.ID, entrasaml.NameIDPersistent},
		{tenant.NameIDUPN, string(saml.TransientNameIDFormat), "", entrasaml.NameIDTransient},
	} {
		t.Run(tc.source+"/"+tc.requested, func(t *testing.T) {
			setSAML(t, srv, func(s *tenant.SAML) { s.NameID = tc.source })
			sp := newSP(t, srv, nil)
			sp.sp.AuthnNameIDFormat = saml.NameIDFormat(tc.requested)
			if tc.requested == "" {
				sp.sp.AuthnNameIDFormat = saml.UnspecifiedNameIDFormat
			}
			a, id := samlLogin(t, newBrowser(t, srv), sp, false, alice, alicePassword)
			as, err := sp.parse(a, id)
			if err != nil {
				t.Fatal(err)
			}
			n := as.Subject.NameID
			if n.Format != tc.wantFmt || tc.wantValue != "" && n.Value != tc.wantValue || n.Value == "" {
				t.Errorf("NameID = %q (%s), want %q (%s)", n.Value, n.Format, tc.wantValue, tc.wantFmt)
			}
		})
	}
}

// The endpoint answers under a verified domain as under the tenant ID.
func TestSAMLByDomain(t *testing.T) {
	srv, _ := start(t)
	sp := newSP(t, srv, nil)
	for i := range sp.sp.IDPMetadata.IDPSSODescriptors[0].SingleSignOnServices {
		s := &sp.sp.IDPMetadata.IDPSSODescriptors[0].SingleSignOnServices[i]
		s.Location = strings.Replace(s.Location, tenant.DemoTenantID, tenant.DemoDomain, 1)
	}
	for _, post := range []bool{false, true} {
		a, id := samlLogin(t, newBrowser(t, srv), sp, post, alice, alicePassword)
		as, err := sp.parse(a, id)
		if err != nil {
			t.Fatalf("post=%v: %v", post, err)
		}
		if as.Issuer.Value != entrasaml.Issuer(tenant.DemoTenantID) {
			t.Errorf("Issuer %q, want the tenant ID's whatever segment was used", as.Issuer.Value)
		}
	}
}

// Concurrent first requests for an app without a certificate create exactly one, and
// all of them publish it.
func TestSAMLFirstCertificateOnce(t *testing.T) {
	const appID = "5d2e1f0a-9b8c-4d7e-a6f5-e4d3c2b1a098"
	ten := tenant.Demo(time.Now())
	ten.Apps = append(ten.Apps, tenant.App{AppID: appID, DisplayName: "Concurrent", RedirectURIs: []string{"https://c.example/acs"}, IdentifierURIs: []string{"https://c.example"}})
	srv, _ := startWith(t, func(c *harness.Config) { c.Tenant = ten })
	const n = 8
	got := make(chan []byte, n)
	for range n {
		go func() {
			resp, err := srv.Client().Get(srv.IdP.SAMLMetadataURL(appID))
			if err != nil {
				got <- nil
				return
			}
			defer resp.Body.Close()
			var b bytes.Buffer
			b.ReadFrom(resp.Body)
			got <- b.Bytes()
		}()
	}
	var first *x509.Certificate
	for range n {
		m, err := inspect.ParseMetadata(<-got)
		if err != nil || len(m.SigningCerts) != 1 {
			t.Fatalf("metadata: %v", err)
		}
		if first == nil {
			first = m.SigningCerts[0]
		} else if !first.Equal(m.SigningCerts[0]) {
			t.Error("concurrent requests published different certificates")
		}
	}
	if app, _ := srv.Store.AppByID(appID); len(app.SAML.Certificates) != 1 {
		t.Errorf("the app has %d certificates, want 1", len(app.SAML.Certificates))
	}
}
