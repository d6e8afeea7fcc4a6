package wizard_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/directory"
	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/wizard"
	"github.com/ssowizard/ssowizard/wizard/store"
)

// storeDirectory is a wizard.Directory written straight onto the harness's tenant, so
// the login side sees every change. It covers what the OIDC path calls; cmd's tests
// drive both paths through the real Graph client. failAt makes one call fail once,
// as an interruption would.
type storeDirectory struct {
	s      *tenant.Store
	mu     sync.Mutex
	failAt string
	calls  []string
}

var errInterrupted = errors.New("interrupted")

func (d *storeDirectory) call(name string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, name)
	if d.failAt == name {
		d.failAt = ""
		return errInterrupted
	}
	return nil
}

func (d *storeDirectory) Tenant(context.Context) (wizard.Tenant, error) {
	return wizard.Tenant{ID: d.s.TenantID(), DisplayName: d.s.Snapshot().DisplayName}, d.call("Tenant")
}

func (d *storeDirectory) Domains(context.Context) ([]directory.Domain, error) {
	var out []directory.Domain
	for _, x := range d.s.Domains() {
		out = append(out, directory.Domain{Name: x.Name, Verified: x.Verified, Initial: x.Initial, Default: x.Default})
	}
	return out, d.call("Domains")
}

func toApp(a tenant.App) wizard.App {
	return wizard.App{ObjectID: a.ObjectID, AppID: a.AppID, ServicePrincipalID: a.ServicePrincipalID, DisplayName: a.DisplayName}
}

func details(a tenant.App) wizard.AppDetails {
	d := wizard.AppDetails{App: toApp(a), IdentifierURIs: a.IdentifierURIs, RedirectURIs: a.RedirectURIs}
	for _, s := range a.Secrets {
		d.Secrets = append(d.Secrets, wizard.SecretInfo{KeyID: s.KeyID, DisplayName: s.DisplayName, Hint: s.Hint, Start: s.Start, End: s.End})
	}
	return d
}

// CreateOIDCApp makes the app and its service principal; when failAt is
// "CreateOIDCApp:after" it makes them and then fails, as a process killed after
// Graph answered.
func (d *storeDirectory) CreateOIDCApp(_ context.Context, name string, uris []string) (wizard.App, error) {
	if err := d.call("CreateOIDCApp"); err != nil {
		return wizard.App{}, err
	}
	a, err := d.s.AddApp(tenant.App{DisplayName: name, RedirectURIs: uris, SignInAudience: tenant.AudienceMyOrg})
	if err != nil {
		return wizard.App{}, err
	}
	if _, _, err := d.s.EnsureServicePrincipal(a.AppID); err != nil {
		return wizard.App{}, err
	}
	a, _ = d.s.AppByID(a.AppID)
	return toApp(a), d.call("CreateOIDCApp:after")
}

func (d *storeDirectory) InstantiateSAMLApp(context.Context, string) (wizard.App, error) {
	return wizard.App{}, errors.New("not in this fake")
}

func (d *storeDirectory) Application(_ context.Context, app wizard.App) (wizard.AppDetails, error) {
	a, ok := d.s.AppByID(app.AppID)
	if !ok {
		return wizard.AppDetails{}, fmt.Errorf("no app %s", app.AppID)
	}
	return details(a), d.call("Application")
}

func (d *storeDirectory) ApplicationsByName(_ context.Context, name string) ([]wizard.AppDetails, error) {
	var out []wizard.AppDetails
	for _, a := range d.s.Apps() {
		if a.DisplayName == name {
			out = append(out, details(a))
		}
	}
	return out, d.call("ApplicationsByName")
}

func (d *storeDirectory) ApplicationsByIdentifierURI(_ context.Context, uri string) ([]wizard.AppDetails, error) {
	var out []wizard.AppDetails
	for _, a := range d.s.Apps() {
		for _, u := range a.IdentifierURIs {
			if strings.EqualFold(u, uri) {
				out = append(out, details(a))
			}
		}
	}
	return out, d.call("ApplicationsByIdentifierURI")
}

func (d *storeDirectory) EnsureServicePrincipal(_ context.Context, app wizard.App) (wizard.App, error) {
	if _, _, err := d.s.EnsureServicePrincipal(app.AppID); err != nil {
		return app, err
	}
	a, _ := d.s.AppByID(app.AppID)
	return toApp(a), d.call("EnsureServicePrincipal")
}

func (d *storeDirectory) SetRedirectURIs(_ context.Context, app wizard.App, uris []string) error {
	if err := d.call("SetRedirectURIs"); err != nil {
		return err
	}
	return d.s.SetRedirectURIs(app.AppID, uris)
}

func (d *storeDirectory) SetSAMLURLs(context.Context, wizard.App, string, string, string) error {
	return errors.New("not in this fake")
}

// AddPassword makes the secret; failAt "AddPassword:after" then fails, losing the
// value as a killed process would.
func (d *storeDirectory) AddPassword(_ context.Context, app wizard.App, name string, end time.Time) (wizard.Password, error) {
	if err := d.call("AddPassword"); err != nil {
		return wizard.Password{}, err
	}
	sec, err := d.s.AddPassword(app.AppID, name, time.Now(), time.Until(end))
	if err != nil {
		return wizard.Password{}, err
	}
	return wizard.Password{KeyID: sec.KeyID, Hint: sec.Hint, Value: sec.Value, Start: sec.Start, End: sec.End}, d.call("AddPassword:after")
}

func (d *storeDirectory) RemovePassword(_ context.Context, app wizard.App, keyID string) error {
	if err := d.call("RemovePassword"); err != nil {
		return err
	}
	return d.s.RemovePassword(app.AppID, keyID)
}

func (d *storeDirectory) AddTokenSigningCertificate(context.Context, wizard.App, string, time.Time) (wizard.SigningCertificate, error) {
	return wizard.SigningCertificate{}, errors.New("not in this fake")
}

func (d *storeDirectory) ActivateSigningCertificate(context.Context, wizard.App, string) error {
	return errors.New("not in this fake")
}

func (d *storeDirectory) RequireAssignment(_ context.Context, app wizard.App, required bool) error {
	if err := d.call("RequireAssignment"); err != nil {
		return err
	}
	return d.s.SetAssignmentRequired(app.AppID, required)
}

func (d *storeDirectory) SearchUsers(_ context.Context, term string) ([]wizard.Principal, error) {
	var out []wizard.Principal
	for _, u := range d.s.Users() {
		if strings.HasPrefix(strings.ToLower(u.UPN), strings.ToLower(term)) || strings.HasPrefix(strings.ToLower(u.Mail), strings.ToLower(term)) {
			out = append(out, wizard.Principal{ID: u.ID, Type: "User", DisplayName: u.DisplayName, UserPrincipalName: u.UPN, Mail: u.Mail})
		}
	}
	return out, d.call("SearchUsers")
}

func (d *storeDirectory) SearchGroups(_ context.Context, term string) ([]wizard.Principal, error) {
	var out []wizard.Principal
	for _, g := range d.s.Groups() {
		if strings.HasPrefix(strings.ToLower(g.DisplayName), strings.ToLower(term)) {
			out = append(out, wizard.Principal{ID: g.ID, Type: "Group", DisplayName: g.DisplayName})
		}
	}
	return out, d.call("SearchGroups")
}

func (d *storeDirectory) Assign(_ context.Context, app wizard.App, p wizard.Principal) (wizard.Assignment, error) {
	if err := d.call("Assign"); err != nil {
		return wizard.Assignment{}, err
	}
	return wizard.Assignment{ID: p.ID, PrincipalID: p.ID, PrincipalType: p.Type, PrincipalDisplayName: p.DisplayName}, d.s.Assign(app.AppID, p.ID)
}

func (d *storeDirectory) ListAssignments(_ context.Context, app wizard.App) ([]wizard.Assignment, error) {
	a, _ := d.s.AppByID(app.AppID)
	var out []wizard.Assignment
	for _, id := range a.Assignments {
		if g, ok := d.s.GroupByID(id); ok {
			out = append(out, wizard.Assignment{ID: id, PrincipalID: id, PrincipalType: "Group", PrincipalDisplayName: g.DisplayName})
		} else if u, ok := d.s.UserByID(id); ok {
			out = append(out, wizard.Assignment{ID: id, PrincipalID: id, PrincipalType: "User", PrincipalDisplayName: u.DisplayName})
		}
	}
	return out, d.call("ListAssignments")
}

func appsNamed(s *tenant.Store, name string) []tenant.App {
	var out []tenant.App
	for _, a := range s.Apps() {
		if a.DisplayName == name {
			out = append(out, a)
		}
	}
	return out
}

// killedAt rewrites the database as a process killed in the middle of step leaves
// it: the step in progress, nothing after the Graph call recorded. (The failed Run
// before it stopped after Graph answered, as the kill would.)
func killedAt(t *testing.T, f *fixture, s *wizard.Session, step wizard.StepName) *wizard.Session {
	t.Helper()
	db := f.engine.DB
	rec, err := db.Session(ctx(t), s.ID())
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.Steps(ctx(t), s.ID())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Name == string(step) {
			r.Status = string(wizard.InProgress)
			r.Checks = nil
			if err := db.Transition(ctx(t), rec, &r, store.Event{Kind: "test", Message: "as a kill leaves it"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	again, err := f.engine.Load(ctx(t), s.ID())
	if err != nil {
		t.Fatal(err)
	}
	if again.Step(step).Status != wizard.InProgress {
		t.Fatalf("%s is %s", step, again.Step(step).Status)
	}
	return again
}

func TestAutoOIDCResumesWithoutDuplicates(t *testing.T) {
	f := newFixture(t)
	dir := &storeDirectory{s: f.srv.Store}
	tgt := f.alice()
	tgt.Directory = dir
	s, err := f.engine.Create(ctx(t), wizard.NewSession{Ticket: wizard.DemoTicketJSON(), Protocol: wizard.OIDC, Target: "harness", Mode: wizard.Auto})
	if err != nil {
		t.Fatal(err)
	}
	name := wizard.DemoTicket().DisplayName()
	apply(t, s, wizard.StepAssignments, map[string]string{wizard.InPrincipals: "Vendor Users, alice@" + tenant.DemoDomain})
	apply(t, s, wizard.StepEnable, map[string]string{wizard.InRemoveLoopback: "yes"})

	// Graph made the app, then the process died before the wizard recorded it.
	dir.failAt = "CreateOIDCApp:after"
	if st, err := s.Run(ctx(t), tgt, wizard.StepRegistration); err != nil || st.Status != wizard.Failed {
		t.Fatalf("interrupted registration: %s %v", st.Status, err)
	}
	s = killedAt(t, f, s, wizard.StepRegistration)
	st, err := s.Run(ctx(t), tgt, wizard.StepRegistration)
	if err != nil || st.Status != wizard.Verified {
		t.Fatalf("registration resumed: %s %v %+v", st.Status, err, st.Checks)
	}
	if n := len(appsNamed(f.srv.Store, name)); n != 1 {
		t.Fatalf("%d apps named %q after the resumed registration; want the one made before the kill", n, name)
	}
	if !hasCheck(st, "app-adopted") {
		t.Errorf("the resumed registration does not say it kept the app: %+v", st.Checks)
	}

	// The secret was made but its value died with the process: the resumed step
	// removes it and makes a new one.
	if st, err := s.Run(ctx(t), tgt, wizard.StepRedirectURI); err != nil || st.Status != wizard.Verified {
		t.Fatalf("redirect: %s %v %+v", st.Status, err, st.Checks)
	}
	dir.failAt = "AddPassword:after"
	if st, err := s.Run(ctx(t), tgt, wizard.StepClientSecret); err != nil || st.Status != wizard.Failed {
		t.Fatalf("interrupted secret: %s %v", st.Status, err)
	}
	s = killedAt(t, f, s, wizard.StepClientSecret)
	apply(t, s, wizard.StepAssignments, map[string]string{wizard.InPrincipals: "Vendor Users, alice@" + tenant.DemoDomain})
	apply(t, s, wizard.StepEnable, map[string]string{wizard.InRemoveLoopback: "yes"})
	last, err := s.RunAll(ctx(t), tgt)
	if err != nil || !s.Done() {
		t.Fatalf("RunAll ended at %s: %s %v %+v %s", last.Name, last.Status, err, last.Checks, last.Error)
	}
	app, _ := f.srv.Store.AppByID(s.State().App.AppID)
	if len(app.Secrets) != 1 || app.Secrets[0].KeyID != s.State().Secret.KeyID {
		t.Errorf("secrets after the resumed step: %d; want only the one recorded", len(app.Secrets))
	}
	for _, u := range app.RedirectURIs {
		if u == wizard.LoopbackRedirectURI {
			t.Error("the loopback redirect URI was not removed at enable")
		}
	}
	if !app.AssignmentRequired || len(app.Assignments) != 2 {
		t.Errorf("assignments: required=%v %v", app.AssignmentRequired, app.Assignments)
	}
	if s.Status() != wizard.SessionEnabled {
		t.Fatalf("status %s", s.Status())
	}
	runs, _ := s.TestRuns(ctx(t))
	if len(runs) != 1 || !runs[0].OK {
		t.Fatalf("test runs: %+v", runs)
	}
	c, err := s.ConnectionBundle(ctx(t), false)
	if err != nil || c.OIDC.ClientID != app.AppID || c.OIDC.ClientSecret != "" || c.TestRun == nil {
		t.Fatalf("connection bundle: %+v %v", c, err)
	}
}

func hasCheck(st wizard.StepState, id string) bool {
	for _, c := range st.Checks {
		if c.ID == id {
			return true
		}
	}
	return false
}

func TestAutoAssignmentsNameWhoIsMissing(t *testing.T) {
	f := newFixture(t)
	tgt := f.alice()
	tgt.Directory = &storeDirectory{s: f.srv.Store}
	s, err := f.engine.Create(ctx(t), wizard.NewSession{Ticket: wizard.DemoTicketJSON(), Protocol: wizard.OIDC, Target: "harness", Mode: wizard.Auto})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, s, wizard.StepAssignments, map[string]string{wizard.InPrincipals: "Nobody Group, zed@" + tenant.DemoDomain})
	st, err := s.RunAll(ctx(t), tgt)
	if err != nil {
		t.Fatal(err)
	}
	if st.Name != wizard.StepAssignments || st.Status != wizard.Failed {
		t.Fatalf("stopped at %s (%s)", st.Name, st.Status)
	}
	var msgs []string
	for _, c := range st.Checks {
		if c.Failed() {
			msgs = append(msgs, c.Message)
		}
	}
	if len(msgs) != 2 || !strings.Contains(msgs[0], "Nobody Group") || !strings.Contains(msgs[1], "zed@") {
		t.Fatalf("failures: %q", msgs)
	}
	// Corrected, the run goes on from there.
	apply(t, s, wizard.StepAssignments, map[string]string{wizard.InPrincipals: "Vendor Users"})
	if st, err := s.RunAll(ctx(t), tgt); err != nil || !s.Done() {
		t.Fatalf("after correction: %s %s %v %+v", st.Name, st.Status, err, st.Checks)
	}
}

func TestEnableNeedsPassingTestOrOverride(t *testing.T) {
	f := newFixture(t)
	tgt := f.target("bob@"+tenant.DemoDomain, "Demo.Bob.2026") // not assigned: the test fails
	tgt.Directory = &storeDirectory{s: f.srv.Store}
	s, err := f.engine.Create(ctx(t), wizard.NewSession{Ticket: wizard.DemoTicketJSON(), Protocol: wizard.OIDC, Target: "harness", Mode: wizard.Auto})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, s, wizard.StepAssignments, map[string]string{wizard.InPrincipals: "Vendor Users"})
	st, err := s.RunAll(ctx(t), tgt)
	if err != nil || st.Name != wizard.StepTest || st.Status != wizard.Failed {
		t.Fatalf("stopped at %s %s %v", st.Name, st.Status, err)
	}
	// Enable refuses without a reason, and records the reason it is given.
	apply(t, s, wizard.StepEnable, map[string]string{wizard.InLoginMethods: "both"})
	st, err = s.Run(ctx(t), tgt, wizard.StepEnable)
	if err != nil || st.Status != wizard.Failed || !hasCheck(st, "no-passing-test") {
		t.Fatalf("enable without a passing test: %s %v %+v", st.Status, err, st.Checks)
	}
	apply(t, s, wizard.StepEnable, map[string]string{wizard.InOverride: "vendor asked to enable before the pilot"})
	st, err = s.Run(ctx(t), tgt, wizard.StepEnable)
	if err != nil || st.Status != wizard.Verified || !hasCheck(st, "enabled-without-test") {
		t.Fatalf("enable with an override: %s %v %+v", st.Status, err, st.Checks)
	}
	if s.Status() != wizard.SessionEnabled || !s.Done() || s.State().Enabled.Override == "" {
		t.Fatalf("after the override: %s done=%v %+v", s.Status(), s.Done(), s.State().Enabled)
	}
	events, _ := s.Events(ctx(t))
	found := false
	for _, e := range events {
		found = found || (e.Step == "enable" && e.Kind == "verified")
	}
	if !found {
		t.Error("the event log does not record the enable")
	}
}

// TestSessionReadableWhileStepRuns: a test login waiting for the browser does not
// hold the session, so the window can read it meanwhile.
func TestSessionReadableWhileStepRuns(t *testing.T) {
	f := newFixture(t)
	tgt := f.alice()
	tgt.Directory = &storeDirectory{s: f.srv.Store}
	s, err := f.engine.Create(ctx(t), wizard.NewSession{Ticket: wizard.DemoTicketJSON(), Protocol: wizard.OIDC, Target: "harness", Mode: wizard.Auto})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, s, wizard.StepAssignments, map[string]string{wizard.InPrincipals: "Vendor Users"})
	for _, n := range wizard.Steps(wizard.OIDC)[:5] {
		if st, err := s.Run(ctx(t), tgt, n); err != nil || st.Status != wizard.Verified {
			t.Fatalf("%s: %s %v", n, st.Status, err)
		}
	}
	opened := make(chan string, 1)
	tgt.Open = func(u string) error { opened <- u; return nil } // nobody comes back
	tgt.SignInAs = nil                                          // as on Entra: a person signs in in the browser
	c, cancel := context.WithCancel(ctx(t))
	done := make(chan wizard.StepState, 1)
	go func() {
		st, _ := s.Run(c, tgt, wizard.StepTest)
		done <- st
	}()
	select {
	case <-opened:
	case <-time.After(20 * time.Second):
		t.Fatal("the test login never opened the browser")
	}
	read := make(chan wizard.Status, 1)
	go func() { read <- s.Step(wizard.StepTest).Status }()
	select {
	case got := <-read:
		if got != wizard.InProgress {
			t.Errorf("the running test step reads as %s", got)
		}
	case <-time.After(time.Minute): // blocked means for as long as the login waits
		t.Fatal("reading the session blocked while the test login waited")
	}
	cancel()
	select {
	case st := <-done:
		if st.Status != wizard.InProgress && st.Status != wizard.Failed {
			t.Errorf("the cancelled test step is %s", st.Status)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the cancelled test login did not end")
	}
}
