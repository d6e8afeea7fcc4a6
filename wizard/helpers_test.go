package wizard_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/robot"
	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/wizard"
	"github.com/ssowizard/ssowizard/wizard/secret"
	"github.com/ssowizard/ssowizard/wizard/store"
)

// demoVendorTicket is a ticket whose URLs the demo tenant's vendor app already has,
// so manual mode can be walked against the demo tenant as an admin would have set it
// up by hand.
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

type fixture struct {
	srv    *harness.Server
	engine *wizard.Engine
	dbPath string
	keeper secret.Keeper
}

func newFixture(t testing.TB, scenarios ...string) *fixture {
	t.Helper()
	srv, err := harness.Start(context.Background(), harness.Config{StateDir: t.TempDir(), Scenarios: scenarios})
	if err != nil {
		t.Fatalf("harness.Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	dbPath := filepath.Join(t.TempDir(), "ssowizard.db")
	db, err := store.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	k := secret.Memory()
	return &fixture{srv: srv, dbPath: dbPath, keeper: k, engine: &wizard.Engine{DB: db, Secrets: k}}
}

// target is the harness as the wizard reaches it, with the robot signing in as login.
func (f *fixture) target(login, password string) *wizard.Target {
	b := robot.New(f.srv.Client(), login, password)
	users := robot.Users{Store: f.srv.Store}
	return &wizard.Target{Name: "harness", LoginBase: f.srv.BaseURL, GraphURL: f.srv.BaseURL, HTTP: f.srv.Client(), Open: b.Open,
		TestUser: login, Unassigned: users.Unassigned,
		SignInAs: func(user string) (string, func(string) error, error) {
			if user == login {
				return login, b.Open, nil // the password given, as a person would type it
			}
			l, ub, err := users.Browser(f.srv.Client(), user)
			if err != nil {
				return "", nil, err
			}
			return l, ub.Open, nil
		}}
}

func (f *fixture) alice() *wizard.Target {
	return f.target("alice@"+tenant.DemoDomain, "Demo.Alice.2026")
}

func (f *fixture) demoSecret(t testing.TB) (value, keyID string) {
	t.Helper()
	app, ok := f.srv.Store.AppByID(tenant.DemoAppID)
	if !ok || len(app.Secrets) == 0 {
		t.Fatal("demo app or its secret missing")
	}
	return app.Secrets[0].Value, app.Secrets[0].KeyID
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
