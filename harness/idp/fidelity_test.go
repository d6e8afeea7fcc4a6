package idp_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"html"
	"math/big"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/entrasaml"
	"github.com/ssowizard/ssowizard/harness/idp"
	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/inspect"
)

// The v2 discovery document carries Entra's keys and no others: no PKCE methods, grant
// types or iss parameter (openid-client's supportsPKCE() is false on Entra), and the
// auth methods, response types and modes Entra advertises.
func TestDiscoveryIsEntras(t *testing.T) {
	srv, _ := start(t)
	b := newBrowser(t, srv)
	p := b.get(srv.BaseURL + "/" + srv.TenantID + "/v2.0/.well-known/openid-configuration")
	var doc map[string]any
	if err := json.Unmarshal([]byte(p.body), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"code_challenge_methods_supported", "grant_types_supported", "authorization_response_iss_parameter_supported"} {
		if _, ok := doc[k]; ok {
			t.Errorf("discovery has %s, which Entra's does not", k)
		}
	}
	want := map[string][]string{
		"token_endpoint_auth_methods_supported": {"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"response_modes_supported":              {"query", "fragment", "form_post"},
		"response_types_supported":              {"code", "id_token", "code id_token", "id_token token"},
	}
	for k, v := range want {
		if got := strs(doc[k]); !slices.Equal(got, v) {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
	if doc["tenant_region_scope"] != "WW" || doc["kerberos_endpoint"] != srv.BaseURL+"/"+srv.TenantID+"/kerberos" {
		t.Errorf("tenant_region_scope %v, kerberos_endpoint %v", doc["tenant_region_scope"], doc["kerberos_endpoint"])
	}
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// The v1 endpoints answer: discovery with the sts.windows.net issuer, and a token
// endpoint that takes resource= and answers with string lifetimes and the resource.
func TestV1Endpoints(t *testing.T) {
	srv, _ := start(t)
	b := newBrowser(t, srv)
	p := b.get(srv.BaseURL + "/" + tenant.DemoDomain + "/.well-known/openid-configuration")
	var doc map[string]any
	if err := json.Unmarshal([]byte(p.body), &doc); err != nil || p.status != http.StatusOK {
		t.Fatalf("v1 discovery = %d %s", p.status, p.body)
	}
	ep := srv.BaseURL + "/" + srv.TenantID
	for k, v := range map[string]string{
		"issuer":                 "https://sts.windows.net/" + srv.TenantID + "/",
		"token_endpoint":         ep + "/oauth2/token",
		"authorization_endpoint": ep + "/oauth2/authorize",
		"jwks_uri":               srv.BaseURL + "/common/discovery/keys",
		"userinfo_endpoint":      ep + "/openid/userinfo",
	} {
		if doc[k] != v {
			t.Errorf("v1 %s = %v, want %v", k, doc[k], v)
		}
	}
	if doc["microsoft_multi_refresh_token"] != true {
		t.Error("v1 discovery lacks microsoft_multi_refresh_token")
	}
	for _, k := range []string{"issuer", "token_endpoint", "authorization_endpoint", "jwks_uri"} {
		if k == "issuer" {
			continue
		}
		if q := b.get(doc[k].(string)); q.status == http.StatusNotFound {
			t.Errorf("v1 %s %s answers 404", k, doc[k])
		}
	}

	app, _ := srv.Store.AppByID(tenant.DemoAppID)
	p = b.post(ep+"/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "resource": {"https://graph.microsoft.com"},
		"client_id": {tenant.DemoAppID}, "client_secret": {app.Secrets[0].Value}})
	var resp map[string]any
	if err := json.Unmarshal([]byte(p.body), &resp); err != nil || p.status != http.StatusOK {
		t.Fatalf("v1 client_credentials = %d %s", p.status, p.body)
	}
	for _, k := range []string{"expires_in", "ext_expires_in", "expires_on", "not_before"} {
		if _, ok := resp[k].(string); !ok {
			t.Errorf("v1 %s = %#v, want a string as v1 sends it", k, resp[k])
		}
	}
	if resp["resource"] != "https://graph.microsoft.com" {
		t.Errorf("v1 resource = %v", resp["resource"])
	}
	if at := jwtClaims(t, resp["access_token"].(string)); at["aud"] != "https://graph.microsoft.com" || at["iss"] != "https://sts.windows.net/"+srv.TenantID+"/" {
		t.Errorf("v1 app token aud %v iss %v", at["aud"], at["iss"])
	}
	jsonError(t, "v1 client_credentials without resource", b.post(ep+"/oauth2/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {tenant.DemoAppID}, "client_secret": {app.Secrets[0].Value}}), 400, "invalid_request", 900144)

	// v1 authorization code: resource on authorize, a v1 ID token at the v1 token endpoint.
	v := url.Values{"client_id": {tenant.DemoAppID}, "response_type": {"code"}, "redirect_uri": {loopbackRedirect},
		"resource": {"https://graph.microsoft.com"}, "state": {"st"}}
	p = b.get(ep + "/oauth2/authorize?" + v.Encode())
	if p.status == http.StatusOK {
		p = b.submit(p, map[string]string{"login": "alice@contoso.example", "passwd": "Demo.Alice.2026"})
	}
	code := redirectParams(t, p, loopbackRedirect+"?").Get("code")
	p = b.post(ep+"/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {loopbackRedirect},
		"resource": {"https://graph.microsoft.com"}, "client_id": {tenant.DemoAppID}, "client_secret": {app.Secrets[0].Value}})
	if err := json.Unmarshal([]byte(p.body), &resp); err != nil || p.status != http.StatusOK {
		t.Fatalf("v1 code redemption = %d %s", p.status, p.body)
	}
	id := jwtClaims(t, resp["id_token"].(string))
	if id["iss"] != "https://sts.windows.net/"+srv.TenantID+"/" || id["ver"] != "1.0" || id["upn"] != "alice@contoso.example" {
		t.Errorf("v1 ID token iss %v ver %v upn %v", id["iss"], id["ver"], id["upn"])
	}
	if resp["refresh_token"] == nil || resp["resource"] != "https://graph.microsoft.com" {
		t.Errorf("v1 code response lacks a refresh token or resource: %v", resp)
	}
}

// CORS as Entra: public documents readable from any origin, preflights answered, the
// token endpoint readable by a browser but refusing a web app's cross-origin redemption.
func TestCORS(t *testing.T) {
	srv, _ := start(t)
	b := newBrowser(t, srv)
	for _, path := range []string{"/v2.0/.well-known/openid-configuration", "/.well-known/openid-configuration", "/discovery/v2.0/keys", "/discovery/keys"} {
		u := srv.BaseURL + "/" + srv.TenantID + path
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Origin", "http://localhost:3000")
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin"); resp.StatusCode != http.StatusOK || got != "*" {
			t.Errorf("GET %s: %d, Access-Control-Allow-Origin %q, want 200 *", path, resp.StatusCode, got)
		}
		req, _ = http.NewRequest(http.MethodOptions, u, nil)
		req.Header.Set("Origin", "http://localhost:3000")
		req.Header.Set("Access-Control-Request-Method", "GET")
		resp, err = b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "GET") {
			t.Errorf("preflight %s: %d %v", path, resp.StatusCode, resp.Header)
		}
	}

	tok := tokenURL(srv)
	req, _ := http.NewRequest(http.MethodOptions, tok, nil)
	req.Header.Set("Origin", "http://localhost:3000")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Access-Control-Allow-Headers") != "content-type" {
		t.Errorf("token preflight: %d %v", resp.StatusCode, resp.Header)
	}
	app, _ := srv.Store.AppByID(tenant.DemoAppID)
	req, _ = http.NewRequest(http.MethodPost, tok, strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com/.default"},
		"client_id": {tenant.DemoAppID}, "client_secret": {app.Secrets[0].Value}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://localhost:3001")
	p := b.do(req)
	e := jsonError(t, "cross-origin redemption by a web app", p, 400, "invalid_request", 9002326)
	if !strings.Contains(e.ErrorDescription, "Request origin: 'http://localhost:3001'.") {
		t.Errorf("9002326 = %q", e.ErrorDescription)
	}
}

// Entra's wording for the cases admins paste into tickets.
func TestEntraWording(t *testing.T) {
	srv, _ := start(t)
	b := newBrowser(t, srv)
	e := jsonError(t, "all-zero client ID", b.post(tokenURL(srv), url.Values{"grant_type": {"client_credentials"},
		"scope": {"https://graph.microsoft.com/.default"}, "client_id": {"00000000-0000-0000-0000-000000000000"}, "client_secret": {"x"}}), 400, "invalid_request", 700038)
	if !strings.HasPrefix(e.ErrorDescription, "AADSTS700038: 00000000-0000-0000-0000-000000000000 is not a valid application identifier.") {
		t.Errorf("700038 = %q", e.ErrorDescription)
	}
	p := b.get(authorizeURL(srv, srv.TenantID, map[string]string{"client_id": "00000000-0000-0000-0000-000000000000"}))
	errorPageCode(t, "all-zero client ID at authorize", p, "700038")

	app, _ := srv.Store.AppByID(tenant.DemoAppID)
	e = jsonError(t, "unknown resource", b.post(srv.BaseURL+"/"+tenant.DemoDomain+"/oauth2/v2.0/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"api://unknown/.default"},
		"client_id": {tenant.DemoAppID}, "client_secret": {app.Secrets[0].Value}}), 400, "invalid_resource", 500011)
	if !strings.Contains(e.ErrorDescription, "was not found in the tenant named "+srv.TenantID+".") {
		t.Errorf("500011 = %q, want the tenant named by its GUID", e.ErrorDescription)
	}

	x, _ := authnRequest(t, func(o *entrasaml.AuthnRequestOptions) { o.ACS = "https://vendor.example/saml/ACS" })
	p = b.get(redirectTo(t, srv, x, nil))
	want := "AADSTS50011: The reply URL specified in the request does not match the reply URLs configured for the application: '" + tenant.DemoAppID + "'."
	if !strings.Contains(p.body, html.EscapeString(want)) || !strings.Contains(p.body, "https://aka.ms/urlMismatchError") {
		t.Errorf("SAML 50011 page lacks Entra's reply-URL text %q: %.800s", want, p.body)
	}
}

// private_key_jwt is advertised, and refused as Entra refuses a key the app does not
// have (the harness's apps register secrets only), naming the thumbprint.
func TestClientAssertionRefusedAsEntra(t *testing.T) {
	srv, _ := start(t)
	b := newBrowser(t, srv)
	hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT","x5t":"` +
		base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0xab}, 20)) + `"}`))
	v := url.Values{"grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com/.default"}, "client_id": {tenant.DemoAppID},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {hdr + ".e30.c2ln"}}
	e := jsonError(t, "client assertion", b.post(tokenURL(srv), v), 401, "invalid_client", 700027)
	if !strings.Contains(e.ErrorDescription, "Thumbprint of key used by client: '"+strings.Repeat("AB", 20)+"'") {
		t.Errorf("700027 = %q", e.ErrorDescription)
	}
	v.Set("client_assertion_type", "jwt")
	jsonError(t, "wrong assertion type", b.post(tokenURL(srv), v), 400, "invalid_request", 50027)
}

// A Graph access token carries a nonce header and verifies only Graph's way: a standard
// JWT check fails, the harness's Graph (and userinfo) accepts it. Tokens for other
// resources verify normally.
func TestGraphTokenNonce(t *testing.T) {
	srv, _ := start(t)
	b := newBrowser(t, srv)
	app, _ := srv.Store.AppByID(tenant.DemoAppID)
	get := func(scope string) string {
		p := b.post(tokenURL(srv), url.Values{"grant_type": {"client_credentials"}, "scope": {scope},
			"client_id": {tenant.DemoAppID}, "client_secret": {app.Secrets[0].Value}})
		var resp struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.Unmarshal([]byte(p.body), &resp); err != nil || resp.AccessToken == "" {
			t.Fatalf("token for %s = %d %s", scope, p.status, p.body)
		}
		return resp.AccessToken
	}
	standard := func(tok string) error {
		parts := strings.Split(tok, ".")
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		return rsa.VerifyPKCS1v15(jwksKey(t, b, srv.BaseURL+"/common/discovery/keys"), crypto.SHA256, sum[:], sig)
	}
	graph := get("https://graph.microsoft.com/.default")
	hb, _ := base64.RawURLEncoding.DecodeString(strings.Split(graph, ".")[0])
	var hdr map[string]any
	if err := json.Unmarshal(hb, &hdr); err != nil || hdr["nonce"] == nil {
		t.Fatalf("Graph token header %s, want a nonce", hb)
	}
	if standard(graph) == nil {
		t.Error("a Graph token verifies as a plain JWT, want it verifiable only by Graph")
	}
	if _, err := srv.IdP.VerifyAccessToken(graph); err != nil {
		t.Errorf("Graph refuses its own token: %v", err)
	}
	own := get(tenant.DemoEntityID + "/.default")
	if err := standard(own); err != nil {
		t.Errorf("a token for the app's own API does not verify: %v", err)
	}
	if strings.Contains(string(must64(t, strings.Split(own, ".")[0])), "nonce") {
		t.Error("a token for the app's own API carries a nonce header")
	}
}

// jwksKey is the first key of a JWKS, as a relying party reads it.
func jwksKey(t *testing.T, b *browser, u string) *rsa.PublicKey {
	t.Helper()
	var set struct{ Keys []struct{ N, E string } }
	if err := json.Unmarshal([]byte(b.get(u).body), &set); err != nil || len(set.Keys) == 0 {
		t.Fatalf("JWKS at %s: %v", u, err)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(must64(t, set.Keys[0].N)), E: int(new(big.Int).SetBytes(must64(t, set.Keys[0].E)).Int64())}
}

func must64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// An SP whose Issuer is the application ID (not a URI) is found by it, and the Audience
// comes back as spn:{appId}, as Entra sends it.
func TestSAMLSPNAudience(t *testing.T) {
	srv, _ := start(t)
	b := newBrowser(t, srv)
	x, _ := authnRequest(t, func(o *entrasaml.AuthnRequestOptions) { o.Issuer = tenant.DemoAppID })
	p := b.submit(b.get(redirectTo(t, srv, x, nil)), map[string]string{"login": alice, "passwd": alicePassword})
	var resp saml.Response
	if err := xml.Unmarshal(readACSPost(t, p).xml, &resp); err != nil || resp.Assertion == nil {
		t.Fatalf("response: %v", err)
	}
	if got := resp.Assertion.Conditions.AudienceRestrictions[0].Audience.Value; got != "spn:"+tenant.DemoAppID {
		t.Errorf("Audience = %q, want spn:%s", got, tenant.DemoAppID)
	}
}

// mfa-session: the user's session was made with a second factor, so an SP that asks for
// PasswordProtectedTransport gets AADSTS75011 in Entra's words; one that asks for
// nothing gets the multipleauthn context.
func TestSAMLMFASession(t *testing.T) {
	srv, _ := startWith(t, func(c *harness.Config) { c.Scenarios = []string{idp.ScenarioMFASession} })
	b := newBrowser(t, srv)
	x, id := authnRequest(t, func(o *entrasaml.AuthnRequestOptions) {
		o.AuthnContextClassRefs = []string{"urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"}
	})
	p := b.submit(b.get(redirectTo(t, srv, x, nil)), map[string]string{"login": alice, "passwd": alicePassword})
	rep := wantStatus(t, p, id, "relay-7", 75011, entrasaml.StatusRequester, entrasaml.StatusNoAuthnContext)
	if want := "AADSTS75011: Authentication method 'MultiFactor' by which the user authenticated with the service doesn't match requested authentication method 'Password, ProtectedTransport'."; !strings.HasPrefix(rep.Status.Message, want) {
		t.Errorf("75011 = %q, want %q…", rep.Status.Message, want)
	}
	x, _ = authnRequest(t, nil)
	a := readACSPost(t, b.get(redirectTo(t, srv, x, nil)))
	var resp saml.Response
	if err := xml.Unmarshal(a.xml, &resp); err != nil || resp.Assertion == nil {
		t.Fatalf("response: %v", err)
	}
	if got := resp.Assertion.AuthnStatements[0].AuthnContext.AuthnContextClassRef.Value; got != entrasaml.AuthnMethodMFA {
		t.Errorf("AuthnContextClassRef = %q, want multipleauthn", got)
	}
}

// Started again and again on the same tenant (whose app records no certificate) and
// state directory, the harness keeps one signing key per tenant and app, not one per
// start, and the certificate an SP pinned stays the same.
func TestSAMLKeysKeptPerTenantAndApp(t *testing.T) {
	dir := t.TempDir()
	const appID = "3c1f9a7e-2b4d-4e8a-9c6f-1d2e3f4a5b6c"
	var first *x509.Certificate
	for i := 0; i < 3; i++ {
		ten := tenant.Demo(time.Now())
		ten.Apps = append(ten.Apps, tenant.App{AppID: appID, DisplayName: "New SAML app",
			RedirectURIs: []string{"https://new.example/acs"}, IdentifierURIs: []string{"https://new.example"}})
		srv, err := harness.Start(context.Background(), harness.Config{StateDir: dir, Tenant: ten})
		if err != nil {
			t.Fatal(err)
		}
		m, err := inspect.ParseMetadata(fetchMetadata(t, srv, appID))
		srv.Close()
		if err != nil || len(m.SigningCerts) != 1 {
			t.Fatalf("start %d: metadata %v", i, err)
		}
		if first == nil {
			first = m.SigningCerts[0]
		} else if !first.Equal(m.SigningCerts[0]) {
			t.Errorf("start %d: the app's signing certificate changed", i)
		}
	}
	keys, _ := filepath.Glob(filepath.Join(dir, "saml", "saml-*-key.pem"))
	if len(keys) != 1 {
		t.Errorf("%d key files after 3 starts, want 1, the new app's: %v", len(keys), keys)
	}
}
