package graph_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/ssowizard/ssowizard/graph"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

// The real credential type gets a token the harness's Graph side accepts: the demo
// setup app, signed in with azidentity's ClientSecretCredential, reads the tenant and
// its users, and the same credential for an app without Graph permissions is refused.
func TestClientSecretCredentialAgainstGraphSide(t *testing.T) {
	srv := startHarness(t)
	tg := target(t, srv, nil)
	client := tg.HTTPClient()
	get := func(token, method, path string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, tg.GraphURL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
			t.Fatalf("%s %s: body: %v", method, path, err)
		}
		return resp.StatusCode, body
	}

	setup, ok := srv.Store.AppByID(tenant.DemoSetupAppID)
	if !ok {
		t.Fatal("the demo setup app is missing")
	}
	cred, err := graph.ClientSecretCredential(tg, tenant.DemoSetupAppID, setup.Secrets[0].Value)
	if err != nil {
		t.Fatalf("ClientSecretCredential = %v", err)
	}
	tok, err := graphToken(t, cred)
	if err != nil {
		t.Fatalf("GetToken = %v", err)
	}
	status, org := get(tok.Token, "GET", "/organization")
	v, _ := org["value"].([]any)
	if status != http.StatusOK || len(v) != 1 || v[0].(map[string]any)["id"] != srv.TenantID {
		t.Errorf("GET /organization with the credential's token = %d %v, want the tenant", status, org)
	}
	if status, users := get(tok.Token, "GET", "/users?$top=1"); status != http.StatusOK {
		t.Errorf("GET /users with the credential's token = %d %v", status, users)
	}

	demo := demoApp(t, srv)
	plain, err := graph.ClientSecretCredential(tg, tenant.DemoAppID, demo.Secrets[0].Value)
	if err != nil {
		t.Fatalf("ClientSecretCredential = %v", err)
	}
	ptok, err := graphToken(t, plain)
	if err != nil {
		t.Fatalf("GetToken for the vendor app = %v", err)
	}
	status, body := get(ptok.Token, "GET", "/users")
	e, _ := body["error"].(map[string]any)
	if status != http.StatusForbidden || e["code"] != "Authorization_RequestDenied" {
		t.Errorf("GET /users with no Graph permission = %d %v, want 403 Authorization_RequestDenied", status, body)
	}
}
