package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ssowizard/ssowizard/wizard"
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

func TestDBPath(t *testing.T) {
	cfg := t.TempDir()
	for _, tc := range []struct {
		name, flag, env, want string
	}{
		{"flag wins", "a.db", "b.db", "a.db"},
		{"then the environment", "", "b.db", "b.db"},
		{"then the user config dir", "", "", filepath.Join(cfg, "ssowizard", "ssowizard.db")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("XDG_CONFIG_HOME", cfg)
			t.Setenv(envDB, tc.env)
			got, err := dbPath(tc.flag)
			if err != nil || got != tc.want {
				t.Errorf("dbPath(%q) with %s=%q = %q, %v, want %q", tc.flag, envDB, tc.env, got, err, tc.want)
			}
		})
	}
}

// TestGUIHarness: the window's harness starts once, stops, and comes back on the same
// port; a harness target reaches it and signs in as the demo user.
func TestGUIHarness(t *testing.T) {
	h := &guiHarness{stateDir: t.TempDir()}
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
	tg, err := h.target(ctx, "harness", wizard.Manual)
	if err != nil {
		t.Fatalf("target: %v", err)
	}
	if tg.Name != "harness" || tg.LoginBase != first.BaseURL || tg.GraphURL != first.BaseURL || tg.HTTP == nil ||
		tg.Open == nil || tg.TestUser != demoUser || tg.Directory != nil {
		t.Errorf("harness target = %+v, want the running harness, its client, the robot and no Graph client", tg)
	}
	if u, ok := first.Store.UserByUPN(demoUser); !ok || u.Password != demoPassword {
		t.Errorf("the demo tenant has no user %s with the password the robot types", demoUser)
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

	for _, name := range []string{"entra", "elsewhere"} {
		tg, err := h.target(ctx, name, wizard.Manual)
		switch name {
		case "entra":
			if err != nil || tg.LoginBase != "https://login.microsoftonline.com" || tg.GraphURL != "https://graph.microsoft.com" {
				t.Errorf("entra target = %+v, %v", tg, err)
			}
		default:
			if err == nil {
				t.Errorf("target %q = %+v, want an error", name, tg)
			}
		}
	}
}
