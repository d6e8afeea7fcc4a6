package inspect

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

type fdHAREntryMap map[string]any

func fdHAREntry(method, u string, status int, extra func(req, resp map[string]any)) fdHAREntryMap {
	req := map[string]any{"method": method, "url": u, "httpVersion": "HTTP/1.1", "headers": []any{}, "queryString": []any{}, "cookies": []any{}, "headersSize": -1, "bodySize": 0}
	resp := map[string]any{"status": status, "statusText": "", "httpVersion": "HTTP/1.1", "headers": []any{}, "cookies": []any{},
		"content": map[string]any{"size": 0, "mimeType": "text/html"}, "redirectURL": "", "headersSize": -1, "bodySize": 0}
	if extra != nil {
		extra(req, resp)
	}
	return fdHAREntryMap{"startedDateTime": "2026-11-23T11:59:00.000Z", "time": 12, "request": req, "response": resp, "cache": map[string]any{}, "timings": map[string]any{"send": 0, "wait": 0, "receive": 0}}
}

func fdBuildHAR(t *testing.T, entries ...fdHAREntryMap) []byte {
	b, err := json.Marshal(map[string]any{"log": map[string]any{"version": "1.2", "creator": map[string]any{"name": "test", "version": "1"}, "entries": entries}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fdLoginHAR is a HAR of a SAML and an OIDC login, with the messages one correlates
// with another, and the options to inspect it with.
func fdLoginHAR(t *testing.T) ([]byte, Options) {
	keys := fdNewKeys(t)
	idToken := keys.signRS256(t, fdIDClaims(), nil)
	staleToken := keys.signRS256(t, func() map[string]any { c := fdIDClaims(); c["nonce"] = "from-another-login"; return c }(), nil)
	redirect := "https://login.microsoftonline.com/" + fdTenant + "/saml2?SAMLRequest=" + url.QueryEscape(fdDeflateB64(t, fdAuthnRequestXML)) + "&RelayState=rs1"
	acsForm := `<html><body onload="document.forms[0].submit()"><form method="POST" action="https://vendor.example/saml/acs"><input type="hidden" name="SAMLResponse" value="` + fdB64(fdResponseXML) + `"/><input type="hidden" name="RelayState" value="rs1"/></form></body></html>`
	authorize := "https://login.microsoftonline.com/" + fdTenant + "/oauth2/v2.0/authorize?client_id=" + fdClientID +
		"&response_type=code+id_token&response_mode=form_post&redirect_uri=https%3A%2F%2Fvendor.example%2Fcb&scope=openid+profile+email&state=s1&nonce=n-0S6_WzA2Mj"
	formPost := `<html><head><title>Working...</title></head><body><form method="POST" name="hiddenform" action="https://vendor.example/cb"><input type="hidden" name="code" value="0.AXcode" /><input type="hidden" name="id_token" value="` + idToken + `" /><input type="hidden" name="state" value="s1" /><noscript><input type="submit" value="Continue" /></noscript></form></body></html>`
	tokenJSON := fdJSON(t, map[string]any{"token_type": "Bearer", "scope": "openid profile email", "expires_in": 3599, "access_token": "at-value", "id_token": staleToken})

	har := fdBuildHAR(t,
		// 0: the SP redirects to Entra with an AuthnRequest (Location header).
		fdHAREntry("GET", "https://vendor.example/login", 302, func(_, resp map[string]any) {
			resp["headers"] = []any{map[string]any{"name": "Location", "value": redirect}}
			resp["redirectURL"] = redirect
		}),
		// 1: the browser follows it: the same message, reported once.
		fdHAREntry("GET", redirect, 200, nil),
		// 2: Entra answers with the auto-posting form; 3: the browser posts it (reported once).
		fdHAREntry("POST", "https://login.microsoftonline.com/"+fdTenant+"/login", 200, func(_, resp map[string]any) {
			resp["content"] = map[string]any{"size": len(acsForm), "mimeType": "text/html; charset=utf-8", "text": base64.StdEncoding.EncodeToString([]byte(acsForm)), "encoding": "base64"}
		}),
		fdHAREntry("POST", "https://vendor.example/saml/acs", 302, func(req, _ map[string]any) {
			req["postData"] = map[string]any{"mimeType": "application/x-www-form-urlencoded", "text": "SAMLResponse=" + url.QueryEscape(fdB64(fdResponseXML)) + "&RelayState=rs1"}
		}),
		// 4: OIDC authorize request answered by a form_post page with code + id_token.
		fdHAREntry("GET", authorize, 200, func(_, resp map[string]any) {
			resp["content"] = map[string]any{"size": len(formPost), "mimeType": "text/html", "text": formPost}
		}),
		// 5: an OIDC redirect with only a code.
		fdHAREntry("GET", "https://login.microsoftonline.com/"+fdTenant+"/login", 302, func(_, resp map[string]any) {
			resp["headers"] = []any{map[string]any{"name": "location", "value": "https://vendor.example/cb?code=0.AYcode&state=s2"}}
		}),
		// 6: the token request (a code being redeemed, not a message) and its response.
		fdHAREntry("POST", "https://login.microsoftonline.com/"+fdTenant+"/oauth2/v2.0/token", 200, func(req, resp map[string]any) {
			req["postData"] = map[string]any{"mimeType": "application/x-www-form-urlencoded", "text": "grant_type=authorization_code&code=0.AYcode&client_id=" + fdClientID}
			resp["content"] = map[string]any{"size": len(tokenJSON), "mimeType": "application/json", "text": tokenJSON}
		}),
		// 7: an error redirect.
		fdHAREntry("GET", "https://vendor.example/cb?error=access_denied&error_description="+url.QueryEscape("AADSTS50105: not assigned"), 200, nil),
		// 8: noise.
		fdHAREntry("GET", "https://vendor.example/favicon.ico", 404, nil),
	)
	return har, Options{Now: fdNow, Keys: keys.set}
}

func TestInspectHAR(t *testing.T) {
	har, opts := fdLoginHAR(t)
	r := Inspect(har, opts)
	if r.Kind != KindHAR || r.Input.Format != formatHAR || r.Input.Size != len(har) {
		t.Fatalf("Inspect(HAR) kind %q input %+v, want har", r.Kind, r.Input)
	}
	type want struct {
		kind, where string
		entry       int
		code        string
	}
	wants := []want{
		{KindSAMLAuthnRequest, "redirect", 0, ""},
		{KindSAMLResponse, "response-body", 2, CodeCorrelated},
		{KindJWT, "response-body", 4, CodeCorrelated},
		{KindOIDCCode, "redirect", 5, CodeAuthorizationCode},
		{KindJWT, "response-body", 6, CodeNonceMismatch},
		{KindOIDCError, "request-query", 7, CodeStatusError},
	}
	var got []string
	for _, m := range r.Messages {
		got = append(got, fmt.Sprintf("%s@%d/%s", m.Kind, m.Source.Entry, m.Source.Where))
	}
	if len(r.Messages) != len(wants) {
		t.Fatalf("Inspect(HAR) messages %v, want %d", got, len(wants))
	}
	for i, w := range wants {
		m := r.Messages[i]
		if m.Kind != w.kind || m.Source == nil || m.Source.Where != w.where || m.Source.Entry != w.entry {
			t.Errorf("Inspect(HAR) message %d = %s, want %s@%d/%s", i, got[i], w.kind, w.entry, w.where)
		}
		if w.code != "" && !m.Has(w.code) {
			t.Errorf("Inspect(HAR) message %d (%s) findings %v, want %s", i, got[i], fdCodes(m), w.code)
		}
		if m.Source.Started == "" || m.Source.URL == "" || m.Source.Method == "" {
			t.Errorf("Inspect(HAR) message %d source %+v, want method, url and start time", i, m.Source)
		}
	}
	if f := fdFinding(r.Messages[1], CodeCorrelated); f == nil || !strings.Contains(f.Message, fdRequestID) {
		t.Errorf("Inspect(HAR) response correlation = %+v, want the AuthnRequest ID %s", f, fdRequestID)
	}
	if r.Messages[2].Has(CodeNonceMismatch) || r.Messages[2].Has(CodeClientIDMismatch) {
		t.Errorf("Inspect(HAR) form_post id_token findings %v, want nonce and client_id to match the authorize request", fdCodes(r.Messages[2]))
	}
	if m := r.Messages[4]; m.Token == nil || !m.Token.HasAccessToken {
		t.Errorf("Inspect(HAR) token response Token = %+v, want described", m.Token)
	}
	if r.Verdict != "error" {
		t.Errorf("Inspect(HAR).Verdict = %q, want error (a message has errors)", r.Verdict)
	}
	if r.Messages[0].Input.Binding != "HTTP-Redirect" || r.Messages[0].Input.RelayState != "rs1" {
		t.Errorf("Inspect(HAR) AuthnRequest input = %+v, want HTTP-Redirect with RelayState", r.Messages[0].Input)
	}

	// An explicit --request-id wins over the capture's own.
	r = Inspect(har, Options{Now: fdNow, RequestID: "_explicit"})
	if r.Messages[1].Has(CodeCorrelated) {
		t.Errorf("Inspect(HAR, RequestID) findings %v, want no correlation note", fdCodes(r.Messages[1]))
	}
}

func TestInspectHARLimits(t *testing.T) {
	var entries []fdHAREntryMap
	for i := 0; i < MaxCaptureMessages+5; i++ {
		entries = append(entries, fdHAREntry("GET", fmt.Sprintf("https://vendor.example/cb?code=c%d&state=s", i), 200, nil))
	}
	har := fdBuildHAR(t, entries...)
	if len(har) <= DefaultMaxInputBytes/2 {
		t.Logf("HAR is %d bytes", len(har))
	}
	r := Inspect(har, Options{Now: fdNow, MaxInputBytes: 4096})
	if !r.Has(CodeCaptureTruncated) || len(r.Messages) != MaxCaptureMessages {
		t.Errorf("Inspect(HAR of %d messages) %d messages findings %v, want %d and %s", len(entries), len(r.Messages), fdCodes(r), MaxCaptureMessages, CodeCaptureTruncated)
	}
	if r.Has(CodeInputTooLarge) {
		t.Errorf("Inspect(HAR over the message limit) refused it; a HAR has its own limit")
	}
	empty := fdBuildHAR(t, fdHAREntry("GET", "https://vendor.example/", 200, nil))
	r = Inspect(empty, Options{})
	if r.Kind != KindHAR || len(r.Messages) != 0 || !r.Has(CodeInputMalformed) {
		t.Errorf("Inspect(HAR without messages) kind %q findings %v, want har with a finding saying so", r.Kind, fdCodes(r))
	}
	r = Inspect([]byte(`{"log":{"entries":"nope"}}`), Options{})
	if !r.Has(CodeInputMalformed) {
		t.Errorf("Inspect(broken HAR) findings %v, want %s", fdCodes(r), CodeInputMalformed)
	}
}

func TestInspectSAMLTracerExport(t *testing.T) {
	redirect := "https://login.microsoftonline.com/" + fdTenant + "/saml2?SAMLRequest=" + url.QueryEscape(fdDeflateB64(t, fdAuthnRequestXML)) + "&RelayState=rs1"
	export := fdJSON(t, map[string]any{
		"requests": []any{
			map[string]any{"requestId": "1", "method": "GET", "url": redirect,
				"get": [][]string{{"SAMLRequest", fdDeflateB64(t, fdAuthnRequestXML)}, {"RelayState", "rs1"}}, "saml": fdAuthnRequestXML,
				"requestHeaders": []any{}, "responseStatus": 200, "responseStatusText": "HTTP/1.1 200 OK", "responseHeaders": []any{}},
			map[string]any{"requestId": "2", "method": "GET", "url": "https://vendor.example/style.css", "requestHeaders": []any{}, "responseStatus": 200},
			// The export filter hashed the POST values: the decoded saml text is what is left.
			map[string]any{"requestId": "3", "method": "POST", "url": "https://vendor.example/saml/acs",
				"post": [][]string{{"SAMLResponse", "6f1ed002ab5595859014ebf0951522d9"}, {"RelayState", "rs1"}}, "saml": fdResponseXML,
				"requestHeaders": []any{}, "responseStatus": 302},
			map[string]any{"requestId": "4", "method": "POST", "url": "https://vendor.example/saml/acs",
				"post": [][]string{{"SAMLResponse", fdB64(fdResponseXML)}}, "saml": fdResponseXML, "responseStatus": "302"},
		},
		"timestamp": "2026-11-23T12:00:00.000Z",
	})
	r := Inspect([]byte(export), Options{Now: fdNow})
	if r.Kind != KindHAR || r.Input.Format != formatSAMLTracer {
		t.Fatalf("Inspect(SAML-tracer) kind %q input %+v, want har / saml-tracer", r.Kind, r.Input)
	}
	if len(r.Messages) != 3 {
		t.Fatalf("Inspect(SAML-tracer) %d messages, want 3", len(r.Messages))
	}
	for i, w := range []struct {
		kind, format, binding string
		entry                 int
	}{
		{KindSAMLAuthnRequest, formatURL, "HTTP-Redirect", 0},
		{KindSAMLResponse, formatSAMLTracer, "HTTP-POST", 2},
		{KindSAMLResponse, formatForm, "HTTP-POST", 3},
	} {
		m := r.Messages[i]
		if m.Kind != w.kind || m.Input.Format != w.format || m.Input.Binding != w.binding || m.Source.Entry != w.entry {
			t.Errorf("Inspect(SAML-tracer) message %d = %s %+v entry %d, want %s %s %s entry %d", i, m.Kind, m.Input, m.Source.Entry, w.kind, w.format, w.binding, w.entry)
		}
	}
	if !r.Messages[1].Has(CodeCorrelated) {
		t.Errorf("Inspect(SAML-tracer) response findings %v, want the AuthnRequest correlation", fdCodes(r.Messages[1]))
	}
}

func TestHTMLFormValues(t *testing.T) {
	page := `<FORM method=post action="x"><INPUT type=hidden NAME=SAMLResponse VALUE=abc+/=><input name='RelayState' value='a&amp;b&quot;c'><input data-name="x" name="id_token" data-value="no" value="t"></FORM>`
	v := htmlFormValues([]byte(page))
	for name, want := range map[string]string{"SAMLResponse": "abc+/=", "RelayState": `a&b"c`, "id_token": "t"} {
		if got := v.Get(name); got != want {
			t.Errorf("htmlFormValues(%s) = %q, want %q", name, got, want)
		}
	}
}

// A capture is evidence of what happened when it was recorded: with AtCaptureTime its
// messages are judged at their entries' startedDateTime, so a day-old HAR of a good
// login does not read as expired; without it, they are judged at Now.
func TestCaptureCheckedAtCaptureTime(t *testing.T) {
	har, err := os.ReadFile("testdata/cases/har-saml-login/input.har")
	if err != nil {
		t.Fatal(err)
	}
	later := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		atCapture   bool
		wantExpired bool
	}{{true, false}, {false, true}} {
		r := Inspect(har, Options{Now: later, AtCaptureTime: tc.atCapture})
		var resp *Report
		for _, m := range r.Messages {
			if m.Kind == KindSAMLResponse {
				resp = m
			}
		}
		if resp == nil {
			t.Fatalf("AtCaptureTime=%v: no SAML Response among %d messages", tc.atCapture, len(r.Messages))
		}
		if got := resp.Has(CodeExpired); got != tc.wantExpired {
			t.Errorf("AtCaptureTime=%v: expired finding = %v, want %v (findings %v)", tc.atCapture, got, tc.wantExpired, fdCodes(resp))
		}
		if got := resp.Has(CodeCheckedAtCaptureTime); got != tc.atCapture {
			t.Errorf("AtCaptureTime=%v: %s finding = %v, want %v", tc.atCapture, CodeCheckedAtCaptureTime, got, tc.atCapture)
		}
	}
}
