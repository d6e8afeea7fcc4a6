package ui

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/idp"
	"github.com/ssowizard/ssowizard/harness/robot"
	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/sp"
)

// testHarness is a HarnessControl over a real harness in a temporary state directory.
type testHarness struct {
	t   *testing.T
	mu  sync.Mutex
	dir string
	srv *harness.Server
}

func (h *testHarness) Start(ctx context.Context) (*harness.Server, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.srv != nil {
		return h.srv, nil
	}
	if h.dir == "" {
		h.dir = h.t.TempDir()
	}
	srv, err := harness.Start(context.Background(), harness.Config{StateDir: h.dir})
	if err != nil {
		return nil, err
	}
	h.t.Cleanup(func() { srv.Close() })
	h.srv = srv
	return srv, nil
}

func (h *testHarness) Stop(ctx context.Context) error {
	h.mu.Lock()
	srv := h.srv
	h.srv = nil
	h.mu.Unlock()
	if srv != nil {
		return srv.Shutdown(ctx)
	}
	return nil
}

func (h *testHarness) Server() *harness.Server {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.srv
}

// harnessPanelOf shows the Harness tab and returns its panel.
func harnessPanelOf(t *testing.T, r *shellRig) *harnessPanel {
	t.Helper()
	if !r.sh.selectTab("Harness") || r.sh.harness == nil {
		t.Fatal("no Harness tab")
	}
	return r.sh.harness
}

// walk visits o and everything under it.
func walk(o fyne.CanvasObject, visit func(fyne.CanvasObject)) {
	visit(o)
	switch c := o.(type) {
	case *fyne.Container:
		for _, ch := range c.Objects {
			walk(ch, visit)
		}
	case fyne.Widget:
		for _, ch := range test.WidgetRenderer(c).Objects() {
			walk(ch, visit)
		}
	}
}

// varying is what changes between runs of a harness, its port and state directory,
// with the stand-ins the goldens have.
func varying(h *testHarness) []string {
	srv := h.Server()
	return []string{srv.BaseURL, "https://127.0.0.1:PORT", filepath.Dir(srv.CACertPath), "STATE"}
}

func TestHarnessPanelMarkup(t *testing.T) {
	h := &testHarness{t: t}
	r := newShellRig(t, Deps{Harness: h})
	p := harnessPanelOf(t, r)
	r.relayout()
	assertStructure(t, "harness_stopped.txt", r.win.Canvas())

	test.Tap(p.startBtn)
	r.wait(1)
	if h.Server() == nil {
		t.Fatalf("Start did not start the harness; status %q", p.status.Text)
	}
	r.relayout()
	assertStructure(t, "harness_running.txt", r.win.Canvas(), varying(h)...)

	test.Tap(p.stopBtn)
	r.wait(1)
	if h.Server() != nil {
		t.Fatal("Stop did not stop the harness")
	}
	r.relayout()
	assertStructure(t, "harness_stopped.txt", r.win.Canvas())
}

// TestHarnessPanelShowsStartedElsewhere: a harness started for a setup is shown as
// running when the tab is shown again.
func TestHarnessPanelShowsStartedElsewhere(t *testing.T) {
	h := &testHarness{t: t}
	r := newShellRig(t, Deps{Harness: h})
	p := harnessPanelOf(t, r)
	r.sh.selectTab("Inspector")
	if _, err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.sh.selectTab("Harness")
	if !strings.HasPrefix(p.status.Text, "Running at https://127.0.0.1:") {
		t.Errorf("status %q, want the harness shown running", p.status.Text)
	}
	if !p.startBtn.Disabled() || p.stopBtn.Disabled() {
		t.Errorf("Start disabled %v, Stop disabled %v while the harness runs", p.startBtn.Disabled(), p.stopBtn.Disabled())
	}
}

// TestHarnessScenarios: a checked scenario is applied to the whole tenant; unchecked, removed.
func TestHarnessScenarios(t *testing.T) {
	h := &testHarness{t: t}
	r := newShellRig(t, Deps{Harness: h})
	p := harnessPanelOf(t, r)
	test.Tap(p.startBtn)
	r.wait(1)
	srv := h.Server()
	for _, tc := range []struct {
		tap  string
		want []string
	}{
		{"sha1", []string{"sha1"}},
		{"no-email", []string{"sha1", "no-email"}},
		{"sha1", []string{"no-email"}},
		{"no-email", nil},
	} {
		test.Tap(p.scenarios[tc.tap])
		r.wait(1)
		got := srv.Store.ScenariosFor("")
		if !slices.Equal(got, tc.want) {
			t.Errorf("after tapping %s the tenant's scenarios are %v, want %v", tc.tap, got, tc.want)
		}
		for name, c := range p.scenarios {
			if c.Checked != slices.Contains(tc.want, name) {
				t.Errorf("after tapping %s, %s is checked %v", tc.tap, name, c.Checked)
			}
		}
	}
}

// TestOpenLastInInspector: the last ID token the harness issued opens in the Inspector,
// inspected as it was issued.
func TestOpenLastInInspector(t *testing.T) {
	h := &testHarness{t: t}
	r := newShellRig(t, Deps{Harness: h})
	p := harnessPanelOf(t, r)
	test.Tap(p.startBtn)
	r.wait(1)
	if !strings.HasPrefix(p.lastLabel.Text, "Nothing issued yet") {
		t.Errorf("before any login the last answer reads %q", p.lastLabel.Text)
	}

	token := oidcLogin(t, h.Server())
	r.sh.selectTab("Inspector")
	r.sh.selectTab("Harness") // shown again: the panel reads the last answer
	if !strings.HasPrefix(p.lastLabel.Text, "The last answer is an ID token issued at ") {
		t.Errorf("after a login the last answer reads %q", p.lastLabel.Text)
	}
	var open *widget.Button
	walk(r.sh.tabs.Selected().Content, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Open in inspector" {
			open = b
		}
	})
	if open == nil {
		t.Fatal("no Open in inspector button")
	}
	test.Tap(open)
	r.wait(1)
	if got := r.sh.tabs.Selected().Text; got != "Inspector" {
		t.Errorf("the %s tab is shown, want Inspector", got)
	}
	select {
	case in := <-r.inspected:
		if string(in) != token {
			t.Errorf("inspected %.40q…, want the ID token issued %.40q…", in, token)
		}
	case <-time.After(time.Minute): // a hang guard: it takes milliseconds
		t.Fatal("nothing was inspected")
	}
}

// oidcLogin signs the demo user in to the demo app through the embedded SP, the robot
// being the browser, and returns the ID token the SP received.
func oidcLogin(t *testing.T, srv *harness.Server) string {
	t.Helper()
	b := robot.New(srv.Client(), "alice@"+tenant.DemoDomain, "Demo.Alice.2026")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	app, _ := srv.Store.AppByID(tenant.DemoAppID)
	rp, err := sp.NewOIDC(ctx, sp.OIDCConfig{Common: sp.Common{HTTPClient: srv.Client(), Open: b.Open, Timeout: 30 * time.Second},
		Authority: srv.Authority, ClientID: tenant.DemoAppID, ClientSecret: app.Secrets[0].Value})
	if err != nil {
		t.Fatalf("NewOIDC: %v", err)
	}
	res, err := rp.Login(ctx)
	if err != nil || res.Artifact == nil {
		t.Fatalf("Login: %v", err)
	}
	if last, ok := srv.LastIssued(); !ok || last.Kind != idp.IssuedIDToken {
		t.Fatalf("LastIssued = %+v, %v, want the ID token", last, ok)
	}
	return res.Artifact.Value
}
