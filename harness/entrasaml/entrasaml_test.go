package entrasaml_test

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"io"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"

	"github.com/ssowizard/ssowizard/harness/entrasaml"
)

const (
	tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	spID   = "https://vendor.example/saml"
	acs    = "https://vendor.example/saml/acs"
)

var (
	keysOnce       sync.Once
	idpKey, spKeyP *entrasaml.KeyPair
)

func keys(t *testing.T) (*entrasaml.KeyPair, *entrasaml.KeyPair) {
	t.Helper()
	keysOnce.Do(func() {
		now := time.Now()
		var err error
		if idpKey, err = entrasaml.GenerateKeyPair(nil, "", now.Add(-time.Hour), now.AddDate(3, 0, 0)); err != nil {
			t.Fatal(err)
		}
		if spKeyP, err = entrasaml.GenerateKeyPair(nil, "vendor sp", now.Add(-time.Hour), now.AddDate(1, 0, 0)); err != nil {
			t.Fatal(err)
		}
	})
	if idpKey == nil {
		t.Fatal("key generation failed")
	}
	return idpKey, spKeyP
}

func seeded() io.Reader { return rand.NewChaCha8([32]byte{1, 2, 3}) }

func user() entrasaml.User {
	return entrasaml.User{
		ObjectID: "0f4e5a38-6d2b-4a8e-9e1c-3c1d2b0a9f11", UserPrincipalName: "alice@contoso.com",
		Mail: "alice@contoso.com", GivenName: "Alice", Surname: "Smith", DisplayName: "Alice Smith",
		Groups: []string{"5c7e3a1b-1111-4c22-8d33-000000000001"},
	}
}

// sp is a crewjam ServiceProvider trusting the IdP metadata built here, so an
// independent implementation judges what the builder signs. Responses are built at the
// real time because crewjam reads the clock through a package global that tests must
// not change.
func sp(t *testing.T, idp, decrypt *entrasaml.KeyPair) *saml.ServiceProvider {
	t.Helper()
	md, err := entrasaml.BuildMetadata(entrasaml.MetadataOptions{TenantID: tenant, Certs: []*x509.Certificate{idp.Cert}, Signer: idp})
	if err != nil {
		t.Fatal(err)
	}
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(md, &ed); err != nil {
		t.Fatalf("crewjam cannot read the metadata: %v", err)
	}
	s := &saml.ServiceProvider{EntityID: spID, AcsURL: mustURL(acs), IDPMetadata: &ed}
	if decrypt != nil {
		s.Key = decrypt.Key
		s.Certificate = decrypt.Cert
	}
	return s
}

func mustURL(s string) url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return *u
}

func TestCrewjamAcceptsEntraShapedResponses(t *testing.T) {
	idp, spk := keys(t)
	tests := []struct {
		name    string
		sign    entrasaml.SignMode
		alg     entrasaml.Algorithm
		encrypt bool
	}{
		{"assertion-sha256", entrasaml.SignAssertion, entrasaml.RSASHA256, false},
		{"response-sha256", entrasaml.SignResponse, entrasaml.RSASHA256, false},
		{"both-sha1", entrasaml.SignBoth, entrasaml.RSASHA1, false},
		{"assertion-encrypted", entrasaml.SignAssertion, entrasaml.RSASHA256, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := entrasaml.ResponseOptions{
				TenantID: tenant, Audience: spID, ACS: acs, InResponseTo: "_req1", User: user(),
				Sign: tt.sign, Algorithm: tt.alg, Signer: idp, Now: time.Now(),
			}
			var dec *entrasaml.KeyPair
			if tt.encrypt {
				o.EncryptTo = spk.Cert
				dec = spk
			}
			r, err := entrasaml.BuildResponse(o)
			if err != nil {
				t.Fatal(err)
			}
			a, err := sp(t, idp, dec).ParseXMLResponse(r.XML, []string{"_req1"}, mustURL(acs))
			if err != nil {
				t.Fatalf("ParseXMLResponse(%s) = %v, want accepted; error detail: %v\n%s", tt.name, err, detail(err), r.XML)
			}
			if a.Subject.NameID.Value != "alice@contoso.com" {
				t.Errorf("NameID = %q, want alice@contoso.com", a.Subject.NameID.Value)
			}
			if a.Issuer.Value != "https://sts.windows.net/"+tenant+"/" {
				t.Errorf("Issuer = %q", a.Issuer.Value)
			}
		})
	}
}

func detail(err error) error {
	if ie, ok := err.(*saml.InvalidResponseError); ok {
		return ie.PrivateErr
	}
	return nil
}

func TestCrewjamRejectsTampered(t *testing.T) {
	idp, _ := keys(t)
	r, err := entrasaml.BuildResponse(entrasaml.ResponseOptions{
		TenantID: tenant, Audience: spID, ACS: acs, InResponseTo: "_req1", User: user(), Signer: idp, Now: time.Now(),
	})
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Replace(r.XML, []byte("alice@contoso.com</NameID>"), []byte("mallory@contoso.com</NameID>"), 1)
	if bytes.Equal(bad, r.XML) {
		t.Fatal("NameID not found to tamper with")
	}
	if _, err := sp(t, idp, nil).ParseXMLResponse(bad, []string{"_req1"}, mustURL(acs)); err == nil {
		t.Fatal("ParseXMLResponse(tampered) = nil error, want rejection")
	}
}

func TestResponseShape(t *testing.T) {
	idp, _ := keys(t)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	build := func() *entrasaml.Response {
		r, err := entrasaml.BuildResponse(entrasaml.ResponseOptions{
			TenantID: tenant, Audience: spID, ACS: acs, InResponseTo: "_req1", User: user(),
			Signer: idp, Now: now, Rand: seeded(),
		})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := build()
	if again := build(); !bytes.Equal(r.XML, again.XML) {
		t.Error("BuildResponse with the same Now and Rand differs between runs, want byte-identical output")
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(r.XML); err != nil {
		t.Fatal(err)
	}
	checks := []struct{ path, want string }{
		{"./Response/Issuer", "https://sts.windows.net/" + tenant + "/"},
		{"./Response/Assertion/Issuer", "https://sts.windows.net/" + tenant + "/"},
		{"./Response/Assertion/Conditions/@NotBefore", "2026-11-23T08:55:00.000Z"},
		{"./Response/Assertion/Conditions/@NotOnOrAfter", "2026-11-23T10:00:00.000Z"},
		{"./Response/Assertion/Subject/SubjectConfirmation/SubjectConfirmationData/@NotOnOrAfter", "2026-11-23T10:00:00.000Z"},
		{"./Response/Assertion/Subject/SubjectConfirmation/SubjectConfirmationData/@Recipient", acs},
		{"./Response/Assertion/Subject/SubjectConfirmation/SubjectConfirmationData/@InResponseTo", "_req1"},
		{"./Response/Assertion/Subject/NameID/@Format", entrasaml.NameIDEmail},
		{"./Response/Assertion/AuthnStatement/AuthnContext/AuthnContextClassRef", entrasaml.AuthnContextPassword},
	}
	for _, c := range checks {
		got := xpathValue(doc, c.path)
		if got != c.want {
			t.Errorf("%s = %q, want %q", c.path, got, c.want)
		}
	}
	a := doc.FindElement("./Response/Assertion")
	if a.ChildElements()[1].Tag != "Signature" {
		t.Errorf("assertion child 2 = %s, want Signature right after Issuer", a.ChildElements()[1].Tag)
	}
	if doc.FindElement("./Response/Signature") != nil {
		t.Error("Response carries a Signature in Entra's default mode, want the assertion only")
	}
	for _, id := range []string{r.ID, r.AssertionID} {
		if !strings.HasPrefix(id, "_") || len(id) != 37 {
			t.Errorf("ID %q, want _ + GUID", id)
		}
	}
}

func xpathValue(doc *etree.Document, path string) string {
	if i := strings.Index(path, "/@"); i >= 0 {
		el := doc.FindElement(path[:i])
		if el == nil {
			return "<missing>"
		}
		return el.SelectAttrValue(path[i+2:], "<missing>")
	}
	el := doc.FindElement(path)
	if el == nil {
		return "<missing>"
	}
	return el.Text()
}

func TestErrorResponse(t *testing.T) {
	r, err := entrasaml.BuildResponse(entrasaml.ResponseOptions{
		TenantID: tenant, ACS: acs, InResponseTo: "_req1", Sign: entrasaml.SignNone, Now: time.Now(),
		Status: &entrasaml.Status{Code: entrasaml.StatusRequester, SubCode: entrasaml.StatusRequestDenied,
			Message: "AADSTS50105: Your administrator has configured the application to block users unless they are specifically granted access."},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Requester"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:RequestDenied"/>`, "AADSTS50105"} {
		if !bytes.Contains(r.XML, []byte(want)) {
			t.Errorf("error response lacks %q:\n%s", want, r.XML)
		}
	}
	if bytes.Contains(r.XML, []byte("Assertion")) {
		t.Error("error response carries an assertion")
	}
}

func TestRedirectURLSignature(t *testing.T) {
	idp, _ := keys(t)
	xmlb, id, err := entrasaml.BuildAuthnRequest(entrasaml.AuthnRequestOptions{
		Issuer: spID, ACS: acs, Destination: entrasaml.LoginEndpoint(tenant), Now: time.Now(), Rand: seeded(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if id[0] != '_' {
		t.Errorf("request ID %q starts with %q, want _", id, id[0])
	}
	u, err := entrasaml.RedirectURL(entrasaml.LoginEndpoint(tenant), "SAMLRequest", xmlb, "rs 1", idp, entrasaml.RSASHA256)
	if err != nil {
		t.Fatal(err)
	}
	raw := u[strings.Index(u, "?")+1:]
	i := strings.Index(raw, "&Signature=")
	signed, sigEsc := raw[:i], raw[i+len("&Signature="):]
	sigB64, _ := url.QueryUnescape(sigEsc)
	sig, _ := base64.StdEncoding.DecodeString(sigB64)
	h := sha256.Sum256([]byte(signed))
	if err := rsa.VerifyPKCS1v15(idp.Key.Public().(*rsa.PublicKey), crypto.SHA256, h[:], sig); err != nil {
		t.Errorf("query signature does not verify: %v", err)
	}
	q, _ := url.ParseQuery(raw)
	z, _ := base64.StdEncoding.DecodeString(q.Get("SAMLRequest"))
	inflated, err := io.ReadAll(flate.NewReader(bytes.NewReader(z)))
	if err != nil || !bytes.Equal(inflated, xmlb) {
		t.Errorf("SAMLRequest does not inflate back to the request (err %v)", err)
	}
	if q.Get("RelayState") != "rs 1" {
		t.Errorf("RelayState = %q, want %q", q.Get("RelayState"), "rs 1")
	}
}

func TestMetadataRollover(t *testing.T) {
	idp, spk := keys(t)
	md, err := entrasaml.BuildMetadata(entrasaml.MetadataOptions{
		TenantID: tenant, Certs: []*x509.Certificate{idp.Cert, spk.Cert}, BOM: true, Rand: seeded(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(md, []byte("\xef\xbb\xbf<?xml")) {
		t.Errorf("metadata starts %q, want a BOM then the XML declaration", md[:8])
	}
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(bytes.TrimPrefix(md, []byte("\xef\xbb\xbf")), &ed); err != nil {
		t.Fatal(err)
	}
	if n := len(ed.IDPSSODescriptors[0].KeyDescriptors); n != 2 {
		t.Errorf("IDPSSODescriptor has %d keys, want 2 during a rollover", n)
	}
	if got := ed.EntityID; got != "https://sts.windows.net/"+tenant+"/" {
		t.Errorf("entityID = %q", got)
	}
	if got, want := ed.IDPSSODescriptors[0].SingleSignOnServices[0].Location, entrasaml.LoginEndpoint(tenant); got != want {
		t.Errorf("SSO Location = %q, want Entra's %q by default", got, want)
	}
}

func TestMetadataEndpoint(t *testing.T) {
	idp, _ := keys(t)
	ep := "https://127.0.0.1:8443/" + tenant + "/saml2"
	md, err := entrasaml.BuildMetadata(entrasaml.MetadataOptions{TenantID: tenant, Certs: []*x509.Certificate{idp.Cert}, Endpoint: ep, Rand: seeded()})
	if err != nil {
		t.Fatal(err)
	}
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(md, &ed); err != nil {
		t.Fatal(err)
	}
	d := ed.IDPSSODescriptors[0]
	for _, s := range d.SingleSignOnServices {
		if s.Location != ep {
			t.Errorf("SSO %s Location = %q, want %q", s.Binding, s.Location, ep)
		}
	}
	if got := d.SingleLogoutServices[0].Location; got != ep {
		t.Errorf("SLO Location = %q, want %q", got, ep)
	}
	if got := ed.EntityID; got != entrasaml.Issuer(tenant) {
		t.Errorf("entityID = %q, want Entra's issuer whatever the endpoint", got)
	}
}

func TestLogoutResponseAndForm(t *testing.T) {
	x, id, err := entrasaml.BuildLogoutResponse(entrasaml.LogoutResponseOptions{
		TenantID: tenant, Destination: "https://vendor.example/saml/slo", InResponseTo: "_lr1", Now: time.Now(), Rand: seeded(),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`ID="` + id + `"`, `InResponseTo="_lr1"`,
		">https://login.microsoftonline.com/" + tenant + "/</Issuer>", entrasaml.StatusSuccess} {
		if !bytes.Contains(x, []byte(want)) {
			t.Errorf("logout response lacks %q:\n%s", want, x)
		}
	}
	x, _, err = entrasaml.BuildLogoutResponse(entrasaml.LogoutResponseOptions{
		TenantID: tenant, Issuer: "https://127.0.0.1:8443/" + tenant + "/", Now: time.Now(), Rand: seeded(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := ">https://127.0.0.1:8443/" + tenant + "/</Issuer>"; !bytes.Contains(x, []byte(want)) {
		t.Errorf("logout response with Issuer set lacks %q:\n%s", want, x)
	}
	form := string(entrasaml.AutoPostForm("https://vendor.example/acs?a=1&b=2", "PHNhbWw+", `r"s`))
	for _, want := range []string{`action="https://vendor.example/acs?a=1&amp;b=2"`, `name="SAMLResponse" value="PHNhbWw+"`,
		`name="RelayState" value="r&#34;s"`, "document.forms[0].submit()"} {
		if !strings.Contains(form, want) {
			t.Errorf("AutoPostForm lacks %q:\n%s", want, form)
		}
	}
}
