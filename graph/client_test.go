package graph_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/directory"
	"github.com/ssowizard/ssowizard/graph"
	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/graphapi"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

// syncBuffer is a log sink the SDK's goroutines and the test may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// graphEnv is a harness and a Graph client signed in as an app with client credentials.
type graphEnv struct {
	srv    *harness.Server
	target graph.Target
	client *graph.SDKClient
	logs   *syncBuffer
	clock  *testClock
}

// testClock is the harness's clock and the client's Sleep: it stands still until the
// client waits, and then moves on by the wait at once, so that read-backs and
// Retry-After cost no real time and a test sees exactly which waits were asked for.
type testClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func newTestClock() *testClock { return &testClock{now: time.Now().UTC().Truncate(time.Second)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.slept = append(c.slept, d)
	return nil
}

// Slept returns the waits asked for so far.
func (c *testClock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.slept)
}

// setupClient signs in as the demo's automation app, which holds the Graph
// application permissions setup needs, with the secret the harness's facts give.
func setupClient(t *testing.T, settings graphapi.Settings, opts graph.Options) *graphEnv {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	clk := newTestClock()
	srv, err := harness.Start(ctx, harness.Config{StateDir: t.TempDir(), Graph: settings, Now: clk.Now})
	if err != nil {
		cancel()
		t.Fatalf("harness.Start: %v", err)
	}
	t.Cleanup(func() { cancel(); srv.Close() })
	if opts.Sleep == nil {
		opts.Sleep = clk.Sleep
	}
	e := clientFor(t, srv, tenant.DemoSetupAppID, factSecret(t, srv, tenant.DemoSetupAppID), opts)
	e.clock = clk
	return e
}

func factSecret(t *testing.T, srv *harness.Server, appID string) string {
	t.Helper()
	for _, a := range srv.Facts().Apps {
		if a.AppID == appID && a.ClientSecret != "" {
			return a.ClientSecret
		}
	}
	t.Fatalf("the harness's facts give no secret for %s", appID)
	return ""
}

func clientFor(t *testing.T, srv *harness.Server, appID, secret string, opts graph.Options) *graphEnv {
	t.Helper()
	logs := &syncBuffer{}
	tg := target(t, srv, logs)
	cred, err := graph.ClientSecretCredential(tg, appID, secret)
	if err != nil {
		t.Fatalf("ClientSecretCredential = %v", err)
	}
	c, err := graph.NewClient(tg, cred, opts)
	if err != nil {
		t.Fatalf("NewClient = %v", err)
	}
	return &graphEnv{srv: srv, target: tg, client: c, logs: logs}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestTenantAndDomains(t *testing.T) {
	e := setupClient(t, graphapi.Settings{}, graph.Options{})
	ctx := testCtx(t)
	ten, err := e.client.Tenant(ctx)
	if err != nil || ten.ID != e.srv.TenantID || ten.DisplayName != tenant.DemoDisplayName {
		t.Fatalf("Tenant() = %+v, %v; want %s %q", ten, err, e.srv.TenantID, tenant.DemoDisplayName)
	}
	domains, err := e.client.Domains(ctx)
	if err != nil {
		t.Fatalf("Domains() = %v", err)
	}
	want := []directory.Domain{{Name: tenant.DemoInitial, Initial: true, Verified: true}, {Name: tenant.DemoDomain, Default: true, Verified: true}}
	for _, w := range want {
		if !slices.Contains(domains, w) {
			t.Errorf("Domains() = %+v, want it to hold %+v", domains, w)
		}
	}
}

// The client refuses what it cannot work with before calling Graph.
func TestNewClientErrors(t *testing.T) {
	tg := graph.EntraTarget("contoso.onmicrosoft.com")
	if _, err := graph.NewClient(tg, nil, graph.Options{}); err == nil || !strings.Contains(err.Error(), "sign in") {
		t.Errorf("NewClient(no credential) = %v, want an error asking to sign in", err)
	}
	tg.GraphURL = "http://graph.microsoft.com/v1.0"
	if _, err := graph.NewClient(tg, nil, graph.Options{}); err == nil || !strings.Contains(err.Error(), "https") {
		t.Errorf("NewClient(http Graph URL) = %v, want an error about https", err)
	}
}

func TestAdminConsentURL(t *testing.T) {
	tg := graph.EntraTarget("6f1c3a2e-8d4b-4c7a-9e51-2b0d7f4a9c13")
	cases := []struct {
		tenant, client, redirect string
		want                     string
	}{
		{"", "0b7e5c1d-3f2a-4e8b-a6d9-5c4e1f0a7b28", "",
			"https://login.microsoftonline.com/6f1c3a2e-8d4b-4c7a-9e51-2b0d7f4a9c13/v2.0/adminconsent?client_id=0b7e5c1d-3f2a-4e8b-a6d9-5c4e1f0a7b28&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"},
		{"contoso.example", "0b7e5c1d-3f2a-4e8b-a6d9-5c4e1f0a7b28", "http://localhost:8400/done",
			"https://login.microsoftonline.com/contoso.example/v2.0/adminconsent?client_id=0b7e5c1d-3f2a-4e8b-a6d9-5c4e1f0a7b28&redirect_uri=http%3A%2F%2Flocalhost%3A8400%2Fdone&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"},
	}
	for _, tc := range cases {
		if got := tg.AdminConsentURL(tc.tenant, tc.client, tc.redirect); got != tc.want {
			t.Errorf("AdminConsentURL(%q, %q, %q) = %s, want %s", tc.tenant, tc.client, tc.redirect, got, tc.want)
		}
	}
}

// The consent URL leads to the harness's admin consent page (its sign-in form), not
// to an error.
func TestAdminConsentURLOnHarness(t *testing.T) {
	e := setupClient(t, graphapi.Settings{}, graph.Options{})
	u := e.client.AdminConsentURL("", tenant.DemoAppID, tenant.DemoRedirectURI)
	resp, err := e.srv.Client().Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(body.String(), `name="passwd"`) {
		t.Errorf("GET %s = %d, want the sign-in page; body %.300s", u, resp.StatusCode, body.String())
	}
}

func isGraphError(err error, status int, code string) bool {
	var ge *graph.Error
	return errors.As(err, &ge) && ge.Status == status && (code == "" || ge.Code == code)
}

func describe(err error) string {
	var ge *graph.Error
	if errors.As(err, &ge) {
		return fmt.Sprintf("%v (status %d code %s)", err, ge.Status, ge.Code)
	}
	return fmt.Sprint(err)
}
