package sp_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/inspect"
	"github.com/ssowizard/ssowizard/sp"
)

// pending is a login running in the background, its sign-in URL handed to the test.
type pending struct {
	urls   chan string
	done   chan loginOutcome
	cancel context.CancelFunc
}

type loginOutcome struct {
	res *sp.Result
	err error
}

// startLogin runs login in the background with an Open that only hands the URL over.
func startLogin(t *testing.T, login func(ctx context.Context, open func(string) error) (*sp.Result, error)) *pending {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &pending{urls: make(chan string, 1), done: make(chan loginOutcome, 1), cancel: cancel}
	t.Cleanup(cancel)
	go func() {
		res, err := login(ctx, func(u string) error { p.urls <- u; return nil })
		p.done <- loginOutcome{res, err}
	}()
	return p
}

func (p *pending) url(t *testing.T) string {
	t.Helper()
	select {
	case u := <-p.urls:
		return u
	case o := <-p.done:
		t.Fatalf("the login ended before opening the browser: %v", o.err)
	case <-time.After(20 * time.Second):
		t.Fatal("the login never opened the browser")
	}
	return ""
}

func (p *pending) wait(t *testing.T) loginOutcome {
	t.Helper()
	select {
	case o := <-p.done:
		return o
	case <-time.After(30 * time.Second):
		t.Fatal("the login did not end")
	}
	return loginOutcome{}
}

func oidcStarter(t *testing.T, cfg sp.OIDCConfig) func(ctx context.Context, open func(string) error) (*sp.Result, error) {
	return func(ctx context.Context, open func(string) error) (*sp.Result, error) {
		cfg.Open = open
		rp, err := sp.NewOIDC(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return rp.Login(ctx)
	}
}

// rawGet sends a GET to the loopback callback, optionally with another Host header.
func rawGet(t *testing.T, u, host string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if host != "" {
		req.Host = host
	}
	return send(t, req)
}

func rawPost(t *testing.T, u string, v url.Values) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return send(t, req)
}

func send(t *testing.T, req *http.Request) (int, string, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String(), resp.Header.Get("Location")
}

// tryGet and tryPost send a second callback, which may find the listener already closed
// (the login finished): -1.
func tryGet(u string) int {
	resp, err := http.Get(u)
	if err != nil {
		return -1
	}
	resp.Body.Close()
	return resp.StatusCode
}

func tryPost(u string, v url.Values) int {
	resp, err := http.PostForm(u, v)
	if err != nil {
		return -1
	}
	resp.Body.Close()
	return resp.StatusCode
}

func withQuery(raw string, set map[string]string) string {
	u, _ := url.Parse(raw)
	q := u.Query()
	for k, v := range set {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// TestOIDCCallbackRefusals: a callback with another login's state, without state, sent
// to a non-loopback Host, or sent twice is refused; the real one still completes.
func TestOIDCCallbackRefusals(t *testing.T) {
	srv := startHarness(t)
	b := newBrowser(t, srv, alice, passwords[alice])
	b.hold = true
	p := startLogin(t, oidcStarter(t, oidcConfig(t, srv, nil)))
	pg, err := b.play(p.url(t))
	if err != nil || pg.location == "" {
		t.Fatalf("the browser did not reach the callback redirect: %v %d %.300s", err, pg.status, pg.body)
	}
	cb := pg.location
	u, _ := url.Parse(cb)
	for _, tc := range []struct {
		name, url, host string
		status          int
	}{
		{"state of another login", withQuery(cb, map[string]string{"state": "forged-state-value"}), "", http.StatusBadRequest},
		{"no state", withQuery(cb, map[string]string{"state": ""}), "", http.StatusBadRequest},
		{"non-loopback Host header (DNS rebinding)", cb, "evil.example:" + u.Port(), http.StatusForbidden},
		{"another path", withQuery(strings.Replace(cb, "/callback", "/other", 1), nil), "", http.StatusNotFound},
	} {
		if status, body, loc := rawGet(t, tc.url, tc.host); status != tc.status || loc != "" {
			t.Errorf("%s: GET = %d Location %q, want %d and no redirect: %.200s", tc.name, status, loc, tc.status, body)
		}
	}
	if status, body, _ := rawGet(t, cb, ""); status != http.StatusOK {
		t.Fatalf("the real callback = %d: %.300s", status, body)
	}
	// The same code again, while the login is still checking the first: one per login.
	if status := tryGet(cb); status != http.StatusConflict && status != -1 {
		t.Errorf("a second callback = %d, want %d (or the listener gone)", status, http.StatusConflict)
	}
	o := p.wait(t)
	if o.err != nil || !o.res.OK {
		t.Fatalf("Login = %v %v, want OK after the refusals", o.err, o.res)
	}
}

// TestOIDCReplayedCode: a code already redeemed, brought to a new login with that login's
// state, does not sign anyone in.
func TestOIDCReplayedCode(t *testing.T) {
	srv := startHarness(t)
	b := newBrowser(t, srv, alice, passwords[alice])
	b.hold = true
	cfg := oidcConfig(t, srv, nil)
	p1 := startLogin(t, oidcStarter(t, cfg))
	pg, err := b.play(p1.url(t))
	if err != nil || pg.location == "" {
		t.Fatalf("no callback redirect: %v", err)
	}
	first := pg.location
	if status, _, _ := rawGet(t, first, ""); status != http.StatusOK {
		t.Fatalf("first callback = %d", status)
	}
	if o := p1.wait(t); o.err != nil || !o.res.OK {
		t.Fatalf("first login failed: %v", o.err)
	}
	p2 := startLogin(t, oidcStarter(t, cfg))
	signIn, _ := url.Parse(p2.url(t))
	state2 := signIn.Query().Get("state")
	redirect, _ := url.Parse(signIn.Query().Get("redirect_uri"))
	old, _ := url.Parse(first)
	replay := redirect.String() + "?" + url.Values{"code": {old.Query().Get("code")}, "state": {state2}}.Encode()
	if status, body, _ := rawGet(t, replay, ""); status != http.StatusOK {
		t.Fatalf("replay delivery = %d: %.200s", status, body)
	}
	o := p2.wait(t)
	if o.err != nil {
		t.Fatal(o.err)
	}
	if o.res.OK || o.res.AADSTS == nil {
		t.Fatalf("a replayed code signed in: OK %v AADSTS %+v findings %v", o.res.OK, o.res.AADSTS, findingCodes(o.res))
	}
}

// TestSAMLResponseRefusals: a response posted twice, replayed into the next login, or
// carrying a RelayState that is not the login's (an open-redirect attempt) is refused,
// and the SP never redirects.
func TestSAMLResponseRefusals(t *testing.T) {
	srv := startHarness(t)
	b := newBrowser(t, srv, alice, passwords[alice])
	var captured url.Values
	var acs string
	b.intercept = func(action string, v url.Values) bool { captured, acs = v, action; return true }
	cfg := samlConfig(t, srv, nil)
	urls := make(chan string, 4)
	cfg.Open = func(u string) error { urls <- u; return nil }
	s, err := sp.NewSAML(cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan loginOutcome, 1)
	go func() { r, e := s.Login(context.Background()); done <- loginOutcome{r, e} }()
	signIn := <-urls
	if _, err := b.play(signIn); err != nil || captured == nil {
		t.Fatalf("no SAMLResponse captured: %v", err)
	}
	for _, tc := range []struct {
		name  string
		relay string
	}{
		{"RelayState is a URL (open redirect)", "https://evil.example/after-login"},
		{"RelayState missing", ""},
		{"RelayState of another login", "another-login-relay-state"},
	} {
		v := url.Values{"SAMLResponse": {captured.Get("SAMLResponse")}}
		if tc.relay != "" {
			v.Set("RelayState", tc.relay)
		}
		if status, body, loc := rawPost(t, acs, v); status != http.StatusBadRequest || loc != "" {
			t.Errorf("%s: POST = %d Location %q, want 400 and no redirect: %.200s", tc.name, status, loc, body)
		}
	}
	if status, body, loc := rawPost(t, acs, captured); status != http.StatusOK || loc != "" {
		t.Fatalf("the real post = %d %q: %.300s", status, loc, body)
	}
	if status := tryPost(acs, captured); status != http.StatusConflict && status != -1 {
		t.Errorf("the same response twice in one login = %d, want 409 (or the listener gone)", status)
	}
	o := <-done
	if o.err != nil || !o.res.OK {
		t.Fatalf("first login: %v %v", o.err, o.res)
	}

	// The next login: the old response, dressed with the new login's RelayState, answers
	// another request ID and is refused.
	go func() { r, e := s.Login(context.Background()); done <- loginOutcome{r, e} }()
	signIn = <-urls
	su, _ := url.Parse(signIn)
	replay := url.Values{"SAMLResponse": {captured.Get("SAMLResponse")}, "RelayState": {su.Query().Get("RelayState")}}
	status, body, _ := rawPost(t, callbackFromSignIn(t, signIn), replay)
	if status != http.StatusBadRequest || !strings.Contains(body, "answers request") {
		t.Errorf("a replayed response in the next login = %d %.300s, want 400 naming the request", status, body)
	}
	// The real browser still completes the second login.
	captured = nil
	b.intercept = nil
	if _, err := b.play(signIn); err != nil {
		t.Fatal(err)
	}
	if o := <-done; o.err != nil || !o.res.OK {
		t.Fatalf("second login: %v %v", o.err, o.res)
	}
}

// callbackFromSignIn reads the ACS URL out of a redirect-binding sign-in URL by
// inspecting the AuthnRequest it carries.
func callbackFromSignIn(t *testing.T, signIn string) string {
	t.Helper()
	r := inspect.Inspect([]byte(signIn), inspect.Options{Now: time.Now()})
	if r.Request == nil || r.Request.ACSURL == "" {
		t.Fatalf("no ACS in the AuthnRequest of %s", signIn)
	}
	return r.Request.ACSURL
}

// TestLoopbackRefusals: a callback URL that is not loopback, a busy port, and a second
// login while one is in flight are each refused with a sentence.
func TestLoopbackRefusals(t *testing.T) {
	srv := startHarness(t)
	cfg := oidcConfig(t, srv, nil)
	cfg.Open = func(string) error { return nil }

	for _, uri := range []string{"https://vendor.example/callback", "http://192.0.2.1:8080/callback", "http://127.0.0.1.evil.example/callback"} {
		c := cfg
		c.RedirectURI = uri
		rp, err := sp.NewOIDC(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rp.Login(context.Background()); err == nil || !strings.Contains(err.Error(), "http://127.0.0.1") {
			t.Errorf("Login(redirect %s) = %v, want a refusal naming http://127.0.0.1", uri, err)
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c := cfg
	c.RedirectURI = "http://127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port) + "/callback"
	rp, _ := sp.NewOIDC(context.Background(), c)
	if _, err := rp.Login(context.Background()); err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Errorf("Login(busy port) = %v, want 'already in use'", err)
	}

	c = cfg
	opened := make(chan struct{})
	c.Open = func(string) error { close(opened); return nil }
	rp, _ = sp.NewOIDC(context.Background(), c)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := rp.Login(ctx); done <- err }()
	<-opened
	if _, err := rp.Login(context.Background()); err == nil || !strings.Contains(err.Error(), "already in progress") {
		t.Errorf("a second concurrent Login = %v, want 'already in progress'", err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Login = %v, want context.Canceled", err)
	}
}

// TestNewOIDCRefusals: an authority the SP cannot use is refused with a sentence that says
// what to give instead.
func TestNewOIDCRefusals(t *testing.T) {
	srv := startHarness(t)
	cases := []struct {
		authority, clientID, want string
	}{
		{srv.BaseURL + "/common/v2.0", "x", "multi-tenant authority"},
		{srv.BaseURL + "/no-such-tenant.example/v2.0", "x", "check the authority URL and the tenant"},
		{"", "x", "no authority"},
		{srv.Authority, "", "no client ID"},
	}
	for _, tc := range cases {
		_, err := sp.NewOIDC(context.Background(), sp.OIDCConfig{Common: sp.Common{HTTPClient: srv.Client()}, Authority: tc.authority, ClientID: tc.clientID})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewOIDC(%q, %q) = %v, want an error saying %q", tc.authority, tc.clientID, err, tc.want)
		}
	}
}
