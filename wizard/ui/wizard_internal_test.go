package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/robot"
	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/inspect"
	"github.com/ssowizard/ssowizard/sp"
	"github.com/ssowizard/ssowizard/wizard"
	"github.com/ssowizard/ssowizard/wizard/check"
	"github.com/ssowizard/ssowizard/wizard/secret"
	"github.com/ssowizard/ssowizard/wizard/store"
)

func fixedClock() time.Time { return fixedNow }

// demoVendorTicket is a ticket whose URLs the demo tenant's vendor app already has, so
// manual mode can be walked against the demo tenant as an admin would have set it up
// by hand.
func demoVendorTicket(t testing.TB) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"vendor":          "Vendor",
		"protocols":       []string{"oidc", "saml"},
		"oidc":            map[string]any{"redirect_uri": tenant.DemoRedirectURI},
		"saml":            map[string]any{"entity_id": tenant.DemoEntityID, "acs_url": tenant.DemoReplyURL},
		"required_claims": []string{"email"},
		"roles":           []string{"Member", "Admin"},
		"default_role":    "Member",
		"login_methods":   []string{"password", "sso", "both"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wizFixture is the in-process harness with its demo tenant and an engine on a fresh
// database, both on the fixed clock.
type wizFixture struct {
	srv    *harness.Server
	engine *wizard.Engine
}

func newWizFixture(t *testing.T) *wizFixture {
	t.Helper()
	stateDir := t.TempDir()
	seedSAMLKey(t, stateDir)
	srv, err := harness.Start(context.Background(), harness.Config{StateDir: stateDir, Now: fixedClock})
	if err != nil {
		t.Fatalf("harness.Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "ssowizard.db"))
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return &wizFixture{srv: srv, engine: &wizard.Engine{DB: db, Secrets: secret.Memory(), Now: fixedClock}}
}

// seedSAMLKey puts the demo vendor app's SAML signing key pair (testdata/keys, valid
// 2026-11-23 to 2029-11-23 as the demo record on fixedNow's day) where the harness keeps
// it, so the harness reads it instead of making a random one: the certificate's
// thumbprint is shown on the SAML steps and must be the same in every run.
func seedSAMLKey(t *testing.T, stateDir string) {
	t.Helper()
	keyID := strings.ToLower(tenant.Demo(fixedNow).Apps[0].SAML.Certificates[0].KeyID)
	dir := filepath.Join(stateDir, "saml")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for src, dst := range map[string]string{"demo-saml-signing.pem": "saml-" + keyID + ".pem", "demo-saml-signing-key.pem": "saml-" + keyID + "-key.pem"} {
		b, err := os.ReadFile(filepath.Join("testdata", "keys", src))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, dst), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// target is the harness, with the robot signing in as alice.
func (f *wizFixture) target() *wizard.Target {
	return &wizard.Target{Name: "harness", LoginBase: f.srv.BaseURL, GraphURL: f.srv.BaseURL, HTTP: f.srv.Client(),
		Open: robot.New(f.srv.Client(), "alice@"+tenant.DemoDomain, "Demo.Alice.2026").Open}
}

func (f *wizFixture) demoSecret(t *testing.T) (value, keyID string) {
	t.Helper()
	app, ok := f.srv.Store.AppByID(tenant.DemoAppID)
	if !ok || len(app.Secrets) == 0 {
		t.Fatal("the demo app or its secret is missing")
	}
	return app.Secrets[0].Value, app.Secrets[0].KeyID
}

func (f *wizFixture) session(t *testing.T) *wizard.Session {
	t.Helper()
	s, err := f.engine.Create(testCtx(t), wizard.NewSession{Ticket: demoVendorTicket(t), Protocol: wizard.OIDC, Target: "harness", Mode: wizard.Manual})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// verify carries out a step through the engine, as if done earlier.
func verify(t *testing.T, s *wizard.Session, tgt *wizard.Target, n wizard.StepName, in map[string]string) {
	t.Helper()
	for k, v := range in {
		if err := s.SetInput(n, k, v); err != nil {
			t.Fatal(err)
		}
	}
	st, err := s.Run(testCtx(t), tgt, n)
	if err != nil || st.Status != wizard.Verified {
		t.Fatalf("%s: %s %+v %q, %v", n, st.Status, st.Checks, st.Error, err)
	}
}

// throughRedirect verifies the registration and redirect URI steps.
func (f *wizFixture) throughRedirect(t *testing.T, s *wizard.Session) {
	t.Helper()
	tgt := f.target()
	verify(t, s, tgt, wizard.StepRegistration, map[string]string{wizard.InClientID: tenant.DemoAppID, wizard.InTenantID: tenant.DemoTenantID})
	verify(t, s, tgt, wizard.StepRedirectURI, map[string]string{wizard.InRedirectURI: tenant.DemoRedirectURI})
}

// throughAssignments verifies every step before the test.
func (f *wizFixture) throughAssignments(t *testing.T, s *wizard.Session) {
	t.Helper()
	f.throughRedirect(t, s)
	value, _ := f.demoSecret(t)
	tgt := f.target()
	verify(t, s, tgt, wizard.StepClientSecret, map[string]string{wizard.InClientSecret: value, wizard.InSecretExpires: "2027-11-23"})
	verify(t, s, tgt, wizard.StepDomain, map[string]string{wizard.InDomains: tenant.DemoDomain})
	verify(t, s, tgt, wizard.StepAssignments, map[string]string{wizard.InPrincipals: "Vendor Users", wizard.InAssignmentRequired: "yes"})
}

// setupRig is a setup screen in a test window. Async results are awaited through
// settled; exports land in saved; blades opened in opened.
type setupRig struct {
	t       *testing.T
	app     fyne.App
	win     fyne.Window
	sc      *setupScreen
	settled chan struct{}
	saved   map[string][]byte
	opened  chan string
}

func newSetupRig(t *testing.T, s *wizard.Session, tgt *wizard.Target) *setupRig {
	t.Helper()
	r := &setupRig{t: t, settled: make(chan struct{}, 16), saved: map[string][]byte{}, opened: make(chan string, 4)}
	r.app = test.NewTempApp(t)
	d := Deps{App: r.app, Now: fixedClock, OpenURL: func(u string) error { r.opened <- u; return nil }}
	r.win = test.NewTempWindow(t, widget.NewLabel(""))
	e := &env{win: r.win, deps: d, settled: func() { r.settled <- struct{}{} }}
	r.sc = newSetupScreen(e, s, tgt)
	r.sc.save = func(name string, data []byte, done func(string, error)) {
		r.saved[name] = data
		done("/saved/"+name, nil)
	}
	r.win.SetContent(r.sc.view())
	r.win.Resize(fyne.NewSize(1100, 900))
	r.sc.reload()
	r.wait()
	return r
}

// wait blocks until one async result has been applied.
func (r *setupRig) wait() {
	r.t.Helper()
	select {
	case <-r.settled:
	case <-time.After(2 * time.Minute):
		r.t.Fatal("no async result was applied within 2 minutes")
	}
}

// tap taps a button and waits for the action it starts.
func (r *setupRig) tap(b *widget.Button) {
	r.t.Helper()
	if b.Disabled() {
		r.t.Fatalf("the button %q is disabled", b.Text)
	}
	test.Tap(b)
	r.wait()
}

func (r *setupRig) entry(key string) *widget.Entry {
	r.t.Helper()
	e := r.sc.entries[key]
	if e == nil {
		r.t.Fatalf("the step %s shows no entry %s", r.sc.snap.shown, key)
	}
	return e
}

// typeIn types into an entry, after emptying it.
func (r *setupRig) typeIn(key, text string) {
	r.t.Helper()
	e := r.entry(key)
	e.SetText("")
	test.Type(e, text)
}

// shows asserts the step shown and its status.
func (r *setupRig) shows(n wizard.StepName, status wizard.Status) {
	r.t.Helper()
	st := r.sc.snap.step(n)
	if r.sc.snap.shown != n || st.Status != status {
		r.t.Fatalf("the screen shows %s, %s is %s (checks %+v, error %q); want %s %s",
			r.sc.snap.shown, n, st.Status, st.Checks, st.Error, n, status)
	}
	if got, want := r.sc.steps[n].status.Text, statusText(st, false); got != want {
		r.t.Errorf("the list says %q for %s, want %q", got, n, want)
	}
}

// buttons finds the buttons with a text in what the window shows.
func (r *setupRig) buttons(text string) []*widget.Button {
	var out []*widget.Button
	for _, o := range test.LaidOutObjects(r.win.Content()) {
		if b, ok := o.(*widget.Button); ok && b.Visible() && b.Text == text {
			out = append(out, b)
		}
	}
	return out
}

// TestSetupMarkupSecretStep renders one manual OIDC step not started, failed with its
// checks (a Secret ID pasted for the Value), and verified.
func TestSetupMarkupSecretStep(t *testing.T) {
	f := newWizFixture(t)
	s := f.session(t)
	f.throughRedirect(t, s)
	r := newSetupRig(t, s, f.target())
	r.shows(wizard.StepClientSecret, wizard.NotStarted)
	assertStructure(t, "setup_secret_not_started.txt", r.win.Canvas())

	value, keyID := f.demoSecret(t)
	r.typeIn(wizard.InClientSecret, keyID)
	if fb := r.sc.feedback[wizard.InClientSecret]; !fb.Visible() || !strings.Contains(fb.Text, "Secret ID") {
		t.Errorf("typing a Secret ID shows %q under the entry, want it named", fb.Text)
	}
	r.tap(r.sc.runBtn)
	r.shows(wizard.StepClientSecret, wizard.Failed)
	if !r.sc.nextBtn.Disabled() {
		t.Error("Next is enabled on a failed step")
	}
	assertStructure(t, "setup_secret_failed.txt", r.win.Canvas())

	r.typeIn(wizard.InClientSecret, value)
	r.typeIn(wizard.InSecretExpires, "2027-11-23")
	r.tap(r.sc.runBtn)
	r.shows(wizard.StepClientSecret, wizard.Verified)
	if r.sc.nextBtn.Disabled() {
		t.Error("Next is disabled on a verified step")
	}
	assertMarkup(t, "setup_secret_verified.xml", r.win.Canvas())
	if strings.Contains(test.RenderToMarkup(r.win.Canvas()), value) {
		t.Error("the secret's value is in the rendered screen")
	}
}

// fabricatedRuns are three test logins as the engine stores them: a pass without the
// email claim, a failure (the user not assigned), and a pass with it. The harness's
// own logins carry random claims (nonce, aio, its port in iss), which a golden cannot.
func fabricatedRuns() []wizard.TestRun {
	at := fixedNow.Add(-2 * time.Hour)
	base := []inspect.Claim{
		{Name: "aud", Friendly: "aud", Values: []string{tenant.DemoAppID}, About: "The client ID the token is for."},
		{Name: "iss", Friendly: "iss", Values: []string{"https://login.microsoftonline.com/" + tenant.DemoTenantID + "/v2.0"}, About: "Who issued the token: your tenant's v2.0 endpoint."},
		{Name: "nonce", Friendly: "nonce", Values: []string{"first-nonce"}},
		{Name: "name", Friendly: "name", Values: []string{"Alice Smith"}, About: "The user's display name."},
		{Name: "preferred_username", Friendly: "preferred_username", Values: []string{"alice@" + tenant.DemoDomain}},
		{Name: "groups", Friendly: "groups", Values: []string{"5e2a1c9b-7d4f-4b3a-8e6c-1f0d9a2b3c4d"}, About: "Object IDs of the user's security groups, not their names."},
	}
	first := wizard.TestRun{ID: 1, Started: at, OK: true, Protocol: wizard.OIDC, Target: "harness", User: "alice@" + tenant.DemoDomain, Verdict: "warning",
		Findings: []inspect.Finding{{Code: inspect.CodeEmailMissing, Severity: inspect.SeverityWarning, Message: "The token has no email claim.",
			Fix: "Add the email optional claim under Token configuration."}},
		Claims: base, Duration: 1200 * time.Millisecond}
	second := wizard.TestRun{ID: 2, Started: at.Add(time.Hour), Protocol: wizard.OIDC, Target: "harness", Verdict: "error",
		AADSTS: &inspect.AADSTS{Code: "AADSTS50105", Meaning: "The signed in user is not assigned to a role for the application.", Fix: "Assign the user, or a group they are directly in."},
		Findings: []inspect.Finding{{Code: inspect.CodeStatusError, Severity: inspect.SeverityError, Message: "Entra refused the sign-in (AADSTS50105).",
			Fix: "Assign the user, or a group they are directly in."}}}
	third := wizard.TestRun{ID: 3, Started: fixedNow, OK: true, Protocol: wizard.OIDC, Target: "harness", User: "alice@" + tenant.DemoDomain, Verdict: "ok",
		Claims: append([]inspect.Claim{}, base[0], base[1],
			inspect.Claim{Name: "nonce", Friendly: "nonce", Values: []string{"third-nonce"}},
			base[3], base[4],
			inspect.Claim{Name: "email", Friendly: "email", Values: []string{"alice@" + tenant.DemoDomain}, About: "The user's mail attribute."},
			inspect.Claim{Name: "groups", Friendly: "groups", Values: []string{"5e2a1c9b-7d4f-4b3a-8e6c-1f0d9a2b3c4d", "a8c3e5f7-2b4d-4e6f-9a1b-3c5d7e9f1a2b"}}),
		Artifact: &sp.Artifact{Kind: "id_token", Value: "eyJhbGciOiJSUzI1NiIsImtpZCI6ImRlbW8ifQ.eyJhdWQiOiIwYjdlNWMxZCJ9.REDACTED"},
		Duration: 900 * time.Millisecond}
	return []wizard.TestRun{first, second, third}
}

// withTestPassed stores fabricated test logins and the test step verified by the last,
// as the engine would have, and reloads the session at the test step.
func withTestPassed(t *testing.T, f *wizFixture, s *wizard.Session) *wizard.Session {
	t.Helper()
	ctx := testCtx(t)
	db := f.engine.DB
	for _, run := range fabricatedRuns() {
		b, err := json.Marshal(run)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddTestRun(ctx, store.TestRun{Session: s.ID(), Started: run.Started, OK: run.OK, Protocol: string(run.Protocol), Result: b},
			store.Event{Step: string(wizard.StepTest), Kind: "test-run", Message: "test login"}); err != nil {
			t.Fatal(err)
		}
	}
	rec, err := db.Session(ctx, s.ID())
	if err != nil {
		t.Fatal(err)
	}
	rec.Current, rec.Updated = string(wizard.StepTest), fixedNow
	checks, _ := json.Marshal([]check.Result{{ID: "test-passed", Field: wizard.InTestUser, Severity: check.OK, Message: "Test login 3 passed as alice@" + tenant.DemoDomain + "."}})
	step := &store.Step{Name: string(wizard.StepTest), Status: string(wizard.Verified), Inputs: []byte("{}"), Outputs: []byte(`{"error":""}`), Checks: checks,
		VerifiedAt: fixedNow, Updated: fixedNow}
	if err := db.Transition(ctx, rec, step, store.Event{Step: string(wizard.StepTest), Kind: "verified", Message: "verified test"}); err != nil {
		t.Fatal(err)
	}
	again, err := f.engine.Load(ctx, s.ID())
	if err != nil {
		t.Fatal(err)
	}
	return again
}

// TestSetupMarkupTestAndEnable renders the test step with a passing result, and the
// enable step before and after enabling; the exports are checked on the way.
func TestSetupMarkupTestAndEnable(t *testing.T) {
	f := newWizFixture(t)
	s := f.session(t)
	f.throughAssignments(t, s)
	s = withTestPassed(t, f, s)
	r := newSetupRig(t, s, f.target())
	r.shows(wizard.StepTest, wizard.Verified)
	assertStructure(t, "setup_test_passed.txt", r.win.Canvas())

	r.tap(r.sc.nextBtn)
	r.shows(wizard.StepEnable, wizard.NotStarted)
	if r.sc.enable == nil || r.sc.enable.override != nil {
		t.Fatal("the enable step asks for an override reason although the last test passed")
	}
	if got := r.sc.enable.methods.Selected; got != loginMethodLabels[wizard.LoginBoth] {
		t.Errorf("login methods preselected %q, want both", got)
	}
	assertStructure(t, "setup_enable_before.txt", r.win.Canvas())

	r.tap(r.sc.runBtn)
	r.shows(wizard.StepEnable, wizard.Verified)
	if !r.sc.nextBtn.Hidden {
		t.Error("Next is shown on the last step")
	}
	assertStructure(t, "setup_enable_after.txt", r.win.Canvas())

	value, _ := f.demoSecret(t)
	for i, want := range []struct{ name, has string }{
		{"vendor-connection.json", `"client_id": "` + tenant.DemoAppID + `"`},
		{"vendor-evidence.json", `"format": "` + wizard.EvidenceFormat + `"`},
		{"vendor-expiry-reminders.ics", "BEGIN:VCALENDAR"},
	} {
		r.tap(r.sc.exports[i])
		b := r.saved[want.name]
		if !strings.Contains(string(b), want.has) {
			t.Errorf("%s holds %.300q, want %q in it", want.name, b, want.has)
		}
		if strings.Contains(string(b), value) {
			t.Errorf("%s holds the client secret", want.name)
		}
		if r.sc.note != "Saved /saved/"+want.name+"." {
			t.Errorf("after exporting %s the screen says %q", want.name, r.sc.note)
		}
	}
}

// TestManualOIDCByTypingAndTapping drives a whole manual OIDC setup against the
// harness through the screen only, from the first step to SSO enabled.
func TestManualOIDCByTypingAndTapping(t *testing.T) {
	f := newWizFixture(t)
	s := f.session(t)
	// The robot starts signing in only when the test has seen the screen wait for it.
	release := make(chan struct{})
	tgt := f.target()
	open := tgt.Open
	tgt.Open = func(u string) error {
		<-release
		return open(u)
	}
	// The registration's probes wait until the Enter key has been handled: in tests
	// fyne.Do applies results on the worker at once, and the entry still refreshes
	// itself after its OnSubmitted.
	entered := make(chan struct{})
	tgt.HTTP = &http.Client{Transport: gate{base: f.srv.Client().Transport, open: entered}}
	r := newSetupRig(t, s, tgt)

	// App registration: Enter in the last entry checks the step.
	r.shows(wizard.StepRegistration, wizard.NotStarted)
	if r.sc.runBtn.Text != "Check" {
		t.Errorf("the manual step's button says %q, want Check", r.sc.runBtn.Text)
	}
	r.tap(r.buttons("Open in Entra admin center")[0])
	if u := <-r.opened; u != s.Instructions(wizard.StepRegistration).Blade {
		t.Errorf("opened %s, want the step's blade", u)
	}
	r.typeIn(wizard.InClientID, "{"+tenant.DemoAppID+"}")
	if fb := r.sc.feedback[wizard.InClientID]; !fb.Visible() || !strings.Contains(fb.Text, tenant.DemoAppID) {
		t.Errorf("a braced client ID shows %q under the entry", fb.Text)
	}
	r.typeIn(wizard.InClientID, tenant.DemoAppID)
	if fb := r.sc.feedback[wizard.InClientID]; fb.Visible() {
		t.Errorf("a good client ID still shows %q", fb.Text)
	}
	r.typeIn(wizard.InTenantID, tenant.DemoTenantID)
	r.entry(wizard.InTenantID).TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	close(entered)
	r.wait()
	r.shows(wizard.StepRegistration, wizard.Verified)
	r.tap(r.sc.nextBtn)

	// Redirect URI, with its value copied from the screen.
	r.shows(wizard.StepRedirectURI, wizard.NotStarted)
	copies := r.buttons("Copy")
	if len(copies) != 2 {
		t.Fatalf("the redirect URI step shows %d Copy buttons, want 2", len(copies))
	}
	test.Tap(copies[0])
	if got := r.app.Clipboard().Content(); got != tenant.DemoRedirectURI {
		t.Errorf("Copy put %q on the clipboard, want %s", got, tenant.DemoRedirectURI)
	}
	r.typeIn(wizard.InRedirectURI, tenant.DemoRedirectURI)
	r.tap(r.sc.runBtn)
	r.shows(wizard.StepRedirectURI, wizard.Verified)

	// Back keeps what was typed; the list goes forward again.
	r.tap(r.sc.backBtn)
	r.shows(wizard.StepRegistration, wizard.Verified)
	if got := r.entry(wizard.InClientID).Text; got != tenant.DemoAppID {
		t.Errorf("after Back the client ID reads %q", got)
	}
	if !r.sc.steps[wizard.StepDomain].btn.Disabled() {
		t.Error("the domain step can be chosen before the client secret is verified")
	}
	r.tap(r.sc.steps[wizard.StepClientSecret].btn)

	// Client secret: the Secret ID first, then the Value.
	r.shows(wizard.StepClientSecret, wizard.NotStarted)
	value, keyID := f.demoSecret(t)
	r.typeIn(wizard.InClientSecret, keyID)
	r.tap(r.sc.runBtn)
	r.shows(wizard.StepClientSecret, wizard.Failed)
	if st := r.sc.snap.step(wizard.StepClientSecret); len(st.Checks) == 0 || st.Checks[0].ID != "secret-id-not-value" {
		t.Errorf("the failed secret step's checks are %+v", st.Checks)
	}
	r.typeIn(wizard.InClientSecret, value)
	r.typeIn(wizard.InSecretExpires, "2027-11-23")
	r.tap(r.sc.runBtn)
	r.shows(wizard.StepClientSecret, wizard.Verified)
	r.tap(r.sc.nextBtn)

	r.shows(wizard.StepDomain, wizard.NotStarted)
	r.typeIn(wizard.InDomains, tenant.DemoDomain)
	r.tap(r.sc.runBtn)
	r.shows(wizard.StepDomain, wizard.Verified)
	r.tap(r.sc.nextBtn)

	r.shows(wizard.StepAssignments, wizard.NotStarted)
	r.typeIn(wizard.InPrincipals, "Vendor Users")
	r.typeIn(wizard.InAssignmentRequired, "yes")
	r.tap(r.sc.runBtn)
	r.shows(wizard.StepAssignments, wizard.Verified)
	r.tap(r.sc.nextBtn)

	// The test login: the screen waits for the browser while the robot is held back.
	r.shows(wizard.StepTest, wizard.NotStarted)
	test.Tap(r.sc.runBtn)
	if !r.sc.waiting.Visible() || !strings.HasPrefix(r.sc.waiting.Text, "Waiting for the browser to come back") || !r.sc.cancelBtn.Visible() {
		t.Errorf("while the test runs the screen says %q (cancel shown: %v)", r.sc.waiting.Text, r.sc.cancelBtn.Visible())
	}
	if got := r.sc.steps[wizard.StepTest].status.Text; got != "Running…" {
		t.Errorf("the list says %q for the running test", got)
	}
	if !r.sc.nextBtn.Disabled() || !r.sc.backBtn.Disabled() {
		t.Error("Back or Next can be used while the test runs")
	}
	close(release)
	r.wait()
	r.shows(wizard.StepTest, wizard.Verified)
	if r.sc.waiting.Visible() {
		t.Error("the screen still waits for the browser after the test")
	}
	if !strings.HasPrefix(runHeadline(r.sc.snap.runs[0]), "Test login 1 passed as alice@") {
		t.Errorf("the test login is %q", runHeadline(r.sc.snap.runs[0]))
	}
	r.tap(r.sc.nextBtn)

	// Enable, with the break-glass account acknowledged.
	r.shows(wizard.StepEnable, wizard.NotStarted)
	test.Tap(r.sc.enable.breakGlass)
	if got := s.Step(wizard.StepEnable).Inputs[wizard.InBreakGlassAck]; got != "yes" {
		t.Errorf("ticking break-glass recorded %q", got)
	}
	r.tap(r.sc.runBtn)
	r.shows(wizard.StepEnable, wizard.Verified)
	if s.Status() != wizard.SessionEnabled || !s.Done() {
		t.Fatalf("the session ended %s", s.Status())
	}
	if got := s.State().Enabled; got == nil || got.LoginMethods != wizard.LoginBoth || got.DefaultRole != "Member" || !got.BreakGlassAck {
		t.Errorf("enabled with %+v", got)
	}
	r.tap(r.sc.exports[0])
	var conn wizard.Connection
	if err := json.Unmarshal(r.saved["vendor-connection.json"], &conn); err != nil || conn.OIDC == nil || conn.OIDC.ClientID != tenant.DemoAppID || conn.OIDC.ClientSecret != "" {
		t.Errorf("the connection bundle is %+v (%v)", conn, err)
	}
}

// gate holds requests until open is closed.
type gate struct {
	base http.RoundTripper
	open <-chan struct{}
}

func (g gate) RoundTrip(req *http.Request) (*http.Response, error) {
	select {
	case <-g.open:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	return g.base.RoundTrip(req)
}

// TestCancelTheTestLogin cancels a test login nobody completes: the step is recorded
// as interrupted, saying so, and can be run again.
func TestCancelTheTestLogin(t *testing.T) {
	f := newWizFixture(t)
	s := f.session(t)
	f.throughAssignments(t, s)
	tgt := f.target()
	opened := make(chan struct{}, 1)
	tgt.Open = func(string) error { opened <- struct{}{}; return nil } // nobody signs in
	r := newSetupRig(t, s, tgt)
	r.shows(wizard.StepTest, wizard.NotStarted)
	test.Tap(r.sc.runBtn)
	select {
	case <-opened:
	case <-time.After(time.Minute):
		t.Fatal("the test login never opened the browser")
	}
	test.Tap(r.sc.cancelBtn)
	r.wait()
	// Interrupted, the step stays in progress (a later run resumes it) and says so.
	r.shows(wizard.StepTest, wizard.InProgress)
	if st := r.sc.snap.step(wizard.StepTest); !strings.Contains(st.Error, "interrupted") {
		t.Errorf("the cancelled test says %q", st.Error)
	}
	if r.sc.runBtn.Disabled() {
		t.Error("the test cannot be run again after a cancel")
	}
}

func TestSetupScreenComesFirstWithAnEngine(t *testing.T) {
	for _, tc := range []struct {
		d    Deps
		want []string
	}{
		{Deps{}, []string{"Inspector"}},
		{Deps{Engine: &wizard.Engine{}}, []string{"Setup", "Inspector"}},
	} {
		var got []string
		for _, sc := range screens(tc.d) {
			got = append(got, sc.Title)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("screens(engine %v) = %v, want %v", tc.d.Engine != nil, got, tc.want)
		}
	}
}

// TestSAMLMetadataStepEntries shows the IdP metadata step: the XML in a multi-line
// entry, the thumbprint checked as typed.
func TestSAMLMetadataStepEntries(t *testing.T) {
	f := newWizFixture(t)
	s, err := f.engine.Create(testCtx(t), wizard.NewSession{Ticket: demoVendorTicket(t), Protocol: wizard.SAML, Target: "harness", Mode: wizard.Manual})
	if err != nil {
		t.Fatal(err)
	}
	verify(t, s, f.target(), wizard.StepEnterpriseApp, map[string]string{wizard.InAppID: tenant.DemoAppID, wizard.InTenantID: tenant.DemoTenantID})
	verify(t, s, f.target(), wizard.StepSAMLURLs, map[string]string{wizard.InEntityID: tenant.DemoEntityID, wizard.InReplyURL: tenant.DemoReplyURL})
	r := newSetupRig(t, s, f.target())
	r.shows(wizard.StepIdPMetadata, wizard.NotStarted)
	if !r.sc.steps[wizard.StepTest].btn.Disabled() {
		t.Error("the test step can be chosen before the metadata is verified")
	}
	r.sc.onStep(wizard.StepTest) // as if it could be
	r.wait()
	r.shows(wizard.StepIdPMetadata, wizard.NotStarted)
	if !strings.Contains(r.sc.note, "not reachable yet") {
		t.Errorf("moving past an open step says %q", r.sc.note)
	}
	if !r.entry(wizard.InMetadataXML).MultiLine || r.entry(wizard.InMetadataURL).MultiLine {
		t.Error("only the metadata XML takes several lines")
	}
	r.typeIn(wizard.InFingerprint, "3B:5E:80")
	if fb := r.sc.feedback[wizard.InFingerprint]; !fb.Visible() || fb.Importance != widget.DangerImportance {
		t.Errorf("a short thumbprint shows %q", fb.Text)
	}
	if err := r.entry(wizard.InFingerprint).Validate(); err == nil {
		t.Error("the thumbprint entry's validator accepts a short thumbprint")
	}
	r.typeIn(wizard.InFingerprint, "")
	if fb := r.sc.feedback[wizard.InFingerprint]; fb.Visible() {
		t.Errorf("an emptied thumbprint still shows %q", fb.Text)
	}
	if got := s.Step(wizard.StepIdPMetadata).Inputs[wizard.InFingerprint]; got != "" {
		t.Errorf("the emptied thumbprint is recorded as %q", got)
	}
}
