package idp_test

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/entrasaml"
	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/inspect"
)

// authnRequest builds an AuthnRequest as the demo app's SP would send it, changed by o.
func authnRequest(t testing.TB, change func(o *entrasaml.AuthnRequestOptions)) ([]byte, string) {
	t.Helper()
	o := entrasaml.AuthnRequestOptions{Issuer: tenant.DemoEntityID, ACS: tenant.DemoReplyURL, Now: time.Now()}
	if change != nil {
		change(&o)
	}
	x, id, err := entrasaml.BuildAuthnRequest(o)
	if err != nil {
		t.Fatal(err)
	}
	return x, id
}

// redirectTo is the request by the redirect binding, signed when signer is set.
func redirectTo(t testing.TB, srv *harness.Server, x []byte, signer *entrasaml.KeyPair) string {
	t.Helper()
	u, err := entrasaml.RedirectURL(srv.IdP.SAMLEndpoint(), "SAMLRequest", x, "relay-7", signer, entrasaml.RSASHA256)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// wantErrorPage checks that the error is shown on Entra's error page, not sent to the app.
func wantErrorPage(t testing.TB, p page, code int) {
	t.Helper()
	if p.status != http.StatusBadRequest && p.status != http.StatusNotFound {
		t.Errorf("status %d, want Entra's error page (400)", p.status)
	}
	if !strings.Contains(p.body, "AADSTS"+strconv.Itoa(code)+":") {
		t.Errorf("page lacks AADSTS%d: %.500s", code, p.body)
	}
	if strings.Contains(p.body, `name="SAMLResponse"`) {
		t.Errorf("AADSTS%d was posted to the app, want it on the error page only", code)
	}
}

// wantStatus checks that the error went back to the reply URL as a Response with the
// status and the AADSTS text, answering the request, with the RelayState.
func wantStatus(t testing.TB, p page, requestID, relay string, code int, status, sub string) *inspect.Report {
	t.Helper()
	a := readACSPost(t, p)
	if a.action != tenant.DemoReplyURL || a.relayState != relay {
		t.Errorf("posted to %q with RelayState %q, want %q and %q", a.action, a.relayState, tenant.DemoReplyURL, relay)
	}
	rep := inspect.Inspect([]byte(a.samlResponse), inspect.Options{RequestID: requestID, ACS: tenant.DemoReplyURL, Now: time.Now()})
	if rep.Status == nil {
		t.Fatalf("inspector sees no status: %+v", rep.Findings)
	}
	if rep.Status.Code != status || rep.Status.SubCode != sub {
		t.Errorf("status %s / %s, want %s / %s", rep.Status.Code, rep.Status.SubCode, status, sub)
	}
	if prefix := "AADSTS" + strconv.Itoa(code) + ": "; !strings.HasPrefix(rep.Status.Message, prefix) || !strings.Contains(rep.Status.Message, "Trace ID: ") {
		t.Errorf("StatusMessage %q, want %q… with Entra's trace line", rep.Status.Message, prefix)
	}
	if rep.Status.AADSTS == nil {
		t.Errorf("inspector does not explain AADSTS%d", code)
	}
	if rep.InResponseTo != requestID {
		t.Errorf("InResponseTo %q, want %q", rep.InResponseTo, requestID)
	}
	if rep.Issuer != entrasaml.Issuer(tenant.DemoTenantID) {
		t.Errorf("Issuer %q", rep.Issuer)
	}
	if !rep.Has(inspect.CodeStatusError) {
		t.Errorf("inspector findings %+v lack status-error", rep.Findings)
	}
	return rep
}

// Errors Entra shows on its own page: nothing about the request can be trusted enough
// to send the error back.
func TestSAMLErrorsOnErrorPage(t *testing.T) {
	srv, _ := start(t)
	ep := srv.IdP.SAMLEndpoint()
	for _, tc := range []struct {
		name string
		do   func(b *browser) page
		code int
	}{
		{"unknown tenant", func(b *browser) page {
			x, _ := authnRequest(t, nil)
			return b.get(strings.Replace(redirectTo(t, srv, x, nil), tenant.DemoTenantID, "nosuch.example", 1))
		}, 90002},
		{"redirect without SAMLRequest", func(b *browser) page { return b.get(ep + "?RelayState=x") }, 750054},
		{"POST without SAMLRequest", func(b *browser) page { return b.post(ep, url.Values{"RelayState": {"x"}}) }, 750054},
		{"SAMLResponse instead of SAMLRequest", func(b *browser) page {
			return b.get(ep + "?SAMLResponse=" + url.QueryEscape("fZBBT8MwDIX/SuS7m6QbAhatEtKknSd24TQ9RdEGkrs5oQ/+nhRt0iZ2cOLzfc/P8Xz+fJ8j"))
		}, 75005},
		{"not deflated", func(b *browser) page {
			x, _ := authnRequest(t, nil)
			return b.get(ep + "?SAMLRequest=" + url.QueryEscape(base64.StdEncoding.EncodeToString(x)))
		}, 75005},
		{"not XML", func(b *browser) page {
			return b.post(ep, url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString([]byte("hello"))}})
		}, 75005},
		{"DOCTYPE", func(b *browser) page {
			x, _ := authnRequest(t, nil)
			x = append([]byte(`<!DOCTYPE r [<!ENTITY a "b">]>`), x...)
			return b.post(ep, url.Values{"SAMLRequest": {entrasaml.EncodePOST(x)}})
		}, 75005},
		{"ID starting with a digit", func(b *browser) page {
			x, _ := authnRequest(t, func(o *entrasaml.AuthnRequestOptions) { o.ID = "1f0e2d3c" })
			return b.get(redirectTo(t, srv, x, nil))
		}, 7500529},
		{"issuer matching no identifier", func(b *browser) page {
			x, _ := authnRequest(t, func(o *entrasaml.AuthnRequestOptions) { o.Issuer = "https://vendor.example/saml/" })
			return b.get(redirectTo(t, srv, x, nil))
		}, 700016},
		{"no issuer", func(b *browser) page {
			x, _ := authnRequest(t, func(o *entrasaml.AuthnRequestOptions) { o.Issuer = "" })
			return b.post(ep, url.Values{"SAMLRequest": {entrasaml.EncodePOST(x)}})
		}, 700016},
		{"ACS not a reply URL", func(b *browser) page {
			x, _ := authnRequest(t, func(o *entrasaml.AuthnRequestOptions) { o.ACS = "https://vendor.example/saml/ACS" })
			return b.get(redirectTo(t, srv, x, nil))
		}, 50011},
		{"LogoutRequest by POST", func(b *browser) page {
			x, _, _ := entrasaml.BuildLogoutRequest(entrasaml.LogoutRequestOptions{Issuer: tenant.DemoEntityID, NameID: alice, Now: time.Now()})
			return b.post(ep, url.Values{"SAMLRequest": {entrasaml.EncodePOST(x)}})
		}, 75005},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErrorPage(t, tc.do(newBrowser(t, srv)), tc.code)
		})
	}
}

// Errors once the app and its reply URL are known go back to the reply URL as SAML
// Status, by both bindings.
func TestSAMLErrorsToACS(t *testing.T) {
	srv, _ := start(t)
	for _, tc := range []struct {
		name        string
		change      func(o *entrasaml.AuthnRequestOptions)
		code        int
		status, sub string
	}{
		{"unsupported NameIDPolicy", func(o *entrasaml.AuthnRequestOptions) {
			o.NameIDPolicyFormat = "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName"
		}, 75016, entrasaml.StatusRequester, entrasaml.StatusInvalidNameIDPolicy},
		{"Comparison minimum", func(o *entrasaml.AuthnRequestOptions) {
			o.AuthnContextClassRefs, o.Comparison = []string{entrasaml.AuthnContextPassword}, "minimum"
		}, 75011, entrasaml.StatusRequester, entrasaml.StatusNoAuthnContext},
		{"Subject present", func(o *entrasaml.AuthnRequestOptions) { o.SubjectNameID = alice },
			75005, entrasaml.StatusRequester, entrasaml.StatusRequestUnsupported},
		{"IssueInstant too old", func(o *entrasaml.AuthnRequestOptions) { o.Now = time.Now().Add(-10 * time.Minute) },
			76026, entrasaml.StatusRequester, entrasaml.StatusRequestDenied},
	} {
		for _, post := range []bool{false, true} {
			t.Run(tc.name+"/post="+strconv.FormatBool(post), func(t *testing.T) {
				b := newBrowser(t, srv)
				x, id := authnRequest(t, tc.change)
				var p page
				if post {
					p = b.post(srv.IdP.SAMLEndpoint(), url.Values{"SAMLRequest": {entrasaml.EncodePOST(x)}, "RelayState": {"relay-7"}})
				} else {
					p = b.get(redirectTo(t, srv, x, nil))
				}
				wantStatus(t, p, id, "relay-7", tc.code, tc.status, tc.sub)
			})
		}
	}
}

// Errors found after sign-in go back as SAML Status too: an authentication context the
// password sign-in does not satisfy, an unassigned user, a NameID source the user lacks,
// a passive request without a session.
func TestSAMLErrorsAfterSignIn(t *testing.T) {
	srv, _ := start(t)
	signIn := func(t *testing.T, change func(o *entrasaml.AuthnRequestOptions), login, password string) (page, string) {
		b := newBrowser(t, srv)
		x, id := authnRequest(t, change)
		p := b.get(redirectTo(t, srv, x, nil))
		if !strings.Contains(p.body, `name="passwd"`) {
			t.Fatalf("want the login form first: %d %.300s", p.status, p.body)
		}
		return b.submit(p, map[string]string{"login": login, "passwd": password}), id
	}
	t.Run("authentication context", func(t *testing.T) {
		p, id := signIn(t, func(o *entrasaml.AuthnRequestOptions) {
			o.AuthnContextClassRefs = []string{"urn:oasis:names:tc:SAML:2.0:ac:classes:X509"}
		}, alice, alicePassword)
		wantStatus(t, p, id, "relay-7", 75011, entrasaml.StatusRequester, entrasaml.StatusNoAuthnContext)
	})
	t.Run("password context is satisfied", func(t *testing.T) {
		p, _ := signIn(t, func(o *entrasaml.AuthnRequestOptions) {
			o.AuthnContextClassRefs = []string{"urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"}
		}, alice, alicePassword)
		rep := inspect.Inspect([]byte(readACSPost(t, p).samlResponse), inspect.Options{})
		if rep.Status == nil || rep.Status.Code != entrasaml.StatusSuccess {
			t.Errorf("status %+v, want Success", rep.Status)
		}
	})
	t.Run("not assigned", func(t *testing.T) {
		p, id := signIn(t, nil, "bob@"+tenant.DemoDomain, "Demo.Bob.2026")
		rep := wantStatus(t, p, id, "relay-7", 50105, entrasaml.StatusRequester, entrasaml.StatusRequestDenied)
		if !strings.Contains(rep.Status.Message, "The signed in user '{EmailHidden}' is blocked") || strings.Contains(rep.Status.Message, "bob@") {
			t.Errorf("50105 = %q, want the user hidden as Entra hides them", rep.Status.Message)
		}
	})
	t.Run("nested group only", func(t *testing.T) {
		p, id := signIn(t, nil, "frank@"+tenant.DemoDomain, "Demo.Frank.2026")
		wantStatus(t, p, id, "relay-7", 50105, entrasaml.StatusRequester, entrasaml.StatusRequestDenied)
	})
	t.Run("NameID source empty", func(t *testing.T) {
		setSAML(t, srv, func(s *tenant.SAML) { s.NameID = tenant.NameIDMail })
		defer setSAML(t, srv, func(s *tenant.SAML) { s.NameID = tenant.NameIDUPN })
		p, id := signIn(t, nil, "dave@"+tenant.DemoDomain, "Demo.Dave.2026")
		wantStatus(t, p, id, "relay-7", 501241, entrasaml.StatusResponder, "")
	})
	t.Run("passive without a session", func(t *testing.T) {
		x, id := authnRequest(t, func(o *entrasaml.AuthnRequestOptions) { o.IsPassive = true })
		wantStatus(t, newBrowser(t, srv).get(redirectTo(t, srv, x, nil)), id, "relay-7", 50058, entrasaml.StatusResponder, entrasaml.StatusNoPassive)
	})
	t.Run("ForceAuthn shows the form despite a session", func(t *testing.T) {
		b := newBrowser(t, srv)
		sp := newSP(t, srv, nil)
		samlLogin(t, b, sp, false, alice, alicePassword)
		x, _ := authnRequest(t, func(o *entrasaml.AuthnRequestOptions) { o.ForceAuthn = true })
		if p := b.get(redirectTo(t, srv, x, nil)); !strings.Contains(p.body, `name="passwd"`) {
			t.Errorf("ForceAuthn answered without the login form: %d %.300s", p.status, p.body)
		}
		x, _ = authnRequest(t, func(o *entrasaml.AuthnRequestOptions) { o.IsPassive = true })
		if p := b.get(redirectTo(t, srv, x, nil)); !strings.Contains(p.body, "SAMLResponse") {
			t.Errorf("IsPassive with a session did not answer at once: %d %.300s", p.status, p.body)
		}
	})
}

// An app that requires signed requests refuses unsigned or wrongly signed ones
// (AADSTS76021, to the reply URL) and accepts requests signed with its verification
// certificate, by query signature and by enveloped signature.
func TestSAMLSignedRequests(t *testing.T) {
	srv, _ := start(t)
	spKP, other := spKeyPair(t), spKeyPair(t)
	setSAML(t, srv, func(s *tenant.SAML) {
		s.RequireSignedRequests = true
		s.VerificationCert = string(spKP.CertPEM())
	})
	t.Run("unsigned redirect", func(t *testing.T) {
		x, id := authnRequest(t, nil)
		wantStatus(t, newBrowser(t, srv).get(redirectTo(t, srv, x, nil)), id, "relay-7", 76021, entrasaml.StatusRequester, entrasaml.StatusRequestDenied)
	})
	t.Run("redirect signed by another key", func(t *testing.T) {
		x, id := authnRequest(t, nil)
		wantStatus(t, newBrowser(t, srv).get(redirectTo(t, srv, x, other)), id, "relay-7", 76021, entrasaml.StatusRequester, entrasaml.StatusRequestDenied)
	})
	t.Run("redirect with a tampered request", func(t *testing.T) {
		x, id := authnRequest(t, nil)
		u := redirectTo(t, srv, x, spKP)
		other, _ := authnRequest(t, func(o *entrasaml.AuthnRequestOptions) { o.ID = id; o.ForceAuthn = true })
		enc, _ := entrasaml.Deflate(other)
		q, _ := url.Parse(u)
		v := q.Query()
		v.Set("SAMLRequest", enc)
		q.RawQuery = v.Encode()
		wantStatus(t, newBrowser(t, srv).get(q.String()), id, "relay-7", 76021, entrasaml.StatusRequester, entrasaml.StatusRequestDenied)
	})
	t.Run("unsigned POST", func(t *testing.T) {
		x, id := authnRequest(t, nil)
		p := newBrowser(t, srv).post(srv.IdP.SAMLEndpoint(), url.Values{"SAMLRequest": {entrasaml.EncodePOST(x)}, "RelayState": {"relay-7"}})
		wantStatus(t, p, id, "relay-7", 76021, entrasaml.StatusRequester, entrasaml.StatusRequestDenied)
	})
	for _, post := range []bool{false, true} {
		t.Run("crewjam signs, post="+strconv.FormatBool(post), func(t *testing.T) {
			sp := newSP(t, srv, spKP)
			sp.sp.SignatureMethod = dsig.RSASHA256SignatureMethod
			a, id := samlLogin(t, newBrowser(t, srv), sp, post, alice, alicePassword)
			if _, err := sp.parse(a, id); err != nil {
				t.Errorf("signed request did not lead to a login: %v", err)
			}
		})
	}
	t.Run("POST signed by another key", func(t *testing.T) {
		sp := newSP(t, srv, other)
		sp.sp.SignatureMethod = dsig.RSASHA256SignatureMethod
		f, id := sp.authnForm(t, "relay-7")
		wantStatus(t, newBrowser(t, srv).post(f.action, f.values), id, "relay-7", 76021, entrasaml.StatusRequester, entrasaml.StatusRequestDenied)
	})
}

// crewjam reports an error status as ErrBadStatus: the SP sees the failure as Entra's.
func TestSAMLErrorStatusAtTheSP(t *testing.T) {
	srv, _ := start(t)
	sp := newSP(t, srv, nil)
	sp.sp.AuthnNameIDFormat = "urn:oasis:names:tc:SAML:2.0:nameid-format:kerberos"
	u, id := sp.authnURL(t, "")
	a := readACSPost(t, newBrowser(t, srv).get(u))
	_, err := sp.parse(a, id)
	var bad saml.ErrBadStatus
	if !errors.As(err, &bad) || bad.Status != entrasaml.StatusRequester {
		t.Errorf("crewjam ParseResponse error = %v, want ErrBadStatus Requester", err)
	}
}

// A LogoutRequest by redirect ends the session and answers with a LogoutResponse,
// issued by the harness's origin as Entra's is by login.microsoftonline.com, to the
// app's logout URL; without one, the signed-out page.
func TestSAMLLogout(t *testing.T) {
	srv, _ := start(t)
	sp := newSP(t, srv, nil)
	b := newBrowser(t, srv)
	samlLogin(t, b, sp, false, alice, alicePassword)
	lr, lrID, _ := entrasaml.BuildLogoutRequest(entrasaml.LogoutRequestOptions{Issuer: tenant.DemoEntityID, NameID: alice, NameIDFormat: entrasaml.NameIDEmail, Now: time.Now()})

	if p := b.get(redirectTo(t, srv, lr, nil)); p.status != http.StatusOK || !strings.Contains(p.body, "signed out") {
		t.Errorf("logout without a logout URL: %d %.300s, want the signed-out page", p.status, p.body)
	}
	u, _ := sp.authnURL(t, "")
	if p := b.get(u); !strings.Contains(p.body, `name="passwd"`) {
		t.Errorf("after logout the session still signs in: %d %.300s", p.status, p.body)
	}

	setSAML(t, srv, func(s *tenant.SAML) { s.LogoutURL = "https://vendor.example/saml/slo" })
	samlLogin(t, newBrowser(t, srv), sp, false, alice, alicePassword)
	p := b.get(redirectTo(t, srv, lr, nil))
	if p.status != http.StatusFound || !strings.HasPrefix(p.location, "https://vendor.example/saml/slo?SAMLResponse=") {
		t.Fatalf("logout: %d Location %q, want a redirect to the logout URL", p.status, p.location)
	}
	loc, _ := url.Parse(p.location)
	raw, _ := base64.StdEncoding.DecodeString(loc.Query().Get("SAMLResponse"))
	var xml bytes.Buffer
	xml.ReadFrom(flate.NewReader(bytes.NewReader(raw)))
	for _, want := range []string{`InResponseTo="` + lrID + `"`, ">" + srv.BaseURL + "/" + tenant.DemoTenantID + "/</Issuer>", entrasaml.StatusSuccess} {
		if !strings.Contains(xml.String(), want) {
			t.Errorf("LogoutResponse lacks %q:\n%s", want, xml.String())
		}
	}
	if loc.Query().Get("RelayState") != "relay-7" {
		t.Errorf("RelayState %q not echoed", loc.Query().Get("RelayState"))
	}
	x, _, _ := entrasaml.BuildLogoutRequest(entrasaml.LogoutRequestOptions{Issuer: "https://other.example", NameID: alice, Now: time.Now()})
	wantErrorPage(t, b.get(redirectTo(t, srv, x, nil)), 700016)
}
