package wizard_test

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/wizard"
	"github.com/ssowizard/ssowizard/wizard/check"
)

// mistake is one classic mistake at one step: the wrong answer, where and how the
// wizard must stop, and the corrected answer it must then accept.
type mistake struct {
	name   string
	step   wizard.StepName
	bad    map[string]string
	field  string // the input the failing check names
	says   string // a piece of what the failing check says
	good   map[string]string
	target func(f *fixture) *wizard.Target
}

func apply(t *testing.T, s *wizard.Session, step wizard.StepName, in map[string]string) {
	t.Helper()
	for k, v := range in {
		if err := s.SetInput(step, k, v); err != nil {
			t.Fatalf("SetInput(%s, %s): %v", step, k, err)
		}
	}
}

func failedCheck(st wizard.StepState) *check.Result {
	for i, r := range st.Checks {
		if r.Failed() {
			return &st.Checks[i]
		}
	}
	return nil
}

func walk(t *testing.T, f *fixture, s *wizard.Session, ms []mistake) {
	t.Helper()
	for _, m := range ms {
		tgt := f.alice()
		if m.target != nil {
			tgt = m.target(f)
		}
		if m.bad != nil {
			apply(t, s, m.step, m.bad)
			st, err := s.Run(ctx(t), tgt, m.step)
			if err != nil {
				t.Fatalf("%s: Run(%s): %v", m.name, m.step, err)
			}
			if st.Status != wizard.Failed {
				t.Fatalf("%s: %s is %s with %+v; want failed", m.name, m.step, st.Status, st.Checks)
			}
			r := failedCheck(st)
			if r == nil || r.Field != m.field || !strings.Contains(r.Message+" "+r.Fix+" "+r.Detail, m.says) {
				t.Fatalf("%s: the failing check is %+v; want field %q saying %q", m.name, r, m.field, m.says)
			}
			if r.Fix == "" {
				t.Errorf("%s: the failing check %s says nothing to do", m.name, r.ID)
			}
			if s.Current() != m.step {
				t.Fatalf("%s: the session moved to %s after a failed %s", m.name, s.Current(), m.step)
			}
			// Reloading from the database shows the same stop.
			again, err := f.engine.Load(ctx(t), s.ID())
			if err != nil {
				t.Fatal(err)
			}
			if again.Current() != m.step || again.Step(m.step).Status != wizard.Failed {
				t.Fatalf("%s: reloaded, the session is at %s (%s)", m.name, again.Current(), again.Step(m.step).Status)
			}
			tgt = f.alice()
		}
		apply(t, s, m.step, m.good)
		st, err := s.Run(ctx(t), tgt, m.step)
		if err != nil {
			t.Fatalf("%s: Run(%s) corrected: %v", m.name, m.step, err)
		}
		if st.Status != wizard.Verified {
			t.Fatalf("%s: corrected %s is %s: %+v (error %q)", m.name, m.step, st.Status, st.Checks, st.Error)
		}
	}
}

func TestManualOIDCWithEachClassicMistake(t *testing.T) {
	f := newFixture(t)
	s, err := f.engine.Create(ctx(t), wizard.NewSession{Ticket: demoVendorTicket(t), Protocol: wizard.OIDC, Target: "harness", Mode: wizard.Manual})
	if err != nil {
		t.Fatal(err)
	}
	value, keyID := f.demoSecret(t)
	app, _ := f.srv.Store.AppByID(tenant.DemoAppID)
	expires := time.Now().AddDate(1, 0, 0).Format(time.DateOnly)
	walk(t, f, s, []mistake{
		{name: "object ID for client ID", step: wizard.StepRegistration,
			bad: map[string]string{wizard.InClientID: app.ObjectID, wizard.InTenantID: tenant.DemoDomain}, field: "client_id", says: "700016",
			good: map[string]string{wizard.InClientID: tenant.DemoAppID}},
		{name: "trailing slash", step: wizard.StepRedirectURI,
			bad: map[string]string{wizard.InRedirectURI: tenant.DemoRedirectURI + "/"}, field: "redirect_uri", says: "slash",
			good: map[string]string{wizard.InRedirectURI: tenant.DemoRedirectURI}},
		{name: "secret ID for the value", step: wizard.StepClientSecret,
			bad: map[string]string{wizard.InClientSecret: keyID}, field: "client_secret", says: "Secret ID",
			good: map[string]string{wizard.InClientSecret: value, wizard.InSecretExpires: expires}},
		{name: "onmicrosoft domain", step: wizard.StepDomain,
			bad: map[string]string{wizard.InDomains: tenant.DemoInitial}, field: "domain", says: "onmicrosoft",
			good: map[string]string{wizard.InDomains: tenant.DemoDomain}},
		{name: "nobody assigned", step: wizard.StepAssignments,
			bad: map[string]string{wizard.InAssignmentRequired: "yes"}, field: "principals", says: "nobody",
			good: map[string]string{wizard.InPrincipals: "Vendor Users"}},
		{name: "unassigned test user", step: wizard.StepTest,
			bad: map[string]string{wizard.InTestUser: "bob@" + tenant.DemoDomain}, field: "test_user", says: "50105",
			good: map[string]string{wizard.InTestUser: "alice"}},
		{name: "SSO only without break-glass", step: wizard.StepEnable,
			bad: map[string]string{wizard.InLoginMethods: "sso"}, field: "break_glass_ack", says: "break-glass",
			good: map[string]string{wizard.InBreakGlassAck: "yes"}},
	})
	if s.Status() != wizard.SessionEnabled || !s.Done() {
		t.Fatalf("the session is %s, done=%v", s.Status(), s.Done())
	}
	runs, err := s.TestRuns(ctx(t))
	if err != nil || len(runs) != 2 || runs[0].OK || !runs[1].OK {
		t.Fatalf("test runs: %+v, %v; want a failed then a passing run", runs, err)
	}
	if runs[0].AADSTS == nil || runs[0].AADSTS.Code != "AADSTS50105" {
		t.Errorf("the failed run's AADSTS is %+v, want AADSTS50105", runs[0].AADSTS)
	}
	if runs[1].User != "alice@"+tenant.DemoDomain {
		t.Errorf("the passing run's user is %q", runs[1].User)
	}
	assertNoSecret(t, f, s, value)
}

func TestManualOIDCSecretProbe(t *testing.T) {
	for _, tc := range []struct {
		name      string
		scenarios []string
		secret    func(real string) string
		says      string
	}{
		{"wrong secret", nil, func(string) string { return "abc8Q~" + strings.Repeat("x", 34) }, "7000215"},
		{"expired secret", []string{"expired-secret"}, func(real string) string { return real }, "7000222"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.scenarios...)
			s, err := f.engine.Create(ctx(t), wizard.NewSession{Ticket: demoVendorTicket(t), Protocol: wizard.OIDC, Target: "harness", Mode: wizard.Manual})
			if err != nil {
				t.Fatal(err)
			}
			value, _ := f.demoSecret(t)
			walk(t, f, s, []mistake{
				{name: "ids", step: wizard.StepRegistration, good: map[string]string{wizard.InClientID: tenant.DemoAppID, wizard.InTenantID: tenant.DemoTenantID}},
				{name: "redirect", step: wizard.StepRedirectURI, good: map[string]string{wizard.InRedirectURI: tenant.DemoRedirectURI}},
			})
			apply(t, s, wizard.StepClientSecret, map[string]string{wizard.InClientSecret: tc.secret(value)})
			st, err := s.Run(ctx(t), f.alice(), wizard.StepClientSecret)
			if err != nil {
				t.Fatal(err)
			}
			r := failedCheck(st)
			if st.Status != wizard.Failed || r == nil || !strings.Contains(r.Message+r.Fix, tc.says) {
				t.Fatalf("client secret step: %s %+v; want a failure naming %s", st.Status, st.Checks, tc.says)
			}
		})
	}
}

func TestManualSAMLWithEachClassicMistake(t *testing.T) {
	f := newFixture(t)
	s, err := f.engine.Create(ctx(t), wizard.NewSession{Ticket: demoVendorTicket(t), Protocol: wizard.SAML, Target: "harness", Mode: wizard.Manual})
	if err != nil {
		t.Fatal(err)
	}
	mdURL := f.srv.BaseURL + "/" + tenant.DemoTenantID + "/federationmetadata/2007-06/federationmetadata.xml?appid=" + tenant.DemoAppID
	walk(t, f, s, []mistake{
		{name: "malformed tenant", step: wizard.StepEnterpriseApp,
			bad: map[string]string{wizard.InAppID: tenant.DemoAppID, wizard.InTenantID: "{" + tenant.DemoTenantID}, field: "tenant_id", says: "",
			good: map[string]string{wizard.InTenantID: tenant.DemoTenantID}},
		{name: "entity ID typo", step: wizard.StepSAMLURLs,
			bad: map[string]string{wizard.InEntityID: strings.Replace(tenant.DemoEntityID, "https", "http", 1), wizard.InReplyURL: tenant.DemoReplyURL}, field: "entity_id", says: "differs",
			good: map[string]string{wizard.InEntityID: tenant.DemoEntityID}},
		{name: "v2 issuer for the SAML one", step: wizard.StepIdPMetadata,
			bad: map[string]string{wizard.InFingerprint: "00", wizard.InIssuer: "https://login.microsoftonline.com/" + tenant.DemoTenantID + "/v2.0"}, field: "fingerprint", says: "",
			good: map[string]string{wizard.InFingerprint: "", wizard.InIssuer: "", wizard.InMetadataURL: mdURL}},
		{name: "domain", step: wizard.StepDomain, good: map[string]string{wizard.InDomains: tenant.DemoDomain}},
		{name: "assignments", step: wizard.StepAssignments, good: map[string]string{wizard.InAssignmentRequired: "yes", wizard.InPrincipals: "Vendor Users"}},
		{name: "test", step: wizard.StepTest, good: map[string]string{}},
		{name: "enable", step: wizard.StepEnable, good: map[string]string{wizard.InLoginMethods: "both"}},
	})
	st := s.State()
	if st.Metadata == nil || len(st.Metadata.Certificates) == 0 || st.Metadata.Issuer != "https://sts.windows.net/"+tenant.DemoTenantID+"/" {
		t.Fatalf("metadata recorded: %+v", st.Metadata)
	}
	if len(st.Reminders) == 0 {
		t.Error("no reminder was set for the signing certificate")
	}
	if !s.Done() || s.Status() != wizard.SessionEnabled {
		t.Fatalf("the SAML setup ended %s", s.Status())
	}
}

func TestSAMLReplyURLNotRegistered(t *testing.T) {
	f := newFixture(t)
	ticket := bytes.Replace(demoVendorTicket(t), []byte(tenant.DemoReplyURL), []byte("https://vendor.example/saml/acs2"), 1)
	s, err := f.engine.Create(ctx(t), wizard.NewSession{Ticket: ticket, Protocol: wizard.SAML, Target: "harness", Mode: wizard.Manual})
	if err != nil {
		t.Fatal(err)
	}
	walk(t, f, s, []mistake{
		{name: "ids", step: wizard.StepEnterpriseApp, good: map[string]string{wizard.InAppID: tenant.DemoAppID, wizard.InTenantID: tenant.DemoTenantID}},
	})
	// The admin pastes back what the ticket says, but Entra has not saved it: only the
	// probe can tell.
	apply(t, s, wizard.StepSAMLURLs, map[string]string{wizard.InEntityID: tenant.DemoEntityID, wizard.InReplyURL: "https://vendor.example/saml/acs2"})
	st, err := s.Run(ctx(t), f.alice(), wizard.StepSAMLURLs)
	if err != nil {
		t.Fatal(err)
	}
	if r := failedCheck(st); r == nil || r.Field != "reply_url" || !strings.Contains(r.Message, "50011") {
		t.Fatalf("SAML URLs: %+v; want the reply URL failing with AADSTS50011", st.Checks)
	}
}

func TestBackAndForthKeepsInputs(t *testing.T) {
	f := newFixture(t)
	s, err := f.engine.Create(ctx(t), wizard.NewSession{Ticket: demoVendorTicket(t), Protocol: wizard.OIDC, Target: "harness", Mode: wizard.Manual})
	if err != nil {
		t.Fatal(err)
	}
	walk(t, f, s, []mistake{
		{name: "ids", step: wizard.StepRegistration, good: map[string]string{wizard.InClientID: tenant.DemoAppID, wizard.InTenantID: tenant.DemoTenantID}},
	})
	apply(t, s, wizard.StepRedirectURI, map[string]string{wizard.InRedirectURI: "https://typed.example/cb"})
	if _, err := s.Run(ctx(t), f.alice(), wizard.StepRedirectURI); err != nil {
		t.Fatal(err)
	}
	if err := s.GoTo(ctx(t), wizard.StepDomain); err == nil {
		t.Fatal("GoTo jumped over an unverified step")
	}
	if err := s.Back(ctx(t)); err != nil || s.Current() != wizard.StepRegistration {
		t.Fatalf("Back: %v, at %s", err, s.Current())
	}
	again, err := f.engine.Load(ctx(t), s.ID())
	if err != nil {
		t.Fatal(err)
	}
	if again.Current() != wizard.StepRegistration {
		t.Fatalf("reloaded at %s", again.Current())
	}
	if got := again.Step(wizard.StepRedirectURI).Inputs[wizard.InRedirectURI]; got != "https://typed.example/cb" {
		t.Fatalf("the redirect URI typed before going back is %q after reload", got)
	}
	if got := again.Step(wizard.StepRegistration).Status; got != wizard.Verified {
		t.Fatalf("going back unverified registration: %s", got)
	}
	if err := again.Next(ctx(t)); err != nil || again.Current() != wizard.StepRedirectURI {
		t.Fatalf("Next: %v, at %s", err, again.Current())
	}
}

// assertNoSecret checks the secret's bytes are nowhere in the database files or the
// evidence bundle.
func assertNoSecret(t *testing.T, f *fixture, s *wizard.Session, value string) {
	t.Helper()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(f.dbPath + suffix)
		if err != nil {
			continue
		}
		if bytes.Contains(b, []byte(value)) {
			t.Errorf("the secret is in %s", f.dbPath+suffix)
		}
	}
	ev, err := s.EvidenceBundle(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := jsonMarshal(ev)
	if bytes.Contains(b, []byte(value)) {
		t.Error("the secret is in the evidence bundle")
	}
	if s.Status() == wizard.SessionEnabled {
		c, err := s.ConnectionBundle(ctx(t), false)
		if err != nil {
			t.Fatal(err)
		}
		b, _ = jsonMarshal(c)
		if bytes.Contains(b, []byte(value)) {
			t.Error("the secret is in the connection bundle made without it")
		}
		c, err = s.ConnectionBundle(ctx(t), true)
		if err != nil {
			t.Fatal(err)
		}
		if c.OIDC == nil || c.OIDC.ClientSecret != value {
			t.Error("the connection bundle asked with the secret lacks it")
		}
	}
}
