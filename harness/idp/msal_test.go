package idp_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/ssowizard/ssowizard/harness/tenant"
)

// TestMSALRequestShapes holds the harness to what MSAL Go sends and Entra accepts:
// client credentials with openid, offline_access and profile added to the .default
// scope, and device code polls with the bare grant type "device_code".
func TestMSALRequestShapes(t *testing.T) {
	srv, _ := start(t)
	b := newBrowser(t, srv)
	p := b.post(tokenURL(srv), url.Values{"grant_type": {"client_credentials"}, "client_id": {tenant.DemoAppID},
		"client_secret": {demoSecret(t, srv)}, "scope": {"https://graph.microsoft.com/.default openid offline_access profile"},
		"claims": {`{"access_token":{"xms_cc":{"values":["CP1"]}}}`}})
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		IDToken      string `json:"id_token"`
	}
	if err := json.Unmarshal([]byte(p.body), &tok); err != nil || p.status != http.StatusOK || tok.AccessToken == "" || tok.RefreshToken != "" || tok.IDToken != "" {
		t.Fatalf("client_credentials with MSAL's scopes = %d %.300s, want an access token only", p.status, p.body)
	}
	if c := jwtClaims(t, tok.AccessToken); c["aud"] != "https://graph.microsoft.com" || c["idtyp"] != "app" {
		t.Errorf("app token claims = %v, want Graph and idtyp app", c)
	}
	// Client credentials still need a resource's .default beside the OIDC scopes.
	jsonError(t, "only OIDC scopes", b.post(tokenURL(srv), url.Values{"grant_type": {"client_credentials"}, "client_id": {tenant.DemoAppID},
		"client_secret": {demoSecret(t, srv)}, "scope": {"openid offline_access profile"}}), 400, "invalid_scope", 1002012)

	d := startDevice(t, srv, b)
	jsonError(t, "device_code grant before approval", b.post(tokenURL(srv), url.Values{"grant_type": {"device_code"},
		"client_id": {tenant.DemoAppID}, "device_code": {d.DeviceCode}}), 400, "authorization_pending", 70016)
}
