package wizard_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/wizard"
	"github.com/ssowizard/ssowizard/wizard/check"
	"github.com/ssowizard/ssowizard/wizard/secret"
	"github.com/ssowizard/ssowizard/wizard/store"
)

// autoToTest walks an automatic OIDC setup of the demo ticket on the harness up to
// the test step, with principals assigned and assignment required.
func autoToTest(t *testing.T, f *fixture, tgt *wizard.Target, principals string) *wizard.Session {
	t.Helper()
	tgt.Directory = &storeDirectory{s: f.srv.Store}
	s, err := f.engine.Create(ctx(t), wizard.NewSession{Ticket: wizard.DemoTicketJSON(), Protocol: wizard.OIDC, Target: "harness", Mode: wizard.Auto})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, s, wizard.StepAssignments, map[string]string{wizard.InPrincipals: principals, wizard.InAssignmentRequired: "yes"})
	for _, n := range wizard.Steps(wizard.OIDC)[:5] {
		if st, err := s.Run(ctx(t), tgt, n); err != nil || st.Status != wizard.Verified {
			t.Fatalf("%s: %s %v %+v", n, st.Status, err, st.Checks)
		}
	}
	return s
}

func lastRun(t *testing.T, s *wizard.Session) wizard.TestRun {
	t.Helper()
	runs, err := s.TestRuns(ctx(t))
	if err != nil || len(runs) == 0 {
		t.Fatalf("TestRuns = %d runs, %v", len(runs), err)
	}
	return runs[len(runs)-1]
}

func checkNamed(st wizard.StepState, id string) *check.Result {
	for i, r := range st.Checks {
		if r.ID == id {
			return &st.Checks[i]
		}
	}
	return nil
}

// The test signs in as the user the administrator names, not the harness's seeded
// one, says so, and proves a user who is not assigned is refused.
func TestTestLoginProvesTheNamedUser(t *testing.T) {
	f := newFixture(t)
	tgt := f.alice()
	s := autoToTest(t, f, tgt, "bob@"+tenant.DemoDomain)
	apply(t, s, wizard.StepTest, map[string]string{wizard.InTestUser: "bob"})
	st, err := s.Run(ctx(t), tgt, wizard.StepTest)
	if err != nil || st.Status != wizard.Verified {
		t.Fatalf("test as bob: %s %v %+v", st.Status, err, st.Checks)
	}
	bob := "bob@" + tenant.DemoDomain
	run := lastRun(t, s)
	if run.User != bob || run.Named != bob || !run.OK {
		t.Errorf("the run proved %q (named %q, ok %v), want %s", run.User, run.Named, run.OK, bob)
	}
	if c := checkNamed(st, "test-passed"); c == nil || !strings.Contains(c.Message, "as "+bob) {
		t.Errorf("the passing check is %+v, want it to say as %s", c, bob)
	}
	// Only bob is assigned, so alice (first in the tenant) is the one refused.
	alice := "alice@" + tenant.DemoDomain
	if r := run.Refusal; r == nil || !r.Proven || r.User != alice || r.AADSTS != "AADSTS50105" {
		t.Errorf("the run's refusal is %+v, want alice refused with AADSTS50105", r)
	}
	if c := checkNamed(st, "unassigned-refused"); c == nil || c.Field != wizard.InRefusedUser || !strings.Contains(c.Message, alice) {
		t.Errorf("the refusal check is %+v", c)
	}
}

// A user the tenant does not have is refused with a sentence before anything runs.
func TestTestLoginUnknownUser(t *testing.T) {
	f := newFixture(t)
	tgt := f.alice()
	s := autoToTest(t, f, tgt, "Vendor Users")
	apply(t, s, wizard.StepTest, map[string]string{wizard.InTestUser: "zed"})
	st, err := s.Run(ctx(t), tgt, wizard.StepTest)
	if err != nil || st.Status != wizard.Failed {
		t.Fatalf("test as zed: %s %v", st.Status, err)
	}
	c := checkNamed(st, "test-user-unknown")
	if c == nil || c.Field != wizard.InTestUser || !strings.Contains(c.Message, `"zed"`) || c.Fix == "" {
		t.Errorf("the failing check is %+v, want one naming zed", c)
	}
	if runs, _ := s.TestRuns(ctx(t)); len(runs) != 0 {
		t.Errorf("%d runs recorded for a user who cannot sign in", len(runs))
	}
}

// On Entra a person signs in: an answer naming someone other than the test user
// fails with a sentence naming both.
func TestTestLoginWrongIdentityFails(t *testing.T) {
	f := newFixture(t)
	tgt := f.alice()
	s := autoToTest(t, f, tgt, "Vendor Users")
	tgt.SignInAs, tgt.Unassigned = nil, nil // as on Entra: the browser signs alice in, whoever is named
	apply(t, s, wizard.StepTest, map[string]string{wizard.InTestUser: "dave@" + tenant.DemoDomain})
	st, err := s.Run(ctx(t), tgt, wizard.StepTest)
	if err != nil || st.Status != wizard.Failed {
		t.Fatalf("test naming dave, signed in as alice: %s %v %+v", st.Status, err, st.Checks)
	}
	c := checkNamed(st, wizard.CodeWrongUser)
	if c == nil || !strings.Contains(c.Message, "alice@"+tenant.DemoDomain) || !strings.Contains(c.Message, "dave@"+tenant.DemoDomain) {
		t.Errorf("the failing check is %+v, want one naming alice and dave", c)
	}
	if run := lastRun(t, s); run.OK || run.Named != "dave@"+tenant.DemoDomain {
		t.Errorf("the run is ok=%v named %q", run.OK, run.Named)
	}
}

// On Entra the negative is offered: without a user who is not assigned it is a
// warning; with one, the second login must end in AADSTS50105, and one that signs in
// fails the test.
func TestRefusalOnEntraIsOffered(t *testing.T) {
	f := newFixture(t)
	tgt := f.alice()
	s := autoToTest(t, f, tgt, "Vendor Users")
	entra := *tgt
	entra.SignInAs, entra.Unassigned = nil, nil
	st, err := s.Run(ctx(t), &entra, wizard.StepTest)
	if err != nil || st.Status != wizard.Verified {
		t.Fatalf("test without a refused user: %s %v %+v", st.Status, err, st.Checks)
	}
	if c := checkNamed(st, "refusal-not-proven"); c == nil || c.Field != wizard.InRefusedUser {
		t.Errorf("the checks %+v do not offer the negative", st.Checks)
	}

	// The person names bob and signs in as him in the second login.
	bob := f.target("bob@"+tenant.DemoDomain, "Demo.Bob.2026")
	opens := 0
	entra.Open = func(u string) error {
		opens++
		if opens == 1 {
			return f.alice().Open(u)
		}
		return bob.Open(u)
	}
	apply(t, s, wizard.StepTest, map[string]string{wizard.InRefusedUser: "bob@" + tenant.DemoDomain})
	if st, err = s.Run(ctx(t), &entra, wizard.StepTest); err != nil || st.Status != wizard.Verified {
		t.Fatalf("test with bob refused: %s %v %+v", st.Status, err, st.Checks)
	}
	if r := lastRun(t, s).Refusal; r == nil || !r.Proven || r.User != "bob@"+tenant.DemoDomain {
		t.Errorf("the refusal is %+v", r)
	}

	// The person signs in as alice again in the second login: not proven, and said.
	opens = 0
	entra.Open = func(u string) error { return f.alice().Open(u) }
	if st, err = s.Run(ctx(t), &entra, wizard.StepTest); err != nil || st.Status != wizard.Failed {
		t.Fatalf("test with alice in the second login: %s %v %+v", st.Status, err, st.Checks)
	}
	if c := checkNamed(st, wizard.CodeNotRefused); c == nil || !strings.Contains(c.Message, "second login signed in as alice") {
		t.Errorf("the failing check is %+v", c)
	}
}

// enabled walks an automatic OIDC setup to enabled, alice testing.
func enabled(t *testing.T, f *fixture, tgt *wizard.Target) *wizard.Session {
	t.Helper()
	s := autoToTest(t, f, tgt, "Vendor Users")
	for _, n := range []wizard.StepName{wizard.StepTest, wizard.StepEnable} {
		if st, err := s.Run(ctx(t), tgt, n); err != nil || st.Status != wizard.Verified {
			t.Fatalf("%s: %s %v %+v", n, st.Status, err, st.Checks)
		}
	}
	if s.Status() != wizard.SessionEnabled {
		t.Fatalf("the setup is %s, want enabled", s.Status())
	}
	return s
}

// After a restart without a keyring the secret made earlier is gone: its step reads
// as needing a new secret at once, and automatic mode asks before making one.
func TestLostSecretNeedsANewOneAndAsks(t *testing.T) {
	f := newFixture(t)
	tgt := f.alice()
	s := autoToTest(t, f, tgt, "Vendor Users")
	made := s.State().Secret.KeyID

	// A new run: same database, a keeper that never saw the secret.
	e2 := &wizard.Engine{DB: f.engine.DB, Secrets: secret.Memory()}
	s2, err := e2.Load(ctx(t), s.ID())
	if err != nil {
		t.Fatal(err)
	}
	st := s2.Step(wizard.StepClientSecret)
	c := checkNamed(st, wizard.CodeSecretLost)
	if st.Status == wizard.Verified || c == nil || !strings.Contains(c.Message, "needs a new client secret") || c.Field != wizard.InNewSecret {
		t.Fatalf("reloaded, the secret step is %s with %+v; want it to need a new secret", st.Status, st.Checks)
	}
	if s2.Current() != wizard.StepClientSecret || s2.Done() {
		t.Errorf("reloaded, the setup is at %s (done %v), want the client secret step", s2.Current(), s2.Done())
	}
	sums, err := e2.Summaries(ctx(t))
	if err != nil || len(sums) != 1 || sums[0].Current != wizard.StepClientSecret || sums[0].Verified != 4 {
		t.Fatalf("status reads %+v, %v; want 4 verified, at the client secret", sums, err)
	}

	// Asked, not answered: nothing is made.
	tgt2 := f.alice()
	tgt2.Directory = &storeDirectory{s: f.srv.Store}
	secrets := func() int { a, _ := f.srv.Store.AppByID(s2.State().App.AppID); return len(a.Secrets) }
	before := secrets()
	st, err = s2.Run(ctx(t), tgt2, wizard.StepClientSecret)
	if err != nil || st.Status != wizard.Failed || checkNamed(st, wizard.CodeSecretLost) == nil || secrets() != before {
		t.Fatalf("unanswered: %s %v %+v, %d secrets (was %d)", st.Status, err, st.Checks, secrets(), before)
	}

	// Answered yes: the lost one is removed and a new one made and proven.
	apply(t, s2, wizard.StepClientSecret, map[string]string{wizard.InNewSecret: "yes"})
	st, err = s2.Run(ctx(t), tgt2, wizard.StepClientSecret)
	if err != nil || st.Status != wizard.Verified || checkNamed(st, "lost-secret-removed") == nil {
		t.Fatalf("answered yes: %s %v %+v", st.Status, err, st.Checks)
	}
	a, _ := f.srv.Store.AppByID(s2.State().App.AppID)
	for _, sec := range a.Secrets {
		if sec.KeyID == made {
			t.Errorf("the lost secret %s is still on the app", made)
		}
	}
	if secrets() != before || s2.State().Secret.KeyID == made {
		t.Errorf("the app has %d secrets (was %d), recorded %s", secrets(), before, s2.State().Secret.KeyID)
	}
	if _, ok := s2.Step(wizard.StepClientSecret).Inputs[wizard.InNewSecret]; ok {
		t.Error("the yes was kept: a later loss would not ask")
	}
	if st, err := s2.Run(ctx(t), tgt2, wizard.StepTest); err != nil || st.Status != wizard.Verified {
		t.Fatalf("the test with the new secret: %s %v %+v", st.Status, err, st.Checks)
	}
}

// A test that fails after the connection was enabled means it is not enabled: the
// session, status and a reload say so, and the connection cannot be exported.
func TestFailingLatestTestIsNotEnabled(t *testing.T) {
	f := newFixture(t)
	tgt := f.alice()
	s := enabled(t, f, tgt)
	apply(t, s, wizard.StepTest, map[string]string{wizard.InTestUser: "bob@" + tenant.DemoDomain})
	st, err := s.Run(ctx(t), tgt, wizard.StepTest)
	if err != nil || st.Status != wizard.Failed {
		t.Fatalf("the test as bob, not assigned: %s %v", st.Status, err)
	}
	assertNotEnabled := func(what string, s *wizard.Session) {
		t.Helper()
		if s.Status() == wizard.SessionEnabled || s.Done() || s.Current() != wizard.StepTest {
			t.Errorf("%s: the setup is %s, done %v, at %s; want in progress at the test", what, s.Status(), s.Done(), s.Current())
		}
		en := s.Step(wizard.StepEnable)
		if en.Status == wizard.Verified || checkNamed(en, wizard.CodeLatestTestFailed) == nil {
			t.Errorf("%s: Enable is %s with %+v", what, en.Status, en.Checks)
		}
		if _, err := s.ConnectionBundle(ctx(t), false); err == nil {
			t.Errorf("%s: the connection exports", what)
		}
	}
	assertNotEnabled("after the failed test", s)
	again, err := f.engine.Load(ctx(t), s.ID())
	if err != nil {
		t.Fatal(err)
	}
	assertNotEnabled("reloaded", again)
	sums, err := f.engine.Summaries(ctx(t))
	if err != nil || len(sums) != 1 || sums[0].Status == wizard.SessionEnabled || sums[0].LastTest == nil || sums[0].LastTest.OK {
		t.Fatalf("status reads %+v, %v", sums, err)
	}

	// Tested again as alice and enabled again, it is enabled.
	apply(t, again, wizard.StepTest, map[string]string{wizard.InTestUser: "alice@" + tenant.DemoDomain})
	for _, n := range []wizard.StepName{wizard.StepTest, wizard.StepEnable} {
		if st, err := again.Run(ctx(t), tgt, n); err != nil || st.Status != wizard.Verified {
			t.Fatalf("%s: %s %v %+v", n, st.Status, err, st.Checks)
		}
	}
	if again.Status() != wizard.SessionEnabled || !again.Done() {
		t.Errorf("retested and enabled again, the setup is %s", again.Status())
	}
}

// A run stopped between recording a failing test and saving the step (a crash) still
// reads as not enabled once loaded.
func TestFailingTestRecordedBeforeACrashIsNotEnabled(t *testing.T) {
	f := newFixture(t)
	s := enabled(t, f, f.alice())
	b, _ := json.Marshal(wizard.TestRun{Started: time.Now(), Protocol: wizard.OIDC, Verdict: "error"})
	if _, err := f.engine.DB.AddTestRun(ctx(t), store.TestRun{Session: s.ID(), Started: time.Now(), Protocol: "oidc", Result: b},
		store.Event{Session: s.ID(), At: time.Now(), Step: "test", Kind: "test-run", Message: "test login failed"}); err != nil {
		t.Fatal(err)
	}
	again, err := f.engine.Load(ctx(t), s.ID())
	if err != nil {
		t.Fatal(err)
	}
	if again.Status() == wizard.SessionEnabled || again.Step(wizard.StepEnable).Status == wizard.Verified {
		t.Errorf("loaded after a failing test, the setup is %s with Enable %s", again.Status(), again.Step(wizard.StepEnable).Status)
	}
}

// An override names the failed test it is given over: that setup stays enabled.
func TestOverrideStaysEnabledOverItsFailedTest(t *testing.T) {
	f := newFixture(t)
	tgt := f.alice()
	s := autoToTest(t, f, tgt, "Vendor Users")
	apply(t, s, wizard.StepTest, map[string]string{wizard.InTestUser: "bob@" + tenant.DemoDomain})
	if st, _ := s.Run(ctx(t), tgt, wizard.StepTest); st.Status != wizard.Failed {
		t.Fatalf("the test as bob is %s", st.Status)
	}
	apply(t, s, wizard.StepEnable, map[string]string{wizard.InOverride: "pilot starts today"})
	if st, err := s.Run(ctx(t), tgt, wizard.StepEnable); err != nil || st.Status != wizard.Verified {
		t.Fatalf("enable with an override: %s %v %+v", st.Status, err, st.Checks)
	}
	again, err := f.engine.Load(ctx(t), s.ID())
	if err != nil || again.Status() != wizard.SessionEnabled {
		t.Fatalf("reloaded, the overridden setup is %v, %v", again, err)
	}
}

// Answers automatic mode cannot use are refused with a sentence; those it can are
// honoured: an existing app's client ID adopts it, a secret expiry is used.
func TestAutoAnswersRefusedOrHonoured(t *testing.T) {
	f := newFixture(t)
	tgt := f.alice()
	tgt.Directory = &storeDirectory{s: f.srv.Store}
	s, err := f.engine.Create(ctx(t), wizard.NewSession{Ticket: wizard.DemoTicketJSON(), Protocol: wizard.OIDC, Target: "harness", Mode: wizard.Auto})
	if err != nil {
		t.Fatal(err)
	}
	apps := len(f.srv.Store.Apps())
	apply(t, s, wizard.StepRegistration, map[string]string{wizard.InClientID: tenant.DemoAppID, wizard.InTenantID: tenant.DemoDomain})
	st, err := s.Run(ctx(t), tgt, wizard.StepRegistration)
	c := checkNamed(st, "answer-not-used")
	if err != nil || st.Status != wizard.Failed || c == nil || c.Field != wizard.InTenantID || !strings.Contains(c.Message, "registration.tenant_id") {
		t.Fatalf("tenant_id given to automatic mode: %s %v %+v", st.Status, err, st.Checks)
	}
	apply(t, s, wizard.StepRegistration, map[string]string{wizard.InTenantID: ""})
	if st, err = s.Run(ctx(t), tgt, wizard.StepRegistration); err != nil || st.Status != wizard.Verified || checkNamed(st, "app-adopted") == nil {
		t.Fatalf("client_id given to automatic mode: %s %v %+v", st.Status, err, st.Checks)
	}
	if got := s.State().App.AppID; got != tenant.DemoAppID || len(f.srv.Store.Apps()) != apps {
		t.Errorf("adopted %s, %d apps (were %d); want the demo app and no new one", got, len(f.srv.Store.Apps()), apps)
	}

	if st, err = s.Run(ctx(t), tgt, wizard.StepRedirectURI); err != nil || st.Status != wizard.Verified {
		t.Fatalf("redirect URI: %s %v %+v", st.Status, err, st.Checks)
	}
	want := time.Now().UTC().AddDate(0, 6, 0).Format(time.DateOnly)
	apply(t, s, wizard.StepClientSecret, map[string]string{wizard.InSecretExpires: "2001-01-01"})
	if st, _ = s.Run(ctx(t), tgt, wizard.StepClientSecret); st.Status != wizard.Failed || checkNamed(st, "secret-expires-past") == nil {
		t.Fatalf("a past expiry: %s %+v", st.Status, st.Checks)
	}
	apply(t, s, wizard.StepClientSecret, map[string]string{wizard.InSecretExpires: want})
	if st, err = s.Run(ctx(t), tgt, wizard.StepClientSecret); err != nil || st.Status != wizard.Verified {
		t.Fatalf("secret_expires: %s %v %+v", st.Status, err, st.Checks)
	}
	// The fake directory turns the end into a lifetime from its own clock, so the
	// recorded end may fall short of midnight by the moments between the two.
	wantEnd, _ := time.Parse(time.DateOnly, want)
	if got := s.State().Secret.End; got.Sub(wantEnd).Abs() > time.Minute {
		t.Errorf("the secret made ends %s, want %s as answered", got, want)
	}
}

// A guest is named by the address they were invited with, which their answer carries
// as e-mail beside their #EXT# UPN.
func TestTestLoginProvesAGuest(t *testing.T) {
	f := newFixture(t)
	tgt := f.alice()
	guest := "carol@fabrikam.example"
	s := autoToTest(t, f, tgt, guest)
	apply(t, s, wizard.StepTest, map[string]string{wizard.InTestUser: guest})
	st, err := s.Run(ctx(t), tgt, wizard.StepTest)
	if err != nil || st.Status != wizard.Verified {
		t.Fatalf("test as the guest: %s %v %+v", st.Status, err, st.Checks)
	}
	if run := lastRun(t, s); run.Named != guest || !run.OK {
		t.Errorf("the run named %q, ok %v", run.Named, run.OK)
	}
}
