package idp_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/entra"
	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

// setScenarios switches scenarios through the harness's admin endpoint.
func setScenarios(t *testing.T, srv *harness.Server, appID string, names ...string) page {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"app_id": appID, "scenarios": names})
	req, _ := http.NewRequest(http.MethodPut, srv.BaseURL+"/harness/scenarios", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	return newBrowser(t, srv).do(req)
}

func TestScenariosThroughAdminEndpoint(t *testing.T) {
	srv, _ := start(t)
	if p := setScenarios(t, srv, tenant.DemoAppID, "sometimes"); p.status != http.StatusBadRequest || !strings.Contains(p.body, "is not a scenario") {
		t.Errorf("unknown scenario = %d %s, want 400 naming the problem", p.status, p.body)
	}
	if p := setScenarios(t, srv, "99999999-9999-4999-8999-999999999999", "slow"); p.status != http.StatusNotFound {
		t.Errorf("unknown app = %d %s, want 404", p.status, p.body)
	}
	p := setScenarios(t, srv, tenant.DemoAppID, "consent-required", "expired-secret")
	var st struct {
		Available []string
		Tenant    []string
		Apps      map[string][]string
	}
	if err := json.Unmarshal([]byte(p.body), &st); err != nil || p.status != http.StatusOK || len(st.Apps[tenant.DemoAppID]) != 2 || len(st.Available) < 10 {
		t.Fatalf("PUT scenarios = %d %s", p.status, p.body)
	}

	b := newBrowser(t, srv)
	redirectedError(t, "consent-required", b.signIn(authorizeURL(srv, srv.TenantID, nil), "alice@contoso.example", "Demo.Alice.2026"), "consent_required", "65001")
	jsonError(t, "expired-secret", b.post(tokenURL(srv), url.Values{"grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com/.default"},
		"client_id": {tenant.DemoAppID}, "client_secret": {demoSecret(t, srv)}}), 401, "invalid_client", 7000222)

	// Cleared, the same requests succeed.
	setScenarios(t, srv, tenant.DemoAppID)
	if p := b.post(tokenURL(srv), url.Values{"grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com/.default"},
		"client_id": {tenant.DemoAppID}, "client_secret": {demoSecret(t, srv)}}); p.status != http.StatusOK {
		t.Errorf("after clearing: %d %s", p.status, p.body)
	}
}

func TestClaimScenarios(t *testing.T) {
	srv, _ := start(t)
	alice, _ := srv.Store.UserByUPN("alice@contoso.example")

	setScenarios(t, srv, tenant.DemoAppID, "no-email", "groups-overage")
	c := jwtClaims(t, tokensFor(t, srv, "alice@contoso.example", "Demo.Alice.2026", "openid profile email")["id_token"].(string))
	if c["email"] != nil || c["groups"] != nil || c["_claim_names"] == nil {
		t.Errorf("no-email and groups-overage: %v", c)
	}

	setScenarios(t, srv, tenant.DemoAppID, "guest-user")
	c = jwtClaims(t, tokensFor(t, srv, "alice@contoso.example", "Demo.Alice.2026", "openid profile")["id_token"].(string))
	if c["idp"] != entra.STSIssuer(entra.MSATenantID) || c["email"] != alice.Mail || c["preferred_username"] != alice.Mail {
		t.Errorf("guest-user: %v", c)
	}

	// clock-skew: a relying party with a right clock refuses the fresh ID token.
	setScenarios(t, srv, "", "clock-skew")
	oc := newOIDCClient(t, srv)
	tok := tokensFor(t, srv, "alice@contoso.example", "Demo.Alice.2026", "openid profile")
	c = jwtClaims(t, tok["id_token"].(string))
	if ahead := time.Until(time.Unix(int64(c["nbf"].(float64)), 0)); ahead < 9*time.Minute || ahead > 11*time.Minute {
		t.Errorf("clock-skew: nbf is %v ahead, want about %v", ahead, 10*time.Minute)
	}
	if _, err := oc.verifier.Verify(oc.ctx, tok["id_token"].(string)); err == nil || !strings.Contains(err.Error(), "nbf") {
		t.Errorf("go-oidc verifying a skewed token = %v, want the nbf refusal", err)
	}
	if exp, _ := tok["expires_in"].(float64); exp < 3600 || exp > 5400 {
		t.Errorf("expires_in = %v under clock-skew; it counts from the real time", tok["expires_in"])
	}
}

// slow holds answers back by SlowDelay; without the scenario they come at once. The
// delay is far longer than the test, so neither check races the clock: held back is
// "not answered within a moment", at once is "answered at all".
func TestSlowScenario(t *testing.T) {
	const delay = 10 * time.Minute
	srv, _ := startWith(t, func(c *harness.Config) {
		c.SlowDelay = delay
		c.Scenarios = []string{"slow"}
	})
	discovery := srv.Authority + "/.well-known/openid-configuration"
	get := func(wait time.Duration) error {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, discovery, nil)
		resp, err := srv.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := get(300 * time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("discovery under the slow scenario = %v within 300ms, want it held back", err)
	}
	setScenarios(t, srv, "")
	if err := get(2 * time.Minute); err != nil {
		t.Errorf("discovery without the scenario = %v, want an answer long before the %v delay", err, delay)
	}
}
