package sp_test

import (
	"context"
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
	"github.com/ssowizard/ssowizard/harness/sp"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

// startHarness runs the harness on the demo tenant with the given scenarios.
func startHarness(t testing.TB, scenarios ...string) *harness.Server {
	t.Helper()
	srv, err := harness.Start(context.Background(), harness.Config{StateDir: t.TempDir(), Scenarios: scenarios})
	if err != nil {
		t.Fatalf("harness.Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func demoSecret(t testing.TB, srv *harness.Server) (value, keyID string) {
	t.Helper()
	app, ok := srv.Store.AppByID(tenant.DemoAppID)
	if !ok || len(app.Secrets) == 0 {
		t.Fatal("demo app or its secret missing")
	}
	return app.Secrets[0].Value, app.Secrets[0].KeyID
}

// page is a response as the browser saw it.
type page struct {
	url      string
	status   int
	body     string
	header   http.Header
	location string
}

// browser plays a person's browser: a cookie jar, redirects followed (to the harness and
// to the SP's loopback callback), the login form filled, consent accepted, auto-posting
// forms posted.
type browser struct {
	t        testing.TB
	c        *http.Client
	login    string
	password string
	// intercept, when set, is asked before a form is posted off the harness (the SAML
	// ACS post); returning true keeps the post from being sent.
	intercept func(action string, v url.Values) bool
	// hold stops at a redirect that leaves the harness (the OIDC callback), so the test
	// can deliver it itself.
	hold bool
}

func newBrowser(t testing.TB, srv *harness.Server, login, password string) *browser {
	jar, _ := cookiejar.New(nil)
	c := srv.Client()
	c.Jar = jar
	c.Timeout = 20 * time.Second
	b := &browser{t: t, c: c, login: login, password: password}
	base, _ := url.Parse(srv.BaseURL)
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if b.hold && req.URL.Host != base.Host {
			return http.ErrUseLastResponse
		}
		if len(via) > 10 {
			return http.ErrUseLastResponse
		}
		return nil
	}
	return b
}

var (
	formRe  = regexp.MustCompile(`(?s)<form\b([^>]*)>(.*?)</form>`)
	inputRe = regexp.MustCompile(`<input\b([^>]*)>`)
	attrRe  = regexp.MustCompile(`([a-zA-Z_-]+)="([^"]*)"`)
)

type form struct {
	action string
	values url.Values
}

func attrs(s string) map[string]string {
	m := map[string]string{}
	for _, a := range attrRe.FindAllStringSubmatch(s, -1) {
		m[strings.ToLower(a[1])] = html.UnescapeString(a[2])
	}
	return m
}

func forms(body string) []form {
	var out []form
	for _, f := range formRe.FindAllStringSubmatch(body, -1) {
		fm := form{action: attrs(f[1])["action"], values: url.Values{}}
		for _, in := range inputRe.FindAllStringSubmatch(f[2], -1) {
			if a := attrs(in[1]); a["name"] != "" {
				fm.values.Add(a["name"], a["value"])
			}
		}
		out = append(out, fm)
	}
	return out
}

func (b *browser) do(req *http.Request) (page, error) {
	resp, err := b.c.Do(req)
	if err != nil {
		return page{}, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return page{url: resp.Request.URL.String(), status: resp.StatusCode, body: string(body), header: resp.Header,
		location: resp.Header.Get("Location")}, nil
}

func (b *browser) get(u string) (page, error) {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

func (b *browser) post(u string, v url.Values) (page, error) {
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// play opens the sign-in URL and goes on as a person would until a page has no form to
// submit: the SP's "received" page, or an error page.
func (b *browser) play(signIn string) (page, error) {
	p, err := b.get(signIn)
	for step := 0; err == nil && step < 8; step++ {
		fs := forms(p.body)
		if len(fs) == 0 {
			return p, nil
		}
		f := fs[0]
		if strings.Contains(p.body, `name="passwd"`) {
			f.values.Set("login", b.login)
			f.values.Set("passwd", b.password)
		}
		if b.intercept != nil && f.values.Has("SAMLResponse") && b.intercept(f.action, f.values) {
			return p, nil
		}
		p, err = b.post(f.action, f.values)
	}
	return p, err
}

// opener is an sp.Common.Open that plays the browser in the background and keeps the
// page it ended on.
type opener struct {
	b    *browser
	mu   sync.Mutex
	urls []string
	done chan page
}

func newOpener(b *browser) *opener { return &opener{b: b, done: make(chan page, 4)} }

func (o *opener) open(u string) error {
	o.mu.Lock()
	o.urls = append(o.urls, u)
	o.mu.Unlock()
	go func() {
		p, err := o.b.play(u)
		if err != nil {
			p = page{body: "browser error: " + err.Error()}
		}
		o.done <- p
	}()
	return nil
}

// last waits for the page the browser stopped at.
func (o *opener) last(t testing.TB) page {
	t.Helper()
	select {
	case p := <-o.done:
		return p
	case <-time.After(30 * time.Second):
		t.Fatal("the browser did not finish")
		return page{}
	}
}

// common is the SP configuration every test starts from.
func common(srv *harness.Server, o *opener) sp.Common {
	return sp.Common{HTTPClient: srv.Client(), Open: o.open, Timeout: 20 * time.Second}
}

func oidcConfig(t testing.TB, srv *harness.Server, o *opener) sp.OIDCConfig {
	secret, _ := demoSecret(t, srv)
	return sp.OIDCConfig{Common: common(srv, o), Authority: srv.Authority, ClientID: tenant.DemoAppID, ClientSecret: secret}
}

func fetchMetadata(t testing.TB, srv *harness.Server) []byte {
	t.Helper()
	resp, err := srv.Client().Get(srv.IdP.SAMLMetadataURL(tenant.DemoAppID))
	if err != nil {
		t.Fatalf("fetch metadata: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

func samlConfig(t testing.TB, srv *harness.Server, o *opener) sp.SAMLConfig {
	return sp.SAMLConfig{Common: common(srv, o), IdPMetadata: fetchMetadata(t, srv), EntityID: tenant.DemoEntityID}
}

// findingCodes lists a report's finding codes.
func findingCodes(r *sp.Result) []string {
	var out []string
	for _, f := range r.Report.Findings {
		out = append(out, f.Code+"/"+string(f.Severity))
	}
	return out
}

func hasCode(r *sp.Result, code string) bool {
	for _, f := range r.Report.Findings {
		if f.Code == code {
			return true
		}
	}
	return false
}
