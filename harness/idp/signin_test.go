package idp_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/idp"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

// A protocol mounted beside the login endpoints shares the login page and the session,
// as the SAML endpoint will.
func TestSignInForAnotherProtocol(t *testing.T) {
	srv, err := harness.Start(context.Background(), harness.Config{StateDir: t.TempDir(),
		Mount: func(mux *http.ServeMux, login *idp.IdP) {
			mux.HandleFunc("GET /{tenant}/testproto", func(w http.ResponseWriter, r *http.Request) {
				app, ok := appFromQuery(r)
				if !ok {
					login.ErrorPage(w, r, 700016, "Application with identifier 'x' was not found in the directory.")
					return
				}
				opts := idp.SignInOptions{ForceLogin: r.URL.Query().Has("force"), Passive: r.URL.Query().Has("passive")}
				login.SignIn(w, r, app, opts, func(w http.ResponseWriter, r *http.Request, u *tenant.User, _ time.Time) {
					if u == nil {
						fmt.Fprint(w, "no session")
						return
					}
					fmt.Fprintf(w, "signed in as %s", u.UPN)
				})
			})
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	b := newBrowser(t, srv)
	u := srv.BaseURL + "/" + srv.TenantID + "/testproto"
	if p := b.get(u + "?passive"); p.body != "no session" {
		t.Errorf("passive without session = %q", p.body)
	}
	p := b.submit(b.get(u), map[string]string{"login": "bob@contoso.example", "passwd": "Demo.Bob.2026"})
	if p.body != "signed in as bob@contoso.example" {
		t.Errorf("after the form = %d %.200q", p.status, p.body)
	}
	if p := b.get(u); p.body != "signed in as bob@contoso.example" {
		t.Errorf("SSO = %.200q", p.body)
	}
	if p := b.get(u + "?force"); !strings.Contains(p.body, `name="passwd"`) {
		t.Errorf("ForceLogin did not show the form: %.200q", p.body)
	}
	// The session is the OIDC one too: authorize answers without the form (bob is then
	// refused by assignment, which proves the session was used).
	redirectedError(t, "OIDC after the other protocol's login", b.get(authorizeURL(srv, srv.TenantID, nil)), "access_denied", "50105")
	errorPageCode(t, "ErrorPage", b.get(srv.BaseURL+"/"+srv.TenantID+"/testproto?app=none"), "700016")
}

// appFromQuery stands for the app lookup a real protocol does (SAML: by Issuer).
func appFromQuery(r *http.Request) (tenant.App, bool) {
	if r.URL.Query().Get("app") == "none" {
		return tenant.App{}, false
	}
	return tenant.App{AppID: tenant.DemoAppID, DisplayName: "Vendor SSO (demo)"}, true
}
