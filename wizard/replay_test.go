package wizard_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/replay"
	"github.com/ssowizard/ssowizard/wizard"
)

// walkToTest takes a manual session through every step before the test, with right
// answers for the app the replay or the demo tenant holds, then runs the test.
func walkToTest(t *testing.T, f *fixture, s *wizard.Session, tgt *wizard.Target, tenantID, appID, secretValue string) wizard.TestRun {
	t.Helper()
	var answers []mistake
	if s.Protocol() == wizard.OIDC {
		answers = []mistake{
			{name: "ids", step: wizard.StepRegistration, good: map[string]string{wizard.InClientID: appID, wizard.InTenantID: tenantID}},
			{name: "redirect", step: wizard.StepRedirectURI, good: map[string]string{wizard.InRedirectURI: tenant.DemoRedirectURI}},
			{name: "secret", step: wizard.StepClientSecret, good: map[string]string{wizard.InClientSecret: secretValue}},
		}
	} else {
		answers = []mistake{
			{name: "ids", step: wizard.StepEnterpriseApp, good: map[string]string{wizard.InAppID: appID, wizard.InTenantID: tenantID}},
			{name: "urls", step: wizard.StepSAMLURLs, good: map[string]string{wizard.InEntityID: tenant.DemoEntityID, wizard.InReplyURL: tenant.DemoReplyURL}},
			{name: "metadata", step: wizard.StepIdPMetadata, good: map[string]string{wizard.InMetadataURL: f.srv.BaseURL + "/" + tenantID +
				"/federationmetadata/2007-06/federationmetadata.xml?appid=" + appID}},
		}
	}
	answers = append(answers,
		mistake{name: "domain", step: wizard.StepDomain, good: map[string]string{wizard.InDomains: tenant.DemoDomain}},
		mistake{name: "assignments", step: wizard.StepAssignments, good: map[string]string{wizard.InAssignmentRequired: "yes", wizard.InPrincipals: "someone"}})
	for _, m := range answers {
		apply(t, s, m.step, m.good)
		st, err := s.Run(ctx(t), tgt, m.step)
		if err != nil || st.Status != wizard.Verified {
			t.Fatalf("%s: %s %v %+v %s", m.name, st.Status, err, st.Checks, st.Error)
		}
	}
	if _, err := s.Run(ctx(t), tgt, wizard.StepTest); err != nil {
		t.Fatal(err)
	}
	runs, err := s.TestRuns(ctx(t))
	if err != nil || len(runs) == 0 {
		t.Fatalf("no test run: %v", err)
	}
	return runs[len(runs)-1]
}

func TestReplayReproducesFindings(t *testing.T) {
	for _, tc := range []struct {
		protocol  wizard.Protocol
		scenarios []string
	}{
		{wizard.SAML, []string{"sha1"}},
		{wizard.SAML, []string{"sign-both", "no-email"}},
		{wizard.OIDC, []string{"no-email"}},
		{wizard.OIDC, nil},
	} {
		t.Run(string(tc.protocol)+"/"+joinNames(tc.scenarios), func(t *testing.T) {
			f := newFixture(t, tc.scenarios...)
			s, err := f.engine.Create(ctx(t), wizard.NewSession{Ticket: demoVendorTicket(t), Protocol: tc.protocol, Target: "harness", Mode: wizard.Manual})
			if err != nil {
				t.Fatal(err)
			}
			value, _ := f.demoSecret(t)
			tgt := f.alice()
			tgt.Scenarios = tc.scenarios
			orig := walkToTest(t, f, s, tgt, tenant.DemoTenantID, tenant.DemoAppID, value)
			if len(orig.Claims) == 0 {
				t.Fatalf("the original run has no claims: %+v", orig)
			}

			ev, err := s.EvidenceBundle(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(ev)
			parsed, err := wizard.ParseEvidence(b)
			if err != nil {
				t.Fatal(err)
			}
			rp, err := replay.FromEvidence(parsed, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			// A fresh harness serving the replayed tenant, and a fresh wizard walking
			// the same setup against it.
			srv2, err := harness.Start(context.Background(), harness.Config{StateDir: t.TempDir(), Tenant: rp.Tenant})
			if err != nil {
				t.Fatalf("the replay tenant does not start: %v", err)
			}
			defer srv2.Close()
			f2 := &fixture{srv: srv2, engine: newFixture(t).engine}
			s2, err := f2.engine.Create(ctx(t), wizard.NewSession{Ticket: demoVendorTicket(t), Protocol: tc.protocol, Target: "harness", Mode: wizard.Manual})
			if err != nil {
				t.Fatal(err)
			}
			app, _ := srv2.Store.AppByID(rp.AppID)
			secretValue := ""
			if len(app.Secrets) > 0 {
				secretValue = app.Secrets[0].Value
			}
			replayed := walkToTest(t, f2, s2, f2.target(rp.Login, rp.Password), rp.Tenant.TenantID, rp.AppID, secretValue)
			if got, want := replayed.FindingCodes(), orig.FindingCodes(); !slices.Equal(got, want) {
				t.Errorf("replayed findings %v, original %v", got, want)
			}
			if replayed.OK != orig.OK {
				t.Errorf("replayed OK=%v, original %v", replayed.OK, orig.OK)
			}
			for _, name := range []string{"email", "oid", "name"} {
				if a, b := claimValue(orig, name), claimValue(replayed, name); a != b {
					t.Errorf("claim %s: original %q, replayed %q", name, a, b)
				}
			}
		})
	}
}

func joinNames(ns []string) string {
	if len(ns) == 0 {
		return "default"
	}
	out := ns[0]
	for _, n := range ns[1:] {
		out += "+" + n
	}
	return out
}

func claimValue(r wizard.TestRun, name string) string {
	for _, c := range r.Claims {
		if c.Name == name || c.Friendly == name {
			if len(c.Values) > 0 {
				return c.Values[0]
			}
		}
	}
	return ""
}
