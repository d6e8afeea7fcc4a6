package inspect_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/ssowizard/ssowizard/inspect"
)

const trustTenant = "11111111-2222-3333-4444-555555555555"

type trustCert struct {
	cert *x509.Certificate
	key  *rsa.PrivateKey
}

func newTrustCert(t *testing.T, cn string) trustCert {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return trustCert{cert: c, key: key}
}

func (c trustCert) pem() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.cert.Raw}))
}

func (c trustCert) b64() string { return base64.StdEncoding.EncodeToString(c.cert.Raw) }

func (c trustCert) sha256() string {
	s := sha256.Sum256(c.cert.Raw)
	return hex.EncodeToString(s[:])
}

func TestParseCertificates(t *testing.T) {
	a, b := newTrustCert(t, "Microsoft Azure Federated SSO Certificate"), newTrustCert(t, "rollover")
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(a.key)}))
	wrapped := func(s string) string {
		var out strings.Builder
		for len(s) > 64 {
			out.WriteString(s[:64] + "\r\n")
			s = s[64:]
		}
		return out.String() + s
	}
	tests := []struct {
		name    string
		in      string
		want    []trustCert
		wantErr string
	}{
		{"pem", a.pem(), []trustCert{a}, ""},
		{"pem with BOM and CRLF", "\xEF\xBB\xBF" + strings.ReplaceAll(a.pem(), "\n", "\r\n"), []trustCert{a}, ""},
		{"two pem blocks around a key", a.pem() + keyPEM + b.pem(), []trustCert{a, b}, ""},
		{"der", string(a.cert.Raw), []trustCert{a}, ""},
		{"bare base64", a.b64(), []trustCert{a}, ""},
		{"bare base64 with line breaks", wrapped(a.b64()), []trustCert{a}, ""},
		{"private key only", keyPEM, nil, "no CERTIFICATE block"},
		{"empty", "  \n", nil, "empty"},
		{"garbage", "this is not a certificate", nil, "neither PEM, DER nor a base64 certificate"},
		{"broken pem body", "-----BEGIN CERTIFICATE-----\nTUlJQg==\n-----END CERTIFICATE-----\n", nil, "does not parse"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := inspect.ParseCertificates([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseCertificates(%.30q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "certificate: ") {
					t.Errorf("ParseCertificates(%.30q) error = %q, want it to start with \"certificate: \"", tc.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCertificates(%.30q) error = %v", tc.in, err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("ParseCertificates(%.30q) = %d certificates, want %d", tc.in, len(got), len(tc.want))
			}
			for i := range got {
				if !got[i].Equal(tc.want[i].cert) {
					t.Errorf("ParseCertificates(%.30q)[%d] = %s, want %s", tc.in, i, got[i].Subject, tc.want[i].cert.Subject)
				}
			}
		})
	}
}

func TestParseFingerprint(t *testing.T) {
	c := newTrustCert(t, "fp")
	hexFP := c.sha256()
	var colons []string
	for i := 0; i < len(hexFP); i += 2 {
		colons = append(colons, strings.ToUpper(hexFP[i:i+2]))
	}
	withColons := strings.Join(colons, ":")
	sha1Thumb := "2D:4E:97:3A:0B:10:34:77:1C:84:A6:C8:DD:0E:53:E3:9B:57:2B:09"
	tests := []struct {
		in      string
		wantErr string
	}{
		{"sha256 Fingerprint=" + withColons, ""},
		{"SHA256 Fingerprint=" + withColons + "\n", ""},
		{withColons, ""},
		{hexFP, ""},
		{strings.ToUpper(hexFP), ""},
		{"  " + strings.ReplaceAll(withColons, ":", " ") + "  ", ""},
		{sha1Thumb, "SHA-1 thumbprint"},
		{strings.ReplaceAll(sha1Thumb, ":", ""), "SHA-1 thumbprint"},
		{"sha256 Fingerprint=zz", "not hexadecimal"},
		{"abcd", "has 2"},
		{"", "has 0"},
	}
	for _, tc := range tests {
		got, err := inspect.ParseFingerprint(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseFingerprint(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || hex.EncodeToString(got[:]) != hexFP {
			t.Errorf("ParseFingerprint(%q) = %x, %v, want %s", tc.in, got, err, hexFP)
		}
	}
}

// trustEntraMetadata has the shape of Entra's app federation metadata: the signing
// certificates in a RoleDescriptor and again in the IDPSSODescriptor.
func trustEntraMetadata(certs ...trustCert) string {
	var kd strings.Builder
	for _, c := range certs {
		kd.WriteString(`<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>` + c.b64() + `</X509Certificate></X509Data></KeyInfo></KeyDescriptor>`)
	}
	return `<?xml version="1.0" encoding="utf-8"?><EntityDescriptor ID="_a" entityID="https://sts.windows.net/` + trustTenant + `/" xmlns="urn:oasis:names:tc:SAML:2.0:metadata">` +
		`<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/></Signature>` +
		`<RoleDescriptor xsi:type="fed:SecurityTokenServiceType" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706">` + kd.String() + `</RoleDescriptor>` +
		`<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` + kd.String() +
		`<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://login.microsoftonline.com/` + trustTenant + `/saml2"/>` +
		`<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://login.microsoftonline.com/` + trustTenant + `/saml2"/>` +
		`<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://login.microsoftonline.com/` + trustTenant + `/saml2"/>` +
		`</IDPSSODescriptor></EntityDescriptor>`
}

func TestParseMetadata(t *testing.T) {
	a, b := newTrustCert(t, "current"), newTrustCert(t, "next")
	md, err := inspect.ParseMetadata([]byte("\xEF\xBB\xBF" + trustEntraMetadata(a, b)))
	if err != nil {
		t.Fatalf("ParseMetadata(Entra metadata with BOM) error = %v", err)
	}
	if md.EntityID != "https://sts.windows.net/"+trustTenant+"/" || md.Info.TenantID != trustTenant || md.Info.Role != "idp" {
		t.Errorf("ParseMetadata(Entra) = entity %q tenant %q role %q", md.EntityID, md.Info.TenantID, md.Info.Role)
	}
	if len(md.SigningCerts) != 2 || !md.SigningCerts[0].Equal(a.cert) || !md.SigningCerts[1].Equal(b.cert) {
		t.Errorf("ParseMetadata(Entra, rollover) = %d signing certs, want both rollover certs once each", len(md.SigningCerts))
	}
	if len(md.Info.SSOURLs) != 2 || len(md.Info.SLOURLs) != 1 || len(md.Info.Certificates) != 2 || md.Info.Certificates[0].SHA256 != a.sha256() {
		t.Errorf("ParseMetadata(Entra).Info = %+v", md.Info)
	}

	entities := `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">` + strings.TrimPrefix(trustEntraMetadata(a), `<?xml version="1.0" encoding="utf-8"?>`) + `</md:EntitiesDescriptor>`
	if md, err := inspect.ParseMetadata([]byte(entities)); err != nil || len(md.SigningCerts) != 1 {
		t.Errorf("ParseMetadata(EntitiesDescriptor) = %v, %v, want the first entity's certificate", md, err)
	}

	sp := `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://vendor.example/saml"><SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
		`<KeyDescriptor><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>` + a.b64() + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>` +
		`<KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>` + a.b64() + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>` +
		`<KeyDescriptor use="encryption"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>` + b.b64() + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>` +
		`<AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://vendor.example/saml/acs" index="0"/></SPSSODescriptor></EntityDescriptor>`
	md, err = inspect.ParseMetadata([]byte(sp))
	if err != nil {
		t.Fatalf("ParseMetadata(SP) error = %v", err)
	}
	if md.Info.Role != "sp" || len(md.EncryptionCerts) != 1 || len(md.Info.ACSURLs) != 1 || md.Info.ACSURLs[0].Index != "0" {
		t.Errorf("ParseMetadata(SP) = role %q, %d encryption certs, ACS %v", md.Info.Role, len(md.EncryptionCerts), md.Info.ACSURLs)
	}
	// A certificate listed without use (signing and encryption) and again as signing is one signing certificate.
	if len(md.SigningCerts) != 1 {
		t.Errorf("ParseMetadata(SP, same cert with and without use) = %d signing certs, want 1", len(md.SigningCerts))
	}

	for _, tc := range []struct{ name, in, wantErr string }{
		{"doctype", `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><EntityDescriptor entityID="x">&a;</EntityDescriptor>`, "DOCTYPE"},
		{"garbage", "not xml at all", "not well-formed"},
		{"empty", "\xEF\xBB\xBF  ", "empty"},
		{"wrong root", `<Response xmlns="urn:oasis:names:tc:SAML:2.0:protocol"/>`, "not EntityDescriptor"},
		{"no roles", `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>`, "neither an IDPSSODescriptor"},
		{"empty entities", `<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"/>`, "no EntityDescriptor"},
		{"bad cert", strings.Replace(trustEntraMetadata(a), a.b64(), "bm90IGEgY2VydA==", 1), "does not parse"},
		{"bad base64", strings.Replace(trustEntraMetadata(a), a.b64(), "!!!", 1), "not base64"},
	} {
		if _, err := inspect.ParseMetadata([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("ParseMetadata(%s) error = %v, want one containing %q", tc.name, err, tc.wantErr)
		}
	}
}

func trustJWKS(t *testing.T, keys ...jose.JSONWebKey) string {
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseKeySet(t *testing.T) {
	c := newTrustCert(t, "jwks")
	jwks := trustJWKS(t, jose.JSONWebKey{Key: &c.key.PublicKey, KeyID: "k1", Use: "sig", Algorithm: "RS256", Certificates: []*x509.Certificate{c.cert}})
	ks, disc, err := inspect.ParseKeySet([]byte(jwks))
	if err != nil || disc != nil || ks == nil || len(ks.Keys) != 1 || ks.Keys[0].KeyID != "k1" {
		t.Fatalf("ParseKeySet(JWKS) = %v, %v, %v, want one key k1", ks, disc, err)
	}
	if got := ks.Lookup("k1"); len(got) != 1 {
		t.Errorf("Lookup(k1) = %d keys, want 1", len(got))
	}
	if got := ks.Lookup("nope"); len(got) != 0 {
		t.Errorf("Lookup(nope) = %d keys, want 0", len(got))
	}
	if got := ks.Lookup(""); len(got) != 1 {
		t.Errorf("Lookup(\"\") = %d keys, want all", len(got))
	}
	var nilSet *inspect.KeySet
	if got := nilSet.Lookup("k1"); got != nil {
		t.Errorf("nil KeySet Lookup = %v, want nil", got)
	}

	d := `{"token_endpoint":"https://login.microsoftonline.com/` + trustTenant + `/oauth2/v2.0/token","jwks_uri":"https://login.microsoftonline.com/` + trustTenant + `/discovery/v2.0/keys","issuer":"https://login.microsoftonline.com/` + trustTenant + `/v2.0"}`
	ks, disc, err = inspect.ParseKeySet([]byte(d))
	if err != nil || ks != nil || disc == nil || disc.JWKSURI == "" || disc.Issuer == "" {
		t.Errorf("ParseKeySet(discovery) = %v, %+v, %v, want the discovery document", ks, disc, err)
	}
	for _, tc := range []struct{ name, in, wantErr string }{
		{"junk", "junk", "not a JSON object"},
		{"array", "[1,2]", "not a JSON object"},
		{"empty set", `{"keys":[]}`, "empty"},
		{"bad key", `{"keys":[{"kty":"RSA","n":"!!","e":"AQAB"}]}`, "does not parse"},
		{"neither", `{"hello":1}`, "neither"},
		{"discovery without jwks_uri", `{"jwks_uri":""}`, "empty jwks_uri"},
	} {
		if _, _, err := inspect.ParseKeySet([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("ParseKeySet(%s) error = %v, want one containing %q", tc.name, err, tc.wantErr)
		}
	}
}

func TestAddTrust(t *testing.T) {
	a, b := newTrustCert(t, "a"), newTrustCert(t, "b")
	jwks := trustJWKS(t, jose.JSONWebKey{Key: &a.key.PublicKey, KeyID: "k1", Use: "sig"})
	disc := `{"issuer":"https://login.microsoftonline.com/` + trustTenant + `/v2.0","jwks_uri":"https://login.microsoftonline.com/` + trustTenant + `/discovery/v2.0/keys"}`

	var o inspect.Options
	for _, tc := range []struct {
		name, in, kind string
		certs, keys    int
	}{
		{"pem", a.pem(), "certificate", 1, 0},
		{"bare base64", b.b64(), "certificate", 2, 0},
		{"metadata", trustEntraMetadata(a, b), "metadata", 4, 0},
		{"jwks", jwks, "jwks", 4, 1},
		{"discovery", disc, "discovery", 4, 1},
	} {
		kind, d, err := o.AddTrust([]byte(tc.in))
		if err != nil || kind != tc.kind {
			t.Fatalf("AddTrust(%s) = %q, %v, want %q", tc.name, kind, err, tc.kind)
		}
		if (kind == "discovery") != (d != nil) {
			t.Errorf("AddTrust(%s) discovery = %v", tc.name, d)
		}
		nkeys := 0
		if o.Keys != nil {
			nkeys = len(o.Keys.Keys)
		}
		if len(o.Certs) != tc.certs || nkeys != tc.keys {
			t.Errorf("AddTrust(%s): %d certs %d keys, want %d and %d", tc.name, len(o.Certs), nkeys, tc.certs, tc.keys)
		}
	}
	if o.CertSource != "metadata" || o.IdPEntityID != "https://sts.windows.net/"+trustTenant+"/" {
		t.Errorf("AddTrust(metadata) source %q entity %q", o.CertSource, o.IdPEntityID)
	}
	if o.Keys.Issuer != "https://login.microsoftonline.com/"+trustTenant+"/v2.0" {
		t.Errorf("AddTrust(discovery) Keys.Issuer = %q, want the discovery issuer kept for the issuer check", o.Keys.Issuer)
	}
	for _, bad := range []string{"", "garbage", "<x/>", `{"x":1}`, `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><IDPSSODescriptor/></EntityDescriptor>`} {
		if _, _, err := o.AddTrust([]byte(bad)); err == nil {
			t.Errorf("AddTrust(%q) error = nil, want one", bad)
		}
	}
}

// TestParseCertificatesDEREndingInSpace: a DER certificate whose last signature byte
// is one bytes.TrimSpace removes (about 1 in 40 random certificates) still parses.
func TestParseCertificatesDEREndingInSpace(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	for serial := int64(1); serial <= 2000; serial++ {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "space"},
			NotBefore: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		switch der[len(der)-1] {
		case ' ', '\t', '\n', '\v', '\f', '\r', 0x85, 0xA0:
		default:
			continue
		}
		got, err := inspect.ParseCertificates(der)
		if err != nil || len(got) != 1 {
			t.Fatalf("a DER certificate ending in byte %#x: %v", der[len(der)-1], err)
		}
		return
	}
	t.Fatal("no certificate ending in a space byte in 2000 tries")
}
