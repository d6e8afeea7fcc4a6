package graph

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/ssowizard/ssowizard/directory"
)

func odataError(status int, code, msg string, headers map[string]string) error {
	me := odataerrors.NewMainError()
	me.SetCode(&code)
	me.SetMessage(&msg)
	e := odataerrors.NewODataError()
	e.SetErrorEscaped(me)
	e.ResponseStatusCode = status
	h := abs.NewResponseHeaders()
	for k, v := range headers {
		h.Add(k, v)
	}
	e.ResponseHeaders = h
	return e
}

func testClient(kind, clientID string) *SDKClient {
	return &SDKClient{target: EntraTarget("contoso.example"), kind: kind, clientID: clientID,
		opts: Options{}.withDefaults(), log: slog.New(slog.DiscardHandler)}
}

// Graph's own refusals, which name no permission, get the permission from the table
// of what each step needs; the consent URL is there when the client ID is known.
func TestExplainGraphError(t *testing.T) {
	const client = "0b7e5c1d-3f2a-4e8b-a6d9-5c4e1f0a7b28"
	consent := "https://login.microsoftonline.com/contoso.example/v2.0/adminconsent?client_id=" + client + "&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"
	denied := odataError(403, CodeRequestDenied, "Insufficient privileges to complete the operation.", nil)
	cases := []struct {
		name     string
		c        *SDKClient
		o        op
		err      error
		want     string
		perm     string
		consent  string
		retryAft time.Duration
	}{
		{"app permission from the table", testClient(KindClientSecret, client), opAssign, denied,
			"assign access: the app " + client + " lacks the Microsoft Graph application permission AppRoleAssignment.ReadWrite.All: add it under the app's API permissions, then have an administrator grant admin consent at " + consent,
			"AppRoleAssignment.ReadWrite.All", consent, 0},
		{"client ID unknown", testClient("", ""), opSearchGroups, denied,
			"search groups: the app lacks the Microsoft Graph application permission Group.Read.All: add it under the app's API permissions, then have an administrator grant admin consent for it",
			"Group.Read.All", "", 0},
		{"delegated credential", testClient(KindDeviceCode, client), opTenant, denied,
			"read the tenant: the app " + client + " lacks the Microsoft Graph delegated permission Organization.Read.All: add it under the app's API permissions, then have an administrator grant admin consent at " + consent,
			"Organization.Read.All", consent, 0},
		{"harness names the permission", testClient(KindClientSecret, client), opCreateApp,
			odataError(403, CodeRequestDenied, "Insufficient privileges to complete the operation. (Harness: this call needs the Application.ReadWrite.All application permission (roles); the token has: none. Graph does not name the permission.)", nil),
			"create the application: the app " + client + " lacks the Microsoft Graph application permission Application.ReadWrite.All: add it under the app's API permissions, then have an administrator grant admin consent at " + consent,
			"Application.ReadWrite.All", consent, 0},
		{"not an administrator", testClient(KindInteractiveBrowser, client), opCreateApp,
			odataError(403, CodeRequestDenied, "Insufficient privileges to complete the operation. (Harness: the signed-in user holds no administrator role, which this change needs beside the Application.ReadWrite.All delegated permission.)", nil),
			"create the application: the signed-in user is not an administrator: sign in as an Application Administrator or Cloud Application Administrator", "", "", 0},
		{"throttled", testClient(KindClientSecret, client), opTenant,
			odataError(429, "TooManyRequests", "Too many requests.", map[string]string{"Retry-After": "90"}),
			"read the tenant: Microsoft Graph is throttling this app's requests: wait 1m30s and try again", "", "", 90 * time.Second},
		{"token refused", testClient(KindClientSecret, client), opDomains,
			odataError(401, CodeInvalidToken, "Access token has expired or is not yet valid.", nil),
			"list the domains: Microsoft Graph did not accept the sign-in (Access token has expired or is not yet valid): sign in again", "", "", 0},
		{"identifier taken", testClient(KindClientSecret, client), opSAMLURLs,
			odataError(400, "Request_BadRequest", "Another object with the same value for property identifierUris already exists.", nil),
			"set the SAML Identifier and Reply URL: another application in the tenant already uses this Identifier (Entity ID): choose another one, or remove it from the other app", "", "", 0},
		{"other refusal", testClient(KindClientSecret, client), opRedirects,
			odataError(400, "Request_BadRequest", "Invalid value specified for property 'web.redirectUris' of resource 'Application'. More text.", nil),
			"set the redirect URIs: Microsoft Graph refused it: Invalid value specified for property 'web.redirectUris' of resource 'Application'", "", "", 0},
		{"server error", testClient(KindClientSecret, client), opTenant, odataError(503, "serviceNotAvailable", "", nil),
			"read the tenant: Microsoft Graph failed (HTTP 503 serviceNotAvailable): try again later", "", "", 0},
		{"network", testClient(KindClientSecret, client), opTenant,
			fmt.Errorf("request: %w", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}),
			"read the tenant: nothing answers at https://graph.microsoft.com/v1.0: check the Graph URL, the network, or that the harness is running", "", "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.explain(tc.o, tc.err)
			var ge *Error
			if !errors.As(err, &ge) {
				t.Fatalf("explain(%v) = %T, want *Error", tc.err, err)
			}
			if err.Error() != tc.want || ge.Permission != tc.perm || ge.ConsentURL != tc.consent || ge.RetryAfter != tc.retryAft {
				t.Errorf("explain(%v) = %q (permission %q, consent %q, retry after %v),\nwant %q (%q, %q, %v)", tc.err, err,
					ge.Permission, ge.ConsentURL, ge.RetryAfter, tc.want, tc.perm, tc.consent, tc.retryAft)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("explain(%v) does not unwrap to the SDK's error", tc.err)
			}
		})
	}
}

// A failed sign-in stays an *AuthError, with the step in front.
func TestExplainGraphKeepsAuthError(t *testing.T) {
	ae := &AuthError{Credential: KindClientSecret, Code: 7000215, Fix: "the client secret is wrong"}
	err := testClient(KindClientSecret, "").explain(opTenant, fmt.Errorf("get token: %w", ae))
	var got *AuthError
	if !errors.As(err, &got) || got != ae || !strings.HasPrefix(err.Error(), "read the tenant: client secret sign-in failed (AADSTS7000215)") {
		t.Errorf("explain(auth error) = %v, want the AuthError after the step", err)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Now()
	cases := []struct {
		in       string
		min, max time.Duration
	}{
		{"", 0, 0}, {"3", 3 * time.Second, 3 * time.Second}, {"0.5", 500 * time.Millisecond, 500 * time.Millisecond},
		{"-4", 0, 0}, {"1e9", 0, 0}, {"soon", 0, 0},
		{now.Add(time.Minute).UTC().Format(http.TimeFormat), 50 * time.Second, time.Minute},
		{now.Add(-time.Minute).UTC().Format(http.TimeFormat), 0, 0},
	}
	for _, tc := range cases {
		if got := retryAfter(tc.in); got < tc.min || got > tc.max {
			t.Errorf("retryAfter(%q) = %v, want %v..%v", tc.in, got, tc.min, tc.max)
		}
	}
}

func TestSearchExpr(t *testing.T) {
	cases := []struct {
		term string
		want string
		ok   bool
	}{
		{"alice", `"displayName:alice" OR "mail:alice"`, true},
		{`  Vendor   "Users\ `, `"displayName:Vendor Users" OR "mail:Vendor Users"`, true},
		{` " \ `, "", false},
	}
	for _, tc := range cases {
		got, ok := searchExpr(tc.term, "displayName", "mail")
		if got != tc.want || ok != tc.ok {
			t.Errorf("searchExpr(%q) = %q, %v; want %q, %v", tc.term, got, ok, tc.want, tc.ok)
		}
	}
}

// Steps check the IDs they need before calling Graph.
func TestStepInputs(t *testing.T) {
	c := testClient(KindClientSecret, "")
	ctx := t.Context()
	guid := "5e0c1b2a-3d4f-4a5b-8c6d-7e8f9a0b1c2d"
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"no object ID", c.SetRedirectURIs(ctx, directory.App{ServicePrincipalID: guid}, nil), "Object ID is missing"},
		{"no service principal", c.RequireAssignment(ctx, directory.App{ObjectID: guid}, true), "create its service principal first"},
		{"secret as key ID", c.RemovePassword(ctx, directory.App{ObjectID: guid}, "Xy28Q~secretsecretsecretsecretsecretsecr"), `"Xy2…" is not a Secret ID`},
		{"bad thumbprint", c.ActivateSigningCertificate(ctx, directory.App{ServicePrincipalID: guid}, "abc"), "40 hex digits"},
		{"no CN", func() error {
			_, err := c.AddTokenSigningCertificate(ctx, directory.App{ServicePrincipalID: guid}, "Vendor", time.Time{})
			return err
		}(), "starting with CN="},
		{"past end", func() error {
			_, err := c.AddPassword(ctx, directory.App{ObjectID: guid}, "x", time.Now().Add(-time.Hour))
			return err
		}(), "not in the future"},
		{"empty name", func() error { _, err := c.CreateOIDCApp(ctx, " ", nil); return err }(), "no name"},
		{"empty search", func() error { _, err := c.SearchUsers(ctx, `""`); return err }(), "nothing to search for"},
		{"bad principal", func() error {
			_, err := c.Assign(ctx, directory.App{ServicePrincipalID: guid}, directory.Principal{ID: "alice"})
			return err
		}(), "not a user's or group's Object ID"},
		{"bad assignment ID", c.Unassign(ctx, directory.App{ServicePrincipalID: guid}, "../x"), "not an assignment ID"},
		{"SAML URLs missing", c.SetSAMLURLs(ctx, directory.App{ObjectID: guid, ServicePrincipalID: guid}, "", "https://v/acs", ""), "both needed"},
		{"not an app ID", func() error { _, err := c.EnsureServicePrincipal(ctx, directory.App{AppID: "vendor"}); return err }(), "not an Application (client) ID"},
	}
	for _, tc := range cases {
		var ge *Error
		if !errors.As(tc.err, &ge) || !strings.Contains(tc.err.Error(), tc.want) || ge.Status != 0 {
			t.Errorf("%s: %v, want a *graph.Error before any call saying %q", tc.name, tc.err, tc.want)
		}
	}
}
