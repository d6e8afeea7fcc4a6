package graph_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/directory"
	"github.com/ssowizard/ssowizard/graph"
	"github.com/ssowizard/ssowizard/harness/graphapi"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

// appIDs are the client IDs of what a lookup found, for messages and comparisons.
func appIDs(apps []directory.AppDetails) []string {
	var out []string
	for _, a := range apps {
		out = append(out, a.AppID)
	}
	return out
}

// An OIDC app made through Graph reads back as made, by either ID: its redirect URIs,
// audience and secret, the secret without its value. A lookup by its name, which holds
// a quote, finds it and only it.
func TestReadOIDCApp(t *testing.T) {
	e := setupClient(t, graphapi.Settings{}, graph.Options{})
	ctx := testCtx(t)
	const name = "O'Brien's vendor app"
	uris := []string{"http://127.0.0.1/callback", "https://vendor.example/oidc/callback"}
	app, err := e.client.CreateOIDCApp(ctx, name, uris)
	if err != nil {
		t.Fatalf("CreateOIDCApp(%q) = %s", name, describe(err))
	}
	end := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	pw, err := e.client.AddPassword(ctx, app, "ssowizard", end)
	if err != nil {
		t.Fatalf("AddPassword = %s", describe(err))
	}
	want := directory.AppDetails{App: directory.App{ObjectID: app.ObjectID, AppID: app.AppID, DisplayName: name},
		RedirectURIs: uris, SignInAudience: "AzureADMyOrg"}
	for _, by := range []directory.App{{ObjectID: app.ObjectID}, {AppID: app.AppID}, app} {
		got, err := e.client.Application(ctx, by)
		if err != nil {
			t.Fatalf("Application(%+v) = %s", by, describe(err))
		}
		if got.App != want.App || !slices.Equal(got.RedirectURIs, want.RedirectURIs) || got.SignInAudience != want.SignInAudience ||
			len(got.IdentifierURIs) != 0 {
			t.Errorf("Application(%+v) = %+v, want %+v", by, got, want)
		}
		if len(got.Secrets) != 1 {
			t.Fatalf("Application(%+v) has secrets %+v, want the one added", by, got.Secrets)
		}
		s := got.Secrets[0]
		if s.KeyID != pw.KeyID || s.Hint != pw.Hint || s.DisplayName != "ssowizard" || !s.End.Equal(end) || s.Start.IsZero() {
			t.Errorf("Application(%+v) secret = %+v, want key %s hint %s named ssowizard ending %v", by, s, pw.KeyID, pw.Hint, end)
		}
		if shown := fmt.Sprintf("%v %+v %#v", got, got, got); strings.Contains(shown, pw.Value) {
			t.Errorf("Application(%+v) shows the secret's value: %s", by, shown)
		}
	}

	tests := []struct {
		name string
		want []string
	}{
		{name, []string{app.AppID}},
		{strings.ToUpper(name), []string{app.AppID}},
		{"O'Brien's", nil},
		{"Nobody's app", nil},
	}
	for _, tc := range tests {
		got, err := e.client.ApplicationsByName(ctx, tc.name)
		if err != nil || !slices.Equal(appIDs(got), tc.want) {
			t.Errorf("ApplicationsByName(%q) = %v, %s; want %v", tc.name, appIDs(got), describe(err), tc.want)
		}
		if len(got) == 1 && (got[0].ObjectID != app.ObjectID || !slices.Equal(got[0].RedirectURIs, uris) || len(got[0].Secrets) != 1) {
			t.Errorf("ApplicationsByName(%q) = %+v, want the app with its redirect URIs and secret", tc.name, got[0])
		}
	}
}

// A SAML app is found by its Entity ID, and only it; its service principal shows
// assignment required, the SAML mode and the signing certificates with the active one.
func TestReadSAMLApp(t *testing.T) {
	e := setupClient(t, graphapi.Settings{}, graph.Options{})
	ctx := testCtx(t)
	app, err := e.client.InstantiateSAMLApp(ctx, "Vendor SAML read back")
	if err != nil {
		t.Fatalf("InstantiateSAMLApp = %s", describe(err))
	}
	const entityID, acs = "https://vendor.example/saml/read-back", "http://127.0.0.1/saml/acs"
	if err := e.client.SetSAMLURLs(ctx, app, entityID, acs, ""); err != nil {
		t.Fatalf("SetSAMLURLs = %s", describe(err))
	}

	tests := []struct {
		uri  string
		want []string
	}{
		{entityID, []string{app.AppID}},
		{tenant.DemoEntityID, []string{tenant.DemoAppID}},
		{entityID + "/more", nil},
		{"https://vendor.example/saml/o'brien", nil},
	}
	for _, tc := range tests {
		got, err := e.client.ApplicationsByIdentifierURI(ctx, tc.uri)
		if err != nil || !slices.Equal(appIDs(got), tc.want) {
			t.Errorf("ApplicationsByIdentifierURI(%q) = %v, %s; want %v", tc.uri, appIDs(got), describe(err), tc.want)
		}
	}
	found, _ := e.client.ApplicationsByIdentifierURI(ctx, entityID)
	if len(found) == 1 && (found[0].ObjectID != app.ObjectID || !slices.Equal(found[0].IdentifierURIs, []string{entityID}) ||
		!slices.Equal(found[0].RedirectURIs, []string{acs})) {
		t.Errorf("ApplicationsByIdentifierURI(%q) = %+v, want the app with its Identifier and Reply URL", entityID, found[0])
	}

	before, err := e.client.ServicePrincipal(ctx, app)
	if err != nil {
		t.Fatalf("ServicePrincipal = %s", describe(err))
	}
	if before.App != app || before.AppRoleAssignmentRequired || before.PreferredSingleSignOnMode != "saml" ||
		before.PreferredTokenSigningKeyThumbprint != "" || len(before.SigningCertificates) != 0 {
		t.Errorf("ServicePrincipal before = %+v, want %+v in SAML mode, no assignment required, no certificate", before, app)
	}

	if err := e.client.RequireAssignment(ctx, app, true); err != nil {
		t.Fatalf("RequireAssignment = %s", describe(err))
	}
	end := time.Now().AddDate(1, 0, 0).UTC().Truncate(time.Second)
	first, err := e.client.AddTokenSigningCertificate(ctx, app, "CN=Vendor SAML read back", end)
	if err != nil {
		t.Fatalf("AddTokenSigningCertificate = %s", describe(err))
	}
	second, err := e.client.AddTokenSigningCertificate(ctx, app, "CN=Vendor SAML rollover", end.AddDate(1, 0, 0))
	if err != nil {
		t.Fatalf("AddTokenSigningCertificate (second) = %s", describe(err))
	}
	if err := e.client.ActivateSigningCertificate(ctx, app, second.Thumbprint); err != nil {
		t.Fatalf("ActivateSigningCertificate = %s", describe(err))
	}
	// By its own ID, and by the client ID alone.
	for _, by := range []directory.App{app, {AppID: app.AppID}} {
		got, err := e.client.ServicePrincipal(ctx, by)
		if err != nil {
			t.Fatalf("ServicePrincipal(%+v) after = %s", by, describe(err))
		}
		if got.ServicePrincipalID != app.ServicePrincipalID || got.AppID != app.AppID || got.ObjectID != by.ObjectID ||
			!got.AppRoleAssignmentRequired || got.PreferredSingleSignOnMode != "saml" || got.PreferredTokenSigningKeyThumbprint != second.Thumbprint {
			t.Errorf("ServicePrincipal(%+v) after = %+v, want assignment required and %s active", by, got, second.Thumbprint)
		}
		for _, want := range []struct {
			sc   directory.SigningCertificate
			name string
		}{{first, "CN=Vendor SAML read back"}, {second, "CN=Vendor SAML rollover"}} {
			i := slices.IndexFunc(got.SigningCertificates, func(c directory.CertInfo) bool { return c.Thumbprint == want.sc.Thumbprint })
			if i < 0 {
				t.Errorf("ServicePrincipal(%+v) certificates = %+v, want %s among them", by, got.SigningCertificates, want.sc.Thumbprint)
				continue
			}
			if c := got.SigningCertificates[i]; c.DisplayName != want.name || !c.End.Equal(want.sc.End) || !c.Start.Equal(want.sc.Start) || !isGUID(c.KeyID) {
				t.Errorf("ServicePrincipal(%+v) certificate %s = %+v, want %s from %v to %v", by, want.sc.Thumbprint, c, want.name, want.sc.Start, want.sc.End)
			}
		}
		if len(got.SigningCertificates) != 2 {
			t.Errorf("ServicePrincipal(%+v) lists %d certificates, want 2 (one per certificate, not per key)", by, len(got.SigningCertificates))
		}
	}
}

// The reads refuse what they cannot look for before calling Graph, and an object that
// does not exist is a 404 at once.
func TestReadErrors(t *testing.T) {
	e := setupClient(t, graphapi.Settings{}, graph.Options{})
	ctx := testCtx(t)
	const unknown = "5e0c1b2a-3d4f-4a5b-8c6d-7e8f9a0b1c2d"
	tests := []struct {
		name   string
		call   func() error
		status int    // 0: refused before calling Graph
		words  string // in the error's text
	}{
		{"Application without IDs", func() error { _, err := e.client.Application(ctx, directory.App{}); return err }, 0, "Object ID"},
		{"Application with a bad object ID", func() error {
			_, err := e.client.Application(ctx, directory.App{ObjectID: "my app", AppID: tenant.DemoAppID})
			return err
		}, 0, "Object ID"},
		{"Application unknown", func() error { _, err := e.client.Application(ctx, directory.App{AppID: unknown}); return err }, http.StatusNotFound, "does not exist"},
		{"ApplicationsByIdentifierURI empty", func() error { _, err := e.client.ApplicationsByIdentifierURI(ctx, " "); return err }, 0, "Entity ID"},
		{"ApplicationsByName empty", func() error { _, err := e.client.ApplicationsByName(ctx, ""); return err }, 0, "name"},
		{"ServicePrincipal without IDs", func() error { _, err := e.client.ServicePrincipal(ctx, directory.App{ObjectID: unknown}); return err }, 0, "Object ID"},
		{"ServicePrincipal unknown", func() error {
			_, err := e.client.ServicePrincipal(ctx, directory.App{ServicePrincipalID: unknown})
			return err
		}, http.StatusNotFound, "does not exist"},
	}
	for _, tc := range tests {
		waits := len(e.clock.Slept())
		err := tc.call()
		if !isGraphError(err, tc.status, "") || !strings.Contains(err.Error(), tc.words) || strings.Count(err.Error(), ". ") > 0 {
			t.Errorf("%s = %s, want a *graph.Error with status %d, one sentence mentioning %q", tc.name, describe(err), tc.status, tc.words)
		}
		if w := e.clock.Slept()[waits:]; len(w) > 0 {
			t.Errorf("%s waited %v, want an answer at once", tc.name, w)
		}
	}
}
