package harness_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

func startKept(t *testing.T, cfg harness.Config) *harness.Server {
	t.Helper()
	srv, err := harness.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// onDisk reads the kept tenant and checks that it is the served one, and that the
// directory holds the file alone (no temporary file left behind) with mode 0600.
func onDisk(t *testing.T, srv *harness.Server, path string) *tenant.Tenant {
	t.Helper()
	kept, err := tenant.LoadSaved(path, nil)
	if err != nil {
		t.Fatalf("LoadSaved: %v", err)
	}
	if !reflect.DeepEqual(kept, srv.Store.Snapshot()) {
		t.Error("the kept tenant differs from the served one")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 || entries[0].Name() != filepath.Base(path) {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("the state directory holds %v, want only %s", names, filepath.Base(path))
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("kept tenant mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	return kept
}

func appNamed(tn *tenant.Tenant, name string) (tenant.App, bool) {
	return appWhere(tn, func(a tenant.App) bool { return a.DisplayName == name })
}

func appNamedID(tn *tenant.Tenant, appID string) (tenant.App, bool) {
	return appWhere(tn, func(a tenant.App) bool { return a.AppID == appID })
}

func appWhere(tn *tenant.Tenant, match func(tenant.App) bool) (tenant.App, bool) {
	i := slices.IndexFunc(tn.Apps, match)
	if i < 0 {
		return tenant.App{}, false
	}
	return tn.Apps[i], true
}

// call sends a JSON request and returns the status and body.
func call(t *testing.T, c *http.Client, method, u, token string, body any) (int, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, u, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, out
}

// setupToken is a Graph token of the demo's setup app, by client credentials.
func setupToken(t *testing.T, srv *harness.Server) string {
	t.Helper()
	setup, _ := srv.Store.AppByID(tenant.DemoSetupAppID)
	resp, err := srv.Client().PostForm(srv.BaseURL+"/"+srv.TenantID+"/oauth2/v2.0/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {tenant.DemoSetupAppID},
		"client_secret": {setup.Secrets[0].Value}, "scope": {"https://graph.microsoft.com/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("client_credentials = %d, %v", resp.StatusCode, err)
	}
	return tok.AccessToken
}

// TestTenantStateKept: every change to the served tenant is on disk when it is
// answered, and a restart serves the kept tenant instead of the configured one.
func TestTenantStateKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kept", "tenant.json")
	cfg := harness.Config{StateDir: t.TempDir(), TenantState: path}
	srv := startKept(t, cfg)
	if kept := onDisk(t, srv, path); kept.TenantID != tenant.DemoTenantID {
		t.Fatalf("written at start: tenant %s, want the demo", kept.TenantID)
	}

	changes := []struct {
		name  string
		do    func(t *testing.T)
		check func(*tenant.Tenant) bool
	}{
		{"Graph POST /applications", func(t *testing.T) {
			status, body := call(t, srv.Client(), http.MethodPost, srv.BaseURL+"/v1.0/applications", setupToken(t, srv),
				map[string]any{"displayName": "Made through Graph"})
			if status != http.StatusCreated {
				t.Fatalf("POST /applications = %d %s", status, body)
			}
		}, func(tn *tenant.Tenant) bool {
			a, ok := appNamed(tn, "Made through Graph")
			return ok && a.ServicePrincipalID == ""
		}},
		{"admin PUT /harness/scenarios", func(t *testing.T) {
			if status, body := call(t, srv.Client(), http.MethodPut, srv.BaseURL+"/harness/scenarios", "",
				map[string]any{"scenarios": []string{"slow"}}); status != http.StatusOK {
				t.Fatalf("PUT /harness/scenarios = %d %s", status, body)
			}
		}, func(tn *tenant.Tenant) bool { return slices.Equal(tn.Scenarios, []string{"slow"}) }},
		{"Store.AddPassword", func(t *testing.T) {
			if _, err := srv.Store.AddPassword(tenant.DemoAppID, "kept secret", time.Now(), 24*time.Hour); err != nil {
				t.Fatal(err)
			}
		}, func(tn *tenant.Tenant) bool {
			a, _ := appNamedID(tn, tenant.DemoAppID)
			return slices.ContainsFunc(a.Secrets, func(s tenant.Secret) bool { return s.DisplayName == "kept secret" })
		}},
	}
	for _, c := range changes {
		c.do(t)
		if kept := onDisk(t, srv, path); !c.check(kept) {
			t.Errorf("%s: not on disk once answered", c.name)
		}
	}

	// Concurrent writers: once all have returned, the file is the final tenant.
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			if _, err := srv.Store.AddApp(tenant.App{DisplayName: fmt.Sprintf("Concurrent %d", i)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	before := onDisk(t, srv, path)
	srv.Close()

	// A restart serves the kept tenant, whatever else the configuration names.
	other := tenant.Demo(time.Now())
	other.DisplayName = "Not served"
	cfg.Tenant = other
	again := startKept(t, cfg)
	if got := again.Store.Snapshot(); !reflect.DeepEqual(got, before) {
		t.Errorf("after restart the served tenant differs from the kept one (display name %q)", got.DisplayName)
	}
	if _, ok := appNamed(again.Store.Snapshot(), "Made through Graph"); !ok {
		t.Error("the app made through Graph is gone after restart")
	}
	if got := again.Store.ScenariosFor(""); !slices.Equal(got, []string{"slow"}) {
		t.Errorf("scenarios after restart = %v, want [slow]", got)
	}
	onDisk(t, again, path)
}

// TestTenantStateRefusals: a kept tenant that cannot be read stops the start, naming
// the file, rather than quietly serving another tenant over it.
func TestTenantStateRefusals(t *testing.T) {
	dir := t.TempDir()
	torn := filepath.Join(dir, "torn.json")
	os.WriteFile(torn, []byte(`{"tenant_id": "6f1c3a2e-8d4b-4c7a-9e51-2b0d7f4a9c13", "domains": [`), 0o600)
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, nil, 0o600)
	for _, c := range []struct {
		name, path, want string
	}{
		{"unreadable kept tenant", torn, torn},
		{"directory cannot be made", filepath.Join(notDir, "tenant.json"), notDir},
	} {
		_, err := harness.Start(context.Background(), harness.Config{StateDir: t.TempDir(), TenantState: c.path})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Start = %v, want an error naming %s", c.name, err, c.want)
		}
	}
	if data, _ := os.ReadFile(torn); !bytes.HasSuffix(data, []byte(`[`)) {
		t.Error("a refused start rewrote the kept tenant")
	}
}
