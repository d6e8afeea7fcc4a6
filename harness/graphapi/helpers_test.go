package graphapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

// clock is the real clock moved forward by whatever the test skipped.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// env is a harness on the demo tenant and a Graph client signed in as the demo setup
// app.
type env struct {
	t   *testing.T
	srv *harness.Server
	clk *clock
	c   *http.Client
	tok string // the setup app's Graph token
}

func start(t *testing.T, change func(*harness.Config)) *env {
	t.Helper()
	clk := &clock{}
	cfg := harness.Config{StateDir: t.TempDir(), Now: clk.Now}
	if change != nil {
		change(&cfg)
	}
	srv, err := harness.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("harness.Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	e := &env{t: t, srv: srv, clk: clk, c: srv.Client()}
	setup, _ := srv.Store.AppByID(tenant.DemoSetupAppID)
	e.tok = e.appToken(tenant.DemoSetupAppID, setup.Secrets[0].Value, "https://graph.microsoft.com/.default")
	return e
}

// tokenResult is the token endpoint's answer, success or error.
type tokenResult struct {
	status int
	body   map[string]any
}

func (e *env) tokenRequest(form url.Values) tokenResult {
	e.t.Helper()
	resp, err := e.c.PostForm(e.srv.BaseURL+"/"+e.srv.TenantID+"/oauth2/v2.0/token", form)
	if err != nil {
		e.t.Fatalf("token request: %v", err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body)
	return tokenResult{resp.StatusCode, body}
}

func (e *env) clientCredentials(appID, secret, scope string) tokenResult {
	e.t.Helper()
	return e.tokenRequest(url.Values{"grant_type": {"client_credentials"}, "client_id": {appID},
		"client_secret": {secret}, "scope": {scope}})
}

func (e *env) appToken(appID, secret, scope string) string {
	e.t.Helper()
	r := e.clientCredentials(appID, secret, scope)
	tok, _ := r.body["access_token"].(string)
	if r.status != http.StatusOK || tok == "" {
		e.t.Fatalf("client_credentials for %s = %d %v", appID, r.status, r.body)
	}
	return tok
}

// answer is a Graph response read whole.
type answer struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// errorCode is the Graph error code of an error answer.
func (a answer) errorCode() string {
	e, _ := a.body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func (a answer) errorMessage() string {
	e, _ := a.body["error"].(map[string]any)
	msg, _ := e["message"].(string)
	return msg
}

func (a answer) str(key string) string {
	s, _ := a.body[key].(string)
	return s
}

func (a answer) values() []map[string]any {
	vs, _ := a.body["value"].([]any)
	out := make([]map[string]any, 0, len(vs))
	for _, v := range vs {
		m, _ := v.(map[string]any)
		out = append(out, m)
	}
	return out
}

// call makes a Graph request with the given token ("" for none) and headers; body is
// JSON-encoded unless it is already []byte.
func (e *env) call(tok, method, path string, body any, headers ...string) answer {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	u := path
	if !strings.HasPrefix(u, "https://") {
		u = e.srv.BaseURL + "/v1.0" + path
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.c.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &a.body); err != nil {
			e.t.Fatalf("%s %s = %d with a body that is not a JSON object: %.300s", method, path, resp.StatusCode, raw)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			e.t.Errorf("%s %s: Content-Type %q, want application/json", method, path, ct)
		}
	}
	return a
}

// do is call with the setup app's token.
func (e *env) do(method, path string, body any, headers ...string) answer {
	e.t.Helper()
	return e.call(e.tok, method, path, body, headers...)
}

// must fails the test unless the answer has the status.
func (e *env) must(a answer, status int, what string) answer {
	e.t.Helper()
	if a.status != status {
		e.t.Fatalf("%s = %d %s, want %d", what, a.status, a.raw, status)
	}
	return a
}

// checkError checks a Graph error answer's status, code and shape.
func checkError(t *testing.T, what string, a answer, status int, code string) {
	t.Helper()
	if a.status != status || a.errorCode() != code {
		t.Errorf("%s = %d %s, want %d %s", what, a.status, a.raw, status, code)
		return
	}
	e, _ := a.body["error"].(map[string]any)
	inner, _ := e["innerError"].(map[string]any)
	if e["message"] == "" || inner["request-id"] == nil || inner["date"] == nil || inner["client-request-id"] == nil {
		t.Errorf("%s: error body %s lacks message or innerError date, request-id, client-request-id", what, a.raw)
	}
}

// browser is a user agent for the login side: a cookie jar, redirects followed only
// within the harness (the app's redirect URI is answered by nobody; its Location is
// what tests read).
type browser struct {
	t    *testing.T
	c    *http.Client
	host string
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	c := e.srv.Client()
	c.Jar = jar
	u, _ := url.Parse(e.srv.BaseURL)
	b := &browser{t: e.t, c: c, host: u.Host}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Host != b.host {
			return http.ErrUseLastResponse
		}
		return nil
	}
	return b
}

type page struct {
	status   int
	body     string
	location string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return page{status: resp.StatusCode, body: string(body), location: resp.Header.Get("Location")}
}

var (
	formRe  = regexp.MustCompile(`(?s)<form\b([^>]*)>(.*?)</form>`)
	inputRe = regexp.MustCompile(`<input\b([^>]*)>`)
	attrRe  = regexp.MustCompile(`([a-zA-Z_-]+)="([^"]*)"`)
)

func attrs(s string) map[string]string {
	m := map[string]string{}
	for _, a := range attrRe.FindAllStringSubmatch(s, -1) {
		m[strings.ToLower(a[1])] = html.UnescapeString(a[2])
	}
	return m
}

// signIn opens the authorize URL, fills the login form and submits it, returning where
// the harness sent the browser.
func (b *browser) signIn(authURL, login, password string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, authURL, nil)
	p := b.do(req)
	f := formRe.FindStringSubmatch(p.body)
	if p.status != http.StatusOK || f == nil || !strings.Contains(p.body, `name="passwd"`) {
		b.t.Fatalf("GET authorize = %d %q, want the login form: %.400s", p.status, p.location, p.body)
	}
	action := attrs(f[1])["action"]
	v := url.Values{}
	for _, in := range inputRe.FindAllStringSubmatch(f[2], -1) {
		if a := attrs(in[1]); a["name"] != "" {
			v.Set(a["name"], a["value"])
		}
	}
	v.Set("login", login)
	v.Set("passwd", password)
	req, _ = http.NewRequest(http.MethodPost, action, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// oidcLogin signs the user in to the app by the code flow and returns what came back
// to the redirect URI.
func (e *env) oidcLogin(appID, redirectURI, login, password string) url.Values {
	e.t.Helper()
	q := url.Values{"client_id": {appID}, "response_type": {"code"}, "redirect_uri": {redirectURI},
		"scope": {"openid profile"}, "state": {"s1"}, "nonce": {"n1"}}
	p := e.browser().signIn(e.srv.BaseURL+"/"+e.srv.TenantID+"/oauth2/v2.0/authorize?"+q.Encode(), login, password)
	if p.status != http.StatusFound || !strings.HasPrefix(p.location, redirectURI) {
		e.t.Fatalf("sign-in of %s = %d Location %q, want a redirect to %s: %.400s", login, p.status, p.location, redirectURI, p.body)
	}
	u, _ := url.Parse(p.location)
	return u.Query()
}

// userID is the object ID of a demo user.
func (e *env) userID(upn string) string {
	e.t.Helper()
	u, ok := e.srv.Store.UserByUPN(upn)
	if !ok {
		e.t.Fatalf("no user %s", upn)
	}
	return u.ID
}

func (e *env) groupID(name string) string {
	e.t.Helper()
	for _, g := range e.srv.Store.Groups() {
		if g.DisplayName == name {
			return g.ID
		}
	}
	e.t.Fatalf("no group %q", name)
	return ""
}
