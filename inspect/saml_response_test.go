package inspect

import (
	"bytes"
	"crypto/x509"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/ssowizard/ssowizard/entra"
)

func TestInspectSAMLSignedResponses(t *testing.T) {
	keys(t)
	tests := []struct {
		name         string
		spec         respSpec
		opts         func(o *Options)
		wantStatus   string
		wantSigned   []string
		wantTrusted  string
		claimsSigned bool
		want         []string // finding codes that must be present
	}{
		{name: "assertion signed, trusted certificate", spec: respSpec{}, wantStatus: SigValid, wantSigned: []string{"assertion"}, wantTrusted: "metadata", claimsSigned: true},
		{name: "response signed", spec: respSpec{sign: "response"}, wantStatus: SigValid, wantSigned: []string{"response"}, wantTrusted: "metadata", claimsSigned: true},
		{name: "both signed", spec: respSpec{sign: "both"}, wantStatus: SigValid, wantSigned: []string{"response", "assertion"}, wantTrusted: "metadata", claimsSigned: true},
		{name: "rollover: second trusted certificate signed", spec: respSpec{signer: idpNext},
			opts:       func(o *Options) { o.Certs = []*x509.Certificate{idpKey.cert, idpNext.cert} },
			wantStatus: SigValid, wantSigned: []string{"assertion"}, wantTrusted: "metadata", claimsSigned: true},
		{name: "trusted by fingerprint", spec: respSpec{},
			opts:       func(o *Options) { o.Certs = nil; o.Fingerprints = [][32]byte{fingerprint(idpKey.cert)} },
			wantStatus: SigValid, wantSigned: []string{"assertion"}, wantTrusted: "fingerprint", claimsSigned: true},
		{name: "no trust input: embedded certificate only", spec: respSpec{},
			opts:       func(o *Options) { o.Certs = nil },
			wantStatus: SigUntrusted, wantSigned: []string{"assertion"}, wantTrusted: "embedded", want: []string{CodeCertUntrusted}},
		{name: "signed by a certificate not trusted", spec: respSpec{signer: idpNext},
			wantStatus: SigUntrusted, wantSigned: []string{"assertion"}, wantTrusted: "embedded", want: []string{CodeCertUntrusted}},
		{name: "fingerprint of another certificate", spec: respSpec{},
			opts:       func(o *Options) { o.Certs = nil; o.Fingerprints = [][32]byte{fingerprint(idpNext.cert)} },
			wantStatus: SigUntrusted, wantSigned: []string{"assertion"}, wantTrusted: "embedded", want: []string{CodeCertUntrusted}},
		{name: "ds-prefixed signatures", spec: respSpec{sign: "both", dsPrefix: true}, wantStatus: SigValid, wantSigned: []string{"response", "assertion"}, wantTrusted: "metadata", claimsSigned: true},
		{name: "sha1", spec: respSpec{sha1: true}, wantStatus: SigValid, wantSigned: []string{"assertion"}, wantTrusted: "metadata", claimsSigned: true, want: []string{CodeWeakAlgorithm}},
		{name: "expired signing certificate still verifies", spec: respSpec{signer: idpOld},
			opts:       func(o *Options) { o.Certs = []*x509.Certificate{idpOld.cert} },
			wantStatus: SigValid, wantSigned: []string{"assertion"}, wantTrusted: "metadata", claimsSigned: true, want: []string{CodeCertExpired}},
		{name: "unsigned", spec: respSpec{sign: "none"}, wantStatus: SigAbsent, wantSigned: []string{}, want: []string{CodeSignatureAbsent}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := trusting()
			if tt.opts != nil {
				tt.opts(o)
			}
			r := inspectSAML(buildResponse(t, tt.spec), &InputInfo{Format: "xml"}, o)
			r.finish()
			if r.Kind != KindSAMLResponse {
				t.Fatalf("Kind = %q, want %q", r.Kind, KindSAMLResponse)
			}
			if r.Signature == nil || r.Signature.Status != tt.wantStatus {
				t.Fatalf("Signature = %+v, want status %s (findings %v)", r.Signature, tt.wantStatus, codes(r))
			}
			if !slices.Equal(r.Signature.Signed, tt.wantSigned) {
				t.Errorf("Signed = %v, want %v", r.Signature.Signed, tt.wantSigned)
			}
			if r.Signature.TrustedBy != tt.wantTrusted {
				t.Errorf("TrustedBy = %q, want %q", r.Signature.TrustedBy, tt.wantTrusted)
			}
			if r.ClaimsSigned != tt.claimsSigned {
				t.Errorf("ClaimsSigned = %v, want %v", r.ClaimsSigned, tt.claimsSigned)
			}
			for _, c := range tt.want {
				if !r.Has(c) {
					t.Errorf("findings %v lack %s", codes(r), c)
				}
			}
			if len(tt.want) == 0 && r.Verdict != "ok" {
				t.Errorf("Verdict = %q with findings %v, want ok", r.Verdict, codes(r))
			}
			if r.Subject == nil || r.Subject.NameID != "alice@contoso.com" {
				t.Errorf("Subject = %+v, want alice@contoso.com", r.Subject)
			}
		})
	}
}

func TestInspectSAMLReadsEntraFields(t *testing.T) {
	keys(t)
	r := inspectSAML(buildResponse(t, respSpec{attrs: append(defaultAttrs(), [2]string{entra.ClaimGroups, "8d1b6a1e-0000-4e5f-8a9b-0c1d2e3f4a5b"})}), nil, trusting())
	r.finish()
	if r.Issuer != testIssuer || r.Destination != testACS || r.InResponseTo != testReqID || r.ID != "_resp0d3c5e4f" {
		t.Errorf("header = %q %q %q %q", r.Issuer, r.Destination, r.InResponseTo, r.ID)
	}
	if r.Status == nil || r.Status.Code != statusSuccess {
		t.Errorf("Status = %+v", r.Status)
	}
	if c := r.Subject.Confirmation; c == nil || c.Recipient != testACS || c.InResponseTo != testReqID || c.NotOnOrAfter == "" {
		t.Errorf("Confirmation = %+v", c)
	}
	if !slices.Equal(r.Audiences, []string{testSPID}) || r.NotBefore == "" || r.NotOnOrAfter == "" {
		t.Errorf("Conditions = %v %q %q", r.Audiences, r.NotBefore, r.NotOnOrAfter)
	}
	if r.SessionIndex != "_assert7a8b9c" || !strings.HasSuffix(r.AuthnContext, "Password") || r.AuthnInstant == "" {
		t.Errorf("AuthnStatement = %q %q %q", r.SessionIndex, r.AuthnContext, r.AuthnInstant)
	}
	email := findClaim(r.Claims, "emailaddress")
	if email == nil || email.Name != entra.ClaimEmail || email.About == "" || !slices.Equal(email.Values, []string{"alice@contoso.com"}) {
		t.Errorf("emailaddress claim = %+v", email)
	}
	if amr := findClaim(r.Claims, "authnmethodsreferences"); amr == nil || amr.About == "" {
		t.Errorf("authnmethodsreferences claim = %+v", amr)
	}
	if !r.Has(CodeGroupsObjectIDs) {
		t.Errorf("findings %v lack %s", codes(r), CodeGroupsObjectIDs)
	}
	if !strings.Contains(r.Pretty, "\n  <Issuer") {
		t.Errorf("Pretty is not indented: %.200s", r.Pretty)
	}
}

func TestInspectSAMLTampered(t *testing.T) {
	keys(t)
	tests := []struct {
		name string
		sign string
		edit func(string) string
	}{
		{"assertion NameID changed", "assertion", func(s string) string {
			return strings.Replace(s, ">alice@contoso.com</NameID>", ">mallory@contoso.com</NameID>", 1)
		}},
		{"assertion attribute changed", "assertion", func(s string) string {
			return strings.Replace(s, "<AttributeValue>Alice</AttributeValue>", "<AttributeValue>Mallory</AttributeValue>", 1)
		}},
		{"response destination changed", "response", func(s string) string {
			return strings.Replace(s, `Destination="`+testACS+`"`, `Destination="https://evil.example/acs"`, 1)
		}},
		{"assertion attribute added", "response", func(s string) string {
			return strings.Replace(s, "</AttributeStatement>", `<Attribute Name="role"><AttributeValue>admin</AttributeValue></Attribute></AttributeStatement>`, 1)
		}},
		{"signature value changed", "assertion", func(s string) string {
			i := strings.Index(s, "<SignatureValue>") + len("<SignatureValue>")
			c := byte('A')
			if s[i] == 'A' {
				c = 'B'
			}
			return s[:i] + string(c) + s[i+1:]
		}},
		{"digest method swapped to sha1", "assertion", func(s string) string {
			return strings.Replace(s, algDigestSHA256, algDigestSHA1, 1)
		}},
		{"reference points elsewhere", "assertion", func(s string) string {
			return strings.Replace(s, `URI="#_assert7a8b9c"`, `URI="#_resp0d3c5e4f"`, 1)
		}},
		{"second Reference added", "assertion", func(s string) string {
			return strings.Replace(s, "</SignedInfo>", `<Reference URI="#_resp0d3c5e4f"><DigestMethod Algorithm="`+algDigestSHA256+`"/><DigestValue>AA==</DigestValue></Reference></SignedInfo>`, 1)
		}},
		{"c14n with comments", "assertion", func(s string) string {
			return strings.Replace(s, `<CanonicalizationMethod Algorithm="`+algExcC14N+`"`, `<CanonicalizationMethod Algorithm="`+algExcC14N+`WithComments"`, 1)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := buildResponse(t, respSpec{sign: tt.sign})
			edited := tt.edit(string(doc))
			if edited == string(doc) {
				t.Fatal("the edit changed nothing")
			}
			r := inspectSAML([]byte(edited), nil, trusting())
			r.finish()
			if r.Signature.Status != SigInvalid || !r.Has(CodeSignatureInvalid) {
				t.Fatalf("inspectSAML(tampered) signature = %+v findings %v, want invalid", r.Signature, codes(r))
			}
			if r.ClaimsSigned {
				t.Error("ClaimsSigned = true for a tampered message")
			}
			if r.OK() {
				t.Errorf("Verdict = %q, want error", r.Verdict)
			}
		})
	}
}

func TestInspectSAMLCommentInjection(t *testing.T) {
	keys(t)
	doc := buildResponse(t, respSpec{nameID: "alice@evil.com<!---->.contoso.com"})
	r := inspectSAML(doc, nil, trusting())
	r.finish()
	if !r.Has(CodeNameIDComment) {
		t.Fatalf("findings %v lack %s", codes(r), CodeNameIDComment)
	}
	// The signature is valid (c14n drops comments), and the NameID reported is the
	// whole signed text, never the first text node.
	if r.Signature.Status != SigValid {
		t.Errorf("Signature = %+v, want valid", r.Signature)
	}
	if got := r.Subject.NameID; got != "alice@evil.com.contoso.com" {
		t.Errorf("NameID = %q, want the full signed text alice@evil.com.contoso.com", got)
	}
}

func TestInspectSAMLUnsafeXML(t *testing.T) {
	keys(t)
	deep := strings.Repeat("<a>", MaxXMLDepth+1) + strings.Repeat("</a>", MaxXMLDepth+1)
	tests := []struct {
		name string
		doc  string
		opts Options
		want string
	}{
		{"xxe", `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&x;</samlp:Response>`, Options{}, CodeXMLDoctype},
		{"billion laughs", `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>`, Options{}, CodeXMLDoctype},
		{"doctype without entities", `<!DOCTYPE samlp:Response><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`, Options{}, CodeXMLDoctype},
		{"depth bomb", `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">` + deep + `</samlp:Response>`, Options{}, CodeXMLTooDeep},
		{"too large", responseXML(respSpec{}), Options{MaxInputBytes: 100}, CodeInputTooLarge},
		{"truncated", responseXML(respSpec{})[:500], Options{}, CodeInputMalformed},
		{"mismatched tags", `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><a></b></samlp:Response>`, Options{}, CodeInputMalformed},
		{"duplicate attribute", `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_a" ID="_b"/>`, Options{}, CodeInputMalformed},
		{"element name with two colons", `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><x:y:z xmlns:x="urn:x"/></samlp:Response>`, Options{}, CodeInputMalformed},
		{"attribute name with empty local part", `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" x:="v"/>`, Options{}, CodeInputMalformed},
		{"namespace declaration with empty prefix", `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:="urn:x"/>`, Options{}, CodeInputMalformed},
		{"two roots", `<a/><b/>`, Options{}, CodeInputMalformed},
		{"latin-1", `<?xml version="1.0" encoding="ISO-8859-1"?><a/>`, Options{}, CodeInputMalformed},
		{"empty", ``, Options{}, CodeInputMalformed},
		{"not saml", `<html><body/></html>`, Options{}, CodeInputMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := inspectSAML([]byte(tt.doc), nil, &tt.opts)
			r.finish()
			if !r.Has(tt.want) || r.OK() {
				t.Errorf("inspectSAML(%.60q) findings = %v, want error %s", tt.doc, codes(r), tt.want)
			}
		})
	}
}

func TestInspectSAMLNeverPanics(t *testing.T) {
	keys(t)
	doc := buildResponse(t, respSpec{sign: "both"})
	for i := 0; i < len(doc); i += 37 {
		inspectSAML(doc[:i], nil, trusting()).finish()
		mutated := bytes.Clone(doc)
		mutated[i] ^= 0x20
		inspectSAML(mutated, nil, trusting()).finish()
	}
}

func TestInspectSAMLAssertionStructure(t *testing.T) {
	keys(t)
	signedA := buildResponse(t, respSpec{})
	tests := []struct {
		name string
		doc  func() []byte
		want []string
	}{
		{"duplicate IDs", func() []byte {
			return bytes.Replace(buildResponse(t, respSpec{sign: "none"}), []byte(`ID="_resp0d3c5e4f"`), []byte(`ID="_assert7a8b9c"`), 1)
		}, []string{CodeSignatureWrapped}},
		{"two signed assertions", func() []byte {
			d := mustParse(t, signedA)
			a := d.Root().FindElement("Assertion")
			b := a.Copy()
			b.CreateAttr("ID", "_second")
			d.Root().AddChild(b)
			return serialize(t, d)
		}, []string{CodeMultipleAssertions}},
		{"no subject confirmation", func() []byte { return buildResponse(t, respSpec{noSCD: true}) }, []string{CodeSubjectConfirmation}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := inspectSAML(tt.doc(), nil, trusting())
			r.finish()
			for _, c := range tt.want {
				if !r.Has(c) {
					t.Errorf("findings %v lack %s", codes(r), c)
				}
			}
			if tt.want[0] != CodeSubjectConfirmation && (len(r.Claims) > 0 || r.ClaimsSigned) {
				t.Errorf("claims reported from a suspicious message: %v", r.Claims)
			}
		})
	}
}

func TestInspectSAMLChecks(t *testing.T) {
	keys(t)
	const otherTenant = "11111111-2222-3333-4444-555555555555"
	tests := []struct {
		name string
		spec respSpec
		opts func(o *Options)
		want string
		sev  Severity
		says []string // the message must mention these
	}{
		{"audience", respSpec{}, func(o *Options) { o.SPEntityID = "https://sp.example.com/saml/" }, CodeAudienceMismatch, SeverityError, []string{"trailing slash"}},
		{"recipient", respSpec{}, func(o *Options) { o.ACS = "https://sp.example.com/acs" }, CodeRecipientMismatch, SeverityError, []string{"Recipient"}},
		{"destination", respSpec{}, func(o *Options) { o.ACS = "https://sp.example.com/acs" }, CodeDestinationMismatch, SeverityError, []string{"Destination"}},
		{"in-response-to", respSpec{}, func(o *Options) { o.RequestID = "_other" }, CodeInResponseToMismatch, SeverityError, []string{"_other"}},
		{"issuer vs metadata entity ID", respSpec{}, func(o *Options) { o.IdPEntityID = "https://sts.windows.net/" + testTenant }, CodeIssuerMismatch, SeverityError, []string{"trailing slash"}},
		{"tenant", respSpec{}, func(o *Options) { o.Tenant = otherTenant }, CodeTenantMismatch, SeverityError, []string{otherTenant}},
		{"expired", respSpec{}, func(o *Options) { o.Now = testNow.Add(2 * time.Hour) }, CodeExpired, SeverityError, []string{"50m0s late", "1h55m0s late"}},
		{"expired confirmation only", respSpec{}, func(o *Options) { o.Now = testNow.Add(10 * time.Minute) }, CodeExpired, SeverityError, []string{"SubjectConfirmationData", "5m0s late"}},
		{"not yet valid", respSpec{}, func(o *Options) { o.Now = testNow.Add(-90 * time.Second) }, CodeNotYetValid, SeverityError, []string{"1m30s too early", "no skew buffer"}},
		{"email missing", respSpec{noEmail: true, nameID: "AbC123opaque", format: nameIDPersistent}, nil, CodeEmailMissing, SeverityWarning, []string{"mail attribute"}},
		{"groups overage", respSpec{attrs: append(defaultAttrs(), [2]string{entra.ClaimGroupsLink, "https://graph.windows.net/x/users/y/getMemberObjects"})}, nil, CodeGroupsOverage, SeverityWarning, []string{"150"}},
		{"transient", respSpec{format: nameIDTransient}, nil, CodeNameIDTransient, SeverityWarning, []string{"transient"}},
		{"status error", respSpec{noAssert: true, sign: "none", status: `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Requester"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:RequestDenied"/></samlp:StatusCode><samlp:StatusMessage>AADSTS50105: Your administrator has configured the application to block users unless they are specifically granted access.</samlp:StatusMessage></samlp:Status>`},
			nil, CodeStatusError, SeverityError, []string{"AADSTS50105", "RequestDenied", "nested groups"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := trusting()
			if tt.opts != nil {
				tt.opts(o)
			}
			r := inspectSAML(buildResponse(t, tt.spec), nil, o)
			r.finish()
			var msgs []string
			for _, f := range r.Findings {
				if f.Code == tt.want {
					msgs = append(msgs, f.Message)
					if f.Severity != tt.sev {
						t.Errorf("%s severity = %s, want %s", f.Code, f.Severity, tt.sev)
					}
					if f.Fix == "" {
						t.Errorf("%s has no fix", f.Code)
					}
				}
			}
			if len(msgs) == 0 {
				t.Fatalf("findings %v lack %s", codes(r), tt.want)
			}
			all := strings.Join(msgs, " | ")
			for _, s := range tt.says {
				if !strings.Contains(all, s) {
					t.Errorf("%s message %q does not mention %q", tt.want, all, s)
				}
			}
		})
	}
}

func TestInspectSAMLSkewAndZeroOptions(t *testing.T) {
	keys(t)
	doc := buildResponse(t, respSpec{})
	o := trusting()
	o.Now = testNow.Add(-90 * time.Second)
	o.Skew = 3 * time.Minute
	if r := inspectSAML(doc, nil, o); r.Has(CodeNotYetValid) {
		t.Errorf("not-yet-valid reported within the skew allowance: %v", codes(r))
	}
	o.Now = testNow.Add(72 * time.Minute)
	o.Skew = 0
	if r := inspectSAML(doc, nil, o); !r.Has(CodeExpired) {
		t.Errorf("findings %v lack expired at +72m without skew", codes(r))
	}
	// The zero Options run no expectation checks at all.
	r := inspectSAML(doc, nil, &Options{})
	for _, c := range []string{CodeExpired, CodeNotYetValid, CodeAudienceMismatch, CodeRecipientMismatch, CodeDestinationMismatch, CodeInResponseToMismatch, CodeIssuerMismatch, CodeTenantMismatch} {
		if r.Has(c) {
			t.Errorf("zero Options produced %s", c)
		}
	}
}

func TestInspectSAMLBareAssertion(t *testing.T) {
	keys(t)
	d := mustParse(t, buildResponse(t, respSpec{}))
	a := etree.NewDocument()
	a.SetRoot(detach(firstChild(d.Root(), "Assertion")))
	doc := serialize(t, a)
	r := inspectSAML(doc, nil, trusting())
	r.finish()
	if r.Kind != KindSAMLAssertion || r.Signature.Status != SigValid || !r.ClaimsSigned || r.Issuer != testIssuer || r.ID != "_assert7a8b9c" || r.Verdict != "ok" {
		t.Errorf("bare assertion: kind %q signature %+v issuer %q findings %v", r.Kind, r.Signature, r.Issuer, codes(r))
	}
	o := trusting()
	o.Tenant = "11111111-2222-3333-4444-555555555555"
	if r := inspectSAML(doc, nil, o); !r.Has(CodeTenantMismatch) {
		t.Errorf("bare assertion from another tenant: findings %v lack tenant-mismatch", codes(r))
	}
	tampered := bytes.Replace(doc, []byte("Alice"), []byte("Mallory"), 1)
	if r := inspectSAML(tampered, nil, trusting()); r.Signature.Status != SigInvalid || r.ClaimsSigned {
		t.Errorf("tampered bare assertion: Signature %+v", r.Signature)
	}
}
