package wizard_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/wizard"
	"github.com/ssowizard/ssowizard/wizard/check"
	"github.com/ssowizard/ssowizard/wizard/secret"
	"github.com/ssowizard/ssowizard/wizard/store"
)

// slowDirectory makes apps that Graph has accepted but whose read-back is still in
// flight when the run is cancelled: the app exists, the caller never heard of it.
// Methods it does not override are not called by the registration step.
type slowDirectory struct {
	wizard.Directory
	mu      sync.Mutex
	apps    []wizard.AppDetails
	created chan struct{}
}

func (d *slowDirectory) Tenant(context.Context) (wizard.Tenant, error) {
	return wizard.Tenant{ID: "6f1c3a2e-8d4b-4c7a-9e51-2b0d7f4a9c13", DisplayName: "Contoso"}, nil
}

func (d *slowDirectory) CreateOIDCApp(ctx context.Context, name string, _ []string) (wizard.App, error) {
	d.mu.Lock()
	app := wizard.App{ObjectID: "11111111-1111-1111-1111-111111111111", AppID: "22222222-2222-2222-2222-222222222222", DisplayName: name}
	d.apps = append(d.apps, wizard.AppDetails{App: app})
	n := len(d.apps)
	d.mu.Unlock()
	if n == 1 {
		close(d.created)
		<-ctx.Done() // the read-back never ends before the cancel
		return wizard.App{}, ctx.Err()
	}
	return app, nil
}

func (d *slowDirectory) ApplicationsByName(_ context.Context, name string) ([]wizard.AppDetails, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []wizard.AppDetails
	for _, a := range d.apps {
		if strings.EqualFold(a.DisplayName, name) {
			out = append(out, a)
		}
	}
	return out, nil
}

func (d *slowDirectory) EnsureServicePrincipal(_ context.Context, app wizard.App) (wizard.App, error) {
	app.ServicePrincipalID = "33333333-3333-3333-3333-333333333333"
	return app, nil
}

func (d *slowDirectory) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.apps)
}

// A step cancelled with its Graph calls in flight is recorded as interrupted, not
// failed, so the next run resumes it and adopts the app made instead of making a second.
func TestCancelledStepResumesAndAdopts(t *testing.T) {
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	eng := &wizard.Engine{DB: db, Secrets: secret.Memory()}
	s, err := eng.Create(context.Background(), wizard.NewSession{Ticket: wizard.DemoTicketJSON(), Protocol: wizard.OIDC, Target: "entra", Mode: wizard.Auto})
	if err != nil {
		t.Fatal(err)
	}
	dir := &slowDirectory{created: make(chan struct{})}
	tgt := &wizard.Target{Name: "entra", Directory: dir}

	runCtx, cancel := context.WithCancel(context.Background())
	type result struct {
		st  wizard.StepState
		err error
	}
	done := make(chan result, 1)
	go func() {
		st, err := s.Run(runCtx, tgt, wizard.StepRegistration)
		done <- result{st, err}
	}()
	select {
	case <-dir.created:
	case <-time.After(10 * time.Second):
		t.Fatal("the registration step never created the app")
	}
	cancel()
	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the cancel")
	}
	if r.err != nil || r.st.Status != wizard.InProgress || !strings.Contains(r.st.Error, "interrupted") {
		t.Fatalf("cancelled Run = %s %q, %v; want in_progress saying interrupted, nil error", r.st.Status, r.st.Error, r.err)
	}

	again, err := eng.Load(context.Background(), s.ID())
	if err != nil {
		t.Fatal(err)
	}
	if st := again.Step(wizard.StepRegistration); st.Status != wizard.InProgress {
		t.Fatalf("reloaded, the interrupted step is %s, want in_progress", st.Status)
	}
	evs, err := again.Events(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(evs, func(e store.Event) bool { return e.Kind == "interrupted" && e.Step == string(wizard.StepRegistration) }) {
		t.Errorf("events %+v have no interrupted registration", evs)
	}

	st, err := again.Run(context.Background(), tgt, wizard.StepRegistration)
	if err != nil || st.Status != wizard.Verified {
		t.Fatalf("resumed Run = %s %+v %q, %v; want verified", st.Status, st.Checks, st.Error, err)
	}
	if n := dir.count(); n != 1 {
		t.Errorf("%d apps made; the resumed step made another instead of adopting the first", n)
	}
	if !slices.ContainsFunc(st.Checks, func(c check.Result) bool { return c.ID == "app-adopted" }) {
		t.Errorf("resumed checks %+v do not say the app was adopted", st.Checks)
	}
	if got := again.State().App.ServicePrincipalID; got == "" {
		t.Errorf("the adopted app has no service principal: %+v", again.State().App)
	}
}
