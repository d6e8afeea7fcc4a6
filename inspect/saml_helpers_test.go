package inspect

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// Test identities: generated once per test binary (RSA 2048 generation is slow), never
// written to disk.
type testKey struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
}

var (
	keysOnce sync.Once
	idpKey   testKey // Entra's active signing certificate
	idpNext  testKey // a second certificate, as during a rollover
	idpOld   testKey // an expired certificate
	spKey    testKey // the SP: request signing and assertion encryption
)

const (
	testTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	testIssuer = "https://sts.windows.net/" + testTenant + "/"
	testSPID   = "https://sp.example.com/saml"
	testACS    = "https://sp.example.com/saml/acs"
	testReqID  = "_a1b2c3d4e5f6"
)

// testNow is the instant test messages are issued at.
var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func keys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		idpKey = newTestKey(t, "CN=Microsoft Azure Federated SSO Certificate", testNow.Add(-24*time.Hour), testNow.AddDate(3, 0, 0))
		idpNext = newTestKey(t, "CN=Microsoft Azure Federated SSO Certificate (next)", testNow.Add(-time.Hour), testNow.AddDate(3, 0, 0))
		idpOld = newTestKey(t, "CN=Microsoft Azure Federated SSO Certificate (old)", testNow.AddDate(-3, 0, 0), testNow.AddDate(0, 0, -10))
		spKey = newTestKey(t, "CN=sp.example.com", testNow.Add(-24*time.Hour), testNow.AddDate(1, 0, 0))
	})
}

func newTestKey(t testing.TB, cn string, notBefore, notAfter time.Time) testKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: strings.TrimPrefix(cn, "CN=")},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{k, c}
}

// respSpec describes an Entra-shaped SAML Response for a test.
type respSpec struct {
	issued   time.Time
	nameID   string // raw XML inside NameID (may hold a comment)
	format   string
	attrs    [][2]string // name, raw value XML; a name repeated adds values
	noEmail  bool
	sign     string // assertion (default), response, both, none
	sha1     bool
	signer   testKey
	status   string // raw Status XML replacing Success
	noAssert bool
	noSCD    bool
	padAttrs int // extra groups to reach a realistic size
	// dsPrefix signs with a prefixed ds:Signature (goxmldsig's and crewjam's habit)
	// instead of Entra's unprefixed Signature in the default namespace.
	dsPrefix bool
	// edit rewrites the XML before it is signed, for shapes the spec has no field for.
	edit func(string) string
}

func defaultAttrs() [][2]string {
	const ns = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
	const ms = "http://schemas.microsoft.com/identity/claims/"
	return [][2]string{
		{ms + "tenantid", testTenant},
		{ms + "objectidentifier", "0b8f1a1e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"},
		{ms + "identityprovider", testIssuer},
		{ms + "displayname", "Alice Smith"},
		{ns + "name", "alice@contoso.com"},
		{ns + "emailaddress", "alice@contoso.com"},
		{ns + "givenname", "Alice"},
		{ns + "surname", "Smith"},
		{"http://schemas.microsoft.com/claims/authnmethodsreferences", "http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password"},
	}
}

// responseXML renders the unsigned Response.
func responseXML(s respSpec) string {
	if s.issued.IsZero() {
		s.issued = testNow
	}
	if s.nameID == "" {
		s.nameID = "alice@contoso.com"
	}
	if s.format == "" {
		s.format = nameIDEmail
	}
	if s.attrs == nil {
		s.attrs = defaultAttrs()
	}
	ts := func(d time.Duration) string { return s.issued.Add(d).UTC().Format("2006-01-02T15:04:05.000Z") }
	status := `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>`
	if s.status != "" {
		status = s.status
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<samlp:Response ID="_resp0d3c5e4f" Version="2.0" IssueInstant="%s" Destination="%s" InResponseTo="%s" xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">`, ts(0), testACS, testReqID)
	fmt.Fprintf(&b, `<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">%s</Issuer>%s`, testIssuer, status)
	if !s.noAssert {
		fmt.Fprintf(&b, `<Assertion ID="_assert7a8b9c" IssueInstant="%s" Version="2.0" xmlns="urn:oasis:names:tc:SAML:2.0:assertion">`, ts(0))
		fmt.Fprintf(&b, `<Issuer>%s</Issuer><Subject><NameID Format="%s">%s</NameID>`, testIssuer, s.format, s.nameID)
		if !s.noSCD {
			fmt.Fprintf(&b, `<SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><SubjectConfirmationData InResponseTo="%s" NotOnOrAfter="%s" Recipient="%s"/></SubjectConfirmation>`, testReqID, ts(5*time.Minute), testACS)
		}
		fmt.Fprintf(&b, `</Subject><Conditions NotBefore="%s" NotOnOrAfter="%s"><AudienceRestriction><Audience>%s</Audience></AudienceRestriction></Conditions>`, ts(0), ts(70*time.Minute), testSPID)
		b.WriteString(`<AttributeStatement>`)
		byName := map[string][]string{}
		var order []string
		for _, a := range s.attrs {
			if s.noEmail && strings.HasSuffix(a[0], "/emailaddress") {
				continue
			}
			if _, ok := byName[a[0]]; !ok {
				order = append(order, a[0])
			}
			byName[a[0]] = append(byName[a[0]], a[1])
		}
		for i := 0; i < s.padAttrs; i++ {
			n := claimGroups
			if _, ok := byName[n]; !ok {
				order = append(order, n)
			}
			byName[n] = append(byName[n], fmt.Sprintf("%08x-1c2d-4e5f-8a9b-0c1d2e3f4a5b", i))
		}
		for _, n := range order {
			fmt.Fprintf(&b, `<Attribute Name="%s">`, n)
			for _, v := range byName[n] {
				fmt.Fprintf(&b, `<AttributeValue>%s</AttributeValue>`, v)
			}
			b.WriteString(`</Attribute>`)
		}
		b.WriteString(`</AttributeStatement>`)
		fmt.Fprintf(&b, `<AuthnStatement AuthnInstant="%s" SessionIndex="_assert7a8b9c"><AuthnContext><AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</AuthnContextClassRef></AuthnContext></AuthnStatement>`, ts(-time.Second))
		b.WriteString(`</Assertion>`)
	}
	b.WriteString(`</samlp:Response>`)
	return b.String()
}

// buildResponse renders and signs a Response as the spec says.
func buildResponse(t testing.TB, s respSpec) []byte {
	t.Helper()
	keys(t)
	if s.signer.key == nil {
		s.signer = idpKey
	}
	doc := responseXML(s)
	if s.edit != nil {
		doc = s.edit(doc)
	}
	d := etree.NewDocument()
	if err := d.ReadFromString(doc); err != nil {
		t.Fatal(err)
	}
	root := d.Root()
	if s.sign == "" {
		s.sign = "assertion"
	}
	prefix := ""
	if s.dsPrefix {
		prefix = "ds"
	}
	if s.sign == "assertion" || s.sign == "both" {
		if a := root.FindElement("Assertion"); a != nil {
			signWithPrefix(t, a, s.signer, s.sha1, prefix)
		}
	}
	if s.sign == "response" || s.sign == "both" {
		signWithPrefix(t, root, s.signer, s.sha1, prefix)
	}
	out, err := d.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// signInPlace signs el as Entra does (exclusive c14n, enveloped, an unprefixed
// Signature) and inserts the Signature right after its Issuer, using goxmldsig's
// signing context.
func signInPlace(t testing.TB, el *etree.Element, k testKey, sha1 bool) {
	signWithPrefix(t, el, k, sha1, "")
}

func signWithPrefix(t testing.TB, el *etree.Element, k testKey, sha1 bool, prefix string) {
	t.Helper()
	ctx, err := dsig.NewSigningContext(k.key, [][]byte{k.cert.Raw})
	if err != nil {
		t.Fatal(err)
	}
	ctx.Prefix = prefix
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if sha1 {
		if err := ctx.SetSignatureMethod(dsig.RSASHA1SignatureMethod); err != nil {
			t.Fatal(err)
		}
	}
	sig, err := ctx.ConstructSignature(detach(el), true)
	if err != nil {
		t.Fatal(err)
	}
	at := 0
	for i, c := range el.Child {
		if e, ok := c.(*etree.Element); ok && e.Tag == "Issuer" {
			at = i + 1
		}
	}
	el.InsertChildAt(at, sig)
}

// trusting returns options that trust the active IdP certificate and expect the test SP.
func trusting() *Options {
	return &Options{
		Certs:      []*x509.Certificate{idpKey.cert},
		CertSource: "metadata",
		SPEntityID: testSPID,
		ACS:        testACS,
		RequestID:  testReqID,
		Tenant:     testTenant,
		Now:        testNow.Add(time.Minute),
	}
}

func fingerprint(c *x509.Certificate) [32]byte { return sha256.Sum256(c.Raw) }

// codes lists the finding codes of a report, for failure messages.
func codes(r *Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, string(f.Severity)+":"+f.Code)
	}
	return out
}

func finding(r *Report, code string) *Finding {
	for i := range r.Findings {
		if r.Findings[i].Code == code {
			return &r.Findings[i]
		}
	}
	return nil
}

// claimValues returns every claim value and the NameID, to look for attacker data.
func reportedIdentity(r *Report) string {
	var parts []string
	if r.Subject != nil {
		parts = append(parts, r.Subject.NameID)
	}
	for _, c := range r.Claims {
		parts = append(parts, c.Values...)
	}
	return strings.Join(parts, " ")
}

func mustParse(t testing.TB, b []byte) *etree.Document {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromBytes(b); err != nil {
		t.Fatal(err)
	}
	return d
}

func serialize(t testing.TB, d *etree.Document) []byte {
	t.Helper()
	b, err := d.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// detach copies el and declares on the copy every namespace in scope from its
// ancestors, so the copy means the same on its own.
func detach(el *etree.Element) *etree.Element {
	declared := map[string]bool{}
	for _, a := range el.Attr {
		if p, ok := nsDecl(a); ok {
			declared[p] = true
		}
	}
	cp := el.Copy()
	for p := el.Parent(); p != nil; p = p.Parent() {
		for _, a := range p.Attr {
			prefix, ok := nsDecl(a)
			if !ok || declared[prefix] {
				continue
			}
			declared[prefix] = true
			cp.Attr = append(cp.Attr, a)
		}
	}
	return cp
}
