package sp_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/sp"
)

// chromiumPath is Debian's Chromium, which `make browser-deps` installs.
const chromiumPath = "/usr/bin/chromium"

// chromium starts headless Chromium whose NSS database trusts the harness CA, so
// certificate errors stay fatal (no --ignore-certificate-errors). It skips without
// Chromium or certutil, except in CI, where the real browser must not quietly go away.
func chromium(t *testing.T, srv *harness.Server) context.Context {
	t.Helper()
	certutil, err := exec.LookPath("certutil")
	if _, serr := os.Stat(chromiumPath); serr != nil || err != nil {
		msg := "the browser test needs " + chromiumPath + " and certutil; run 'make browser-deps'"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	home := t.TempDir()
	db := filepath.Join(home, ".pki", "nssdb")
	if err := os.MkdirAll(db, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-N", "-d", "sql:" + db, "--empty-password"},
		{"-A", "-d", "sql:" + db, "-n", "ssowizard harness CA", "-t", "C,,", "-i", srv.CACertPath},
	} {
		if out, err := exec.Command(certutil, args...).CombinedOutput(); err != nil {
			t.Fatalf("certutil %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.UserDataDir(filepath.Join(home, "profile")),
		chromedp.Env("HOME=" + home),
		chromedp.Headless,
		chromedp.NoSandbox, // root here and in CI: Chromium's sandbox refuses root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// chromeOpener is sp.Common.Open driving Chromium: it navigates to the sign-in URL,
// types the user's name and password, and waits for the page the browser ends on.
type chromeOpener struct {
	ctx             context.Context
	login, password string
	done            chan error
}

func (c *chromeOpener) open(u string) error {
	go func() {
		// A hang guard: Chromium on a busy machine under -race can take many seconds.
		ctx, cancel := context.WithTimeout(c.ctx, 2*time.Minute)
		defer cancel()
		c.done <- chromedp.Do(ctx,
			chromedp.Navigate(u),
			chromedp.WaitVisible(chromedp.CSS("#i0116")),
			chromedp.SendKeys(chromedp.CSS("#i0116"), c.login),
			chromedp.SendKeys(chromedp.CSS("#i0118"), c.password),
			chromedp.Click(chromedp.CSS("#idSIButton9")),
			chromedp.WaitVisible(chromedp.CSS("#sp-result")),
		)
	}()
	return nil
}

// TestBrowserLogins: one OIDC and one SAML test login in headless Chromium, through the
// login page to the SP's loopback callback (the SAML response auto-posted by the page's
// script).
func TestBrowserLogins(t *testing.T) {
	srv := startHarness(t)
	browser := chromium(t, srv)
	for _, protocol := range []string{sp.ProtocolOIDC, sp.ProtocolSAML} {
		t.Run(protocol, func(t *testing.T) {
			// A browser context of its own: no Entra session cookie from the other login.
			ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
			defer cancel()
			if err := chromedp.Do(ctx); err != nil {
				t.Fatal(err)
			}
			co := &chromeOpener{ctx: ctx, login: alice, password: passwords[alice], done: make(chan error, 1)}
			var res *sp.Result
			var err error
			if protocol == sp.ProtocolOIDC {
				cfg := oidcConfig(t, srv, nil)
				cfg.Open = co.open
				res, err = oidcLogin(t, srv, cfg)
			} else {
				cfg := samlConfig(t, srv, nil)
				cfg.Open = co.open
				s, e := sp.NewSAML(cfg)
				if e != nil {
					t.Fatal(e)
				}
				res, err = s.Login(context.Background())
			}
			if err != nil {
				t.Fatalf("Login: %v", err)
			}
			if berr := <-co.done; berr != nil {
				t.Errorf("Chromium: %v", berr)
			}
			tctx, tcancel := context.WithTimeout(ctx, time.Minute)
			defer tcancel()
			if heading, err := chromedp.Run(tctx, chromedp.Text(chromedp.CSS("#sp-result"))); err != nil || heading != "Test login received" {
				t.Errorf("Chromium ended on %q (%v), want the SP's received page", heading, err)
			}
			if !res.OK {
				t.Fatalf("Login OK = false: findings %v", findingCodes(res))
			}
			t.Logf("%s in Chromium: browser back after %v, checked in %v", protocol, res.Callback.Round(time.Millisecond), res.Verify.Round(time.Millisecond))
		})
	}
}
