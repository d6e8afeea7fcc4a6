package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/wizard"
	"github.com/ssowizard/ssowizard/wizard/ui"
)

func TestGUIFlag(t *testing.T) {
	for _, tc := range []struct {
		arg  string
		want bool
	}{
		{"--db", true}, {"-db", true}, {"--db=x.db", true}, {"-db=x.db", true},
		{"db", false}, {"--dbx", false}, {"inspect", false}, {"--json", false}, {"-h", false},
	} {
		if got := guiFlag(tc.arg); got != tc.want {
			t.Errorf("guiFlag(%q) = %v, want %v", tc.arg, got, tc.want)
		}
	}
}

// TestGUIHarness: the window's harness starts once, stops, and comes back on the same
// port; a harness target reaches it and signs in as the demo user.
func TestGUIHarness(t *testing.T) {
	h := &guiHarness{stateDir: harnessStateDir(filepath.Join(t.TempDir(), "ssowizard.db"))}
	ctx := context.Background()
	t.Cleanup(func() { h.Stop(ctx) })
	if h.Server() != nil {
		t.Fatal("Server before Start is not nil")
	}
	first, err := h.Start(ctx)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if again, _ := h.Start(ctx); again != first || h.Server() != first {
		t.Error("a second Start made another harness")
	}
	tg, err := h.target(ctx, "harness", wizard.Manual, nil)
	if err != nil {
		t.Fatalf("target: %v", err)
	}
	if tg.Name != "harness" || tg.LoginBase != first.BaseURL || tg.GraphURL != first.BaseURL || tg.HTTP == nil ||
		tg.Open == nil || tg.TestUser != harnessTestUser || tg.Directory == nil {
		t.Errorf("harness target = %+v, want the running harness, its client, the robot and a Graph client", tg)
	}
	// The window's harness and the setup command's share their state beside the database.
	if got := first.Store.ScenariosFor(""); len(got) != 0 || len(tg.Scenarios) != 0 {
		t.Errorf("scenarios %v (target %v), want none", got, tg.Scenarios)
	}
	if err := first.Store.SetScenarios("", []string{"sha1"}); err != nil {
		t.Fatal(err)
	}
	if tg, _ := h.target(ctx, "harness", wizard.Manual, nil); len(tg.Scenarios) != 1 || tg.Scenarios[0] != "sha1" {
		t.Errorf("after the panel applied sha1 the target records %v", tg.Scenarios)
	}

	if err := h.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if h.Server() != nil {
		t.Error("Server after Stop is not nil")
	}
	second, err := h.Start(ctx)
	if err != nil {
		t.Fatalf("Start after Stop: %v", err)
	}
	if second.BaseURL != first.BaseURL {
		t.Errorf("restarted at %s, want the same address %s", second.BaseURL, first.BaseURL)
	}

	// A real tenant: manual mode has no Graph; automatic mode has one whose device code
	// reaches the window only when a step first asks Graph, never while building it.
	var prompts []ui.SignIn
	for _, tc := range []struct {
		name    string
		mode    wizard.Mode
		wantErr bool
	}{{"entra", wizard.Manual, false}, {"entra", wizard.Auto, false}, {"elsewhere", wizard.Manual, true}} {
		tg, err := h.target(ctx, tc.name, tc.mode, func(p ui.SignIn) { prompts = append(prompts, p) })
		if (err != nil) != tc.wantErr {
			t.Errorf("target(%q, %s) = %+v, %v, want error %v", tc.name, tc.mode, tg, err, tc.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if tg.LoginBase != "https://login.microsoftonline.com" || tg.GraphURL != "https://graph.microsoft.com" || (tg.Directory != nil) != (tc.mode == wizard.Auto) {
			t.Errorf("entra %s target = %+v", tc.mode, tg)
		}
	}
	if len(prompts) != 0 {
		t.Errorf("building the targets asked the admin to sign in: %+v", prompts)
	}
}

// TestGUIFetchTrustsRunningHarness: the window's Inspector fetches the local demo
// tenant's keys while the harness runs (its CA is trusted then), and is refused with
// the window's own words, no flag, when it does not.
func TestGUIFetchTrustsRunningHarness(t *testing.T) {
	h := &guiHarness{stateDir: harnessStateDir(filepath.Join(t.TempDir(), "ssowizard.db"))}
	ctx := context.Background()
	t.Cleanup(func() { h.Stop(ctx) })
	base, err := newFetcher(nil)
	if err != nil {
		t.Fatal(err)
	}
	fetch := h.fetch(base)
	srv, err := h.Start(ctx)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	keys := srv.BaseURL + "/common/discovery/v2.0/keys"
	b, err := fetch(ctx, keys)
	if err != nil || !strings.Contains(string(b), `"keys"`) {
		t.Fatalf("fetching the running harness's keys: %q, %v", b, err)
	}
	if err := h.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	srv2, err := harness.Start(ctx, harness.Config{StateDir: t.TempDir()}) // a harness the window did not start
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv2.Close() })
	if _, err := fetch(ctx, srv2.BaseURL+"/common/discovery/v2.0/keys"); err == nil || !strings.Contains(err.Error(), "not trusted") {
		t.Errorf("fetching from a harness the window does not run: %v, want its certificate not trusted", err)
	}
}
