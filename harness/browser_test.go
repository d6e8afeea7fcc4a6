package harness_test

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/inspect"
)

// chromiumPath is Debian's Chromium, which `make browser-deps` installs. Tests never let
// a tool download a browser of its own.
const chromiumPath = "/usr/bin/chromium"

// needBrowser skips the test when Chromium or NSS's certutil is missing, except in CI
// (CI=true), where the browser test is what proves the login page works in a browser and
// must not quietly go away.
func needBrowser(t *testing.T) (certutil string) {
	t.Helper()
	var missing []string
	if _, err := os.Stat(chromiumPath); err != nil {
		missing = append(missing, chromiumPath+" (Debian package chromium)")
	}
	certutil, err := exec.LookPath("certutil")
	if err != nil {
		missing = append(missing, "certutil (Debian package libnss3-tools)")
	}
	if len(missing) > 0 {
		msg := "the browser test needs " + strings.Join(missing, " and ") + "; run 'make browser-deps'"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return certutil
}

// trustingHome makes a HOME whose NSS database trusts the harness CA. Chromium on Linux
// takes locally added roots from $HOME/.pki/nssdb, so the browser trusts the harness as a
// real one would after an admin added the CA, and certificate errors stay fatal: no
// --ignore-certificate-errors.
func trustingHome(t *testing.T, certutil, caPath string) string {
	t.Helper()
	home := t.TempDir()
	db := filepath.Join(home, ".pki", "nssdb")
	if err := os.MkdirAll(db, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-N", "-d", "sql:" + db, "--empty-password"},
		{"-A", "-d", "sql:" + db, "-n", "ssowizard harness CA", "-t", "C,,", "-i", caPath},
	} {
		if out, err := exec.Command(certutil, args...).CombinedOutput(); err != nil {
			t.Fatalf("certutil %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return home
}

// browserLog keeps what Chromium prints, for the failure message.
type browserLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *browserLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() < 64<<10 {
		l.b.Write(p)
	}
	return len(p), nil
}

func (l *browserLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newBrowser starts headless Chromium trusting the harness CA and returns its context,
// already running, so that later actions may carry their own timeouts.
func newBrowser(t *testing.T, srv *harness.Server) (context.Context, *browserLog) {
	t.Helper()
	certutil := needBrowser(t)
	home := trustingHome(t, certutil, srv.CACertPath)
	log := &browserLog{}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.UserDataDir(filepath.Join(home, "profile")),
		chromedp.Env("HOME=" + home),
		chromedp.Headless,
		// Root in CI and here: Chromium's sandbox refuses to run as root.
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// The machine's network is closed: without these Chromium keeps dialling
		// Google's services, and each refusal is noise in the log and a delay.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.WindowSize(1024, 768),
		chromedp.CombinedOutput(log),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	start := time.Now()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v\n%s", chromiumPath, err, log)
	}
	t.Logf("Chromium started in %v", time.Since(start).Round(time.Millisecond))
	return ctx, log
}

// callbackServer is the vendor's redirect URI on loopback: it hands each callback's query
// to the test and shows a page the browser can land on.
func callbackServer(t *testing.T) (redirectURI string, got <-chan url.Values) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan url.Values, 1)
	s := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		select {
		case ch <- r.URL.Query():
		default:
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!DOCTYPE html><title>Signed in</title><h1 id="done">Signed in</h1>`))
	}), ReadHeaderTimeout: 5 * time.Second}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	// Registered as http://127.0.0.1/callback: Entra ignores loopback ports (RFC 8252).
	return "http://" + ln.Addr().String() + "/callback", ch
}

func randomString(t *testing.T) string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// TestBrowserOIDCLogin signs in through the login page in headless Chromium: the code
// flow with PKCE, a person typing the demo user's name and password, the browser landing
// on the loopback redirect URI with a code that the token endpoint exchanges for an ID
// token that verifies. A screenshot of the login page is kept in the test's artifact
// directory (go test -artifacts keeps it).
func TestBrowserOIDCLogin(t *testing.T) {
	srv := startIn(t, t.TempDir(), nil)
	ctx, blog := newBrowser(t, srv)
	redirectURI, callbacks := callbackServer(t)

	demo := tenant.Demo(time.Now())
	user := demo.Users[0] // alice, assigned to the demo app through Vendor Users
	app := demo.Apps[0]
	state, nonce, verifier := randomString(t), randomString(t), randomString(t)
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"client_id":             {app.AppID},
		"response_type":         {"code"},
		"redirect_uri":          {redirectURI},
		"scope":                 {"openid profile email"},
		"state":                 {state},
		"nonce":                 {nonce},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
	authorize := srv.BaseURL + "/" + srv.TenantID + "/oauth2/v2.0/authorize?" + q.Encode()

	// A hang guard: Chromium on a busy machine under -race can take many seconds.
	tctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	start := time.Now()
	resp, err := chromedp.RunResponse(tctx, chromedp.Navigate(authorize))
	if err != nil {
		// An untrusted CA shows here as net::ERR_CERT_AUTHORITY_INVALID.
		t.Fatalf("opening the authorize URL in Chromium: %v\nChromium said:\n%s", err, blog)
	}
	if resp.Status != http.StatusOK {
		t.Fatalf("authorize answered %d, want the login page", resp.Status)
	}
	if err := chromedp.Do(tctx, chromedp.WaitVisible(chromedp.CSS("#i0116"))); err != nil {
		t.Fatalf("login field: %v", err)
	}
	loginShown := time.Since(start)
	if png, err := chromedp.Run(tctx, chromedp.FullScreenshot(100)); err != nil {
		t.Errorf("screenshot: %v", err)
	} else {
		p := filepath.Join(t.ArtifactDir(), "login-page.png")
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Errorf("screenshot: %v", err)
		}
		t.Logf("login page screenshot: %s (%d bytes)", p, len(png))
	}

	// A wrong password first, as people type it: the page must say so in words, above
	// the AADSTS line, and let them try again in the same sign-in.
	err = chromedp.Do(tctx,
		chromedp.SendKeys(chromedp.CSS("#i0116"), user.UPN),
		chromedp.SendKeys(chromedp.CSS("#i0118"), user.Password+"x"),
		chromedp.Click(chromedp.CSS("#idSIButton9")),
		chromedp.WaitVisible(chromedp.CSS(`[role="alert"]`)),
	)
	if err != nil {
		t.Fatalf("wrong password: %v", err)
	}
	hint, err := chromedp.Run(tctx, chromedp.Text(chromedp.CSS(`[role="alert"]`)))
	if err != nil || !strings.Contains(hint, "password is incorrect") {
		t.Errorf("after a wrong password the page says %q (%v), want that the password is incorrect", hint, err)
	}
	if details, err := chromedp.Run(tctx, chromedp.Text(chromedp.CSS("#error"))); err != nil || !strings.Contains(details, "AADSTS50126") {
		t.Errorf("after a wrong password the details say %q (%v), want AADSTS50126", details, err)
	}
	if png, err := chromedp.Run(tctx, chromedp.FullScreenshot(100)); err == nil {
		os.WriteFile(filepath.Join(t.ArtifactDir(), "login-wrong-password.png"), png, 0o644)
	}

	typed := time.Now()
	err = chromedp.Do(tctx,
		chromedp.Clear(chromedp.CSS("#i0116")),
		chromedp.SendKeys(chromedp.CSS("#i0116"), user.UPN),
		chromedp.SendKeys(chromedp.CSS("#i0118"), user.Password),
		chromedp.Click(chromedp.CSS("#idSIButton9")),
		chromedp.WaitVisible(chromedp.CSS("#done")),
	)
	if err != nil {
		// The page the browser stopped on says why (an AADSTS line, most often).
		pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
		page, _ := chromedp.Run(pctx, chromedp.OuterHTML(chromedp.CSS("body")))
		pcancel()
		t.Fatalf("signing in: %v\npage: %.2000s", err, page)
	}
	submitToCallback := time.Since(typed)
	var cb url.Values
	select {
	case cb = <-callbacks:
	case <-tctx.Done():
		t.Fatal("the redirect URI was never called")
	}
	loc, err := chromedp.Run(tctx, chromedp.Location())
	if err != nil || !strings.HasPrefix(loc, redirectURI+"?") {
		t.Errorf("browser at %q (%v), want the redirect URI %s", loc, err, redirectURI)
	}
	if cb.Get("state") != state || cb.Get("code") == "" || cb.Get("error") != "" {
		t.Fatalf("callback = %v, want a code and state %q", cb, state)
	}

	// The code the browser carried is real: exchange it, with the PKCE verifier, and
	// verify the ID token against the harness's keys.
	hc := srv.Client()
	tok, err := hc.PostForm(srv.BaseURL+"/"+srv.TenantID+"/oauth2/v2.0/token", url.Values{
		"grant_type":    {"authorization_code"},
		"client_id":     {app.AppID},
		"client_secret": {app.Secrets[0].Value},
		"code":          {cb.Get("code")},
		"redirect_uri":  {redirectURI},
		"code_verifier": {verifier},
	})
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	defer tok.Body.Close()
	var body struct {
		IDToken string `json:"id_token"`
		Error   string `json:"error_description"`
	}
	if err := json.NewDecoder(tok.Body).Decode(&body); err != nil || tok.StatusCode != http.StatusOK {
		t.Fatalf("token = %d %v %q", tok.StatusCode, err, body.Error)
	}
	octx := oidc.ClientContext(context.Background(), hc)
	provider, err := oidc.NewProvider(octx, srv.Authority)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	idt, err := provider.Verifier(&oidc.Config{ClientID: app.AppID}).Verify(octx, body.IDToken)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	var claims struct {
		PreferredUsername string `json:"preferred_username"`
	}
	if err := idt.Claims(&claims); err != nil || idt.Nonce != nonce || claims.PreferredUsername != user.UPN {
		t.Errorf("ID token nonce %q user %q (%v), want nonce %q user %q", idt.Nonce, claims.PreferredUsername, err, nonce, user.UPN)
	}
	t.Logf("browser login: login page shown %v after navigating, redirect URI reached %v after typing; %v in all",
		loginShown.Round(time.Millisecond), submitToCallback.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

// acsServer is the vendor's Assertion Consumer Service on loopback: it takes the POSTed
// SAMLResponse and RelayState and shows a page the browser can land on.
func acsServer(t *testing.T) (ln net.Listener, got <-chan url.Values) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan url.Values, 1)
	s := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/saml/acs" {
			http.Error(w, "POST /saml/acs only", http.StatusMethodNotAllowed)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case ch <- r.PostForm:
		default:
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!DOCTYPE html><title>Signed in</title><h1 id="done">Signed in</h1>`))
	}), ReadHeaderTimeout: 5 * time.Second}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return ln, ch
}

// TestBrowserSAMLLogin signs in through the login page by SAML in headless Chromium: an
// AuthnRequest by HTTP-Redirect, the demo user typing name and password, the harness's
// auto-submitting form POSTing the SAMLResponse to a loopback ACS, which the inspector
// then verifies against the app's federation metadata with no error finding.
func TestBrowserSAMLLogin(t *testing.T) {
	ln, acsPosts := acsServer(t)
	acs := "http://" + ln.Addr().String() + "/saml/acs"
	// The reply URL is registered with its port, so the test does not depend on how
	// the SAML side matches loopback ports.
	demo := tenant.Demo(time.Now())
	demo.Apps[0].RedirectURIs = append(demo.Apps[0].RedirectURIs, acs)
	srv, err := harness.Start(context.Background(), harness.Config{StateDir: t.TempDir(), Tenant: demo})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	sso := srv.BaseURL + "/" + srv.TenantID + "/saml2"
	ctx, blog := newBrowser(t, srv)
	user, app := demo.Users[0], demo.Apps[0]

	id := "_" + strings.ReplaceAll(randomString(t), "-", "a")
	authn := `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"` +
		` ID="` + id + `" Version="2.0" IssueInstant="` + time.Now().UTC().Format(time.RFC3339) + `" Destination="` + sso + `"` +
		` AssertionConsumerServiceURL="` + acs + `" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">` +
		`<saml:Issuer>` + app.IdentifierURIs[0] + `</saml:Issuer>` +
		`<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"/></samlp:AuthnRequest>`
	var deflated bytes.Buffer
	fw, _ := flate.NewWriter(&deflated, flate.BestCompression)
	fw.Write([]byte(authn))
	fw.Close()
	relay := randomString(t)
	target := sso + "?" + url.Values{
		"SAMLRequest": {base64.StdEncoding.EncodeToString(deflated.Bytes())},
		"RelayState":  {relay},
	}.Encode()

	// A hang guard: Chromium on a busy machine under -race can take many seconds.
	tctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	start := time.Now()
	resp, err := chromedp.RunResponse(tctx, chromedp.Navigate(target))
	if err != nil {
		t.Fatalf("opening the SAML endpoint in Chromium: %v\nChromium said:\n%s", err, blog)
	}
	if resp.Status != http.StatusOK {
		t.Fatalf("the AuthnRequest was answered %d, want the login page", resp.Status)
	}
	err = chromedp.Do(tctx,
		chromedp.WaitVisible(chromedp.CSS("#i0116")),
		chromedp.SendKeys(chromedp.CSS("#i0116"), user.UPN),
		chromedp.SendKeys(chromedp.CSS("#i0118"), user.Password),
		chromedp.Click(chromedp.CSS("#idSIButton9")),
		chromedp.WaitVisible(chromedp.CSS("#done")),
	)
	if err != nil {
		pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
		page, _ := chromedp.Run(pctx, chromedp.OuterHTML(chromedp.CSS("body")))
		pcancel()
		t.Fatalf("signing in: %v\npage: %.2000s", err, page)
	}
	var post url.Values
	select {
	case post = <-acsPosts:
	case <-tctx.Done():
		t.Fatal("the ACS URL never received a POST")
	}
	elapsed := time.Since(start)
	if post.Get("RelayState") != relay {
		t.Errorf("RelayState = %q, want %q back", post.Get("RelayState"), relay)
	}

	mdResp, err := srv.Client().Get(srv.Facts().Apps[0].SAMLMetadataURL)
	if err != nil {
		t.Fatalf("app federation metadata: %v", err)
	}
	md, _ := io.ReadAll(io.LimitReader(mdResp.Body, 1<<20))
	mdResp.Body.Close()
	opts := inspect.Options{SPEntityID: app.IdentifierURIs[0], ACS: acs, RequestID: id, Tenant: srv.TenantID, Now: time.Now()}
	if _, _, err := opts.AddTrust(md); err != nil {
		t.Fatalf("app federation metadata (%d): %v", mdResp.StatusCode, err)
	}
	r := inspect.Inspect([]byte(post.Get("SAMLResponse")), opts)
	for _, f := range r.Findings {
		if f.Severity == inspect.SeverityError {
			t.Errorf("inspector: %s: %s", f.Code, f.Message)
		}
	}
	if r.Kind != inspect.KindSAMLResponse || r.Signature == nil || r.Signature.Status != "valid" ||
		r.Subject == nil || !strings.EqualFold(r.Subject.NameID, user.UPN) {
		t.Errorf("inspector: kind %s signature %+v subject %+v, want a validly signed response for %s", r.Kind, r.Signature, r.Subject, user.UPN)
	}
	t.Logf("browser SAML login: AuthnRequest to ACS POST in %v", elapsed.Round(time.Millisecond))
}
