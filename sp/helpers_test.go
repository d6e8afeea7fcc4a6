package sp_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/robot"
	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/sp"
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

// page is where the browser stopped.
type page struct {
	url    string
	status int
	body   string
	// location is the URL the browser was held at (hold), its callback not delivered.
	location string
}

// browser is the robot (harness/robot) playing a person's browser, with two test hooks
// in its transport: intercept, when set, is asked before a SAMLResponse is posted (the
// ACS post) and may change it or, returning true, keep it from being sent; hold stops
// at the first request that leaves the harness (the OIDC callback), so the test can
// deliver it itself.
type browser struct {
	r         *robot.Browser
	host      string // the harness's host:port, for hold
	intercept func(action string, v url.Values) bool
	hold      bool
}

func newBrowser(_ testing.TB, srv *harness.Server, login, password string) *browser {
	u, _ := url.Parse(srv.BaseURL)
	return newBrowserWith(srv.Client(), u.Host, login, password)
}

func newBrowserWith(c *http.Client, harnessHost, login, password string) *browser {
	b := &browser{host: harnessHost}
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hooked := *c
	hooked.Transport = hooks{b: b, next: next}
	b.r = robot.New(&hooked, login, password)
	return b
}

// hooks is the transport that applies the browser's intercept and hold.
type hooks struct {
	b    *browser
	next http.RoundTripper
}

// stopped is the page a hook ends the play on: no form, so the robot stops there.
func stopped(req *http.Request) *http.Response {
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"text/html"}}, Body: io.NopCloser(strings.NewReader("<p>held by the test</p>")), Request: req}
}

func (h hooks) RoundTrip(req *http.Request) (*http.Response, error) {
	b := h.b
	if b.hold && b.host != "" && req.URL.Host != b.host {
		return stopped(req), nil
	}
	if b.intercept != nil && req.Method == http.MethodPost && req.Body != nil {
		data, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		v, err := url.ParseQuery(string(data))
		if err != nil {
			return nil, err
		}
		if v.Has("SAMLResponse") {
			if b.intercept(req.URL.String(), v) {
				return stopped(req), nil
			}
			data = []byte(v.Encode())
		}
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(data))
		req.ContentLength = int64(len(data))
	}
	return h.next.RoundTrip(req)
}

// play opens the sign-in URL and goes on as a person would until a page has no form to
// submit: the SP's "received" page, or an error page.
func (b *browser) play(signIn string) (page, error) {
	p, err := b.r.Play(context.Background(), signIn)
	return b.page(p), err
}

func (b *browser) page(p robot.Page) page {
	out := page{url: p.URL, status: p.Status, body: p.Body}
	if b.hold {
		out.location = p.URL
	}
	return out
}

// opener is an sp.Common.Open that plays the browser in the background and keeps the
// page it ended on.
type opener struct {
	b    *browser
	kept chan page // the page stopAt waited for, for last
}

func newOpener(b *browser) *opener { return &opener{b: b, kept: make(chan page, 1)} }

// stopAt calls then once the browser has stopped at a page, and keeps the page for last.
func (o *opener) stopAt(then func()) {
	go func() {
		p, ok := o.next(30 * time.Second)
		if !ok {
			p.body = "the browser did not finish"
		}
		o.kept <- p
		then()
	}()
}

func (o *opener) open(u string) error { return o.b.r.Open(u) }

// next waits up to d for the page the browser stopped at; ok is false when it did not
// stop in time. A play that ended in an error shows the error as the page.
func (o *opener) next(d time.Duration) (p page, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	rp, err := o.b.r.Wait(ctx)
	if ctx.Err() != nil {
		return page{}, false
	}
	p = o.b.page(rp)
	if err != nil && p.body == "" {
		p.body = "browser error: " + err.Error()
	}
	return p, true
}

// last waits for the page the browser stopped at.
func (o *opener) last(t testing.TB) page {
	t.Helper()
	select {
	case p := <-o.kept:
		return p
	default:
	}
	p, ok := o.next(30 * time.Second)
	if !ok {
		t.Fatal("the browser did not finish")
	}
	return p
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
