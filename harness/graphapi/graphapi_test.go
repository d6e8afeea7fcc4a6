package graphapi_test

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/entra"
	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/graphapi"
	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/inspect"
)

const ctxBase = "https://graph.microsoft.com/v1.0/$metadata#"

func TestOrganizationAndDomains(t *testing.T) {
	e := start(t, nil)
	org := e.must(e.do("GET", "/organization", nil), 200, "GET /organization")
	if org.str("@odata.context") != ctxBase+"organization" {
		t.Errorf("organization context = %q", org.str("@odata.context"))
	}
	v := org.values()
	if len(v) != 1 || v[0]["id"] != tenant.DemoTenantID || v[0]["displayName"] != tenant.DemoDisplayName {
		t.Fatalf("organization = %s, want the demo tenant as value[0]", org.raw)
	}
	if vd, _ := v[0]["verifiedDomains"].([]any); len(vd) != 2 {
		t.Errorf("verifiedDomains = %v, want both demo domains", v[0]["verifiedDomains"])
	}
	if org.header.Get("request-id") == "" {
		t.Error("no request-id header")
	}

	dom := e.must(e.do("GET", "/domains", nil), 200, "GET /domains")
	if dom.str("@odata.context") != ctxBase+"domains" {
		t.Errorf("domains context = %q", dom.str("@odata.context"))
	}
	got := map[string][3]bool{}
	for _, d := range dom.values() {
		got[d["id"].(string)] = [3]bool{d["isDefault"] == true, d["isInitial"] == true, d["isVerified"] == true}
	}
	want := map[string][3]bool{tenant.DemoInitial: {false, true, true}, tenant.DemoDomain: {true, false, true}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("domains (isDefault, isInitial, isVerified) = %v, want %v", got, want)
	}
}

// An OIDC app made entirely through Graph: its secret authenticates once it has a
// service principal, its redirect URI is registered, removing the secret stops it.
func TestApplicationLifecycle(t *testing.T) {
	e := start(t, nil)
	made := e.must(e.do("POST", "/applications", map[string]any{"displayName": "Acme SSO", "signInAudience": "AzureADMyOrg",
		"web": map[string]any{"redirectUris": []string{"https://acme.example/callback"}}}), 201, "POST /applications")
	id, appID := made.str("id"), made.str("appId")
	if !entra.IsGUID(id) || !entra.IsGUID(appID) || id == appID {
		t.Fatalf("created app id %q appId %q, want two different GUIDs", id, appID)
	}
	if made.str("@odata.context") != ctxBase+"applications/$entity" || made.header.Get("Location") != e.srv.BaseURL+"/v1.0/applications/"+id {
		t.Errorf("created app context %q Location %q", made.str("@odata.context"), made.header.Get("Location"))
	}
	web, _ := made.body["web"].(map[string]any)
	if fmt.Sprint(web["redirectUris"]) != "[https://acme.example/callback]" || fmt.Sprint(made.body["passwordCredentials"]) != "[]" ||
		made.str("displayName") != "Acme SSO" || made.str("createdDateTime") == "" {
		t.Errorf("created app = %s", made.raw)
	}

	// Both addresses of the application, and a missing one.
	for _, p := range []string{"/applications/" + id, "/applications(appId='" + appID + "')"} {
		got := e.must(e.do("GET", p, nil), 200, "GET "+p)
		if got.str("id") != id || got.str("@odata.context") != ctxBase+"applications/$entity" {
			t.Errorf("GET %s = %s", p, got.raw)
		}
	}
	checkError(t, "GET unknown application", e.do("GET", "/applications/11111111-2222-4333-8444-555555555555", nil), 404, "Request_ResourceNotFound")

	upd := e.do("PATCH", "/applications/"+id, map[string]any{"identifierUris": []string{"https://acme.example/saml"},
		"web": map[string]any{"redirectUris": []string{"https://acme.example/callback", "http://127.0.0.1/callback"}}})
	if upd.status != 204 || len(upd.raw) != 0 {
		t.Errorf("PATCH application = %d %s, want 204 and no body", upd.status, upd.raw)
	}
	app, _ := e.srv.Store.AppByID(appID)
	if !slices.Equal(app.RedirectURIs, []string{"https://acme.example/callback", "http://127.0.0.1/callback"}) ||
		!slices.Equal(app.IdentifierURIs, []string{"https://acme.example/saml"}) {
		t.Errorf("after PATCH the tenant has redirect URIs %v identifier URIs %v", app.RedirectURIs, app.IdentifierURIs)
	}
	checkError(t, "PATCH with an identifier URI another app has",
		e.do("PATCH", "/applications/"+id, map[string]any{"identifierUris": []string{tenant.DemoEntityID}}), 400, "Request_BadRequest")
	checkError(t, "PATCH with an http redirect URI",
		e.do("PATCH", "/applications/"+id, map[string]any{"web": map[string]any{"redirectUris": []string{"http://acme.example/cb"}}}), 400, "Request_BadRequest")

	pw := e.must(e.do("POST", "/applications/"+id+"/addPassword", map[string]any{
		"passwordCredential": map[string]any{"displayName": "wizard"}}), 200, "addPassword")
	secret, keyID := pw.str("secretText"), pw.str("keyId")
	if !entra.LooksLikeSecretValue(secret) || !entra.IsGUID(keyID) || pw.str("hint") != secret[:3] ||
		pw.str("displayName") != "wizard" || pw.str("@odata.context") != ctxBase+"microsoft.graph.passwordCredential" {
		t.Fatalf("addPassword = %s", pw.raw)
	}
	end, _ := time.Parse(time.RFC3339, pw.str("endDateTime"))
	if d := end.Sub(e.clk.Now()); d < 729*24*time.Hour || d > 731*24*time.Hour {
		t.Errorf("secret ends in %v, want Graph's default of two years", d)
	}
	// The value is shown once: reading the app shows its hint, never its text.
	got := e.must(e.do("GET", "/applications/"+id, nil), 200, "GET application")
	creds, _ := got.body["passwordCredentials"].([]any)
	if len(creds) != 1 || creds[0].(map[string]any)["secretText"] != nil || creds[0].(map[string]any)["keyId"] != keyID {
		t.Errorf("passwordCredentials after addPassword = %v, want one, without secretText", creds)
	}

	// Without a service principal the app cannot get a token, as in Entra.
	if r := e.clientCredentials(appID, secret, "https://graph.microsoft.com/.default"); r.status != 400 || !strings.Contains(fmt.Sprint(r.body["error_description"]), "AADSTS7000229") {
		t.Errorf("client_credentials before the service principal = %d %v, want AADSTS7000229", r.status, r.body)
	}
	sp := e.must(e.do("POST", "/servicePrincipals", map[string]any{"appId": appID}), 201, "POST /servicePrincipals")
	if sp.str("appId") != appID || !entra.IsGUID(sp.str("id")) || sp.str("@odata.context") != ctxBase+"servicePrincipals/$entity" ||
		sp.header.Get("Location") != e.srv.BaseURL+"/v1.0/servicePrincipals/"+sp.str("id") {
		t.Errorf("created service principal = %s", sp.raw)
	}
	checkError(t, "POST /servicePrincipals again", e.do("POST", "/servicePrincipals", map[string]any{"appId": appID}), 409, "Request_MultipleObjectsWithSameKeyValue")
	checkError(t, "POST /servicePrincipals for no app", e.do("POST", "/servicePrincipals", map[string]any{"appId": "11111111-2222-4333-8444-555555555555"}), 400, "Request_BadRequest")
	if r := e.clientCredentials(appID, secret, "https://graph.microsoft.com/.default"); r.status != 200 {
		t.Errorf("client_credentials with the secret added through Graph = %d %v, want a token", r.status, r.body)
	}
	// Both addresses of the service principal.
	for _, p := range []string{"/servicePrincipals/" + sp.str("id"), "/servicePrincipals(appId='" + appID + "')"} {
		got := e.must(e.do("GET", p, nil), 200, "GET "+p)
		if got.str("id") != sp.str("id") || got.str("@odata.context") != ctxBase+"servicePrincipals/$entity" {
			t.Errorf("GET %s = %s", p, got.raw)
		}
	}

	if r := e.do("POST", "/applications/"+id+"/removePassword", map[string]any{"keyId": keyID}); r.status != 204 {
		t.Errorf("removePassword = %d %s", r.status, r.raw)
	}
	if r := e.clientCredentials(appID, secret, "https://graph.microsoft.com/.default"); r.status != 401 || !strings.Contains(fmt.Sprint(r.body["error_description"]), "AADSTS7000215") {
		t.Errorf("client_credentials with the removed secret = %d %v, want AADSTS7000215", r.status, r.body)
	}
	checkError(t, "removePassword twice", e.do("POST", "/applications/"+id+"/removePassword", map[string]any{"keyId": keyID}), 404, "Request_ResourceNotFound")

	if r := e.do("DELETE", "/applications(appId='"+appID+"')", nil); r.status != 204 {
		t.Errorf("DELETE application = %d %s", r.status, r.raw)
	}
	checkError(t, "GET deleted application", e.do("GET", "/applications/"+id, nil), 404, "Request_ResourceNotFound")
	if _, ok := e.srv.Store.AppByID(appID); ok {
		t.Error("the deleted application is still in the tenant")
	}
}

func TestCollectionsOfApplicationsAndServicePrincipals(t *testing.T) {
	e := start(t, nil)
	got := e.must(e.do("GET", "/applications?$filter="+url.QueryEscape("appId eq '"+tenant.DemoAppID+"'")+"&$select=id,appId,displayName", nil), 200, "GET /applications?$filter")
	v := got.values()
	if len(v) != 1 || v[0]["appId"] != tenant.DemoAppID || len(v[0]) != 3 || got.str("@odata.context") != ctxBase+"applications(id,appId,displayName)" {
		t.Errorf("applications filtered by appId = %s", got.raw)
	}
	sps := e.must(e.do("GET", "/servicePrincipals?$filter="+url.QueryEscape("appId eq '"+tenant.DemoAppID+"'"), nil), 200, "GET /servicePrincipals?$filter")
	if v := sps.values(); len(v) != 1 || v[0]["appRoleAssignmentRequired"] != true || v[0]["preferredSingleSignOnMode"] != "saml" {
		t.Errorf("service principals filtered by appId = %s", sps.raw)
	}
	// The demo app's certificate gets its key pair when first shown, so its thumbprint shows.
	if v := sps.values(); len(v) == 1 {
		if th, _ := v[0]["preferredTokenSigningKeyThumbprint"].(string); len(th) != 40 {
			t.Errorf("demo service principal's preferredTokenSigningKeyThumbprint = %v, want a SHA-1 thumbprint", v[0]["preferredTokenSigningKeyThumbprint"])
		}
	}
}

// The filters the wizard finds an application by: an Identifier URI (SAML Entity ID)
// among the app's, and the display name, a quote inside the literal written twice.
func TestApplicationFilters(t *testing.T) {
	e := start(t, nil)
	obrien, err := e.srv.Store.AddApp(tenant.App{DisplayName: "O'Brien's app", IdentifierURIs: []string{"https://obrien.example/saml", "api://obrien"}})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := e.srv.Store.AddApp(tenant.App{DisplayName: "O'Brien"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		filter string
		want   []string // appIds
	}{
		{"identifierUris/any(x:x eq '" + tenant.DemoEntityID + "')", []string{tenant.DemoAppID}},
		{"identifierUris/any(x:x eq 'HTTPS://VENDOR.EXAMPLE/SAML')", []string{tenant.DemoAppID}},
		{"identifierUris/any(u: u eq 'api://obrien')", []string{obrien.AppID}},
		{"identifierUris/any(x:x eq 'https://nobody.example/saml')", nil},
		{"displayName eq 'O''Brien''s app'", []string{obrien.AppID}},
		{"displayName eq 'o''brien''S APP'", []string{obrien.AppID}},
		{"displayName eq 'O''Brien'", []string{plain.AppID}},
		{"displayName eq 'Nobody''s app'", nil},
		{"identifierUris/any(x:x eq 'api://obrien') and displayName eq 'O''Brien'", nil},
		{"identifierUris/any(x:x eq 'api://obrien') or displayName eq 'O''Brien'", []string{obrien.AppID, plain.AppID}},
	}
	for _, tc := range tests {
		path := "/applications?$filter=" + url.QueryEscape(tc.filter) + "&$select=appId"
		var got []string
		for _, v := range e.must(e.do("GET", path, nil), 200, "GET "+path).values() {
			got = append(got, fmt.Sprint(v["appId"]))
		}
		if !sameSet(got, tc.want) {
			t.Errorf("GET /applications?$filter=%s = %v, want %v", tc.filter, got, tc.want)
		}
	}
	for _, f := range []string{"identifierUris/any(x:y eq 'api://obrien')", "shoeSizes/any(x:x eq '9')", "identifierUris/any(x:x ne 'a')"} {
		checkError(t, "$filter="+f, e.do("GET", "/applications?$filter="+url.QueryEscape(f), nil), 400, "Request_UnsupportedQuery")
	}
}

// gzipped compresses b as the Graph SDKs' compression middleware does.
func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestRequestBodies(t *testing.T) {
	e := start(t, nil)
	made := e.do("POST", "/applications", gzipped(t, []byte(`{"displayName":"Zipped"}`)), "Content-Encoding", "gzip")
	if made.status != 201 || made.str("displayName") != "Zipped" {
		t.Errorf("gzipped POST = %d %s, want 201 Zipped", made.status, made.raw)
	}
	// A small body that inflates past the limit: a gzip bomb.
	bomb := gzipped(t, append(append([]byte(`{"displayName":"`), bytes.Repeat([]byte("A"), 4<<20)...), `"}`...))
	if len(bomb) > 64<<10 {
		t.Fatalf("the bomb is %d bytes compressed; it should be small", len(bomb))
	}
	tests := []struct {
		name    string
		body    []byte
		headers []string
		status  int
		code    string
	}{
		{"gzip bomb", bomb, []string{"Content-Encoding", "gzip"}, 413, "RequestEntityTooLarge"},
		{"plain body over the limit", append(append([]byte(`{"displayName":"`), bytes.Repeat([]byte("A"), 2<<20)...), `"}`...), nil, 413, "RequestEntityTooLarge"},
		{"not gzip", []byte(`{"displayName":"x"}`), []string{"Content-Encoding", "gzip"}, 400, "Request_BadRequest"},
		{"brotli", []byte(`{"displayName":"x"}`), []string{"Content-Encoding", "br"}, 415, "UnsupportedMediaType"},
		{"not JSON", []byte(`{"displayName":`), nil, 400, "BadRequest"},
		{"JSON array", []byte(`[1]`), nil, 400, "BadRequest"},
		{"text/plain", []byte(`{"displayName":"x"}`), []string{"Content-Type", "text/plain"}, 415, "UnsupportedMediaType"},
		{"undeclared property", []byte(`{"displayName":"x","colour":"red"}`), nil, 400, "Request_BadRequest"},
		{"wrong type", []byte(`{"displayName":5}`), nil, 400, "Request_BadRequest"},
		{"no displayName", []byte(`{"signInAudience":"AzureADMyOrg"}`), nil, 400, "Request_BadRequest"},
		{"unknown audience", []byte(`{"displayName":"x","signInAudience":"Everyone"}`), nil, 400, "Request_BadRequest"},
	}
	for _, tc := range tests {
		checkError(t, tc.name, e.do("POST", "/applications", tc.body, tc.headers...), tc.status, tc.code)
	}
	if msg := e.do("POST", "/applications", []byte(`{"displayName":"x","colour":"red"}`)).errorMessage(); msg != "Invalid property 'colour'." {
		t.Errorf("undeclared property message = %q, want Graph's", msg)
	}
	// Annotations, and declared properties the harness does not model, are accepted.
	ok := e.do("POST", "/applications", []byte(`{"@odata.type":"#microsoft.graph.application","displayName":"Tolerant","notes":"n","tags":["a"]}`))
	if ok.status != 201 {
		t.Errorf("POST with an annotation and unmodelled declared properties = %d %s, want 201", ok.status, ok.raw)
	}
}

func TestAuthentication(t *testing.T) {
	e := start(t, nil)
	for _, tc := range []struct {
		name, tok string
	}{
		{"no token", ""},
		{"not a JWT", "abc.def"},
		{"tampered token", e.tok[:len(e.tok)-4] + "AAAA"},
	} {
		a := e.call(tc.tok, "GET", "/organization", nil)
		checkError(t, tc.name, a, 401, "InvalidAuthenticationToken")
		if !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer ") {
			t.Errorf("%s: WWW-Authenticate %q", tc.name, a.header.Get("WWW-Authenticate"))
		}
	}
	// A token for another resource (the demo app's own API) is not Graph's.
	demo, _ := e.srv.Store.AppByID(tenant.DemoAppID)
	other := e.appToken(tenant.DemoAppID, demo.Secrets[0].Value, tenant.DemoEntityID+"/.default")
	a := e.call(other, "GET", "/organization", nil)
	checkError(t, "token for another audience", a, 401, "InvalidAuthenticationToken")
	if !strings.Contains(a.errorMessage(), "Invalid audience") {
		t.Errorf("audience refusal says %q", a.errorMessage())
	}
	// An expired token.
	e.clk.Advance(3 * time.Hour)
	checkError(t, "expired token", e.do("GET", "/organization", nil), 401, "InvalidAuthenticationToken")
}

func TestPermissions(t *testing.T) {
	e := start(t, nil)
	demo, _ := e.srv.Store.AppByID(tenant.DemoAppID)
	// The vendor app holds no Graph permission; then only User.Read.All.
	none := e.appToken(tenant.DemoAppID, demo.Secrets[0].Value, "https://graph.microsoft.com/.default")
	a := e.call(none, "GET", "/users", nil)
	checkError(t, "GET /users without permissions", a, 403, "Authorization_RequestDenied")
	if msg := a.errorMessage(); !strings.HasPrefix(msg, "Insufficient privileges to complete the operation.") || !strings.Contains(msg, "User.Read.All") {
		t.Errorf("403 message = %q, want Graph's sentence naming User.Read.All", msg)
	}
	if _, err := e.srv.Store.UpdateApp(tenant.DemoAppID, func(a *tenant.App) error { a.GraphPermissions = []string{"User.Read.All"}; return nil }); err != nil {
		t.Fatal(err)
	}
	reader := e.appToken(tenant.DemoAppID, demo.Secrets[0].Value, "https://graph.microsoft.com/.default")
	e.must(e.call(reader, "GET", "/users", nil), 200, "GET /users with User.Read.All")
	for _, tc := range []struct {
		method, path, perm string
		body               any
	}{
		{"POST", "/applications", "Application.ReadWrite.All", map[string]any{"displayName": "x"}},
		{"GET", "/applications/" + demo.ObjectID, "Application.Read.All", nil},
		{"PATCH", "/servicePrincipals/" + demo.ServicePrincipalID, "Application.ReadWrite.All", map[string]any{"appRoleAssignmentRequired": false}},
		{"POST", "/servicePrincipals/" + demo.ServicePrincipalID + "/appRoleAssignedTo", "AppRoleAssignment.ReadWrite.All",
			map[string]any{"principalId": e.userID("bob@contoso.example"), "resourceId": demo.ServicePrincipalID, "appRoleId": "00000000-0000-0000-0000-000000000000"}},
		{"GET", "/groups", "Group.Read.All", nil},
		{"GET", "/domains", "Domain.Read.All", nil},
		{"GET", "/organization", "Organization.Read.All", nil},
	} {
		a := e.call(reader, tc.method, tc.path, tc.body)
		checkError(t, tc.method+" "+tc.path, a, 403, "Authorization_RequestDenied")
		if !strings.Contains(a.errorMessage(), "needs the "+tc.perm+" application permission") {
			t.Errorf("%s %s: message %q does not name %s", tc.method, tc.path, a.errorMessage(), tc.perm)
		}
	}
	// Nothing was changed by the refused calls.
	if after, _ := e.srv.Store.AppByID(tenant.DemoAppID); !after.AssignmentRequired || slices.Contains(after.Assignments, e.userID("bob@contoso.example")) {
		t.Error("a refused call changed the tenant")
	}
}

// Delegated tokens: permissions from scp, and a change needs an administrator.
func TestDelegatedPermissions(t *testing.T) {
	e := start(t, nil)
	admin := e.userID("admin@contoso.example")
	if err := e.srv.Store.Assign(tenant.DemoAppID, admin); err != nil {
		t.Fatal(err)
	}
	demo, _ := e.srv.Store.AppByID(tenant.DemoAppID)
	token := func(login, password, scope string) string {
		t.Helper()
		q := url.Values{"client_id": {tenant.DemoAppID}, "response_type": {"code"}, "redirect_uri": {"http://127.0.0.1/callback"},
			"scope": {scope}, "state": {"s"}}
		p := e.browser().signIn(e.srv.BaseURL+"/"+e.srv.TenantID+"/oauth2/v2.0/authorize?"+q.Encode(), login, password)
		u, _ := url.Parse(p.location)
		code := u.Query().Get("code")
		if code == "" {
			t.Fatalf("sign-in of %s gave %d %q", login, p.status, p.location)
		}
		r := e.tokenRequest(url.Values{"grant_type": {"authorization_code"}, "client_id": {tenant.DemoAppID},
			"client_secret": {demo.Secrets[0].Value}, "code": {code}, "redirect_uri": {"http://127.0.0.1/callback"}, "scope": {scope}})
		tok, _ := r.body["access_token"].(string)
		if tok == "" {
			t.Fatalf("code redemption for %s = %d %v", login, r.status, r.body)
		}
		return tok
	}
	scope := "openid https://graph.microsoft.com/User.Read https://graph.microsoft.com/Application.ReadWrite.All"
	alice := token("alice@contoso.example", "Demo.Alice.2026", scope)
	e.must(e.call(alice, "GET", "/organization", nil), 200, "GET /organization with User.Read (delegated)")
	a := e.call(alice, "GET", "/users", nil)
	checkError(t, "GET /users without User.Read.All (delegated)", a, 403, "Authorization_RequestDenied")
	if !strings.Contains(a.errorMessage(), "User.Read.All delegated permission (scp)") {
		t.Errorf("delegated 403 message = %q", a.errorMessage())
	}
	a = e.call(alice, "POST", "/applications", map[string]any{"displayName": "by alice"})
	checkError(t, "POST /applications by a non-administrator", a, 403, "Authorization_RequestDenied")
	if !strings.Contains(a.errorMessage(), "administrator") {
		t.Errorf("non-administrator 403 message = %q", a.errorMessage())
	}
	ada := token("admin@contoso.example", "Demo.Admin.2026", scope)
	e.must(e.call(ada, "POST", "/applications", map[string]any{"displayName": "by the admin"}), 201, "POST /applications by an administrator")
}

func TestUsersAndGroups(t *testing.T) {
	e := start(t, nil)
	ev := []string{"ConsistencyLevel", "eventual"}
	checkError(t, "$search without ConsistencyLevel", e.do("GET", `/users?$search="displayName:ali"`, nil), 400, "Request_UnsupportedQuery")
	if msg := e.do("GET", `/groups?$search="displayName:vendor"`, nil).errorMessage(); !strings.Contains(msg, "ConsistencyLevel: eventual") {
		t.Errorf("$search refusal = %q, want the header named", msg)
	}
	names := func(a answer, key string) []string {
		var out []string
		for _, v := range a.values() {
			out = append(out, fmt.Sprint(v[key]))
		}
		return out
	}
	tests := []struct {
		path, key string
		want      []string
	}{
		{`/users?$search="displayName:ali"`, "userPrincipalName", []string{"alice@contoso.example"}},
		{`/users?$search="displayName:smith" OR "mail:bob"`, "userPrincipalName", []string{"alice@contoso.example", "bob@contoso.example"}},
		{`/groups?$search="displayName:vendor"&$select=displayName`, "displayName", []string{"Vendor Users", "Vendor Contractors"}},
		{"/groups?$filter=" + url.QueryEscape("startswith(displayName,'Project 00')"), "displayName",
			[]string{"Project 001", "Project 002", "Project 003", "Project 004", "Project 005", "Project 006", "Project 007", "Project 008", "Project 009"}},
		{"/users?$filter=" + url.QueryEscape("userPrincipalName eq 'BOB@contoso.example'"), "displayName", []string{"Bob Jones"}},
		{"/users?$filter=" + url.QueryEscape("userType eq 'Guest'"), "mail", []string{"carol@fabrikam.example"}},
	}
	for _, tc := range tests {
		a := e.must(e.do("GET", tc.path, nil, ev...), 200, "GET "+tc.path)
		if got := names(a, tc.key); !slices.Equal(got, tc.want) {
			t.Errorf("GET %s = %v, want %v", tc.path, got, tc.want)
		}
	}

	sel := e.must(e.do("GET", "/users?$select=id,displayName&$top=2", nil), 200, "GET /users?$select")
	if sel.str("@odata.context") != ctxBase+"users(id,displayName)" || len(sel.values()) != 2 || len(sel.values()[0]) != 2 {
		t.Errorf("selected users = %s", sel.raw)
	}
	// Paging: follow @odata.nextLink to the end.
	var all []string
	next := "/groups?$top=50&$select=id"
	for pages := 0; next != ""; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		a := e.must(e.do("GET", next, nil), 200, "GET "+next)
		all = append(all, names(a, "id")...)
		next = a.str("@odata.nextLink")
		if next != "" && !strings.HasPrefix(next, e.srv.BaseURL+"/v1.0/groups?") {
			t.Fatalf("nextLink %q does not lead back to the harness", next)
		}
	}
	if len(all) != len(e.srv.Store.Groups()) {
		t.Errorf("paging gave %d groups, want %d", len(all), len(e.srv.Store.Groups()))
	}
	cnt := e.must(e.do("GET", "/groups?$count=true&$top=1", nil, ev...), 200, "GET /groups?$count")
	if n, _ := cnt.body["@odata.count"].(float64); int(n) != len(e.srv.Store.Groups()) {
		t.Errorf("@odata.count = %v", cnt.body["@odata.count"])
	}
	checkError(t, "unknown $select", e.do("GET", "/users?$select=shoeSize", nil), 400, "BadRequest")
	checkError(t, "unsupported $filter", e.do("GET", "/users?$filter="+url.QueryEscape("endswith(mail,'x')"), nil), 400, "Request_UnsupportedQuery")
	checkError(t, "$top too large", e.do("GET", "/users?$top=1000", nil), 400, "Request_BadRequest")

	alice := e.userID("alice@contoso.example")
	for _, p := range []string{"/users/" + alice, "/users/alice@contoso.example"} {
		u := e.must(e.do("GET", p, nil), 200, "GET "+p)
		if u.str("id") != alice || u.str("@odata.context") != ctxBase+"users/$entity" || u.str("userPrincipalName") != "alice@contoso.example" {
			t.Errorf("GET %s = %s", p, u.raw)
		}
	}
	checkError(t, "unknown user", e.do("GET", "/users/nobody@contoso.example", nil), 404, "Request_ResourceNotFound")
	legal := e.groupID("Legal")
	g := e.must(e.do("GET", "/groups/"+legal, nil), 200, "GET /groups/{id}")
	if g.str("displayName") != "Legal" || g.body["securityEnabled"] != true || !strings.HasPrefix(g.str("securityIdentifier"), "S-1-12-1-") {
		t.Errorf("GET group = %s", g.raw)
	}

	// getMemberObjects follows nesting: frank is in Vendor Users through Vendor Contractors.
	frank := e.must(e.do("POST", "/users/"+e.userID("frank@contoso.example")+"/getMemberObjects", map[string]any{"securityEnabledOnly": true}), 200, "getMemberObjects")
	var ids []string
	for _, v := range frank.body["value"].([]any) {
		ids = append(ids, v.(string))
	}
	if want := []string{e.groupID("Vendor Users"), e.groupID("Vendor Contractors")}; !sameSet(ids, want) || frank.str("@odata.context") != ctxBase+"Collection(Edm.String)" {
		t.Errorf("frank's member objects = %s, want %v", frank.raw, want)
	}
	erin := e.must(e.do("POST", "/users/erin@contoso.example/getMemberObjects", map[string]any{"securityEnabledOnly": false}), 200, "getMemberObjects erin")
	if n := len(erin.body["value"].([]any)); n != tenant.DemoOverageCount+1 {
		t.Errorf("erin is in %d groups, want %d", n, tenant.DemoOverageCount+1)
	}
	checkError(t, "getMemberObjects without its parameter", e.do("POST", "/users/"+alice+"/getMemberObjects", map[string]any{}), 400, "Request_BadRequest")
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestRouting(t *testing.T) {
	e := start(t, nil)
	checkError(t, "unknown segment", e.do("GET", "/me/photo", nil), 400, "BadRequest")
	checkError(t, "wrong method", e.do("DELETE", "/organization", nil), 405, "Request_BadRequest")
	checkError(t, "bad key segment", e.do("GET", "/applications(appId=x)", nil), 400, "BadRequest")
	checkError(t, "unknown template", e.do("POST", "/applicationTemplates/229946b9-a9fb-45b8-9531-efa47453ac9e/instantiate", map[string]any{"displayName": "x"}), 404, "Request_ResourceNotFound")
	// The client's request ID comes back.
	a := e.do("GET", "/nothing", nil, "client-request-id", "c0ffee00-0000-4000-8000-000000000000")
	inner := a.body["error"].(map[string]any)["innerError"].(map[string]any)
	if inner["client-request-id"] != "c0ffee00-0000-4000-8000-000000000000" || a.header.Get("client-request-id") != "c0ffee00-0000-4000-8000-000000000000" {
		t.Errorf("client-request-id not echoed: %s", a.raw)
	}
}

func TestPropagationDelay(t *testing.T) {
	e := start(t, func(c *harness.Config) { c.Graph.PropagationDelay = 10 * time.Second })
	made := e.must(e.do("POST", "/applications", map[string]any{"displayName": "Slow to appear"}), 201, "POST /applications")
	id, appID := made.str("id"), made.str("appId")
	checkError(t, "GET right after POST", e.do("GET", "/applications/"+id, nil), 404, "Request_ResourceNotFound")
	checkError(t, "POST /servicePrincipals right after", e.do("POST", "/servicePrincipals", map[string]any{"appId": appID}), 400, "Request_BadRequest")
	if _, ok := e.srv.Store.AppByID(appID); !ok {
		t.Error("the login side does not see the new app at once")
	}
	e.clk.Advance(11 * time.Second)
	e.must(e.do("GET", "/applications/"+id, nil), 200, "GET after the delay")

	// Instantiation is "not instant" either: both objects appear after the delay.
	inst := e.must(e.do("POST", "/applicationTemplates/"+graphapi.NonGalleryTemplateID+"/instantiate", map[string]any{"displayName": "SAML later"}), 201, "instantiate")
	spID := inst.body["servicePrincipal"].(map[string]any)["id"].(string)
	checkError(t, "GET instantiated service principal at once", e.do("GET", "/servicePrincipals/"+spID, nil), 404, "Request_ResourceNotFound")
	checkError(t, "PATCH instantiated service principal at once", e.do("PATCH", "/servicePrincipals/"+spID, map[string]any{"preferredSingleSignOnMode": "saml"}), 404, "Request_ResourceNotFound")
	e.clk.Advance(11 * time.Second)
	e.must(e.do("GET", "/servicePrincipals/"+spID, nil), 200, "GET service principal after the delay")
}

// The throttle and the delay set through the loopback admin endpoint.
func TestThrottleThroughAdminEndpoint(t *testing.T) {
	e := start(t, nil)
	put := func(body string) answer {
		t.Helper()
		req, _ := http.NewRequest("PUT", e.srv.BaseURL+"/harness/graph", strings.NewReader(body))
		resp, err := e.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		return answer{status: resp.StatusCode, raw: buf.Bytes()}
	}
	if a := put(`{"throttle":{"requests":2,"retry_after":"1500ms"}}`); a.status != 200 || !strings.Contains(string(a.raw), `"requests":2`) {
		t.Fatalf("PUT /harness/graph = %d %s", a.status, a.raw)
	}
	for i := range 2 {
		a := e.do("GET", "/organization", nil)
		checkError(t, fmt.Sprintf("throttled call %d", i+1), a, 429, "TooManyRequests")
		if a.header.Get("Retry-After") != "2" {
			t.Errorf("Retry-After = %q, want 2 (1.5s rounded up)", a.header.Get("Retry-After"))
		}
	}
	e.must(e.do("GET", "/organization", nil), 200, "the call after the throttle")
	if a := put(`{"propagation_delay":"soon"}`); a.status != 400 {
		t.Errorf("PUT a bad duration = %d %s, want 400", a.status, a.raw)
	}
	if a := put(`{"propagation_delay":"1m"}`); a.status != 200 || e.srv.Graph.Settings().PropagationDelay != time.Minute {
		t.Errorf("PUT propagation_delay = %d %s", a.status, a.raw)
	}
	// Through the configuration, throttling every call.
	e2 := start(t, func(c *harness.Config) {
		c.Graph.Throttle = graphapi.Throttle{Requests: -1, RetryAfter: 3 * time.Second}
	})
	for range 3 {
		if a := e2.do("GET", "/domains", nil); a.status != 429 || a.header.Get("Retry-After") != "3" {
			t.Errorf("GET under a standing throttle = %d Retry-After %q", a.status, a.header.Get("Retry-After"))
		}
	}
}

// The OIDC setup through Graph, then logins: require assignment, bob is refused with
// 50105; assign bob, he gets in; replace him by a group he is directly in, he still
// does.
func TestAssignmentsTakeEffectAtLogin(t *testing.T) {
	e := start(t, nil)
	const redirect = "http://127.0.0.1/callback"
	made := e.must(e.do("POST", "/applications", map[string]any{"displayName": "Assigned only",
		"web": map[string]any{"redirectUris": []string{redirect}}}), 201, "POST /applications")
	appID := made.str("appId")
	sp := e.must(e.do("POST", "/servicePrincipals", map[string]any{"appId": appID}), 201, "POST /servicePrincipals")
	spID := sp.str("id")
	if got := e.oidcLogin(appID, redirect, "bob@contoso.example", "Demo.Bob.2026"); got.Get("code") == "" {
		t.Fatalf("bob before assignment is required = %v, want a code", got)
	}
	if r := e.do("PATCH", "/servicePrincipals/"+spID, map[string]any{"appRoleAssignmentRequired": true}); r.status != 204 {
		t.Fatalf("PATCH appRoleAssignmentRequired = %d %s", r.status, r.raw)
	}
	got := e.oidcLogin(appID, redirect, "bob@contoso.example", "Demo.Bob.2026")
	if got.Get("error") != "access_denied" || !strings.Contains(got.Get("error_description"), "AADSTS50105") {
		t.Fatalf("bob with assignment required = %v, want access_denied AADSTS50105", got)
	}

	bob := e.userID("bob@contoso.example")
	asg := e.must(e.do("POST", "/servicePrincipals/"+spID+"/appRoleAssignedTo", map[string]any{
		"principalId": bob, "resourceId": spID, "appRoleId": "00000000-0000-0000-0000-000000000000"}), 201, "assign bob")
	aid := asg.str("id")
	if len(aid) != 43 || asg.str("principalType") != "User" || asg.str("principalDisplayName") != "Bob Jones" || asg.str("resourceId") != spID ||
		asg.str("@odata.context") != ctxBase+"servicePrincipals('"+spID+"')/appRoleAssignedTo/$entity" ||
		asg.header.Get("Location") != e.srv.BaseURL+"/v1.0/servicePrincipals/"+spID+"/appRoleAssignedTo/"+aid {
		t.Errorf("assignment = %s Location %q", asg.raw, asg.header.Get("Location"))
	}
	checkError(t, "assign bob twice", e.do("POST", "/servicePrincipals/"+spID+"/appRoleAssignedTo", map[string]any{
		"principalId": bob, "resourceId": spID, "appRoleId": "00000000-0000-0000-0000-000000000000"}), 400, "Request_BadRequest")
	if got := e.oidcLogin(appID, redirect, "bob@contoso.example", "Demo.Bob.2026"); got.Get("code") == "" {
		t.Errorf("bob after assignment = %v, want a code", got)
	}
	list := e.must(e.do("GET", "/servicePrincipals/"+spID+"/appRoleAssignedTo", nil), 200, "list assignments")
	if v := list.values(); len(v) != 1 || v[0]["id"] != aid || list.str("@odata.context") != ctxBase+"servicePrincipals('"+spID+"')/appRoleAssignedTo" {
		t.Errorf("assignments = %s", list.raw)
	}
	one := e.must(e.do("GET", "/servicePrincipals/"+spID+"/appRoleAssignedTo/"+aid, nil), 200, "GET one assignment")
	if one.str("principalId") != bob || one.str("@odata.context") != ctxBase+"servicePrincipals('"+spID+"')/appRoleAssignedTo/$entity" {
		t.Errorf("GET one assignment = %s", one.raw)
	}
	if r := e.do("DELETE", "/servicePrincipals/"+spID+"/appRoleAssignedTo/"+aid, nil); r.status != 204 {
		t.Fatalf("DELETE assignment = %d %s", r.status, r.raw)
	}
	checkError(t, "DELETE it again", e.do("DELETE", "/servicePrincipals/"+spID+"/appRoleAssignedTo/"+aid, nil), 404, "Request_ResourceNotFound")
	if got := e.oidcLogin(appID, redirect, "bob@contoso.example", "Demo.Bob.2026"); got.Get("error") != "access_denied" {
		t.Errorf("bob after unassignment = %v, want access_denied", got)
	}
	// A group bob is directly in lets him in; alice, not in it, stays out.
	g := e.must(e.do("POST", "/servicePrincipals(appId='"+appID+"')/appRoleAssignedTo", map[string]any{
		"principalId": e.groupID("Legal"), "resourceId": spID, "appRoleId": "00000000-0000-0000-0000-000000000000"}), 201, "assign Legal")
	if g.str("principalType") != "Group" {
		t.Errorf("group assignment = %s", g.raw)
	}
	if got := e.oidcLogin(appID, redirect, "bob@contoso.example", "Demo.Bob.2026"); got.Get("code") == "" {
		t.Errorf("bob through his group = %v, want a code", got)
	}
	if got := e.oidcLogin(appID, redirect, "dave@contoso.example", "Demo.Dave.2026"); got.Get("error") != "access_denied" {
		t.Errorf("dave, not in Legal = %v, want access_denied", got)
	}
	checkError(t, "assign an unknown principal", e.do("POST", "/servicePrincipals/"+spID+"/appRoleAssignedTo", map[string]any{
		"principalId": "11111111-2222-4333-8444-555555555555", "resourceId": spID, "appRoleId": "00000000-0000-0000-0000-000000000000"}), 404, "Request_ResourceNotFound")
	checkError(t, "assign an app role the app lacks", e.do("POST", "/servicePrincipals/"+spID+"/appRoleAssignedTo", map[string]any{
		"principalId": bob, "resourceId": spID, "appRoleId": "11111111-2222-4333-8444-555555555555"}), 400, "Request_BadRequest")
}

// The SAML setup through Graph: instantiate the non-gallery template, set SAML mode,
// URLs and a signing certificate, and the federation metadata publishes that very
// certificate; a second one waits until made active.
func TestSAMLSetup(t *testing.T) {
	e := start(t, nil)
	inst := e.must(e.do("POST", "/applicationTemplates/"+graphapi.NonGalleryTemplateID+"/instantiate", map[string]any{"displayName": "Acme SAML"}), 201, "instantiate")
	app, _ := inst.body["application"].(map[string]any)
	sp, _ := inst.body["servicePrincipal"].(map[string]any)
	if inst.str("@odata.context") != ctxBase+"microsoft.graph.applicationServicePrincipal" || app["applicationTemplateId"] != graphapi.NonGalleryTemplateID ||
		sp["appId"] != app["appId"] {
		t.Fatalf("instantiate = %s", inst.raw)
	}
	if !strings.Contains(fmt.Sprint(sp["tags"]), "WindowsAzureActiveDirectoryCustomSingleSignOnApplication") {
		t.Errorf("service principal tags = %v", sp["tags"])
	}
	appObj, appID, spID := app["id"].(string), app["appId"].(string), sp["id"].(string)
	e.must(e.do("PATCH", "/servicePrincipals/"+spID, map[string]any{"preferredSingleSignOnMode": "saml",
		"samlSingleSignOnSettings": map[string]any{"relayState": "/home"}}), 204, "PATCH SAML mode")
	e.must(e.do("PATCH", "/applications/"+appObj, map[string]any{"identifierUris": []string{"https://acme.example/saml"},
		"web": map[string]any{"redirectUris": []string{"https://acme.example/saml/acs"}, "logoutUrl": "https://acme.example/saml/logout"}}), 204, "PATCH SAML URLs")
	stored, _ := e.srv.Store.AppByID(appID)
	if stored.PreferredSSOMode != "saml" || stored.SAML.RelayState != "/home" || stored.SAML.LogoutURL != "https://acme.example/saml/logout" {
		t.Errorf("tenant after the PATCHes: mode %q relay state %q logout %q", stored.PreferredSSOMode, stored.SAML.RelayState, stored.SAML.LogoutURL)
	}
	end := time.Now().Add(365 * 24 * time.Hour).UTC().Truncate(time.Second)
	cert := e.must(e.do("POST", "/servicePrincipals/"+spID+"/addTokenSigningCertificate", map[string]any{
		"displayName": "CN=Acme SSO", "endDateTime": end.Format(time.RFC3339)}), 200, "addTokenSigningCertificate")
	der, err := base64.StdEncoding.DecodeString(cert.str("key"))
	if err != nil {
		t.Fatalf("certificate key %q: %v", cert.str("key"), err)
	}
	x, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("certificate: %v", err)
	}
	if x.Subject.CommonName != "Acme SSO" || !x.NotAfter.Equal(end) || len(cert.str("thumbprint")) != 40 || cert.str("usage") != "Verify" ||
		cert.str("@odata.context") != ctxBase+"microsoft.graph.selfSignedCertificate" {
		t.Errorf("addTokenSigningCertificate = %s (CN %q, ends %v)", cert.raw, x.Subject.CommonName, x.NotAfter)
	}
	checkError(t, "certificate name without CN=", e.do("POST", "/servicePrincipals/"+spID+"/addTokenSigningCertificate", map[string]any{"displayName": "Acme"}), 400, "Request_BadRequest")
	metadata := func() string {
		t.Helper()
		resp, err := e.c.Get(e.srv.BaseURL + "/" + e.srv.TenantID + "/federationmetadata/2007-06/federationmetadata.xml?appid=" + appID)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		return buf.String()
	}
	first := base64.StdEncoding.EncodeToString(der)
	if md := metadata(); !strings.Contains(md, first) {
		t.Errorf("federation metadata does not publish the certificate made through Graph")
	}
	got := e.must(e.do("GET", "/servicePrincipals/"+spID, nil), 200, "GET service principal")
	if got.str("preferredTokenSigningKeyThumbprint") != cert.str("thumbprint") || len(got.body["keyCredentials"].([]any)) != 2 {
		t.Errorf("service principal after the certificate = %s", got.raw)
	}

	// A rollover: the second certificate waits, both are published, then it is made active.
	second := e.must(e.do("POST", "/servicePrincipals/"+spID+"/addTokenSigningCertificate", map[string]any{"displayName": "CN=Acme SSO 2"}), 200, "second certificate")
	if got := e.must(e.do("GET", "/servicePrincipals/"+spID, nil), 200, "GET"); got.str("preferredTokenSigningKeyThumbprint") != cert.str("thumbprint") {
		t.Errorf("a second certificate became active on its own: %s", got.str("preferredTokenSigningKeyThumbprint"))
	}
	md := metadata()
	if !strings.Contains(md, first) || !strings.Contains(md, second.str("key")) {
		t.Error("during the rollover the metadata does not list both certificates")
	}
	e.must(e.do("PATCH", "/servicePrincipals/"+spID, map[string]any{"preferredTokenSigningKeyThumbprint": strings.ToLower(second.str("thumbprint"))}), 204, "activate the second")
	if md := metadata(); strings.Index(md, second.str("key")) > strings.Index(md, first) {
		t.Error("after activation the metadata does not list the new certificate first")
	}
	checkError(t, "activate an unknown thumbprint", e.do("PATCH", "/servicePrincipals/"+spID, map[string]any{"preferredTokenSigningKeyThumbprint": strings.Repeat("AB", 20)}), 400, "Request_BadRequest")

	// A SAML login to the app, by a user assigned through Graph, signed with the
	// certificate activated through Graph and verified by the inspector against the
	// app's metadata.
	e.must(e.do("PATCH", "/servicePrincipals/"+spID, map[string]any{"appRoleAssignmentRequired": true}), 204, "require assignment")
	e.must(e.do("POST", "/servicePrincipals/"+spID+"/appRoleAssignedTo", map[string]any{"principalId": e.groupID("Vendor Users"),
		"resourceId": spID, "appRoleId": "00000000-0000-0000-0000-000000000000"}), 201, "assign Vendor Users")
	resp, reqID := e.samlLogin("https://acme.example/saml", "https://acme.example/saml/acs", "alice@contoso.example", "Demo.Alice.2026")
	opts := inspect.Options{SPEntityID: "https://acme.example/saml", ACS: "https://acme.example/saml/acs", RequestID: reqID, Now: time.Now()}
	if _, _, err := opts.AddTrust([]byte(md)); err != nil {
		t.Fatalf("trust the metadata: %v", err)
	}
	rep := inspect.Inspect([]byte(resp), opts)
	secondDER, _ := base64.StdEncoding.DecodeString(second.str("key"))
	sum := sha256.Sum256(secondDER)
	if rep.Signature == nil || rep.Signature.Status != "valid" || rep.Signature.CertSHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("SAML response signature = %+v, want valid by the certificate activated through Graph", rep.Signature)
	}
	for _, f := range rep.Findings {
		if f.Severity == inspect.SeverityError {
			t.Errorf("inspector finding on the SAML response: %s: %s", f.Code, f.Message)
		}
	}
	// bob is in no assigned group: Entra answers with a Status carrying 50105.
	resp, _ = e.samlLogin("https://acme.example/saml", "https://acme.example/saml/acs", "bob@contoso.example", "Demo.Bob.2026")
	if rep := inspect.Inspect([]byte(resp), opts); rep.Status == nil || rep.Status.AADSTS == nil || rep.Status.AADSTS.Code != "AADSTS50105" {
		t.Errorf("bob's SAML login status = %+v, want AADSTS50105", rep.Status)
	}
}

// samlLogin signs the user in to the SAML app with entityID by an SP-initiated
// redirect-binding AuthnRequest and returns the base64 SAMLResponse posted to acs,
// with the request's ID.
func (e *env) samlLogin(entityID, acs, login, password string) (string, string) {
	e.t.Helper()
	id := fmt.Sprintf("_req%d", time.Now().UnixNano())
	xml := fmt.Sprintf(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="%s" Version="2.0" IssueInstant="%s" AssertionConsumerServiceURL="%s"><saml:Issuer>%s</saml:Issuer></samlp:AuthnRequest>`,
		id, time.Now().UTC().Format(time.RFC3339), acs, entityID)
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.DefaultCompression)
	fw.Write([]byte(xml))
	fw.Close()
	q := url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(buf.Bytes())}, "RelayState": {"r1"}}
	p := e.browser().signIn(e.srv.BaseURL+"/"+e.srv.TenantID+"/saml2?"+q.Encode(), login, password)
	f := formRe.FindStringSubmatch(p.body)
	if p.status != http.StatusOK || f == nil || attrs(f[1])["action"] != acs {
		e.t.Fatalf("SAML sign-in of %s = %d, want the form posting to %s: %.400s", login, p.status, acs, p.body)
	}
	for _, in := range inputRe.FindAllStringSubmatch(f[2], -1) {
		if a := attrs(in[1]); a["name"] == "SAMLResponse" {
			return a["value"], id
		}
	}
	e.t.Fatalf("no SAMLResponse in the form: %.400s", p.body)
	return "", ""
}
