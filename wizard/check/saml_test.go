package check_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/directory"
	"github.com/ssowizard/ssowizard/harness/entrasaml"
	"github.com/ssowizard/ssowizard/wizard/check"
)

// newCert makes a self-signed certificate valid from notBefore to notAfter. ECDSA keeps
// the tests fast; the checks look only at the certificate.
func newCert(t *testing.T, cn string, notBefore, notAfter time.Time) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const ssoCertCN = "Microsoft Azure Federated SSO Certificate"

// metadata builds Entra's federation metadata for the tenant, as the harness serves it.
func metadata(t *testing.T, tid string, bom bool, certs ...*x509.Certificate) []byte {
	t.Helper()
	b, err := entrasaml.BuildMetadata(entrasaml.MetadataOptions{TenantID: tid, Certs: certs, BOM: bom})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ids(rs []check.Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID+"/"+string(r.Severity))
	}
	return out
}

func TestIdPMetadata(t *testing.T) {
	valid := newCert(t, ssoCertCN, now.AddDate(-1, 0, 0), now.AddDate(2, 0, 0))
	soon := newCert(t, ssoCertCN, now.AddDate(-3, 0, 0), now.AddDate(0, 0, 20))
	expired := newCert(t, ssoCertCN, now.AddDate(-3, 0, 0), now.AddDate(0, 0, -2))
	future := newCert(t, ssoCertCN, now.AddDate(0, 0, 3), now.AddDate(3, 0, 0))
	tenantWide := newCert(t, "accounts.accesscontrol.windows.net", now.AddDate(0, -1, 0), now.AddDate(0, 4, 0))
	const otherTenant = "0b4f3a1c-2d5e-4f60-8a7b-9c0d1e2f3a4b"
	spMetadata := []byte(`<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://vendor.example/saml">
<SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
<AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://vendor.example/acs" index="0"/>
</SPSSODescriptor></EntityDescriptor>`)
	noCert := []byte(`<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sts.windows.net/` + tenantID + `/">
<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"></IDPSSODescriptor></EntityDescriptor>`)

	for _, tc := range []struct {
		name  string
		xml   []byte
		tid   string
		want  []string // ID/severity of every Result, in order
		certs int
	}{
		{"app metadata", metadata(t, tenantID, false, valid), tenantID,
			[]string{"certificate-expiry/ok", "issuer/ok", "metadata/ok"}, 1},
		{"with BOM, tenant not given", metadata(t, tenantID, true, valid), "",
			[]string{"certificate-expiry/ok", "issuer/ok", "metadata/ok"}, 1},
		{"other tenant", metadata(t, otherTenant, false, valid), tenantID,
			[]string{"certificate-expiry/ok", "issuer-other-tenant/error"}, 1},
		{"expiring", metadata(t, tenantID, false, soon), tenantID,
			[]string{"certificate-expires-soon/warning", "issuer/ok", "metadata/ok"}, 1},
		{"expired", metadata(t, tenantID, false, expired), tenantID,
			[]string{"certificate-expired/error", "issuer/ok"}, 1},
		{"rollover with an expired one", metadata(t, tenantID, false, valid, expired), tenantID,
			[]string{"certificate-expiry/ok", "certificate-expired/warning", "issuer/ok", "metadata/ok"}, 2},
		{"rollover to a future one", metadata(t, tenantID, false, soon, future), tenantID,
			[]string{"certificate-expires-soon/warning", "certificate-not-yet-valid/warning", "issuer/ok", "metadata/ok"}, 2},
		{"tenant-wide metadata", metadata(t, tenantID, false, tenantWide), tenantID,
			[]string{"certificate-expiry/ok", "metadata-tenant-wide/warning", "issuer/ok", "metadata/ok"}, 1},
		{"not XML", []byte("https://login.microsoftonline.com/" + tenantID + "/federationmetadata/2007-06/federationmetadata.xml"), tenantID,
			[]string{"metadata-invalid/error"}, 0},
		{"empty", nil, tenantID, []string{"metadata-invalid/error"}, 0},
		{"SP metadata", spMetadata, tenantID, []string{"metadata-not-idp/error"}, 0},
		{"no certificate", noCert, tenantID, []string{"metadata-no-sso-url/error", "metadata-no-certificate/error", "issuer/ok"}, 0},
	} {
		md, rs := check.IdPMetadata(tc.xml, tc.tid, now)
		for _, r := range rs {
			assertShape(t, r)
		}
		if got := ids(rs); strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("IdPMetadata(%s) = %v, want %v", tc.name, got, tc.want)
		}
		if len(md.Certificates) != tc.certs {
			t.Errorf("IdPMetadata(%s) gave %d certificates, want %d", tc.name, len(md.Certificates), tc.certs)
		}
	}

	md, rs := check.IdPMetadata(metadata(t, tenantID, false, valid, soon), tenantID, now)
	if md.EntityID != "https://sts.windows.net/"+tenantID+"/" || md.SSOURL != "https://login.microsoftonline.com/"+tenantID+"/saml2" {
		t.Errorf("IdPMetadata: EntityID %q, SSOURL %q", md.EntityID, md.SSOURL)
	}
	s1, s256 := sha1.Sum(valid.Raw), sha256.Sum256(valid.Raw)
	c := md.Certificates[0]
	if c.Thumbprint != strings.ToUpper(hex.EncodeToString(s1[:])) || c.SHA256 != strings.ToUpper(hex.EncodeToString(s256[:])) ||
		c.Subject != "CN="+ssoCertCN || !c.NotAfter.Equal(valid.NotAfter) || !c.NotBefore.Equal(valid.NotBefore) || c.Source != "metadata" {
		t.Errorf("IdPMetadata certificate = %+v", c)
	}
	for _, r := range rs {
		if r.ID == "certificate-expires-soon" {
			if !strings.Contains(r.Message, md.Certificates[1].Thumbprint) || !strings.Contains(r.Message, "in 20 days") ||
				!strings.Contains(r.Detail, "60, 30 and 7 days") {
				t.Errorf("expiring certificate result: %+v", r)
			}
		}
	}
}

func TestCertificateFile(t *testing.T) {
	valid := newCert(t, ssoCertCN, now.AddDate(-1, 0, 0), now.AddDate(2, 0, 0))
	expired := newCert(t, ssoCertCN, now.AddDate(-3, 0, 0), now.AddDate(0, 0, -2))
	pemOf := func(c *x509.Certificate) []byte {
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	base64Body := strings.Join(strings.Split(string(pemOf(valid)), "\n")[1:], "\n")
	base64Body = base64Body[:strings.Index(base64Body, "-----END")]
	for _, tc := range []struct {
		name string
		in   []byte
		want []string
	}{
		{"PEM", pemOf(valid), []string{"certificate-expiry/ok"}},
		{"base64 without armour", []byte(base64Body), []string{"certificate-expiry/ok"}},
		{"DER", valid.Raw, []string{"certificate-expiry/ok"}},
		{"expired", pemOf(expired), []string{"certificate-expired/error"}},
		{"two", append(pemOf(valid), pemOf(expired)...), []string{"certificate-expiry/ok", "certificate-expired/error"}},
		{"garbage", []byte("not a certificate"), []string{"certificate-invalid/error"}},
	} {
		certs, rs := check.CertificateFile(tc.in, now)
		for _, r := range rs {
			assertShape(t, r)
		}
		if got := ids(rs); strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("CertificateFile(%s) = %v, want %v", tc.name, got, tc.want)
		}
		if tc.want[0] != "certificate-invalid/error" && (len(certs) != len(tc.want) || certs[0].Source != "file") {
			t.Errorf("CertificateFile(%s) certificates = %+v", tc.name, certs)
		}
	}
}

// colons renders hex as openssl does: upper-case pairs joined by colons.
func colons(h string) string {
	h = strings.ToUpper(h)
	var parts []string
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

func TestFingerprint(t *testing.T) {
	const sha1Hex = "3a1b5c7d9e0f2a4b6c8d0e1f3a5b7c9d1e2f4a6b"
	const sha256Hex = "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0"
	for _, tc := range []struct {
		in, norm string
		want
	}{
		{sha1Hex, strings.ToUpper(sha1Hex), want{id: "fingerprint", severity: check.OK, field: "fingerprint", message: []string{"SHA-1"}}},
		{strings.ToUpper(sha1Hex), strings.ToUpper(sha1Hex), want{id: "fingerprint", severity: check.OK}},
		{"\u200e" + strings.ToUpper(sha1Hex), strings.ToUpper(sha1Hex), want{id: "fingerprint", severity: check.OK, detail: []string{"invisible"}}},
		{colons(sha256Hex), strings.ToUpper(sha256Hex), want{id: "fingerprint", severity: check.OK, message: []string{"SHA-256"}}},
		{"sha256 Fingerprint=" + colons(sha256Hex) + "\n", strings.ToUpper(sha256Hex), want{id: "fingerprint", severity: check.OK}},
		{"SHA1 Fingerprint=" + colons(sha1Hex), strings.ToUpper(sha1Hex), want{id: "fingerprint", severity: check.OK}},
		{strings.ReplaceAll(colons(sha1Hex), ":", " "), strings.ToUpper(sha1Hex), want{id: "fingerprint", severity: check.OK}},
		{"", "", want{id: "fingerprint-empty", severity: check.Error}},
		{sha1Hex[:38], "", want{id: "fingerprint-length", severity: check.Error, message: []string{"38"}}},
		{sha256Hex + "00", "", want{id: "fingerprint-length", severity: check.Error}},
		{"3a1b5c7d9e0f2a4b6c8d0e1f3a5b7c9d1e2f4a6z", "", want{id: "fingerprint-not-hex", severity: check.Error}},
		{"-----BEGIN CERTIFICATE-----\nMIIC…\n-----END CERTIFICATE-----", "", want{id: "fingerprint-is-certificate", severity: check.Error, fix: []string{"openssl"}}},
	} {
		norm, r := check.Fingerprint(tc.in)
		tc.check(t, fmt.Sprintf("Fingerprint(%q)", tc.in), r)
		if norm != tc.norm {
			t.Errorf("Fingerprint(%q) normalized = %q, want %q", tc.in, norm, tc.norm)
		}
	}
}

func TestFingerprintMatches(t *testing.T) {
	a := check.CertificateOf(newCert(t, ssoCertCN, now.AddDate(-1, 0, 0), now.AddDate(2, 0, 0)), "metadata")
	b := check.CertificateOf(newCert(t, ssoCertCN, now, now.AddDate(3, 0, 0)), "metadata")
	other := check.CertificateOf(newCert(t, ssoCertCN, now, now.AddDate(3, 0, 0)), "file")
	certs := []check.Certificate{a, b}
	for _, tc := range []struct {
		name, fp string
		certs    []check.Certificate
		want
	}{
		{"SHA-1 of the first", a.Thumbprint, certs, want{id: "fingerprint-match", severity: check.OK, field: "fingerprint", message: []string{"CN=" + ssoCertCN}}},
		{"SHA-256 of the second, openssl style", "sha256 Fingerprint=" + colons(b.SHA256), certs, want{id: "fingerprint-match", severity: check.OK}},
		{"lower-case SHA-1", strings.ToLower(b.Thumbprint), certs, want{id: "fingerprint-match", severity: check.OK}},
		{"another certificate's", other.SHA256, certs, want{id: "fingerprint-mismatch", severity: check.Error, message: []string{"2 signing certificates"}, detail: []string{a.SHA256, b.SHA256}}},
		{"another certificate's SHA-1", other.Thumbprint, certs, want{id: "fingerprint-mismatch", severity: check.Error, detail: []string{a.Thumbprint}}},
		{"no certificates", a.Thumbprint, nil, want{id: "fingerprint-no-certificate", severity: check.Error}},
		{"not a fingerprint", "hello", certs, want{id: "fingerprint-not-hex", severity: check.Error}},
	} {
		tc.check(t, "FingerprintMatches("+tc.name+")", check.FingerprintMatches(tc.fp, tc.certs))
	}
}

func TestIssuer(t *testing.T) {
	const other = "0b4f3a1c-2d5e-4f60-8a7b-9c0d1e2f3a4b"
	good := "https://sts.windows.net/" + tenantID + "/"
	for _, tc := range []struct {
		in, tid string
		want
	}{
		{good, tenantID, want{id: "issuer", severity: check.OK, field: "issuer"}},
		{" " + good + " ", strings.ToUpper(tenantID), want{id: "issuer", severity: check.OK}},
		{good, "", want{id: "issuer", severity: check.OK}},
		{good, "contoso.com", want{id: "issuer", severity: check.OK}},
		{"", tenantID, want{id: "issuer-empty", severity: check.Error, fix: []string{good}}},
		{"https://login.microsoftonline.com/" + tenantID + "/v2.0", tenantID, want{id: "issuer-v2", severity: check.Error, fix: []string{good}}},
		{"https://login.microsoftonline.com/" + tenantID + "/v2.0", "", want{id: "issuer-v2", severity: check.Error, fix: []string{good}}},
		{"https://login.microsoftonline.com/" + tenantID + "/saml2", tenantID, want{id: "issuer-login-url", severity: check.Error, fix: []string{good}}},
		{"https://login.microsoftonline.com/" + tenantID + "/", tenantID, want{id: "issuer-login-url", severity: check.Error}},
		{"https://sts.windows.net/" + tenantID, tenantID, want{id: "issuer-trailing-slash", severity: check.Error, fix: []string{good}}},
		{"https://sts.windows.net/" + other + "/", tenantID, want{id: "issuer-other-tenant", severity: check.Error, message: []string{other, tenantID}, fix: []string{good}}},
		{"https://sts.windows.net/" + strings.ToUpper(tenantID) + "/", tenantID, want{id: "issuer-case", severity: check.Error, fix: []string{good}}},
		{"http://sts.windows.net/" + tenantID + "/", tenantID, want{id: "issuer-scheme", severity: check.Error}},
		{"https://sts.windows.net/contoso.com/", tenantID, want{id: "issuer-no-tenant-id", severity: check.Error, fix: []string{good}}},
		{"https://sts.windows.net/" + tenantID + "/saml2", tenantID, want{id: "issuer-format", severity: check.Error}},
		{"https://idp.vendor.example/" + tenantID + "/", tenantID, want{id: "issuer-not-entra", severity: check.Error, message: []string{"idp.vendor.example"}}},
		{"sts.windows.net/" + tenantID + "/", tenantID, want{id: "issuer-not-entra", severity: check.Error}},
	} {
		tc.check(t, fmt.Sprintf("Issuer(%q, %q)", tc.in, tc.tid), check.Issuer(tc.in, tc.tid))
	}
}

func TestEntityID(t *testing.T) {
	for _, tc := range []struct {
		in string
		want
	}{
		{"https://vendor.example/saml", want{id: "entity-id", severity: check.OK, field: "entity_id"}},
		{"urn:vendor:sso:contoso", want{id: "entity-id", severity: check.OK, message: []string{"URN"}}},
		{"URN:amazon:webservices", want{id: "entity-id", severity: check.OK}},
		{"api://" + appID, want{id: "entity-id", severity: check.OK}},
		{"", want{id: "entity-id-empty", severity: check.Error}},
		{"https://vendor.example/saml ", want{id: "entity-id-whitespace", severity: check.Error, message: []string{"AADSTS700016"}}},
		{"vendor.example/saml", want{id: "entity-id-not-absolute", severity: check.Error, fix: []string{"https://vendor.example/saml"}}},
		{"VendorSSO", want{id: "entity-id-not-absolute", severity: check.Error}},
		{"https:///saml", want{id: "entity-id-not-absolute", severity: check.Error}},
		{"urn:", want{id: "entity-id-urn", severity: check.Error}},
		{"urn:-bad:x", want{id: "entity-id-urn", severity: check.Error}},
		{"https://vendor.example/" + strings.Repeat("s", 250), want{id: "entity-id-too-long", severity: check.Error}},
	} {
		tc.check(t, fmt.Sprintf("EntityID(%q)", tc.in), check.EntityID(tc.in))
	}
}

func TestEntityIDUnique(t *testing.T) {
	const entity = "https://vendor.example/saml"
	apps := []directory.AppDetails{
		{App: directory.App{AppID: appID, DisplayName: "Vendor SSO (new)"}, IdentifierURIs: []string{entity}},
		{App: directory.App{AppID: "2c6a1e4b-3f5d-4e7a-9b8c-0d1e2f3a4b5c", DisplayName: "Vendor SSO (old)"}, IdentifierURIs: []string{"https://other.example", entity}},
		{App: directory.App{AppID: "3d7b2f5c-4a6e-4f8b-8c9d-1e2f3a4b5c6d", DisplayName: "Vendor test"}, IdentifierURIs: []string{"HTTPS://VENDOR.EXAMPLE/SAML"}},
		{App: directory.App{AppID: "4e8c3a6d-5b7f-4a9c-9d0e-2f3a4b5c6d7e"}, IdentifierURIs: []string{"https://vendor.example/saml/2"}},
	}
	for _, tc := range []struct {
		name, entity, self string
		apps               []directory.AppDetails
		want
	}{
		{"only self", entity, appID, apps[:1], want{id: "entity-id-unique", severity: check.OK, field: "entity_id"}},
		{"no apps", entity, appID, nil, want{id: "entity-id-unique", severity: check.OK}},
		{"suffixed is distinct", "https://vendor.example/saml/3", appID, apps, want{id: "entity-id-unique", severity: check.OK}},
		{"taken by another", entity, appID, apps[:2], want{id: "entity-id-taken", severity: check.Error, message: []string{`"Vendor SSO (old)"`, "unique"}, detail: []string{"identifierUris"}}},
		{"taken by two, one in capitals", entity, appID, apps, want{id: "entity-id-taken", severity: check.Error, message: []string{`"Vendor SSO (old)" and the app "Vendor test"`}}},
		{"taken, self unknown", "https://vendor.example/saml/2", "", apps, want{id: "entity-id-taken", severity: check.Error, message: []string{"4e8c3a6d-5b7f-4a9c-9d0e-2f3a4b5c6d7e"}}},
	} {
		tc.check(t, "EntityIDUnique("+tc.name+")", check.EntityIDUnique(tc.entity, tc.self, tc.apps))
	}
}
