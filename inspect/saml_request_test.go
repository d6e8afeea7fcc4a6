package inspect

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

type reqSpec struct {
	id, issuer, acs, nameIDFormat, extra, comparison string
	issued                                           time.Time
}

func authnRequestXML(s reqSpec) string {
	if s.id == "" {
		s.id = testReqID
	}
	if s.issuer == "" {
		s.issuer = testSPID
	}
	if s.acs == "" {
		s.acs = testACS
	}
	if s.nameIDFormat == "" {
		s.nameIDFormat = nameIDEmail
	}
	if s.issued.IsZero() {
		s.issued = testNow
	}
	rac := ""
	if s.comparison != "" {
		rac = fmt.Sprintf(`<samlp:RequestedAuthnContext Comparison="%s"><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>`, s.comparison)
	}
	return fmt.Sprintf(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="%s" Version="2.0" IssueInstant="%s" Destination="https://login.microsoftonline.com/%s/saml2" AssertionConsumerServiceURL="%s" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" ForceAuthn="true"><saml:Issuer>%s</saml:Issuer>%s<samlp:NameIDPolicy Format="%s" AllowCreate="true"/>%s</samlp:AuthnRequest>`,
		s.id, s.issued.Format(time.RFC3339), testTenant, s.acs, s.issuer, s.extra, s.nameIDFormat, rac)
}

func TestInspectSAMLAuthnRequest(t *testing.T) {
	keys(t)
	tests := []struct {
		name string
		spec reqSpec
		want string
		says string
	}{
		{"clean", reqSpec{}, "", ""},
		{"ID starts with a digit", reqSpec{id: "123abc"}, CodeAuthnRequestRejected, "starts with a digit"},
		{"Subject present", reqSpec{extra: `<saml:Subject><saml:NameID>alice@contoso.com</saml:NameID></saml:Subject>`}, CodeAuthnRequestRejected, "Subject"},
		{"unsupported NameIDPolicy", reqSpec{nameIDFormat: "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName"}, CodeAuthnRequestRejected, "AADSTS75016"},
		{"comparison minimum", reqSpec{comparison: "minimum"}, CodeAuthnRequestRejected, "exact"},
		{"ACS not the reply URL", reqSpec{acs: "http://sp.example.com/saml/acs"}, CodeAuthnRequestRejected, "AADSTS50011"},
		{"issuer not the identifier", reqSpec{issuer: "https://sp.example.com"}, CodeAuthnRequestRejected, "AADSTS700016"},
		{"stale", reqSpec{issued: testNow.Add(-time.Hour)}, CodeIssueInstantStale, "AADSTS76026"},
		{"transient requested", reqSpec{nameIDFormat: nameIDTransient}, CodeNameIDTransient, "transient"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := authnRequestXML(tt.spec)
			r := inspectSAML([]byte(doc), &InputInfo{Format: "deflate-base64", Binding: "HTTP-Redirect"}, trusting())
			r.finish()
			if r.Kind != KindSAMLAuthnRequest || r.Request == nil {
				t.Fatalf("Kind = %q, Request = %+v", r.Kind, r.Request)
			}
			if tt.want == "" {
				if len(r.Findings) != 0 {
					t.Errorf("findings = %v, want none", codes(r))
				}
				q := r.Request
				if q.ACSURL != testACS || q.NameIDPolicyFormat != nameIDEmail || q.AllowCreate == nil || !*q.AllowCreate || !q.ForceAuthn || q.IsPassive || r.Issuer != testSPID {
					t.Errorf("Request = %+v, issuer %q", q, r.Issuer)
				}
				return
			}
			f := finding(r, tt.want)
			if f == nil {
				t.Fatalf("findings %v lack %s", codes(r), tt.want)
			}
			if !strings.Contains(f.Message, tt.says) || f.Fix == "" {
				t.Errorf("%s = %q (fix %q), want it to mention %q and a fix", f.Code, f.Message, f.Fix, tt.says)
			}
		})
	}
}

func TestInspectSAMLSignedPOSTRequest(t *testing.T) {
	keys(t)
	d := mustParse(t, []byte(authnRequestXML(reqSpec{})))
	signInPlace(t, d.Root(), spKey, false)
	signed := serialize(t, d)
	o := trusting()
	o.Certs = []*x509.Certificate{spKey.cert}
	r := inspectSAML(signed, &InputInfo{Format: "base64", Binding: "HTTP-POST"}, o)
	r.finish()
	if r.Signature == nil || r.Signature.Status != SigValid || !slices.Equal(r.Signature.Signed, []string{"request"}) {
		t.Errorf("Signature = %+v, findings %v; want valid request", r.Signature, codes(r))
	}
	tampered := strings.Replace(string(signed), testACS, "https://evil.example/acs", 1)
	r = inspectSAML([]byte(tampered), nil, o)
	if r.Signature.Status != SigInvalid || !r.Has(CodeSignatureInvalid) {
		t.Errorf("tampered request: Signature = %+v, findings %v", r.Signature, codes(r))
	}
}

// redirectQuery builds a redirect-binding query signed over the exact encoded values.
func redirectQuery(t *testing.T, k testKey, alg string, relay string) string {
	t.Helper()
	h := crypto.SHA256
	if alg == algRSASHA1 {
		h = crypto.SHA1
	}
	// A value encoded with lower-case hex escapes: a verifier that re-encodes fails.
	q := "SAMLRequest=" + url.QueryEscape(base64.StdEncoding.EncodeToString([]byte("deflated request bytes")))
	if relay != "" {
		q += "&RelayState=" + relay
	}
	q += "&SigAlg=" + url.QueryEscape(alg)
	d := h.New()
	d.Write([]byte(q))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k.key, h, d.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	return q + "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig))
}

func TestCheckRedirectSignature(t *testing.T) {
	keys(t)
	const relay = "https%3a%2f%2fsp.example.com%2fapp%3fx%3d1"
	spTrust := &Options{Certs: []*x509.Certificate{spKey.cert}, CertSource: "certificate", Now: testNow}
	tests := []struct {
		name       string
		query      string
		opts       *Options
		wantStatus string
		want       string
	}{
		{"valid rsa-sha256", redirectQuery(t, spKey, algRSASHA256, relay), spTrust, SigValid, ""},
		{"valid without RelayState", redirectQuery(t, spKey, algRSASHA256, ""), spTrust, SigValid, ""},
		{"rsa-sha1", redirectQuery(t, spKey, algRSASHA1, relay), spTrust, SigValid, CodeWeakAlgorithm},
		{"RelayState tampered", strings.Replace(redirectQuery(t, spKey, algRSASHA256, relay), "x%3d1", "x%3d2", 1), spTrust, SigInvalid, CodeSignatureInvalid},
		{"RelayState re-encoded", strings.Replace(redirectQuery(t, spKey, algRSASHA256, relay), "%2f", "%2F", -1), spTrust, SigInvalid, CodeSignatureInvalid},
		{"signed by another key", redirectQuery(t, idpKey, algRSASHA256, relay), spTrust, SigInvalid, CodeSignatureInvalid},
		{"no trust input", redirectQuery(t, spKey, algRSASHA256, relay), &Options{}, SigUntrusted, CodeCertUntrusted},
		{"unsigned", "SAMLRequest=abc&RelayState=x", spTrust, SigAbsent, CodeSignatureAbsent},
		{"parameter repeated", redirectQuery(t, spKey, algRSASHA256, relay) + "&RelayState=evil", spTrust, SigInvalid, CodeSignatureInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Report{Kind: KindSAMLAuthnRequest}
			checkRedirectSignature(r, "SAMLRequest", tt.query, tt.opts)
			r.finish()
			if r.Signature == nil || r.Signature.Status != tt.wantStatus {
				t.Fatalf("checkRedirectSignature(%.60q) Signature = %+v, findings %v; want %s", tt.query, r.Signature, codes(r), tt.wantStatus)
			}
			if tt.wantStatus == SigValid && (!slices.Equal(r.Signature.Signed, []string{"query"}) || r.Signature.CertSHA256 != certSHA256(spKey.cert)) {
				t.Errorf("Signature = %+v, want signed query by the SP certificate", r.Signature)
			}
			if tt.want != "" && !r.Has(tt.want) {
				t.Errorf("findings %v lack %s", codes(r), tt.want)
			}
			if tt.want == "" && len(r.Findings) != 0 {
				t.Errorf("findings = %v, want none", codes(r))
			}
		})
	}
}

func metadataXML(certs ...*x509.Certificate) string {
	var kd strings.Builder
	for _, c := range certs {
		fmt.Fprintf(&kd, `<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>%s</X509Certificate></X509Data></KeyInfo></KeyDescriptor>`, base64.StdEncoding.EncodeToString(c.Raw))
	}
	return "\xef\xbb\xbf" + `<?xml version="1.0" encoding="utf-8"?><EntityDescriptor ID="_md1" entityID="` + testIssuer + `" xmlns="urn:oasis:names:tc:SAML:2.0:metadata"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
		kd.String() +
		`<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://login.microsoftonline.com/` + testTenant + `/saml2"/>` +
		`<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://login.microsoftonline.com/` + testTenant + `/saml2"/>` +
		`<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://login.microsoftonline.com/` + testTenant + `/saml2"/>` +
		`</IDPSSODescriptor></EntityDescriptor>`
}

func TestInspectSAMLMetadata(t *testing.T) {
	keys(t)
	expiring := newTestKey(t, "CN=expiring", testNow.AddDate(-3, 0, 0), testNow.AddDate(0, 0, 10))
	doc := metadataXML(expiring.cert, idpOld.cert)
	r := inspectSAML([]byte(doc), nil, &Options{Now: testNow, Tenant: testTenant})
	r.finish()
	if r.Kind != KindSAMLMetadata || r.Metadata == nil {
		t.Fatalf("Kind = %q, Metadata = %v, findings %v", r.Kind, r.Metadata, codes(r))
	}
	if len(r.Metadata.Certificates) != 2 || r.Metadata.TenantID != testTenant || len(r.Metadata.SSOURLs) != 2 || r.Metadata.Role != "idp" {
		t.Errorf("Metadata = %+v", r.Metadata)
	}
	if !r.Has(CodeCertExpired) || !r.Has(CodeMetadataCertExpiring) {
		t.Errorf("findings %v lack cert-expired and cert-expiring", codes(r))
	}
	r = inspectSAML([]byte(doc), nil, &Options{Now: testNow, Tenant: "11111111-2222-3333-4444-555555555555"})
	if !r.Has(CodeTenantMismatch) {
		t.Errorf("findings %v lack tenant-mismatch", codes(r))
	}
	// A rollover: both certificates current, nothing to report.
	r = inspectSAML([]byte(metadataXML(idpKey.cert, idpNext.cert)), nil, &Options{Now: testNow})
	r.finish()
	if r.Verdict != "ok" || len(r.Metadata.Certificates) != 2 {
		t.Errorf("rollover metadata: Verdict %q, findings %v, %d certificates", r.Verdict, codes(r), len(r.Metadata.Certificates))
	}
}

func TestInspectSAMLLogout(t *testing.T) {
	keys(t)
	req := `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_lr1" Version="2.0" IssueInstant="2026-11-23T12:00:00Z"><saml:Issuer>` + testSPID + `</saml:Issuer><saml:NameID Format="` + nameIDEmail + `">alice@contoso.com</saml:NameID><samlp:SessionIndex>_assert7a8b9c</samlp:SessionIndex></samlp:LogoutRequest>`
	r := inspectSAML([]byte(req), &InputInfo{Format: "deflate-base64", Binding: "HTTP-Redirect"}, &Options{})
	r.finish()
	if r.Kind != KindSAMLLogoutRequest || r.Request == nil || r.Request.NameID != "alice@contoso.com" || r.Request.SessionIndex != "_assert7a8b9c" || r.Issuer != testSPID {
		t.Errorf("LogoutRequest report = %+v / %+v", r, r.Request)
	}
	resp := `<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_lo2" Version="2.0" IssueInstant="2026-11-23T12:00:00Z" InResponseTo="_lr1"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">https://login.microsoftonline.com/` + testTenant + `/</Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"/><samlp:StatusMessage>AADSTS50058: silent sign-in failed</samlp:StatusMessage></samlp:Status></samlp:LogoutResponse>`
	r = inspectSAML([]byte(resp), &InputInfo{Format: "deflate-base64", Binding: "HTTP-Redirect"}, &Options{Tenant: testTenant})
	r.finish()
	if r.Kind != KindSAMLLogoutResponse || r.InResponseTo != "_lr1" || r.Status == nil || r.Status.AADSTS == nil || !r.Has(CodeStatusError) {
		t.Errorf("LogoutResponse report: kind %q status %+v findings %v", r.Kind, r.Status, codes(r))
	}
	if r.Has(CodeIssuerMismatch) || r.Has(CodeTenantMismatch) {
		t.Errorf("Entra's logout issuer was reported as a mismatch: %v", codes(r))
	}
	r = inspectSAML([]byte(resp), nil, &Options{IdPEntityID: testIssuer})
	if r.Has(CodeIssuerMismatch) || r.Has(CodeTenantMismatch) {
		t.Errorf("Entra's logout issuer was reported as a mismatch with the metadata entity ID: %v", codes(r))
	}
	r = inspectSAML([]byte(resp), nil, &Options{Tenant: "11111111-2222-3333-4444-555555555555"})
	if !r.Has(CodeTenantMismatch) {
		t.Errorf("logout response from another tenant: findings %v lack tenant-mismatch", codes(r))
	}
}

func TestInspectSAMLSignedMetadata(t *testing.T) {
	keys(t)
	d := mustParse(t, []byte(strings.TrimPrefix(metadataXML(idpKey.cert), "\xef\xbb\xbf")))
	signInPlace(t, d.Root(), idpKey, false)
	signed := serialize(t, d)
	o := &Options{Now: testNow, Certs: []*x509.Certificate{idpKey.cert}}
	r := inspectSAML(signed, nil, o)
	r.finish()
	if r.Signature == nil || r.Signature.Status != SigValid || !slices.Equal(r.Signature.Signed, []string{"metadata"}) || r.Verdict != "ok" {
		t.Errorf("signed metadata: Signature %+v, findings %v", r.Signature, codes(r))
	}
	// Re-indented by hand: the signature breaks, which is worth a warning only.
	d.Indent(2)
	r = inspectSAML(serialize(t, d), nil, o)
	r.finish()
	if f := finding(r, CodeSignatureInvalid); f == nil || f.Severity != SeverityWarning || r.Metadata == nil {
		t.Errorf("re-indented metadata: findings %v, want a signature-invalid warning", codes(r))
	}
	// Without trust input, a good metadata signature raises nothing.
	r = inspectSAML(signed, nil, &Options{Now: testNow})
	r.finish()
	if r.Verdict != "ok" || r.Signature.Status != SigUntrusted {
		t.Errorf("metadata without trust: Verdict %q, Signature %+v, findings %v", r.Verdict, r.Signature, codes(r))
	}
}
