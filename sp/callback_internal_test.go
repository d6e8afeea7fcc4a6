package sp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestLoopbackServe checks the callback handler's gate directly, where the peer address
// can be set: only one accepted callback, from loopback, to a loopback Host, on the path.
func TestLoopbackServe(t *testing.T) {
	check := func(p url.Values) error {
		if p.Get("state") != "s1" {
			return errors.New("the callback's state is not this login's")
		}
		return nil
	}
	l, err := listenLoopback("http://127.0.0.1:0/callback", []string{http.MethodGet}, check, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer l.close()
	cases := []struct {
		name, target, remote, host, method string
		want                               int
	}{
		{"from another machine", "/callback?state=s1&code=c", "192.0.2.7:40000", "127.0.0.1:1", http.MethodGet, http.StatusForbidden},
		{"Host not loopback", "/callback?state=s1&code=c", "127.0.0.1:40000", "attacker.example", http.MethodGet, http.StatusForbidden},
		{"Host loopback lookalike", "/callback?state=s1&code=c", "127.0.0.1:40000", "127.0.0.1.attacker.example:80", http.MethodGet, http.StatusForbidden},
		{"wrong path", "/other?state=s1&code=c", "127.0.0.1:40000", "127.0.0.1:1", http.MethodGet, http.StatusNotFound},
		{"wrong method", "/callback?state=s1&code=c", "127.0.0.1:40000", "127.0.0.1:1", http.MethodPut, http.StatusMethodNotAllowed},
		{"wrong state", "/callback?state=s2&code=c", "127.0.0.1:40000", "127.0.0.1:1", http.MethodGet, http.StatusBadRequest},
		{"accepted", "/callback?state=s1&code=c", "127.0.0.1:40000", "localhost:1", http.MethodGet, http.StatusOK},
		{"second", "/callback?state=s1&code=c", "[::1]:40000", "[::1]:1", http.MethodGet, http.StatusConflict},
	}
	for _, tc := range cases {
		r := httptest.NewRequest(tc.method, tc.target, nil)
		r.RemoteAddr = tc.remote
		r.Host = tc.host
		w := httptest.NewRecorder()
		l.serve(w, r)
		if w.Code != tc.want || w.Header().Get("Location") != "" {
			t.Errorf("%s: serve(%s %s from %s Host %s) = %d Location %q, want %d", tc.name, tc.method, tc.target, tc.remote, tc.host, w.Code, w.Header().Get("Location"), tc.want)
		}
	}
	cb, err := l.wait(context.Background(), time.Second)
	if err != nil || cb.params.Get("code") != "c" {
		t.Errorf("wait() = %v %v, want the accepted callback", cb.params, err)
	}
	if _, err := l.wait(context.Background(), 50*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a second wait() = %v, want the timeout", err)
	}
}

func TestListenLoopbackRefusesOtherURIs(t *testing.T) {
	for _, uri := range []string{"https://127.0.0.1/callback", "http://example.com/callback", "http://user@127.0.0.1/cb",
		"http://127.0.0.1:99999/cb", "http://127.0.0.1/cb?x=1", "http://[::1]/cb", "::"} {
		if l, err := listenLoopback(uri, nil, nil, time.Now); err == nil {
			l.close()
			t.Errorf("listenLoopback(%q) = nil error, want a refusal", uri)
		} else if !strings.Contains(err.Error(), "127.0.0.1") {
			t.Errorf("listenLoopback(%q) = %v, want a sentence naming 127.0.0.1", uri, err)
		}
	}
}

func TestRedactSAML(t *testing.T) {
	xml := `<samlp:Response><ds:Signature><ds:SignatureValue>c2lnbmF0dXJl</ds:SignatureValue></ds:Signature><Assertion><Signature><SignatureValue Id="x">abc</SignatureValue></Signature></Assertion></samlp:Response>`
	b64 := "PHNhbWxwOlJlc3BvbnNlPjxkczpTaWduYXR1cmU+PGRzOlNpZ25hdHVyZVZhbHVlPmMybG5ibUYwZFhKbDwvZHM6U2lnbmF0dXJlVmFsdWU+PC9kczpTaWduYXR1cmU+PEFzc2VydGlvbj48U2lnbmF0dXJlPjxTaWduYXR1cmVWYWx1ZSBJZD0ieCI+YWJjPC9TaWduYXR1cmVWYWx1ZT48L1NpZ25hdHVyZT48L0Fzc2VydGlvbj48L3NhbWxwOlJlc3BvbnNlPg=="
	got := (&Artifact{Kind: "saml_response", Value: b64, AccessToken: "x"}).Redacted()
	want := strings.NewReplacer("c2lnbmF0dXJl", "REDACTED", ">abc<", ">REDACTED<").Replace(xml)
	if got.Value != want || got.AccessToken != "" {
		t.Errorf("Redacted() = %q, want %q", got.Value, want)
	}
	if got := (&Artifact{Kind: "saml_response", Value: "%%%"}).Redacted(); got.Value != "REDACTED" {
		t.Errorf("Redacted(not base64) = %q, want REDACTED", got.Value)
	}
}
