package idp_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"log/slog"
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

// clock is the real clock moved forward by whatever the test skipped; once stopped it
// stands still and moves only by Advance.
type clock struct {
	mu      sync.Mutex
	offset  time.Duration
	stopped time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stopped.IsZero() {
		return c.stopped.Add(c.offset)
	}
	return time.Now().Add(c.offset)
}

// Stop makes the clock stand still, for a test whose outcome depends on the time
// between two requests (the device flow's polling interval): it sets that time
// with Advance rather than leaving it to a busy machine.
func (c *clock) Stop() {
	c.mu.Lock()
	c.stopped = time.Now()
	c.mu.Unlock()
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// start runs a harness on the demo tenant with a test clock.
func start(t testing.TB) (*harness.Server, *clock) {
	t.Helper()
	return startWith(t, nil)
}

// startWith is start with a change to the configuration.
func startWith(t testing.TB, change func(*harness.Config)) (*harness.Server, *clock) {
	t.Helper()
	clk := &clock{}
	cfg := harness.Config{StateDir: t.TempDir(), Now: clk.Now, DevicePollInterval: 200 * time.Millisecond}
	if change != nil {
		change(&cfg)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(recorder{delivered})
	}
	srv, err := harness.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("harness.Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, clk
}

func demoSecret(t testing.TB, srv *harness.Server) string {
	t.Helper()
	app, ok := srv.Store.AppByID(tenant.DemoAppID)
	if !ok || len(app.Secrets) == 0 {
		t.Fatal("demo app or its secret missing")
	}
	return app.Secrets[0].Value
}

// browser is a user agent: a cookie jar, redirects followed only within the harness
// (the app's redirect URI is answered by nobody; its Location is what tests read).
type browser struct {
	t    testing.TB
	c    *http.Client
	host string
}

func newBrowser(t testing.TB, srv *harness.Server) *browser {
	jar, _ := cookiejar.New(nil)
	c := srv.Client()
	c.Jar = jar
	u, _ := url.Parse(srv.BaseURL)
	b := &browser{t: t, c: c, host: u.Host}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Host != b.host {
			return http.ErrUseLastResponse
		}
		return nil
	}
	return b
}

// page is a response read whole.
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

func (b *browser) get(u string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

func (b *browser) post(u string, v url.Values) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var (
	formRe  = regexp.MustCompile(`(?s)<form\b([^>]*)>(.*?)</form>`)
	inputRe = regexp.MustCompile(`<input\b([^>]*)>`)
	attrRe  = regexp.MustCompile(`([a-zA-Z_-]+)="([^"]*)"`)
)

// form is an HTML form as a browser would submit it.
type form struct {
	action, method string
	values         url.Values
}

func attrs(s string) map[string]string {
	m := map[string]string{}
	for _, a := range attrRe.FindAllStringSubmatch(s, -1) {
		m[strings.ToLower(a[1])] = html.UnescapeString(a[2])
	}
	return m
}

// forms parses every form of a page with the values of its inputs.
func forms(body string) []form {
	var out []form
	for _, f := range formRe.FindAllStringSubmatch(body, -1) {
		a := attrs(f[1])
		fm := form{action: a["action"], method: strings.ToUpper(a["method"]), values: url.Values{}}
		for _, in := range inputRe.FindAllStringSubmatch(f[2], -1) {
			ia := attrs(in[1])
			if ia["name"] != "" {
				fm.values.Add(ia["name"], ia["value"])
			}
		}
		out = append(out, fm)
	}
	return out
}

// submit fills the page's first form and posts it.
func (b *browser) submit(p page, fill map[string]string) page {
	b.t.Helper()
	fs := forms(p.body)
	if len(fs) == 0 {
		b.t.Fatalf("no form on the page (status %d): %.600s", p.status, p.body)
	}
	f := fs[0]
	for k, v := range fill {
		f.values.Set(k, v)
	}
	return b.post(f.action, f.values)
}

// signIn opens the authorize URL and signs in through the login form.
func (b *browser) signIn(authURL, login, password string) page {
	b.t.Helper()
	p := b.get(authURL)
	if p.status != http.StatusOK || !strings.Contains(p.body, `name="passwd"`) {
		b.t.Fatalf("GET authorize = %d %q, want the login form: %.400s", p.status, p.location, p.body)
	}
	return b.submit(p, map[string]string{"login": login, "passwd": password})
}

// redirectParams reads the parameters sent to the redirect URI.
func redirectParams(t testing.TB, p page, redirectPrefix string) url.Values {
	t.Helper()
	if p.status != http.StatusFound || !strings.HasPrefix(p.location, redirectPrefix) {
		t.Fatalf("got %d Location %q, want a redirect to %s: %.400s", p.status, p.location, redirectPrefix, p.body)
	}
	u, err := url.Parse(p.location)
	if err != nil {
		t.Fatalf("Location %q: %v", p.location, err)
	}
	return u.Query()
}

// jwtClaims decodes a JWT's payload without verifying it (tests verify separately).
func jwtClaims(t testing.TB, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a JWS compact serialisation", tok)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("token payload: %v", err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("token payload: %v", err)
	}
	return c
}

// entraError is the JSON error body.
type entraError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri"`
}

func decodeError(t testing.TB, p page) entraError {
	t.Helper()
	var e entraError
	if err := json.Unmarshal([]byte(p.body), &e); err != nil {
		t.Fatalf("error body %q: %v", p.body, err)
	}
	return e
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
