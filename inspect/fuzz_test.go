package inspect

import (
	"encoding/json"
	"net/url"
	"testing"
)

// fdFuzzSeeds returns one input of each form Inspect accepts.
func fdFuzzSeeds(t testing.TB) []string {
	idToken := fdRawJWT(`{"alg":"RS256","kid":"k","typ":"JWT"}`, `{"aud":"a","iss":"https://login.microsoftonline.com/`+fdTenant+`/v2.0","exp":1,"nbf":0,"groups":["x"],"_claim_names":{"groups":"s"}}`, []byte("sig"))
	respB64 := fdB64(fdResponseXML)
	reqDeflate := fdDeflateB64(t, fdAuthnRequestXML)
	har, _ := json.Marshal(map[string]any{"log": map[string]any{"entries": []any{
		map[string]any{"request": map[string]any{"method": "GET", "url": "https://idp/saml2?SAMLRequest=" + url.QueryEscape(reqDeflate)},
			"response": map[string]any{"status": 200, "content": map[string]any{"text": `<form><input name="SAMLResponse" value="` + respB64 + `"></form>`}}},
		map[string]any{"request": map[string]any{"method": "POST", "url": "https://sp/cb", "postData": map[string]any{"text": "id_token=" + idToken}},
			"response": map[string]any{"status": 302, "headers": []any{map[string]any{"name": "Location", "value": "https://sp/#id_token=" + idToken}}}},
	}}})
	tracer, _ := json.Marshal(map[string]any{"requests": []any{map[string]any{"method": "POST", "url": "https://sp/acs", "post": [][]string{{"SAMLResponse", respB64}}, "saml": fdResponseXML}}})
	return []string{
		fdResponseXML,
		fdAuthnRequestXML,
		respB64,
		reqDeflate,
		url.QueryEscape(reqDeflate),
		"https://idp/saml2?SAMLRequest=" + url.QueryEscape(reqDeflate) + "&RelayState=r&SigAlg=x&Signature=c2ln",
		"SAMLResponse=" + url.QueryEscape(respB64) + "&RelayState=r",
		"https://sp/cb#id_token=" + idToken + "&state=s",
		idToken,
		fdRawJWT(`{"alg":"none"}`, `{"sub":"x"}`, nil),
		"eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d",
		`{"token_type":"Bearer","expires_in":"3599","access_token":"x","id_token":"` + idToken + `"}`,
		`{"error":"invalid_client","error_description":"AADSTS7000215: x","error_codes":[7000215]}`,
		"https://sp/cb?error=access_denied&error_description=AADSTS50105%3A+x",
		"https://sp/cb?code=abc&state=s",
		string(har),
		string(tracer),
		fdZlibB64(t, fdAuthnRequestXML),
	}
}

func FuzzInspect(f *testing.F) {
	for _, s := range fdFuzzSeeds(f) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := Inspect(in, Options{Now: fdNow, MaxInputBytes: 64 << 10})
		if r == nil || r.Verdict == "" || r.Findings == nil {
			t.Fatalf("Inspect(%q) = %+v, want a finished report", in, r)
		}
		if r.Input == nil {
			t.Fatalf("Inspect(%q).Input = nil", in)
		}
		if _, err := json.Marshal(r); err != nil {
			t.Fatalf("Inspect(%q) report does not marshal: %v", in, err)
		}
	})
}

func FuzzDecodeLayers(f *testing.F) {
	for _, s := range fdFuzzSeeds(f) {
		f.Add([]byte(s))
	}
	f.Add([]byte("%41%42%zz"))
	f.Add([]byte("QUJD RA"))
	const max = 64 << 10
	f.Fuzz(func(t *testing.T, in []byte) {
		out, layers, err := decodeLayers(in, max)
		if err != nil {
			if _, ok := err.(*layerError); !ok {
				t.Fatalf("decodeLayers(%q) error %T %v, want a *layerError", in, err, err)
			}
			return
		}
		if len(out) > max {
			t.Fatalf("decodeLayers(%q) = %d bytes, more than the limit %d", in, len(out), max)
		}
		if len(layers) > maxEncodingLayers {
			t.Fatalf("decodeLayers(%q) peeled %d layers, limit %d", in, len(layers), maxEncodingLayers)
		}
	})
}
