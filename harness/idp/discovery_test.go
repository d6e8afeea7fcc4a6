package idp_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/ssowizard/ssowizard/harness/tenant"
)

// traceLine is the tail Entra puts on every error_description.
var traceLine = regexp.MustCompile(` Trace ID: [0-9a-f-]{36} Correlation ID: [0-9a-f-]{36} Timestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$`)

func TestDiscovery(t *testing.T) {
	srv, _ := start(t)
	b := newBrowser(t, srv)
	tid := srv.TenantID
	tests := []struct {
		segment, issuer, endpointTenant string
	}{
		{tid, srv.BaseURL + "/" + tid + "/v2.0", tid},
		{strings.ToUpper(tid), srv.BaseURL + "/" + tid + "/v2.0", tid},
		{tenant.DemoDomain, srv.BaseURL + "/" + tid + "/v2.0", tid},
		{tenant.DemoInitial, srv.BaseURL + "/" + tid + "/v2.0", tid},
		{"common", srv.BaseURL + "/{tenantid}/v2.0", "common"},
		{"organizations", srv.BaseURL + "/{tenantid}/v2.0", "organizations"},
	}
	for _, tc := range tests {
		p := b.get(srv.BaseURL + "/" + tc.segment + "/v2.0/.well-known/openid-configuration")
		var doc map[string]any
		if err := json.Unmarshal([]byte(p.body), &doc); p.status != http.StatusOK || err != nil {
			t.Errorf("discovery(%q) = %d %v", tc.segment, p.status, err)
			continue
		}
		if doc["issuer"] != tc.issuer {
			t.Errorf("discovery(%q) issuer = %v, want %v", tc.segment, doc["issuer"], tc.issuer)
		}
		ep := srv.BaseURL + "/" + tc.endpointTenant
		for k, v := range map[string]string{
			"authorization_endpoint":        ep + "/oauth2/v2.0/authorize",
			"token_endpoint":                ep + "/oauth2/v2.0/token",
			"device_authorization_endpoint": ep + "/oauth2/v2.0/devicecode",
			"jwks_uri":                      ep + "/discovery/v2.0/keys",
		} {
			if doc[k] != v {
				t.Errorf("discovery(%q) %s = %v, want %v", tc.segment, k, doc[k], v)
			}
		}
	}

	for _, seg := range []string{"fabrikam.example", "00000000-0000-0000-0000-000000000001", "consumers"} {
		p := b.get(srv.BaseURL + "/" + seg + "/v2.0/.well-known/openid-configuration")
		e := decodeError(t, p)
		if p.status != http.StatusBadRequest || e.Error != "invalid_tenant" || len(e.ErrorCodes) != 1 || e.ErrorCodes[0] != 90002 {
			t.Errorf("discovery(%q) = %d %+v, want 400 invalid_tenant [90002]", seg, p.status, e)
		}
		if !strings.HasPrefix(e.ErrorDescription, "AADSTS90002: Tenant '"+seg+"' not found.") || !traceLine.MatchString(e.ErrorDescription) {
			t.Errorf("discovery(%q) error_description = %q", seg, e.ErrorDescription)
		}
		if e.TraceID == "" || e.CorrelationID == "" || e.Timestamp == "" || e.ErrorURI != srv.BaseURL+"/error?code=90002" {
			t.Errorf("discovery(%q) error fields = %+v", seg, e)
		}
	}
}

func TestKeysAndInstanceDiscovery(t *testing.T) {
	srv, _ := start(t)
	b := newBrowser(t, srv)
	var kids []string
	for _, seg := range []string{srv.TenantID, "common", tenant.DemoDomain} {
		p := b.get(srv.BaseURL + "/" + seg + "/discovery/v2.0/keys")
		var set struct {
			Keys []struct {
				Kty, Use, Kid, X5t, N, E string
				X5c                      []string
			}
		}
		if err := json.Unmarshal([]byte(p.body), &set); err != nil || len(set.Keys) != 1 {
			t.Fatalf("keys(%s) = %d %q", seg, p.status, p.body)
		}
		k := set.Keys[0]
		if k.Kty != "RSA" || k.Use != "sig" || k.Kid == "" || k.Kid != k.X5t || k.E != "AQAB" || len(k.X5c) != 1 || len(k.N) < 340 {
			t.Errorf("keys(%s) = %+v, want an RSA-2048 signing key with kid = x5t and x5c", seg, k)
		}
		kids = append(kids, k.Kid)
	}
	if kids[0] != kids[1] || kids[1] != kids[2] {
		t.Errorf("kids differ across tenant segments: %v", kids)
	}
	if p := b.get(srv.BaseURL + "/fabrikam.example/discovery/v2.0/keys"); p.status != http.StatusBadRequest || decodeError(t, p).ErrorCodes[0] != 90002 {
		t.Errorf("keys(unknown tenant) = %d %s, want 90002", p.status, p.body)
	}

	p := b.get(srv.BaseURL + "/common/discovery/instance?api-version=1.1&authorization_endpoint=" + srv.BaseURL + "/" + srv.TenantID + "/oauth2/v2.0/authorize")
	var inst struct {
		TenantDiscoveryEndpoint string `json:"tenant_discovery_endpoint"`
		Metadata                []struct {
			PreferredNetwork string   `json:"preferred_network"`
			Aliases          []string `json:"aliases"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal([]byte(p.body), &inst); err != nil || p.status != http.StatusOK {
		t.Fatalf("instance discovery = %d %q", p.status, p.body)
	}
	host := strings.TrimPrefix(srv.BaseURL, "https://")
	if inst.TenantDiscoveryEndpoint != srv.Authority+"/.well-known/openid-configuration" ||
		len(inst.Metadata) != 1 || inst.Metadata[0].PreferredNetwork != host {
		t.Errorf("instance discovery = %+v", inst)
	}
}
