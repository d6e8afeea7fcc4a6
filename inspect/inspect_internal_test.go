package inspect

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestInspectDetectsEveryForm(t *testing.T) {
	keys := fdNewKeys(t)
	idToken := keys.signRS256(t, fdIDClaims(), nil)
	respB64 := fdB64(fdResponseXML)
	reqDeflate := fdDeflateB64(t, fdAuthnRequestXML)
	redirectQuery := "SAMLRequest=" + url.QueryEscape(reqDeflate) + "&RelayState=" + url.QueryEscape("https://vendor.example/home") +
		"&SigAlg=" + url.QueryEscape("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256") + "&Signature=" + url.QueryEscape(fdB64("not a real signature"))
	jwe := "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGeipsEdY3mx_etLbbWSrFr05kLzcSr4qKAq7YN7e9jwQRb23nfa6c9d-StnImGyFDbSv04uVuxIp5Zms1gNxKKK2Da14B8S4rzVRltdYwam_lDp5XnZAYpQdb76FdIKLaVmqgfwX7XWRxv2322i-vDxRfqNzo_tETKzpVLzfiwQyeyPGLBIO56YJ7eObdv0je81860ppamavo35UgoRdbYaBcoh9QcfylQr66oc6vFWXRcZ_ZT2LawVCWTIy3brGPi6UklfCpIMfIjf7iGdXKHzg.48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6jiSdiwkIr3ajwQzaBtQD_A.XFBoMYUZodetZdvTiFvSkQ"
	tokenResp := fdJSON(t, map[string]any{"token_type": "Bearer", "scope": "openid profile email", "expires_in": 3599,
		"access_token": "eyJ0eXAiOiJKV1QifQ.e30.c2ln", "refresh_token": "0.AAAA-secret-refresh", "id_token": idToken})
	errJSON := `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.\r\nTrace ID: 0f7c\r\nCorrelation ID: 7d2e\r\nTimestamp: 2026-11-23 11:59:59Z","error_codes":[7000215],"timestamp":"2026-11-23 11:59:59Z","trace_id":"0f7c","correlation_id":"7d2e","error_uri":"https://login.microsoftonline.com/error?code=7000215"}`
	errRedirect := "https://vendor.example/callback?error=invalid_request&error_description=" +
		url.QueryEscape("AADSTS50011: The redirect URI 'https://vendor.example/cb' specified in the request does not match the redirect URIs configured for the application '"+fdClientID+"'.") + "&state=s1"
	htmlForm := `<html><head><title>Working...</title></head><body><form method="POST" name="hiddenform" action="https://vendor.example/saml/acs"><input type="hidden" name="SAMLResponse" value="` + respB64 + `" /><input type="hidden" name="RelayState" value="a&amp;b" /><noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit" /></noscript></form><script language="javascript">window.setTimeout('document.forms[0].submit()', 0);</script></body></html>`

	tests := []struct {
		name, input           string
		kind, format, binding string
		param, relay, sigAlg  string
		code                  string // a finding that must be present
		noCode                string // a finding that must be absent
	}{
		{name: "raw xml", input: fdResponseXML, kind: KindSAMLResponse, format: formatXML},
		{name: "xml with BOM and CRLF", input: "\xEF\xBB\xBF\r\n  " + strings.ReplaceAll(fdAuthnRequestXML, "><", ">\r\n<") + "\r\n", kind: KindSAMLAuthnRequest, format: formatXML},
		{name: "base64 post", input: respB64, kind: KindSAMLResponse, format: formatBase64, binding: "HTTP-POST"},
		{name: "base64 CRLF lines", input: fdWrapLines(respB64, 76) + "\r\n", kind: KindSAMLResponse, format: formatBase64, binding: "HTTP-POST"},
		{name: "base64 url-safe unpadded", input: base64.RawURLEncoding.EncodeToString([]byte(fdResponseXML + " ")), kind: KindSAMLResponse, format: formatBase64},
		{name: "base64 plus turned to space", input: strings.ReplaceAll(fdB64(fdResponseXML+"<!--~~~~~~~~~-->"), "+", " "), kind: KindSAMLResponse, format: formatBase64},
		{name: "deflate base64", input: reqDeflate, kind: KindSAMLAuthnRequest, format: formatDeflate, binding: "HTTP-Redirect"},
		{name: "percent-encoded deflate base64 (twice wrapped)", input: url.QueryEscape(reqDeflate), kind: KindSAMLAuthnRequest, format: formatDeflate, binding: "HTTP-Redirect"},
		{name: "base64 of base64 (twice wrapped)", input: fdB64(respB64), kind: KindSAMLResponse, format: formatBase64},
		{name: "redirect URL", input: "https://login.microsoftonline.com/" + fdTenant + "/saml2?" + redirectQuery, kind: KindSAMLAuthnRequest, format: formatURL, binding: "HTTP-Redirect", param: "SAMLRequest", relay: "https://vendor.example/home", sigAlg: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"},
		{name: "bare query string", input: "?" + redirectQuery, kind: KindSAMLAuthnRequest, format: formatQuery, binding: "HTTP-Redirect", param: "SAMLRequest"},
		{name: "query without question mark", input: redirectQuery + "\n", kind: KindSAMLAuthnRequest, format: formatQuery, binding: "HTTP-Redirect"},
		{name: "form body", input: "SAMLResponse=" + url.QueryEscape(respB64) + "&RelayState=r%2B1", kind: KindSAMLResponse, format: formatForm, binding: "HTTP-POST", param: "SAMLResponse", relay: "r+1", noCode: CodeBindingUnusual},
		{name: "url with undeflated SAMLResponse", input: "https://vendor.example/acs?SAMLResponse=" + url.QueryEscape(respB64), kind: KindSAMLResponse, format: formatURL, binding: "HTTP-POST", code: CodeBindingUnusual},
		{name: "form body deflated", input: "SAMLRequest=" + url.QueryEscape(reqDeflate) + "&RelayState=x", kind: KindSAMLAuthnRequest, format: formatQuery, binding: "HTTP-Redirect"},
		{name: "html auto-post form", input: htmlForm, kind: KindSAMLResponse, format: formatHTMLForm, binding: "HTTP-POST", param: "SAMLResponse", relay: "a&b"},
		{name: "jwt", input: idToken, kind: KindJWT, format: formatJWT},
		{name: "jwt with whitespace", input: "\r\n  " + idToken + "\r\n", kind: KindJWT, format: formatJWT},
		{name: "jwt base64 wrapped", input: fdB64(idToken), kind: KindJWT, format: formatJWT},
		{name: "jwe", input: jwe, kind: KindJWT, format: formatJWT, code: CodeJWTEncrypted},
		{name: "fragment URL", input: "https://vendor.example/callback#id_token=" + idToken + "&state=s1&session_state=x", kind: KindJWT, format: formatFragment, param: "id_token"},
		{name: "bare fragment", input: "#id_token=" + idToken + "&state=s1", kind: KindJWT, format: formatFragment, param: "id_token"},
		{name: "form_post id_token", input: "code=0.AXcode&id_token=" + idToken + "&state=s1", kind: KindJWT, format: formatQuery, param: "id_token", code: CodeAuthorizationCode},
		{name: "token response", input: tokenResp, kind: KindJWT, format: formatTokenResp, param: "id_token"},
		{name: "token error json", input: errJSON, kind: KindOIDCError, format: formatTokenResp, code: CodeStatusError},
		{name: "oidc error redirect", input: errRedirect, kind: KindOIDCError, format: formatURL, param: "error", code: CodeStatusError},
		{name: "code redirect", input: "http://127.0.0.1:8400/callback?code=0.AXcode&state=s1", kind: KindOIDCCode, format: formatURL, param: "code", code: CodeAuthorizationCode},
		{name: "garbage", input: "hello, world", code: CodeInputMalformed},
		{name: "empty", input: " \r\n", code: CodeInputMalformed},
		{name: "bad base64 length", input: "PHNhbWxwOlJlc3BvbnNlIHhtbG5zOnNhbWxwPSJ1cm4", code: CodeInputMalformed},
		{name: "base64 of binary", input: fdB64("\x00\x01\x02\x03\xff\xfe\xfd\xfc\x00\x00\x00\x00"), code: CodeInputMalformed},
		{name: "unknown json", input: `{"hello":"world"}`, code: CodeInputMalformed},
		{name: "jwks is not a message", input: `{"keys":[]}`, code: CodeInputMalformed},
		{name: "url without message", input: "https://vendor.example/home?tab=1", code: CodeInputMalformed},
		{name: "zlib instead of raw deflate", input: fdZlibB64(t, fdAuthnRequestXML), kind: KindSAMLAuthnRequest, format: formatDeflate, binding: "HTTP-Redirect", code: CodeZlibNotDeflate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Inspect([]byte(tc.input), Options{Now: fdNow})
			if r.Kind != tc.kind {
				t.Fatalf("Inspect(%.60q).Kind = %q, want %q (findings %v)", tc.input, r.Kind, tc.kind, r.Findings)
			}
			if r.Input == nil {
				t.Fatalf("Inspect(%.60q).Input = nil", tc.input)
			}
			if r.Input.Size != len(tc.input) {
				t.Errorf("Inspect(%.60q).Input.Size = %d, want %d", tc.input, r.Input.Size, len(tc.input))
			}
			for _, c := range []struct{ field, got, want string }{
				{"Format", r.Input.Format, tc.format}, {"Binding", r.Input.Binding, tc.binding},
				{"Parameter", r.Input.Parameter, tc.param}, {"RelayState", r.Input.RelayState, tc.relay},
				{"SigAlg", r.Input.SigAlg, tc.sigAlg},
			} {
				if c.want != "" && c.got != c.want {
					t.Errorf("Inspect(%.60q).Input.%s = %q, want %q", tc.input, c.field, c.got, c.want)
				}
			}
			if tc.kind == "" && r.Verdict != "error" {
				t.Errorf("Inspect(%.60q).Verdict = %q, want error", tc.input, r.Verdict)
			}
			if tc.code != "" && !r.Has(tc.code) {
				t.Errorf("Inspect(%.60q) findings %v, want %s", tc.input, fdCodes(r), tc.code)
			}
			if tc.noCode != "" && r.Has(tc.noCode) {
				t.Errorf("Inspect(%.60q) findings %v, want no %s", tc.input, fdCodes(r), tc.noCode)
			}
			if r.Findings == nil {
				t.Errorf("Inspect(%.60q).Findings = nil, want a finished report", tc.input)
			}
		})
	}
}

func fdZlibB64(t testing.TB, s string) string {
	raw := fdDeflateRaw(t, s)
	// A zlib stream is the raw DEFLATE data between a 2-byte header and an Adler-32.
	var a, b uint32 = 1, 0
	for _, c := range []byte(s) {
		a = (a + uint32(c)) % 65521
		b = (b + a) % 65521
	}
	sum := b<<16 | a
	z := append([]byte{0x78, 0xda}, raw...)
	z = append(z, byte(sum>>24), byte(sum>>16), byte(sum>>8), byte(sum))
	return base64.StdEncoding.EncodeToString(z)
}

func TestInspectUnknownInputSaysWhatIsAccepted(t *testing.T) {
	r := Inspect([]byte("just some words"), Options{})
	f := fdFinding(r, CodeInputMalformed)
	if f == nil {
		t.Fatalf("Inspect(words) findings %v, want %s", fdCodes(r), CodeInputMalformed)
	}
	for _, want := range []string{"SAML XML", "JWT", "HAR", "SAML-tracer", "token endpoint"} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("Inspect(words) message %q does not name %q", f.Message, want)
		}
	}
	if r.Kind != "" {
		t.Errorf("Inspect(words).Kind = %q, want empty", r.Kind)
	}
}

func TestInspectRedirectPassesRawQueryToSignatureCheck(t *testing.T) {
	raw := "SAMLRequest=" + url.QueryEscape(fdDeflateB64(t, fdAuthnRequestXML)) + "&SigAlg=" +
		url.QueryEscape("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256") + "&Signature=c2ln"
	r := Inspect([]byte("https://login.microsoftonline.com/x/saml2?"+raw), Options{Now: fdNow})
	if r.Signature == nil {
		t.Fatalf("Inspect(signed redirect).Signature = nil, want the redirect signature recorded")
	}
	// A form body cannot carry a Redirect signature: nothing to check it over.
	r = Inspect([]byte("SAMLResponse="+url.QueryEscape(fdB64(fdResponseXML))+"&Signature=c2ln&SigAlg=x"), Options{Now: fdNow})
	if !r.Has(CodeSignatureUnchecked) {
		t.Errorf("Inspect(form with Signature) findings %v, want %s", fdCodes(r), CodeSignatureUnchecked)
	}
}

func TestInspectTooLarge(t *testing.T) {
	big := strings.Repeat("A", 2000)
	r := Inspect([]byte(big), Options{MaxInputBytes: 1000})
	if !r.Has(CodeInputTooLarge) || r.Verdict != "error" {
		t.Fatalf("Inspect(2000 bytes, limit 1000) findings %v verdict %s, want %s error", fdCodes(r), r.Verdict, CodeInputTooLarge)
	}
	// A JSON object over the message limit that is not a capture is refused too.
	r = Inspect([]byte(`{"x":"`+big+`"}`), Options{MaxInputBytes: 1000})
	if !r.Has(CodeInputTooLarge) {
		t.Errorf("Inspect(large JSON) findings %v, want %s", fdCodes(r), CodeInputTooLarge)
	}
	// Inside a URL, the decoded layers are bounded too.
	r = Inspect([]byte("SAMLRequest="+url.QueryEscape(fdDeflateB64(t, fdAuthnRequestXML+strings.Repeat(" ", 5000)))), Options{MaxInputBytes: 1500})
	if !r.Has(CodeInputTooLarge) {
		t.Errorf("Inspect(SAMLRequest inflating past limit) findings %v, want %s", fdCodes(r), CodeInputTooLarge)
	}
}

// fdBomb returns base64 of a raw DEFLATE stream that inflates to n bytes. DEFLATE's
// ratio is at most about 1032:1, so 100 MB takes about 100 KB.
func fdBomb(t testing.TB, n int64) string {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	if _, err := io.CopyN(w, fdZeroReader{}, n); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

type fdZeroReader struct{}

func (fdZeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestDeflateBombRefusedFastAndSmall(t *testing.T) {
	payload := fdBomb(t, 100<<20)
	for _, input := range []string{payload, "SAMLRequest=" + url.QueryEscape(payload)} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		r := Inspect([]byte(input), Options{Now: fdNow})
		elapsed := time.Since(start)
		runtime.ReadMemStats(&after)
		f := fdFinding(r, CodeInputTooLarge)
		if f == nil {
			t.Fatalf("Inspect(bomb) findings %v, want %s", fdCodes(r), CodeInputTooLarge)
		}
		if !strings.Contains(f.Message, "decompresses to more than") {
			t.Errorf("Inspect(bomb) message %q, want it to say it decompresses to more than the limit", f.Message)
		}
		// Fast follows from small: the allocation bound below is what is asserted, as a
		// busy machine under -race could miss any bound on time.
		t.Logf("Inspect(bomb) took %v", elapsed)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
			t.Errorf("Inspect(bomb) allocated %d bytes, want < 16 MiB (the bomb is 100 MiB)", alloc)
		}
	}
}

func TestDecodeLayers(t *testing.T) {
	xml := fdAuthnRequestXML
	tests := []struct {
		name, in string
		layers   []string
		out      string
		errCode  string
	}{
		{"plain xml", xml, nil, xml, ""},
		{"base64", fdB64(xml), []string{layerBase64}, xml, ""},
		{"deflate", fdDeflateB64(t, xml), []string{layerBase64, layerDeflate}, xml, ""},
		{"percent deflate", url.QueryEscape(fdDeflateB64(t, xml)), []string{layerPercent, layerBase64, layerDeflate}, xml, ""},
		{"double percent", url.QueryEscape(url.QueryEscape(fdB64(xml))), []string{layerPercent, layerPercent, layerBase64}, xml, ""},
		{"text stops", "not base64 at all!", nil, "not base64 at all!", ""},
		{"bad percent", "%zz%41", nil, "", ""},
		{"invalid base64", "QUJDRUZHS", nil, "", CodeInputMalformed},
		{"binary", fdB64("\x00\xff\x00\xff\x10\x20"), []string{layerBase64}, "", CodeInputMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, layers, err := decodeLayers([]byte(tc.in), DefaultMaxInputBytes)
			if tc.errCode != "" {
				de, ok := err.(*layerError)
				if !ok || de.code != tc.errCode {
					t.Fatalf("decodeLayers(%.40q) error = %v, want code %s", tc.in, err, tc.errCode)
				}
				return
			}
			if tc.name == "bad percent" {
				return // only must not panic; %zz is no escape, %41 is
			}
			if err != nil {
				t.Fatalf("decodeLayers(%.40q) error = %v", tc.in, err)
			}
			if string(out) != tc.out || strings.Join(layers, ",") != strings.Join(tc.layers, ",") {
				t.Errorf("decodeLayers(%.40q) = %.40q %v, want %.40q %v", tc.in, out, layers, tc.out, tc.layers)
			}
		})
	}
}

func TestTokenResponseDescribesTokensWithoutValues(t *testing.T) {
	keys := fdNewKeys(t)
	idToken := keys.signRS256(t, fdIDClaims(), nil)
	body := fdJSON(t, map[string]any{"token_type": "Bearer", "scope": "openid profile email User.Read", "expires_in": "3599",
		"access_token": "opaque-access-token-value", "refresh_token": "refresh-token-secret-value", "id_token": idToken})
	r := Inspect([]byte(body), Options{Now: fdNow, Keys: keys.set, ClientID: fdClientID})
	if r.Kind != KindJWT || r.Token == nil {
		t.Fatalf("Inspect(token response) kind %q token %v, want jwt with Token", r.Kind, r.Token)
	}
	want := TokenInfo{TokenType: "Bearer", Scope: "openid profile email User.Read", ExpiresIn: 3599, HasAccessToken: true, HasRefreshToken: true, HasIDToken: true}
	if *r.Token != want {
		t.Errorf("Inspect(token response).Token = %+v, want %+v", *r.Token, want)
	}
	if r.Signature == nil || r.Signature.Status != SigValid {
		t.Errorf("Inspect(token response).Signature = %+v, want valid", r.Signature)
	}
	js, _ := json.Marshal(r)
	for _, secret := range []string{"opaque-access-token-value", "refresh-token-secret-value"} {
		if bytes.Contains(js, []byte(secret)) {
			t.Errorf("Inspect(token response) JSON contains the token value %q", secret)
		}
	}
}

func TestOIDCErrorExplainsAADSTS(t *testing.T) {
	in := "https://vendor.example/callback?error=invalid_request&error_description=" +
		url.QueryEscape("AADSTS50011: The redirect URI 'https://vendor.example/cb' specified in the request does not match the redirect URIs configured for the application.\r\nTrace ID: abc") + "&state=xyz"
	r := Inspect([]byte(in), Options{Now: fdNow})
	if r.Kind != KindOIDCError || r.Status == nil {
		t.Fatalf("Inspect(error redirect) kind %q status %v, want oidc-error", r.Kind, r.Status)
	}
	if r.Status.Code != "invalid_request" || !strings.HasPrefix(r.Status.Message, "AADSTS50011") {
		t.Errorf("Inspect(error redirect).Status = %+v, want code invalid_request and the description", r.Status)
	}
	if r.Status.AADSTS == nil || r.Status.AADSTS.Code != "AADSTS50011" {
		t.Fatalf("Inspect(error redirect).Status.AADSTS = %+v, want AADSTS50011", r.Status.AADSTS)
	}
	f := fdFinding(r, CodeStatusError)
	if f == nil || f.Severity != SeverityError || f.Fix != r.Status.AADSTS.Fix || !strings.Contains(f.Message, r.Status.AADSTS.Meaning) {
		t.Errorf("Inspect(error redirect) status-error finding = %+v, want the AADSTS meaning and fix", f)
	}
	if strings.Contains(f.Message, "Trace ID") {
		t.Errorf("Inspect(error redirect) message %q repeats the trace lines", f.Message)
	}
	// error_codes alone (no AADSTS in the text) still gets explained.
	r = Inspect([]byte(`{"error":"invalid_client","error_description":"bad","error_codes":[7000222]}`), Options{})
	if r.Status == nil || r.Status.AADSTS == nil || r.Status.AADSTS.Code != "AADSTS7000222" {
		t.Errorf("Inspect(error_codes only).Status = %+v, want AADSTS7000222", r.Status)
	}
}

func TestInspectNeverReturnsNilOrUnfinished(t *testing.T) {
	for _, in := range []string{"", "<", "{", "[", "#", "?", "a=b", "eyJ.eyJ.", "SAMLResponse=", "SAMLResponse=%", "https://", "%", "====", "id_token=x.y.z"} {
		r := Inspect([]byte(in), Options{})
		if r == nil || r.Verdict == "" || r.Findings == nil {
			t.Errorf("Inspect(%q) = %+v, want a finished report", in, r)
		}
	}
}
