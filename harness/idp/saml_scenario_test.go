package idp_test

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"

	"github.com/ssowizard/ssowizard/entra"
	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/entrasaml"
	"github.com/ssowizard/ssowizard/harness/idp"
	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/inspect"
)

func claimValues(r *inspect.Report, name string) []string {
	for _, c := range r.Claims {
		if c.Name == name {
			return c.Values
		}
	}
	return nil
}

// Each scenario changes the SAML answer in the way its support case needs, visibly to
// the inspector (judging as the SP would, at the SP's time) and, where it should, to
// crewjam's SP.
func TestSAMLScenarios(t *testing.T) {
	srv, _ := start(t)
	for _, tc := range []struct {
		scenario string
		login    string
		password string
		nameID   string        // the app's NameID source, when the case needs another
		spAhead  time.Duration // how far the inspector's clock is from the SP's real one
		finding  string        // the inspector finding the scenario must raise
		spFails  bool          // crewjam must refuse the response
		check    func(t *testing.T, a acsPost, rep *inspect.Report, md []byte)
	}{
		{scenario: idp.ScenarioClockSkew, finding: inspect.CodeNotYetValid, spFails: true,
			check: func(t *testing.T, a acsPost, rep *inspect.Report, md []byte) {
				// At the harness's skewed time the same response is fine: only the clocks differ.
				at := inspectPost(t, a, md, "", time.Now().Add(idp.ClockSkew), nil)
				if at.Has(inspect.CodeNotYetValid) {
					t.Error("not yet valid even at the harness's own time")
				}
			}},
		{scenario: idp.ScenarioExpiredCert, finding: inspect.CodeCertExpired, spFails: true,
			check: func(t *testing.T, a acsPost, rep *inspect.Report, md []byte) {
				m, _ := inspect.ParseMetadata(md)
				if len(m.SigningCerts) != 1 || !m.SigningCerts[0].NotAfter.Before(time.Now()) {
					t.Error("metadata does not list the expired certificate as the signing one")
				}
			}},
		{scenario: idp.ScenarioCertRollover,
			check: func(t *testing.T, a acsPost, rep *inspect.Report, md []byte) {
				m, _ := inspect.ParseMetadata(md)
				if len(m.SigningCerts) != 2 {
					t.Fatalf("metadata lists %d certificates, want the active and the new one", len(m.SigningCerts))
				}
				if rep.Signature == nil || rep.Signature.CertSHA256 != certSHA256(m.SigningCerts[0]) {
					t.Error("the response is not signed by the active (first listed) certificate")
				}
				if len(errorFindings(rep)) > 0 {
					t.Errorf("inspector errors during a rollover: %+v", errorFindings(rep))
				}
			}},
		{scenario: idp.ScenarioSHA1, finding: inspect.CodeWeakAlgorithm,
			check: func(t *testing.T, a acsPost, rep *inspect.Report, md []byte) {
				if !strings.Contains(string(a.xml), string(entrasaml.RSASHA1)) {
					t.Error("not signed with RSA-SHA1")
				}
			}},
		{scenario: idp.ScenarioSignResponse, check: func(t *testing.T, a acsPost, rep *inspect.Report, md []byte) {
			if r, as := signedParts(t, a.xml); !r || as {
				t.Errorf("signed response %v, assertion %v; want the response only", r, as)
			}
			if len(errorFindings(rep)) > 0 {
				t.Errorf("inspector errors: %+v", errorFindings(rep))
			}
		}},
		{scenario: idp.ScenarioSignBoth, check: func(t *testing.T, a acsPost, rep *inspect.Report, md []byte) {
			if r, as := signedParts(t, a.xml); !r || !as {
				t.Errorf("signed response %v, assertion %v; want both", r, as)
			}
			if len(errorFindings(rep)) > 0 {
				t.Errorf("inspector errors: %+v", errorFindings(rep))
			}
		}},
		{scenario: idp.ScenarioUnsigned, finding: inspect.CodeSignatureAbsent, spFails: true},
		{scenario: idp.ScenarioGroupsOverage, finding: inspect.CodeGroupsOverage,
			check: func(t *testing.T, a acsPost, rep *inspect.Report, md []byte) {
				if claimValues(rep, entra.ClaimGroups) != nil || len(claimValues(rep, entra.ClaimGroupsLink)) != 1 {
					t.Errorf("groups %v, groups.link %v; want only the link", claimValues(rep, entra.ClaimGroups), claimValues(rep, entra.ClaimGroupsLink))
				}
			}},
		{scenario: idp.ScenarioNoEmail, nameID: tenant.NameIDObjectID, finding: inspect.CodeEmailMissing,
			check: func(t *testing.T, a acsPost, rep *inspect.Report, md []byte) {
				if v := claimValues(rep, entra.ClaimEmail); v != nil {
					t.Errorf("emailaddress = %v, want none", v)
				}
			}},
		{scenario: idp.ScenarioGuestUser, check: func(t *testing.T, a acsPost, rep *inspect.Report, md []byte) {
			if v := claimValues(rep, entra.ClaimIdentityProvider); !slices.Equal(v, []string{"live.com"}) {
				t.Errorf("identityprovider = %v, want [live.com] for a personal-account guest", v)
			}
		}},
		{scenario: idp.ScenarioTransientNameID, finding: inspect.CodeNameIDTransient},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			if err := srv.Store.SetScenarios(tenant.DemoAppID, []string{tc.scenario}); err != nil {
				t.Fatal(err)
			}
			defer srv.Store.SetScenarios(tenant.DemoAppID, nil)
			if tc.nameID != "" {
				setSAML(t, srv, func(s *tenant.SAML) { s.NameID = tc.nameID })
				defer setSAML(t, srv, func(s *tenant.SAML) { s.NameID = tenant.NameIDUPN })
			}
			login, password := alice, alicePassword
			if tc.login != "" {
				login, password = tc.login, tc.password
			}
			sp := newSP(t, srv, nil)
			a, id := samlLogin(t, newBrowser(t, srv), sp, false, login, password)
			rep := inspectPost(t, a, sp.metadata, id, time.Now().Add(tc.spAhead), nil)
			if tc.finding != "" && !rep.Has(tc.finding) {
				t.Errorf("inspector findings %+v lack %s", rep.Findings, tc.finding)
			}
			_, err := sp.parse(a, id)
			if tc.spFails && err == nil {
				t.Error("crewjam accepted the response")
			}
			if !tc.spFails && err != nil {
				t.Errorf("crewjam refused the response: %v", err)
			}
			if tc.check != nil {
				tc.check(t, a, rep, sp.metadata)
			}
		})
	}
}

// The same effects come from the tenant itself, with no scenario: a user in more than
// 150 groups, a guest from another directory.
func TestSAMLTenantCases(t *testing.T) {
	srv, _ := start(t)
	sp := newSP(t, srv, nil)
	a, id := samlLogin(t, newBrowser(t, srv), sp, false, "erin@"+tenant.DemoDomain, "Demo.Erin.2026")
	if rep := inspectPost(t, a, sp.metadata, id, time.Now(), nil); !rep.Has(inspect.CodeGroupsOverage) || len(errorFindings(rep)) > 0 {
		t.Errorf("erin (over 150 groups): findings %+v, want groups-overage and no error", rep.Findings)
	}
	carol := "carol_fabrikam.example#EXT#@" + tenant.DemoInitial
	a, id = samlLogin(t, newBrowser(t, srv), sp, false, carol, "Demo.Carol.2026")
	as, err := sp.parse(a, id)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := srv.Store.UserByUPN(carol)
	if got, want := attrValues(as, entra.ClaimIdentityProvider), u.IdentityProvider(); !slices.Equal(got, []string{want}) {
		t.Errorf("carol's identityprovider = %v, want [%s]", got, want)
	}
}

// A rollover run through the tenant as an admin would: a second certificate is added
// (published, inactive), then made active. An SP that kept the old metadata, or pinned
// the old certificate, refuses what the new one signs; one that refreshed accepts it.
func TestSAMLCertRolloverActivated(t *testing.T) {
	srv, _ := start(t)
	old := newSP(t, srv, nil)
	c, err := srv.Store.AddSigningCert(tenant.DemoAppID, tenant.SigningCert{Start: time.Now().UTC(), End: time.Now().UTC().Add(3 * 365 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	during := newSP(t, srv, nil)
	if m, _ := inspect.ParseMetadata(during.metadata); len(m.SigningCerts) != 2 {
		t.Fatalf("metadata during the rollover lists %d certificates, want 2", len(m.SigningCerts))
	}
	a, id := samlLogin(t, newBrowser(t, srv), old, false, alice, alicePassword)
	if _, err := old.parse(a, id); err != nil {
		t.Errorf("before activation the old SP must still accept: %v", err)
	}
	if err := srv.Store.SetActiveSigningCert(tenant.DemoAppID, c.KeyID); err != nil {
		t.Fatal(err)
	}
	a, id = samlLogin(t, newBrowser(t, srv), old, false, alice, alicePassword)
	if _, err := old.parse(a, id); err == nil {
		t.Error("the SP holding the old metadata accepted a response signed by the new certificate")
	}
	if rep := inspectPost(t, a, old.metadata, id, time.Now(), nil); rep.ClaimsSigned || len(errorFindings(rep)) == 0 {
		t.Errorf("inspector with the old metadata: claims signed %v, findings %+v; want an untrusted signature", rep.ClaimsSigned, rep.Findings)
	}
	if _, err := during.parse(a, id); err != nil {
		t.Errorf("the SP that refreshed metadata during the rollover refused: %v", err)
	}
	if rep := inspectPost(t, a, during.metadata, id, time.Now(), nil); len(errorFindings(rep)) > 0 {
		t.Errorf("inspector with the rollover metadata: %+v", errorFindings(rep))
	}
	app, _ := srv.Store.AppByID(tenant.DemoAppID)
	if !app.SAML.Certificates[1].Active || app.SAML.Certificates[1].Thumbprint == "" {
		t.Errorf("tenant certificates %+v, want the new one active with its thumbprint", app.SAML.Certificates)
	}
}

// slow holds the SAML answer back.
func TestSAMLSlow(t *testing.T) {
	const delay = 300 * time.Millisecond
	srv, _ := startWith(t, func(c *harness.Config) { c.SlowDelay = delay; c.Scenarios = []string{idp.ScenarioSlow} })
	sp := newSP(t, srv, nil)
	b := newBrowser(t, srv)
	samlLogin(t, b, sp, false, alice, alicePassword)
	u, id := sp.authnURL(t, "")
	began := time.Now()
	a := readACSPost(t, b.get(u))
	if took := time.Since(began); took < delay {
		t.Errorf("answered in %v, want at least %v", took, delay)
	}
	if _, err := sp.parse(a, id); err != nil {
		t.Error(err)
	}
}

// The transient NameID a request asks for changes at every sign-in.
func TestSAMLTransientChanges(t *testing.T) {
	srv, _ := start(t)
	sp := newSP(t, srv, nil)
	sp.sp.AuthnNameIDFormat = saml.TransientNameIDFormat
	b := newBrowser(t, srv)
	var seen []string
	for range 2 {
		a, id := samlLogin(t, b, sp, false, alice, alicePassword)
		as, err := sp.parse(a, id)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, as.Subject.NameID.Value)
	}
	if seen[0] == seen[1] || seen[0] == alice {
		t.Errorf("transient NameIDs %v, want a new opaque value each time", seen)
	}
}

func certSHA256(c *x509.Certificate) string {
	s := sha256.Sum256(c.Raw)
	return hex.EncodeToString(s[:])
}
