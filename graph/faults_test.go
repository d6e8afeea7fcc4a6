package graph_test

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/directory"
	"github.com/ssowizard/ssowizard/graph"
	"github.com/ssowizard/ssowizard/harness/graphapi"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

// An app lacking a permission is told which one, and where an administrator grants it.
func TestPermissionRefused(t *testing.T) {
	e := setupClient(t, graphapi.Settings{}, graph.Options{})
	ctx := testCtx(t)
	secret := factSecret(t, e.srv, tenant.DemoAppID)
	grant := func(perms ...string) *graphEnv {
		t.Helper()
		if _, err := e.srv.Store.UpdateApp(tenant.DemoAppID, func(a *tenant.App) error { a.GraphPermissions = perms; return nil }); err != nil {
			t.Fatal(err)
		}
		// A new credential, so the token carries the roles as they are now.
		return clientFor(t, e.srv, tenant.DemoAppID, secret, graph.Options{ConsentRedirectURI: "http://localhost:8400/consented"})
	}
	check := func(what string, err error, perm string) {
		t.Helper()
		var ge *graph.Error
		if !errors.As(err, &ge) || ge.Status != http.StatusForbidden || ge.Code != graph.CodeRequestDenied {
			t.Fatalf("%s = %s, want a 403 Authorization_RequestDenied *graph.Error", what, describe(err))
		}
		if ge.Permission != perm || !strings.Contains(err.Error(), perm) {
			t.Errorf("%s = %q (permission %q), want it to name %s", what, err, ge.Permission, perm)
		}
		u, perr := url.Parse(ge.ConsentURL)
		if perr != nil || u.Path != "/"+e.srv.TenantID+"/v2.0/adminconsent" || u.Query().Get("client_id") != tenant.DemoAppID ||
			u.Query().Get("redirect_uri") != "http://localhost:8400/consented" || !strings.HasPrefix(ge.ConsentURL, e.srv.BaseURL+"/") {
			t.Errorf("%s: consent URL %q, want the harness's adminconsent page for %s", what, ge.ConsentURL, tenant.DemoAppID)
		}
		if !strings.Contains(err.Error(), ge.ConsentURL) || strings.Count(err.Error(), ". ") > 0 {
			t.Errorf("%s = %q, want one sentence with the consent URL", what, err)
		}
	}

	none := grant()
	_, err := none.client.Tenant(ctx)
	check("Tenant() with no permission", err, "Organization.Read.All")
	_, err = none.client.SearchUsers(ctx, "alice")
	check("SearchUsers with no permission", err, "User.Read.All")

	writer := grant("Application.ReadWrite.All")
	app, err := writer.client.InstantiateSAMLApp(ctx, "Half-permitted app")
	if err != nil {
		t.Fatalf("InstantiateSAMLApp with Application.ReadWrite.All = %v", err)
	}
	_, err = writer.client.Assign(ctx, app, directory.Principal{ID: e.srv.Store.Snapshot().Users[0].ID})
	check("Assign without AppRoleAssignment.ReadWrite.All", err, "AppRoleAssignment.ReadWrite.All")
}

// Throttling: a 429 with Retry-After is waited out, within the bound; beyond it the
// call fails at once with a sentence saying how long to wait.
func TestThrottling(t *testing.T) {
	e := setupClient(t, graphapi.Settings{Throttle: graphapi.Throttle{Requests: 2, RetryAfter: time.Second}},
		graph.Options{MaxRetryAfter: 5 * time.Second})
	ctx := testCtx(t)
	ten, err := e.client.Tenant(ctx)
	if err != nil || ten.ID != e.srv.TenantID {
		t.Fatalf("Tenant() through two 429s = %+v, %s", ten, describe(err))
	}
	if got, want := e.clock.Slept(), []time.Duration{time.Second, time.Second}; !slices.Equal(got, want) {
		t.Errorf("Tenant() through two 429s with Retry-After 1 waited %v, want %v", got, want)
	}
	if left := e.srv.Graph.Settings().Throttle.Requests; left != 0 {
		t.Errorf("the throttle has %d answers left, want both spent", left)
	}
	if n := strings.Count(e.logs.String(), "graph throttled"); n != 2 {
		t.Errorf("log has %d throttling lines, want 2: %s", n, e.logs.String())
	}

	if err := e.srv.Graph.SetSettings(graphapi.Settings{Throttle: graphapi.Throttle{Requests: -1, RetryAfter: 2 * time.Minute}}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.Domains(ctx)
	var ge *graph.Error
	if !errors.As(err, &ge) || ge.Status != http.StatusTooManyRequests || ge.RetryAfter != 2*time.Minute {
		t.Fatalf("Domains() under a 2-minute throttle = %s, want a 429 *graph.Error with RetryAfter 2m", describe(err))
	}
	if got := e.clock.Slept(); len(got) != 2 {
		t.Errorf("Domains() under a 2-minute throttle: waits %v in all, want the two of before only (give up at once)", got)
	}
	if !strings.Contains(err.Error(), "throttling") || !strings.Contains(err.Error(), "wait 2m0s") {
		t.Errorf("error = %q, want it to say Graph is throttling and how long to wait", err)
	}
}

// A call throttled without end is sent again 3 times, then fails; a throttled POST is
// sent again with its body.
func TestThrottlingRetriesBounded(t *testing.T) {
	e := setupClient(t, graphapi.Settings{Throttle: graphapi.Throttle{Requests: -1, RetryAfter: 2 * time.Second}}, graph.Options{})
	ctx := testCtx(t)
	_, err := e.client.Domains(ctx)
	if !isGraphError(err, http.StatusTooManyRequests, "") {
		t.Fatalf("Domains() throttled without end = %s, want the 429", describe(err))
	}
	if got, want := e.clock.Slept(), []time.Duration{2 * time.Second, 2 * time.Second, 2 * time.Second}; !slices.Equal(got, want) {
		t.Errorf("Domains() throttled without end waited %v, want %v", got, want)
	}

	if err := e.srv.Graph.SetSettings(graphapi.Settings{Throttle: graphapi.Throttle{Requests: 1, RetryAfter: time.Second}}); err != nil {
		t.Fatal(err)
	}
	app, err := e.client.CreateOIDCApp(ctx, "Throttled once", []string{"http://127.0.0.1/callback"})
	if err != nil {
		t.Fatalf("CreateOIDCApp through one 429 = %s", describe(err))
	}
	got, err := e.client.Application(ctx, app)
	if err != nil || got.DisplayName != "Throttled once" {
		t.Errorf("the app made through a 429 reads back as %+v, %s; want its name as sent", got, describe(err))
	}
}

// Propagation delay: objects just made are not yet visible to Graph's reads; the
// client reads them back until they are, and the steps that follow succeed.
func TestPropagationDelay(t *testing.T) {
	const delay = 1500 * time.Millisecond
	e := setupClient(t, graphapi.Settings{PropagationDelay: delay}, graph.Options{})
	ctx := testCtx(t)
	app, err := e.client.CreateOIDCApp(ctx, "Slow replica app", []string{"http://127.0.0.1/callback"})
	if err != nil {
		t.Fatalf("CreateOIDCApp under a %v propagation delay = %s", delay, describe(err))
	}
	var waited time.Duration
	for _, d := range e.clock.Slept() {
		waited += d
	}
	if waited < delay {
		t.Errorf("CreateOIDCApp returned after waiting %v, before the objects were visible (%v)", waited, delay)
	}
	if n := strings.Count(e.logs.String(), "not replicated yet"); n < 2 {
		t.Errorf("log has %d read-back retries, want some: %s", n, e.logs.String())
	}
	if _, err := e.client.AddPassword(ctx, app, "right after", time.Time{}); err != nil {
		t.Errorf("AddPassword right after CreateOIDCApp = %s", describe(err))
	}
	saml, err := e.client.InstantiateSAMLApp(ctx, "Slow replica SAML app")
	if err != nil {
		t.Fatalf("InstantiateSAMLApp under a propagation delay = %s", describe(err))
	}
	if err := e.client.SetSAMLURLs(ctx, saml, "https://vendor.example/slow", "http://127.0.0.1/saml/acs", ""); err != nil {
		t.Errorf("SetSAMLURLs right after InstantiateSAMLApp = %s", describe(err))
	}

	// An object this client did not just make is not waited for: 404 is the answer.
	retries := strings.Count(e.logs.String(), "not replicated yet")
	waits := len(e.clock.Slept())
	err = e.client.RequireAssignment(ctx, directory.App{ServicePrincipalID: "5e0c1b2a-3d4f-4a5b-8c6d-7e8f9a0b1c2d"}, true)
	if !isGraphError(err, http.StatusNotFound, graph.CodeNotFound) || len(e.clock.Slept()) != waits ||
		strings.Count(e.logs.String(), "not replicated yet") != retries {
		t.Errorf("RequireAssignment on an unknown service principal = %s after waiting %v, want a 404 at once", describe(err), e.clock.Slept()[waits:])
	}
}

// The read-back is bounded: a replica that never catches up fails the step with the
// not-found sentence after ReadBackTries reads.
func TestPropagationBounded(t *testing.T) {
	e := setupClient(t, graphapi.Settings{PropagationDelay: time.Hour},
		graph.Options{ReadBackTries: 3, ReadBackDelay: 20 * time.Millisecond})
	ctx := testCtx(t)
	_, err := e.client.CreateOIDCApp(ctx, "Never visible", nil)
	if !isGraphError(err, http.StatusNotFound, graph.CodeNotFound) || !strings.Contains(err.Error(), "not replicated yet") {
		t.Fatalf("CreateOIDCApp under an endless delay = %s, want the not-found sentence", describe(err))
	}
	if n := strings.Count(e.logs.String(), "not replicated yet; retrying"); n != 2 {
		t.Errorf("log has %d retries, want 2 (3 tries)", n)
	}
}

// A person signed in with the device code holds delegated permissions only: the tenant
// reads (User.Read is enough), and a user search is refused with a sentence naming the
// delegated permission it lacks and the consent URL for the app signed in to.
func TestDelegatedDeviceCodeClient(t *testing.T) {
	srv := startHarness(t)
	cred, approved := deviceCredential(t, srv, false)
	c, err := graph.NewClient(target(t, srv, nil), cred, graph.Options{})
	if err != nil {
		t.Fatalf("NewClient = %v", err)
	}
	ctx := testCtx(t)
	ten, err := c.Tenant(ctx)
	if _, aerr := approved(); aerr != nil {
		t.Fatalf("approving on the device page: %v", aerr)
	}
	if err != nil || ten.ID != srv.TenantID {
		t.Fatalf("Tenant() signed in as alice = %+v, %s", ten, describe(err))
	}
	_, err = c.SearchUsers(ctx, "bob")
	var ge *graph.Error
	if !errors.As(err, &ge) || ge.Status != http.StatusForbidden || ge.Permission != "User.Read.All" ||
		!strings.Contains(err.Error(), "delegated permission User.Read.All") ||
		!strings.Contains(ge.ConsentURL, "client_id="+tenant.DemoAppID) {
		t.Errorf("SearchUsers with User.Read only = %s, want the delegated User.Read.All named with the consent URL", describe(err))
	}
}

// An app registered elsewhere (the portal) without an enterprise application gets one;
// asking again finds the same one.
func TestEnsureServicePrincipal(t *testing.T) {
	e := setupClient(t, graphapi.Settings{}, graph.Options{})
	ctx := testCtx(t)
	const appID = "2b9c8d7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e"
	made, err := e.srv.Store.AddApp(tenant.App{AppID: appID, DisplayName: "Registered in the portal"})
	if err != nil {
		t.Fatal(err)
	}
	app, err := e.client.EnsureServicePrincipal(ctx, directory.App{AppID: appID})
	if err != nil || app.ObjectID != made.ObjectID || !isGUID(app.ServicePrincipalID) || app.DisplayName != "Registered in the portal" {
		t.Fatalf("EnsureServicePrincipal = %+v, %s; want the app's object ID and a new service principal", app, describe(err))
	}
	if stored, _ := e.srv.Store.AppByID(appID); stored.ServicePrincipalID != app.ServicePrincipalID {
		t.Errorf("the tenant holds service principal %q, want %q", stored.ServicePrincipalID, app.ServicePrincipalID)
	}
	again, err := e.client.EnsureServicePrincipal(ctx, app)
	if err != nil || again != app {
		t.Errorf("EnsureServicePrincipal again = %+v, %s; want %+v", again, describe(err), app)
	}
	_, err = e.client.EnsureServicePrincipal(ctx, directory.App{AppID: "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"})
	if !isGraphError(err, http.StatusNotFound, "") {
		t.Errorf("EnsureServicePrincipal for an unknown app = %s, want a 404", describe(err))
	}
}
