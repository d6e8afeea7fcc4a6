package inspect

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Adversarial cases for issue 14: the inspector fails closed. Each case is a message
// an attacker (or a broken IdP) can send; none may come out OK.

// jwtOpts expects the fd ID token: its keys, client, tenant and nonce, at fdNow.
func jwtOpts(k *fdKeys) Options {
	return Options{Keys: k.set, ClientID: fdClientID, Tenant: fdTenant, Nonce: "n-0S6_WzA2Mj", Now: fdNow}
}

func TestFailClosedJWT(t *testing.T) {
	k := fdNewKeys(t)
	with := func(edit func(map[string]any)) map[string]any {
		c := fdIDClaims()
		edit(c)
		return c
	}
	forgedSig := make([]byte, 256)
	if _, err := rand.Read(forgedSig); err != nil {
		t.Fatal(err)
	}
	forgedClaims := fdJSON(t, fdIDClaims())
	tests := []struct {
		name     string
		token    string
		opts     Options
		wantCode string // a finding the report must carry ("" for none in particular)
	}{
		{"forged signature, header nonce, no keys", fdRawJWT(`{"alg":"RS256","kid":"test-kid-1","nonce":"abc"}`, forgedClaims, forgedSig), Options{Now: fdNow}, CodeSignatureInvalid},
		{"forged signature, header nonce, keys given", fdRawJWT(`{"alg":"RS256","kid":"test-kid-1","nonce":"abc"}`, forgedClaims, forgedSig), jwtOpts(k), CodeSignatureInvalid},
		{"genuine signature, header nonce added", k.signRS256(t, fdIDClaims(), map[jose.HeaderKey]any{"nonce": "x"}), jwtOpts(k), CodeSignatureInvalid},
		{"pasted with no keys (the window's case)", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.abc", Options{Now: fdNow}, CodeKeyUntrusted},
		{"forged signature, keys given", fdRawJWT(`{"alg":"RS256","kid":"test-kid-1"}`, forgedClaims, forgedSig), jwtOpts(k), CodeSignatureInvalid},
		{"crit names an extension", k.signRS256(t, fdIDClaims(), map[jose.HeaderKey]any{"crit": []string{"exp"}, "exp": 1}), jwtOpts(k), CodeJWTCritical},
		{"crit empty", k.signRS256(t, fdIDClaims(), map[jose.HeaderKey]any{"crit": []string{}}), jwtOpts(k), CodeJWTCritical},
		{"exp missing", k.signRS256(t, with(func(c map[string]any) { delete(c, "exp") }), nil), jwtOpts(k), CodeExpired},
		{"exp not a number", k.signRS256(t, with(func(c map[string]any) { c["exp"] = "tomorrow" }), nil), jwtOpts(k), CodeExpired},
		{"nbf not a number", k.signRS256(t, with(func(c map[string]any) { c["nbf"] = "now" }), nil), jwtOpts(k), CodeNotYetValid},
		{"access token with scp for the app", k.signRS256(t, with(func(c map[string]any) { c["scp"] = "User.Read"; delete(c, "nonce") }), nil), jwtOpts(k), CodeAccessTokenNotForYou},
		{"access token typ at+jwt", k.signRS256(t, fdIDClaims(), map[jose.HeaderKey]any{"typ": "at+jwt"}), jwtOpts(k), CodeAccessTokenNotForYou},
		{"access token for api://client", k.signRS256(t, with(func(c map[string]any) { c["aud"] = "api://" + fdClientID }), nil), jwtOpts(k), CodeAccessTokenNotForYou},
		{"access token with idtyp", k.signRS256(t, with(func(c map[string]any) { c["idtyp"] = "user" }), nil), Options{Keys: k.set, ClientID: fdClientID, Tenant: fdTenant, Now: fdNow}, CodeAccessTokenNotForYou},
		{"extra audience", k.signRS256(t, with(func(c map[string]any) { c["aud"] = []string{fdClientID, "bbbbbbbb-0000-0000-0000-000000000000"} }), nil), jwtOpts(k), CodeClientIDMismatch},
		{"azp another client", k.signRS256(t, with(func(c map[string]any) { c["azp"] = "bbbbbbbb-0000-0000-0000-000000000000" }), nil), jwtOpts(k), CodeClientIDMismatch},
		{"no audience", k.signRS256(t, with(func(c map[string]any) { delete(c, "aud") }), nil), jwtOpts(k), CodeClientIDMismatch},
		{"no tenant anywhere, --tenant given", k.signRS256(t, with(func(c map[string]any) {
			delete(c, "tid")
			c["iss"] = "https://login.microsoftonline.com/common/v2.0"
		}), nil), jwtOpts(k), CodeTenantMismatch},
		{"another tenant", k.signRS256(t, with(func(c map[string]any) {
			c["tid"] = fdOtherTenant
			c["iss"] = "https://login.microsoftonline.com/" + fdOtherTenant + "/v2.0"
		}), nil), jwtOpts(k), CodeTenantMismatch},
		{"tenant given as a domain", k.signRS256(t, fdIDClaims(), nil), func() Options { o := jwtOpts(k); o.Tenant = "contoso.com"; return o }(), CodeTenantMismatch},
		{"no time given", k.signRS256(t, fdIDClaims(), nil), func() Options { o := jwtOpts(k); o.Now = time.Time{}; return o }(), CodeTimeNotChecked},
		{"nonce missing", k.signRS256(t, with(func(c map[string]any) { delete(c, "nonce") }), nil), jwtOpts(k), CodeNonceMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Inspect([]byte(tt.token), tt.opts)
			if r.OK() || r.Verdict == VerdictOK || r.Verdict == VerdictWarning {
				t.Fatalf("Inspect(%s) verdict %q OK %v (findings %v), want not OK", tt.name, r.Verdict, r.OK(), fdCodes(r))
			}
			if strings.Contains(r.Headline(), "OK") {
				t.Errorf("Headline() = %q, want no OK", r.Headline())
			}
			if tt.wantCode != "" && fdFinding(r, tt.wantCode) == nil {
				t.Errorf("findings %v lack %s", fdCodes(r), tt.wantCode)
			}
		})
	}

	// The control: Entra's ID token, every expectation given, passes.
	r := Inspect([]byte(k.signRS256(t, fdIDClaims(), nil)), jwtOpts(k))
	if !r.OK() || r.Verdict != VerdictOK || len(r.NotChecked) != 0 {
		t.Fatalf("genuine ID token: verdict %q findings %v unverified %v not checked %v, want ok", r.Verdict, fdCodes(r), r.Unverified, r.NotChecked)
	}
	// Verified but with no expectations: OK, and the report says what it did not check.
	r = Inspect([]byte(k.signRS256(t, fdIDClaims(), nil)), Options{Keys: k.set, Now: fdNow})
	if !r.OK() || len(r.NotChecked) != 3 {
		t.Errorf("no expectations: OK %v, not checked %q; want OK with audience, nonce and tenant not checked", r.OK(), r.NotChecked)
	}
}

func TestFailClosedTokenResponseWithoutIDToken(t *testing.T) {
	k := fdNewKeys(t)
	at := k.signRS256(t, map[string]any{"aud": "api://" + fdClientID, "scp": "read", "iss": "https://login.microsoftonline.com/" + fdTenant + "/v2.0", "tid": fdTenant, "exp": fdNow.Add(time.Hour).Unix()}, nil)
	for name, body := range map[string]string{
		"access token only":   `{"token_type":"Bearer","access_token":"` + at + `"}`,
		"opaque access token": `{"token_type":"Bearer","access_token":"opaque"}`,
	} {
		r := Inspect([]byte(body), Options{Keys: k.set, Now: fdNow})
		if r.OK() || !slices.Contains(r.Unverified, whyNoIDToken) {
			t.Errorf("%s: verdict %q unverified %v, want not verified for want of an ID token", name, r.Verdict, r.Unverified)
		}
	}
}

// assertionEdit replaces old with new in the assertion before it is signed.
func assertionEdit(pairs ...string) func(string) string {
	return func(s string) string {
		for i := 0; i+1 < len(pairs); i += 2 {
			s = strings.Replace(s, pairs[i], pairs[i+1], 1)
		}
		return s
	}
}

func TestFailClosedSAMLConditions(t *testing.T) {
	keys(t)
	ts := func(d time.Duration) string { return testNow.Add(d).UTC().Format("2006-01-02T15:04:05.000Z") }
	conditions := `<Conditions NotBefore="` + ts(0) + `" NotOnOrAfter="` + ts(70*time.Minute) + `"><AudienceRestriction><Audience>` + testSPID + `</Audience></AudienceRestriction></Conditions>`
	scd := `<SubjectConfirmationData InResponseTo="` + testReqID + `" NotOnOrAfter="` + ts(5*time.Minute) + `" Recipient="` + testACS + `"/>`
	tests := []struct {
		name     string
		edit     func(string) string
		opts     func(*Options)
		wantCode string
	}{
		{"no Conditions", assertionEdit(conditions, ""), nil, CodeAudienceMismatch},
		{"Conditions without AudienceRestriction", assertionEdit(`<AudienceRestriction><Audience>`+testSPID+`</Audience></AudienceRestriction>`, ""), nil, CodeAudienceMismatch},
		{"no AudienceRestriction and no SP given", assertionEdit(`<AudienceRestriction><Audience>`+testSPID+`</Audience></AudienceRestriction>`, ""), func(o *Options) { o.SPEntityID = "" }, CodeAudienceMismatch},
		{"a second AudienceRestriction excludes the SP", assertionEdit(`</AudienceRestriction>`, `</AudienceRestriction><AudienceRestriction><Audience>https://other.example</Audience></AudienceRestriction>`), nil, CodeAudienceMismatch},
		{"two Conditions", assertionEdit(conditions, conditions+conditions), nil, CodeAudienceMismatch},
		{"unknown condition", assertionEdit(`</AudienceRestriction>`, `</AudienceRestriction><Condition xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="DelegationRestrictionType"/>`), nil, CodeAudienceMismatch},
		{"no NotOnOrAfter anywhere", assertionEdit(` NotOnOrAfter="`+ts(5*time.Minute)+`"`, "", ` NotOnOrAfter="`+ts(70*time.Minute)+`"`, ""), nil, CodeExpired},
		{"confirmation NotOnOrAfter without Z, a day old", assertionEdit(` NotOnOrAfter="`+ts(5*time.Minute)+`"`, ` NotOnOrAfter="`+strings.TrimSuffix(ts(5*time.Minute-24*time.Hour), "Z")+`"`), nil, CodeTimeUnreadable},
		{"Conditions NotOnOrAfter with a leading space", assertionEdit(` NotOnOrAfter="`+ts(70*time.Minute)+`"`, ` NotOnOrAfter=" `+ts(70*time.Minute)+`"`), nil, CodeTimeUnreadable},
		{"Conditions NotOnOrAfter with an offset", assertionEdit(` NotOnOrAfter="`+ts(70*time.Minute)+`"`, ` NotOnOrAfter="2026-11-23T13:10:00+01:00"`), nil, CodeTimeUnreadable},
		{"unsigned Response IssueInstant unreadable", assertionEdit(`IssueInstant="`+ts(0)+`"`, `IssueInstant="2026-11-23T120:00:00.000Z"`), nil, CodeTimeUnreadable},
		{"AuthnInstant without Z", assertionEdit(`AuthnInstant="`+ts(-time.Second)+`"`, `AuthnInstant="`+strings.TrimSuffix(ts(-time.Second), "Z")+`"`), nil, CodeTimeUnreadable},
		{"no Status in the Response", assertionEdit(`<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>`, ""), nil, CodeStatusError},
		{"NotBefore in the bearer confirmation", assertionEdit(`<SubjectConfirmationData `, `<SubjectConfirmationData NotBefore="`+ts(0)+`" `), nil, CodeSubjectConfirmation},
		{"confirmation without Recipient", assertionEdit(` Recipient="`+testACS+`"`, ""), func(o *Options) { o.ACS = "" }, CodeRecipientMismatch},
		{"signed InResponseTo missing, header matches", assertionEdit(scd, `<SubjectConfirmationData NotOnOrAfter="`+ts(5*time.Minute)+`" Recipient="`+testACS+`"/>`), nil, CodeInResponseToMismatch},
		{"signed InResponseTo another request, header matches", assertionEdit(`<SubjectConfirmationData InResponseTo="`+testReqID, `<SubjectConfirmationData InResponseTo="_another`), nil, CodeInResponseToMismatch},
		{"expired a day ago", nil, func(o *Options) { o.Now = testNow.Add(24 * time.Hour) }, CodeExpired},
		{"no time given", nil, func(o *Options) { o.Now = time.Time{} }, CodeTimeNotChecked},
		{"signed by the message's own key only", nil, func(o *Options) { o.Certs = nil }, CodeCertUntrusted},
		{"signed by another key than the one trusted", nil, func(o *Options) { o.Certs = []*x509.Certificate{idpNext.cert} }, CodeCertUntrusted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := buildResponse(t, respSpec{edit: tt.edit})
			o := trusting()
			if tt.opts != nil {
				tt.opts(o)
			}
			r := Inspect(doc, *o)
			if r.OK() {
				t.Fatalf("verdict %q OK (findings %v), want not OK", r.Verdict, codes(r))
			}
			if !r.Has(tt.wantCode) {
				t.Errorf("findings %v lack %s", codes(r), tt.wantCode)
			}
		})
	}

	// Controls: Entra's response, several restrictions all naming the SP, OneTimeUse.
	for name, edit := range map[string]func(string) string{
		"as Entra sends it":              nil,
		"two restrictions naming the SP": assertionEdit(`</AudienceRestriction>`, `</AudienceRestriction><AudienceRestriction><Audience>https://other.example</Audience><Audience>`+testSPID+`</Audience></AudienceRestriction>`),
		"OneTimeUse":                     assertionEdit(`</AudienceRestriction>`, `</AudienceRestriction><OneTimeUse/>`),
	} {
		r := Inspect(buildResponse(t, respSpec{edit: edit}), *trusting())
		if !r.OK() || !r.ClaimsSigned {
			t.Errorf("%s: verdict %q findings %v unverified %v, want OK", name, r.Verdict, codes(r), r.Unverified)
		}
	}
}

func TestFailClosedNothingVerified(t *testing.T) {
	keys(t)
	// An unsigned Response around an EncryptedAssertion, with no key to open it.
	enc := strings.Replace(responseXML(respSpec{noAssert: true}), `</samlp:Response>`,
		`<EncryptedAssertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion"><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#"/></EncryptedAssertion></samlp:Response>`, 1)
	// An unsigned LogoutRequest from the IdP by redirect, with the IdP's certificate given.
	logout := `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_l1" Version="2.0" IssueInstant="2026-11-23T12:00:00Z" Destination="https://sp.example.com/saml/slo"><saml:Issuer>` + testIssuer + `</saml:Issuer><saml:NameID>alice@contoso.com</saml:NameID></samlp:LogoutRequest>`
	logoutURL := "https://sp.example.com/saml/slo?SAMLRequest=" + url.QueryEscape(fdDeflateB64(t, logout))
	for name, in := range map[string][]byte{
		"unsigned response, encrypted assertion, no key": []byte(enc),
		"unsigned IdP logout request by redirect":        []byte(logoutURL),
		"unsigned response":                              buildResponse(t, respSpec{sign: "none"}),
		"authorization code response":                    []byte("https://sp.example.com/cb?code=abc&state=s"),
	} {
		r := Inspect(in, *trusting())
		if r.OK() || r.Verdict == VerdictOK || r.Verdict == VerdictWarning {
			t.Errorf("%s: verdict %q findings %v, want not OK", name, r.Verdict, codes(r))
		}
	}
}

// signedRedirect builds a genuinely signed HTTP-Redirect query for an AuthnRequest.
func signedRedirect(t *testing.T, xml string) (query, msgB64 string) {
	t.Helper()
	msgB64 = fdDeflateB64(t, xml)
	q := "SAMLRequest=" + url.QueryEscape(msgB64) + "&RelayState=r1&SigAlg=" + url.QueryEscape(algRSASHA256)
	d := crypto.SHA256.New()
	d.Write([]byte(q))
	sig, err := rsa.SignPKCS1v15(rand.Reader, spKey.key, crypto.SHA256, d.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	return q + "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig)), msgB64
}

func TestFailClosedRedirectBinding(t *testing.T) {
	keys(t)
	genuine, _ := signedRedirect(t, authnRequestXML(reqSpec{}))
	evil := url.QueryEscape(fdDeflateB64(t, authnRequestXML(reqSpec{acs: "https://evil.example/acs", id: "_evil"})))
	evilResp := url.QueryEscape(base64.StdEncoding.EncodeToString(buildResponse(t, respSpec{sign: "none"})))
	opts := Options{Certs: []*x509.Certificate{spKey.cert}, CertSource: "certificate", Now: testNow}
	base := "https://login.microsoftonline.com/" + testTenant + "/saml2?"

	// The control: the genuine query verifies and shows the message it verified.
	r := Inspect([]byte(base+genuine), opts)
	if r.Signature == nil || r.Signature.Status != SigValid || r.Request == nil || r.Request.ACSURL != testACS {
		t.Fatalf("genuine query: signature %+v request %+v findings %v", r.Signature, r.Request, codes(r))
	}

	for name, q := range map[string]string{
		"encoded name SAML%52equest first": "SAML%52equest=" + evil + "&" + genuine,
		"encoded name SAML%52equest last":  genuine + "&SAML%52equest=" + evil,
		"SAMLResponse beside the request":  "SAMLResponse=" + evilResp + "&" + genuine,
		"encoded Relay%53tate":             "Relay%53tate=evil&" + genuine,
		"SAMLRequest twice":                genuine + "&SAMLRequest=" + evil,
		"SigAlg twice":                     genuine + "&SigAlg=x",
		"Signature twice":                  genuine + "&Signature=AAAA",
		"lower-case samlrequest":           "samlrequest=" + evil + "&" + genuine,
		"semicolon separator":              strings.Replace(genuine, "&RelayState", ";RelayState", 1),
		"encoded name with lower-case hex": "SAML%72equest=" + evil + "&" + genuine,
	} {
		t.Run(name, func(t *testing.T) {
			r := Inspect([]byte(base+q), opts)
			if r.OK() || (r.Signature != nil && r.Signature.Status == SigValid) {
				t.Fatalf("verdict %q signature %+v request %+v findings %v, want refused", r.Verdict, r.Signature, r.Request, codes(r))
			}
			if r.Request != nil && r.Request.ACSURL == "https://evil.example/acs" {
				t.Errorf("the evil request is shown: %+v", r.Request)
			}
		})
	}
	// A form body (HTTP-POST) repeating SAMLResponse is just as ambiguous.
	form := "SAMLResponse=" + url.QueryEscape(base64.StdEncoding.EncodeToString(buildResponse(t, respSpec{}))) + "&SAMLResponse=" + evilResp
	if r := Inspect([]byte(form), *trusting()); r.OK() || !r.Has(CodeSignatureWrapped) {
		t.Errorf("form with two SAMLResponse: verdict %q findings %v, want refused", r.Verdict, codes(r))
	}
}
