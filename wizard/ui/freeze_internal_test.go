package ui

import (
	"context"
	"errors"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ssowizard/ssowizard/wizard"
	"github.com/ssowizard/ssowizard/wizard/check"
)

// heldDirectory is a Graph directory whose Tenant call waits until the test lets it
// fail: entered says the step is inside it, release gives it its error. Any other call
// would panic (the embedded nil interface): the step must not get further.
type heldDirectory struct {
	wizard.Directory
	entered chan struct{}
	release chan error
}

func (d *heldDirectory) Tenant(ctx context.Context) (wizard.Tenant, error) {
	d.entered <- struct{}{}
	return wizard.Tenant{}, <-d.release
}

// animationApp is the test app with a driver that keeps the animations that repeat
// forever and run: one of them repaints the window at every frame until stopped. (A
// button's tap animation runs once and ends by itself, unstopped.)
type animationApp struct {
	fyne.App
	drv *animationDriver
}

func (a *animationApp) Driver() fyne.Driver { return a.drv }

type animationDriver struct {
	fyne.Driver
	running map[*fyne.Animation]bool
}

func (d *animationDriver) StartAnimation(a *fyne.Animation) {
	if a.RepeatCount == fyne.AnimationRepeatForever {
		d.running[a] = true
	}
	d.Driver.StartAnimation(a)
}

func (d *animationDriver) StopAnimation(a *fyne.Animation) {
	delete(d.running, a)
	d.Driver.StopAnimation(a)
}

// TestFailingStepLeavesTheUIFree runs an automatic step on Entra whose Graph call
// fails as offline (the authority host cannot be found), holding the call until the
// test lets it fail. The tap returns while the call is held (were the step run on the
// UI goroutine, the tap would never return and the test would hang: no clock decides),
// the window stays usable meanwhile (Cancel enabled, the content laid out), and when
// the step has failed nothing keeps animating: the progress bar, hidden but still
// animating, once made the window repaint at every frame for about a minute.
func TestFailingStepLeavesTheUIFree(t *testing.T) {
	f := newWizFixture(t)
	s, err := f.engine.Create(testCtx(t), wizard.NewSession{Ticket: wizard.DemoTicketJSON(), Protocol: wizard.OIDC,
		Target: "entra", TenantID: "contoso.com", Mode: wizard.Auto})
	if err != nil {
		t.Fatal(err)
	}
	dir := &heldDirectory{entered: make(chan struct{}), release: make(chan error)}
	r := newSetupRig(t, s, &wizard.Target{Name: "entra", Directory: dir})
	drv := &animationDriver{Driver: r.app.Driver(), running: map[*fyne.Animation]bool{}}
	fyne.SetCurrentApp(&animationApp{App: r.app, drv: drv})
	t.Cleanup(func() { fyne.SetCurrentApp(r.app) })

	if r.sc.snap.shown != wizard.StepRegistration || r.sc.runBtn.Disabled() {
		t.Fatalf("the screen shows %s (run button disabled %v), want the registration step ready to run", r.sc.snap.shown, r.sc.runBtn.Disabled())
	}
	test.Tap(r.sc.runBtn) // returns at once: the step runs off the UI goroutine
	<-dir.entered
	// The step is inside Graph: the UI goroutine is free and shows it.
	if !r.sc.busy || r.sc.cancelBtn.Disabled() || !r.sc.cancelBtn.Visible() {
		t.Errorf("while the step runs: busy %v, Cancel disabled %v, shown %v; want busy with Cancel ready", r.sc.busy, r.sc.cancelBtn.Disabled(), r.sc.cancelBtn.Visible())
	}
	if len(drv.running) != 1 {
		t.Errorf("%d animations run while the step runs, want the progress bar's", len(drv.running))
	}
	test.LaidOutObjects(r.win.Content())
	r.win.Resize(fyne.NewSize(1000, 800))

	dir.release <- errors.New("device code sign-in failed: the authority host login.microsoftonline.com cannot be found: check the address and the network")
	r.wait()
	st := r.sc.snap.step(wizard.StepRegistration)
	if st.Status != wizard.Failed || st.Error == "" {
		t.Fatalf("the step is %s with error %q, want failed with the reason", st.Status, st.Error)
	}
	if r.sc.busy || r.sc.runBtn.Disabled() || r.sc.cancelBtn.Visible() {
		t.Errorf("after the failure: busy %v, run disabled %v, Cancel shown %v; want the screen free again", r.sc.busy, r.sc.runBtn.Disabled(), r.sc.cancelBtn.Visible())
	}
	if n := len(drv.running); n != 0 {
		t.Errorf("%d animations still run after the step failed: the window would repaint at every frame", n)
	}
	if r.sc.progress != nil {
		t.Error("the progress bar is still in the window after the step failed")
	}

	// The window takes the next click: run the step again, and cancel it this time.
	test.Tap(r.sc.runBtn)
	<-dir.entered
	test.Tap(r.sc.cancelBtn)
	dir.release <- context.Canceled
	r.wait()
	if n := len(drv.running); n != 0 {
		t.Errorf("%d animations still run after the step was cancelled", n)
	}
}

// TestNoEmptyCheckRow: a step stopped before its checks (offline) records an empty
// result; the window shows no green tick without words for it.
func TestNoEmptyCheckRow(t *testing.T) {
	if objs := checkList([]check.Result{{}}); objs != nil {
		t.Errorf("an empty result shows %d rows, want none", len(objs))
	}
	if objs := checkList([]check.Result{{}, {Severity: check.Error, Message: "The client ID is unknown."}}); len(objs) != 2 {
		t.Errorf("a failed check beside an empty result shows %d rows, want the heading and the failure", len(objs))
	}
}
