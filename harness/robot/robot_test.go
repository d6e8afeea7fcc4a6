package robot_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/robot"
	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/sp"
)

const (
	alice         = "alice@contoso.example"
	alicePassword = "Demo.Alice.2026"
	bob           = "bob@contoso.example" // not assigned to the demo app
	bobPassword   = "Demo.Bob.2026"
)

func startHarness(t *testing.T) *harness.Server {
	t.Helper()
	srv, err := harness.Start(context.Background(), harness.Config{StateDir: t.TempDir()})
	if err != nil {
		t.Fatalf("harness.Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// recorder is a transport that remembers every host the browser sent a request to.
type recorder struct {
	next  http.RoundTripper
	mu    sync.Mutex
	hosts []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.hosts = append(r.hosts, req.URL.Host)
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

func (r *recorder) sentTo(host string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, h := range r.hosts {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}

// recording returns a client like c whose requests are recorded.
func recording(c *http.Client) (*http.Client, *recorder) {
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	r := &recorder{next: next}
	cc := *c
	cc.Transport = r
	return &cc, r
}

func fetchMetadata(t *testing.T, srv *harness.Server) []byte {
	t.Helper()
	resp, err := srv.Client().Get(srv.IdP.SAMLMetadataURL(tenant.DemoAppID))
	if err != nil {
		t.Fatalf("fetch metadata: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

// login runs one test login of the embedded SP with the robot as its browser. When the
// robot ends on a refusal, the login is cancelled, as the wizard does, rather than left
// waiting for a callback that will not come.
func login(t *testing.T, srv *harness.Server, b *robot.Browser, protocol string) (*sp.Result, error, robot.Page, error) {
	t.Helper()
	common := sp.Common{HTTPClient: srv.Client(), Open: b.Open, Timeout: 30 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var run func(context.Context) (*sp.Result, error)
	switch protocol {
	case "oidc":
		app, _ := srv.Store.AppByID(tenant.DemoAppID)
		rp, err := sp.NewOIDC(ctx, sp.OIDCConfig{Common: common, Authority: srv.Authority, ClientID: tenant.DemoAppID,
			ClientSecret: app.Secrets[0].Value})
		if err != nil {
			t.Fatalf("NewOIDC: %v", err)
		}
		run = rp.Login
	case "saml":
		s, err := sp.NewSAML(sp.SAMLConfig{Common: common, IdPMetadata: fetchMetadata(t, srv), EntityID: tenant.DemoEntityID})
		if err != nil {
			t.Fatalf("NewSAML: %v", err)
		}
		run = s.Login
	}
	type outcome struct {
		res *sp.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := run(ctx)
		done <- outcome{res, err}
	}()
	wctx, wcancel := context.WithTimeout(context.Background(), time.Minute)
	defer wcancel()
	page, perr := b.Wait(wctx)
	if perr != nil {
		cancel()
	}
	o := <-done
	return o.res, o.err, page, perr
}

// TestTestLogins: real OIDC and SAML test logins through the embedded SP, with the
// robot typing in the user's name and password.
func TestTestLogins(t *testing.T) {
	srv := startHarness(t)
	cases := []struct {
		name, protocol, user, password string
		wantOK                         bool
		wantErr                        error
		wantAADSTS                     int
		wantPage                       string
	}{
		{"oidc", "oidc", alice, alicePassword, true, nil, 0, "Test login received"},
		{"saml", "saml", alice, alicePassword, true, nil, 0, "Test login received"},
		{"oidc wrong password", "oidc", alice, "Not.Her.Password", false, robot.ErrSignInRefused, 50126, `name="passwd"`},
		{"saml wrong password", "saml", alice, "Not.Her.Password", false, robot.ErrSignInRefused, 50126, `name="passwd"`},
		{"oidc unassigned user", "oidc", bob, bobPassword, false, nil, 50105, "Test login received"},
		{"saml unassigned user", "saml", bob, bobPassword, false, nil, 50105, "Test login received"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := robot.New(srv.Client(), tc.user, tc.password)
			res, err, page, perr := login(t, srv, b, tc.protocol)
			if !errors.Is(perr, tc.wantErr) || (tc.wantErr == nil) != (perr == nil) {
				t.Fatalf("Wait error = %v, want %v; page %d %.300s", perr, tc.wantErr, page.Status, page.Body)
			}
			if perr != nil {
				t.Logf("Wait = %v", perr)
			}
			if !strings.Contains(page.Body, tc.wantPage) {
				t.Errorf("the robot ended on %s (%d) %.300s, want a page with %q", page.URL, page.Status, page.Body, tc.wantPage)
			}
			if got := page.AADSTS(); got != tc.wantAADSTS {
				t.Errorf("page.AADSTS() = %d, want %d", got, tc.wantAADSTS)
			}
			if tc.wantErr != nil {
				if err == nil || !strings.Contains(err.Error(), "cancel") {
					t.Errorf("Login after a refused sign-in = %v, want cancelled", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Login: %v", err)
			}
			if res.OK != tc.wantOK {
				t.Fatalf("Login OK = %v, want %v (AADSTS %+v)", res.OK, tc.wantOK, res.AADSTS)
			}
			if tc.wantAADSTS != 0 && (res.AADSTS == nil || res.AADSTS.Code != "AADSTS50105") {
				t.Errorf("the SP reports %+v, want AADSTS50105", res.AADSTS)
			}
		})
	}
}

// TestSecondLoginUsesSession: a second login in the same browser goes through on the
// harness's session cookie, as a person's browser does, and Wait hands back each in turn.
func TestSecondLoginUsesSession(t *testing.T) {
	srv := startHarness(t)
	b := robot.New(srv.Client(), alice, alicePassword)
	for i := range 2 {
		res, err, page, perr := login(t, srv, b, "oidc")
		if err != nil || perr != nil || !res.OK {
			t.Fatalf("login %d: %v %v OK %v; page %.300s", i+1, err, perr, res != nil && res.OK, page.Body)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := b.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a third Wait = %v, want to wait for a third Open until its context ends", err)
	}
}

// TestRefusesToLeave: the harness sends the browser, with a code, to an app's redirect
// URI on another host (by redirect or by an auto-posted form): the robot stops there
// and sends nothing to that host.
func TestRefusesToLeave(t *testing.T) {
	srv := startHarness(t)
	vendor, _ := url.Parse(tenant.DemoRedirectURI)
	for _, mode := range []string{"query", "form_post"} {
		t.Run(mode, func(t *testing.T) {
			c, rec := recording(srv.Client())
			b := robot.New(c, alice, alicePassword)
			q := url.Values{"client_id": {tenant.DemoAppID}, "response_type": {"code"}, "redirect_uri": {tenant.DemoRedirectURI},
				"scope": {"openid"}, "state": {"s1"}, "nonce": {"n1"}, "response_mode": {mode}}
			page, err := b.Play(context.Background(), srv.BaseURL+"/"+srv.TenantID+"/oauth2/v2.0/authorize?"+q.Encode())
			if !errors.Is(err, robot.ErrUnsafeTarget) {
				t.Fatalf("Play = %v, want ErrUnsafeTarget; page %d %.300s", err, page.Status, page.Body)
			}
			t.Logf("Play = %v", err)
			if !strings.Contains(err.Error(), tenant.DemoRedirectURI) || strings.Contains(err.Error(), "code=") {
				t.Errorf("error %q should name %s without the query", err, tenant.DemoRedirectURI)
			}
			if rec.sentTo(vendor.Host) {
				t.Errorf("a request went to %s", vendor.Host)
			}
			if !rec.sentTo(strings.TrimPrefix(srv.BaseURL, "https://")) {
				t.Error("the recorder saw nothing: the test proves nothing")
			}
		})
	}
}

// TestConsent: with prompt=consent the robot accepts the consent page after signing in,
// and follows the code redirect to a loopback callback.
func TestConsent(t *testing.T) {
	srv := startHarness(t)
	callback := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<p>callback reached</p>")
	}))
	defer callback.Close()
	c, rec := recording(srv.Client())
	b := robot.New(c, alice, alicePassword)
	q := url.Values{"client_id": {tenant.DemoAppID}, "response_type": {"code"}, "redirect_uri": {callback.URL + "/callback"},
		"scope": {"openid profile"}, "state": {"s1"}, "nonce": {"n1"}, "prompt": {"consent"}}
	page, err := b.Play(context.Background(), srv.BaseURL+"/"+srv.TenantID+"/oauth2/v2.0/authorize?"+q.Encode())
	if err != nil {
		t.Fatalf("Play = %v; page %.300s", err, page.Body)
	}
	u, _ := url.Parse(page.URL)
	if !strings.Contains(page.Body, "callback reached") || u.Query().Get("code") == "" || u.Query().Get("state") != "s1" {
		t.Errorf("ended on %s %.300s, want the callback with a code", page.URL, page.Body)
	}
	rec.mu.Lock()
	n := len(rec.hosts)
	rec.mu.Unlock()
	// authorize, login post, consent post, callback: consent was shown and accepted.
	if n != 4 {
		t.Errorf("%d requests (%v), want 4: authorize, sign-in, consent, callback", n, rec.hosts)
	}
}

// TestPasswordStaysWithHarness: a page at the harness's origin whose login form posts
// elsewhere, even to this computer, does not get the password; nor does a form posting
// off the computer get anything.
func TestPasswordStaysWithHarness(t *testing.T) {
	var mu sync.Mutex
	var got []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		got = append(got, r.PostForm.Encode())
		mu.Unlock()
		io.WriteString(w, "<p>thanks</p>")
	}))
	defer other.Close()
	pages := map[string]string{
		"/login-elsewhere": `<form method="post" action="` + other.URL + `/steal"><input name="login"><input type="password" name="passwd"></form>`,
		"/post-off":        `<form method="post" action="https://vendor.example/acs"><input type="hidden" name="SAMLResponse" value="x"></form>`,
		"/loopback-post":   `<form method="post" action="` + other.URL + `/acs"><input type="hidden" name="SAMLResponse" value="x"></form>`,
	}
	harnessLike := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, pages[r.URL.Path])
	}))
	defer harnessLike.Close()
	cases := []struct {
		path    string
		wantErr error
		posted  int
	}{
		{"/login-elsewhere", robot.ErrUnsafeTarget, 0},
		{"/post-off", robot.ErrUnsafeTarget, 0},
		{"/loopback-post", nil, 1}, // the SP's ACS on loopback is where answers go
	}
	for _, tc := range cases {
		mu.Lock()
		got = nil
		mu.Unlock()
		c, rec := recording(harnessLike.Client())
		b := robot.New(c, alice, alicePassword)
		page, err := b.Play(context.Background(), harnessLike.URL+tc.path)
		if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
			t.Errorf("%s: Play = %v, want %v", tc.path, err, tc.wantErr)
		}
		mu.Lock()
		n := len(got)
		leaked := strings.Contains(strings.Join(got, "&"), "Demo.Alice")
		mu.Unlock()
		if n != tc.posted || leaked {
			t.Errorf("%s: %d posts arrived (password among them: %v), want %d", tc.path, n, leaked, tc.posted)
		}
		if rec.sentTo("vendor.example") {
			t.Errorf("%s: a request went to vendor.example", tc.path)
		}
		if tc.wantErr == nil && !strings.Contains(page.Body, "thanks") {
			t.Errorf("%s: ended on %q", tc.path, page.Body)
		}
	}
}

// TestBounded: a page that posts to itself forever, and redirects in a circle, end in
// an error rather than a loop.
func TestBounded(t *testing.T) {
	var posts, gets int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch r.URL.Path {
		case "/circle":
			gets++
			http.Redirect(w, r, "/circle", http.StatusFound)
		default:
			posts++
			io.WriteString(w, `<form method="post" action="/again"><input type="hidden" name="n" value="1"></form>`)
		}
	}))
	defer srv.Close()
	b := robot.New(srv.Client(), alice, alicePassword)
	for _, tc := range []struct {
		path, want string
		count      *int
		max        int
	}{
		{"/again", "still given forms", &posts, 11},
		{"/circle", "redirects", &gets, 11},
	} {
		_, err := b.Play(context.Background(), srv.URL+tc.path)
		mu.Lock()
		n := *tc.count
		mu.Unlock()
		if err == nil || !strings.Contains(err.Error(), tc.want) || n > tc.max {
			t.Errorf("%s: Play = %v after %d requests, want an error naming %q within %d", tc.path, err, n, tc.want, tc.max)
		}
	}
}

// TestWait: a Wait before Open waits for it; a Wait whose context ends leaves the play
// for the next Wait. It runs in a synctest bubble, on a transport that answers in
// memory, so "before Open" and "not yet ended" are facts, not a guess about timing.
func TestWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		answer := roundTripper(func(r *http.Request) (*http.Response, error) {
			select {
			case <-release:
			case <-r.Context().Done():
				return nil, r.Context().Err()
			}
			return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"text/html"}},
				Body: io.NopCloser(strings.NewReader("<p>done " + r.URL.Path + "</p>")), Request: r}, nil
		})
		const origin = "https://vendor.test"
		b := robot.New(&http.Client{Transport: answer}, alice, alicePassword)
		if err := b.Open("not a url"); err == nil {
			t.Error("Open(not a url) succeeded")
		}
		type waited struct {
			page robot.Page
			err  error
		}
		early := make(chan waited, 1)
		go func() {
			p, err := b.Wait(context.Background())
			early <- waited{p, err}
		}()
		synctest.Wait() // the early Wait is blocked: nothing is open yet
		for _, path := range []string{"/first", "/second"} {
			if err := b.Open(origin + path); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if _, err := b.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Wait with an ending context = %v, want its error", err)
		}
		synctest.Wait()
		select {
		case w := <-early:
			t.Fatalf("Wait returned %+v before the play ended", w)
		default:
		}
		close(release)
		w := <-early
		if w.err != nil || w.page.Status != http.StatusOK || !strings.Contains(w.page.Body, "done /first") || w.page.URL != origin+"/first" {
			t.Errorf("the early Wait = %+v, %v; want the first page", w.page, w.err)
		}
		page, err := b.Wait(context.Background())
		if err != nil || !strings.Contains(page.Body, "done /second") {
			t.Errorf("the next Wait = %+v, %v; want the second page", page, err)
		}
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
