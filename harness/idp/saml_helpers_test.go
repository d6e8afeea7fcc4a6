package idp_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	"github.com/crewjam/saml/samlsp"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/entrasaml"
	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/inspect"
)

// testSP is a crewjam/saml service provider configured as a vendor would configure it
// from the harness's App Federation Metadata Url.
type testSP struct {
	sp       *saml.ServiceProvider
	kp       *entrasaml.KeyPair
	metadata []byte // as fetched, BOM included
}

// spKeyPair makes a key pair for an SP (request signing, assertion decryption).
func spKeyPair(t testing.TB) *entrasaml.KeyPair {
	t.Helper()
	kp, err := entrasaml.GenerateKeyPair(nil, "vendor.example SP", time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// fetchMetadata reads the app's federation metadata from the harness.
func fetchMetadata(t testing.TB, srv *harness.Server, appID string) []byte {
	t.Helper()
	resp, err := srv.Client().Get(srv.IdP.SAMLMetadataURL(appID))
	if err != nil {
		t.Fatalf("fetch metadata: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("fetch metadata: %d %.300s", resp.StatusCode, b)
	}
	return b
}

// newSP configures a crewjam SP for the demo app from the harness's metadata.
func newSP(t testing.TB, srv *harness.Server, kp *entrasaml.KeyPair) *testSP {
	t.Helper()
	md := fetchMetadata(t, srv, tenant.DemoAppID)
	// encoding/xml stops at a byte order mark, so an SP that reads Entra's app-specific
	// document must drop it first, as the inspector does.
	ed, err := samlsp.ParseMetadata(bytes.TrimPrefix(md, []byte("\xef\xbb\xbf")))
	if err != nil {
		t.Fatalf("parse metadata: %v", err)
	}
	if kp == nil {
		kp = spKeyPair(t)
	}
	acs, _ := url.Parse(tenant.DemoReplyURL)
	meta, _ := url.Parse("https://vendor.example/saml/metadata")
	return &testSP{kp: kp, metadata: md, sp: &saml.ServiceProvider{
		EntityID:          tenant.DemoEntityID,
		Key:               kp.Key,
		Certificate:       kp.Cert,
		MetadataURL:       *meta,
		AcsURL:            *acs,
		IDPMetadata:       ed,
		AuthnNameIDFormat: saml.EmailAddressNameIDFormat,
	}}
}

// authnURL is the SP's AuthnRequest by the redirect binding, and its ID.
func (s *testSP) authnURL(t testing.TB, relayState string) (string, string) {
	t.Helper()
	req, err := s.sp.MakeAuthenticationRequest(s.sp.GetSSOBindingLocation(saml.HTTPRedirectBinding), saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		t.Fatal(err)
	}
	u, err := req.Redirect(relayState, s.sp)
	if err != nil {
		t.Fatal(err)
	}
	return u.String(), req.ID
}

// authnForm is the SP's AuthnRequest by the POST binding, as the form a browser posts.
func (s *testSP) authnForm(t testing.TB, relayState string) (form, string) {
	t.Helper()
	req, err := s.sp.MakeAuthenticationRequest(s.sp.GetSSOBindingLocation(saml.HTTPPostBinding), saml.HTTPPostBinding, saml.HTTPPostBinding)
	if err != nil {
		t.Fatal(err)
	}
	fs := forms(string(req.Post(relayState)))
	if len(fs) != 1 {
		t.Fatalf("crewjam's POST page has %d forms", len(fs))
	}
	return fs[0], req.ID
}

// acsPost is what the browser delivers to the reply URL: the auto-posted form.
type acsPost struct {
	action       string
	samlResponse string
	relayState   string
	xml          []byte
}

// readACSPost reads the auto-submitting form Entra answers with.
func readACSPost(t testing.TB, p page) acsPost {
	t.Helper()
	fs := forms(p.body)
	if p.status != http.StatusOK || len(fs) != 1 || fs[0].values.Get("SAMLResponse") == "" {
		t.Fatalf("got %d, want the auto-posted SAMLResponse form: %.600s", p.status, p.body)
	}
	f := fs[0]
	if f.method != "POST" {
		t.Errorf("form method = %q, want POST", f.method)
	}
	x, err := base64.StdEncoding.DecodeString(f.values.Get("SAMLResponse"))
	if err != nil {
		t.Fatalf("SAMLResponse is not base64: %v", err)
	}
	return acsPost{action: f.action, samlResponse: f.values.Get("SAMLResponse"), relayState: f.values.Get("RelayState"), xml: x}
}

// parse hands the post to the SP as its ACS handler would receive it.
func (s *testSP) parse(a acsPost, requestID string) (*saml.Assertion, error) {
	v := url.Values{"SAMLResponse": {a.samlResponse}}
	if a.relayState != "" {
		v.Set("RelayState", a.relayState)
	}
	r := httptest.NewRequest(http.MethodPost, a.action, strings.NewReader(v.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	as, err := s.sp.ParseResponse(r, []string{requestID})
	if ire, ok := err.(*saml.InvalidResponseError); ok {
		return nil, ire.PrivateErr // crewjam hides the reason behind a fixed message
	}
	return as, err
}

// inspectPost runs the inspector on the response as the SP at spNow, trusting the
// metadata the SP holds.
func inspectPost(t testing.TB, a acsPost, metadata []byte, requestID string, spNow time.Time, spKey *entrasaml.KeyPair) *inspect.Report {
	t.Helper()
	opts := inspect.Options{SPEntityID: tenant.DemoEntityID, ACS: tenant.DemoReplyURL, RequestID: requestID, Now: spNow}
	if _, _, err := opts.AddTrust(metadata); err != nil {
		t.Fatalf("inspector trust: %v", err)
	}
	if spKey != nil {
		opts.SPKey = spKey.Key
	}
	return inspect.Inspect([]byte(a.samlResponse), opts)
}

// errorFindings lists the error findings of a report.
func errorFindings(r *inspect.Report) []inspect.Finding {
	var out []inspect.Finding
	for _, f := range r.Findings {
		if f.Severity == inspect.SeverityError {
			out = append(out, f)
		}
	}
	return out
}

// samlLogin runs an SP-initiated login by redirect or POST through the login form
// (or the session, when the browser has one) and returns what reaches the ACS.
func samlLogin(t testing.TB, b *browser, s *testSP, post bool, login, password string) (acsPost, string) {
	t.Helper()
	var p page
	var id string
	if post {
		var f form
		f, id = s.authnForm(t, "relay-42")
		p = b.post(f.action, f.values)
	} else {
		var u string
		u, id = s.authnURL(t, "relay-42")
		p = b.get(u)
	}
	if strings.Contains(p.body, `name="passwd"`) {
		p = b.submit(p, map[string]string{"login": login, "passwd": password})
	}
	return readACSPost(t, p), id
}

// signedParts reports which of the Response and its Assertion carry a Signature.
func signedParts(t testing.TB, x []byte) (response, assertion bool) {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(x); err != nil {
		t.Fatalf("response XML: %v", err)
	}
	root := doc.Root()
	response = root.SelectElement("Signature") != nil
	if a := root.SelectElement("Assertion"); a != nil {
		assertion = a.SelectElement("Signature") != nil
	}
	return response, assertion
}

// attrValues reads an attribute of a crewjam assertion.
func attrValues(as *saml.Assertion, name string) []string {
	var out []string
	for _, st := range as.AttributeStatements {
		for _, a := range st.Attributes {
			if a.Name == name {
				for _, v := range a.Values {
					out = append(out, v.Value)
				}
			}
		}
	}
	return out
}
