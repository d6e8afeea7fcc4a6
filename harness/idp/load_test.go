package idp_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ssowizard/ssowizard/harness"
)

// loginOnce is one complete OIDC login as an RP and a fresh browser do it: authorize,
// the login form, the code exchange with PKCE, and ID token verification. It returns an
// error instead of failing the test, so goroutines can run it.
func loginOnce(srv *harness.Server, transport http.RoundTripper, c *oidcClient) error {
	jar, _ := cookiejar.New(nil)
	base, _ := url.Parse(srv.BaseURL)
	hc := &http.Client{Transport: transport, Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Host != base.Host {
				return http.ErrUseLastResponse
			}
			return nil
		}}
	read := func(resp *http.Response, err error) (*http.Response, string, error) {
		if err != nil {
			return nil, "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return resp, string(body), err
	}
	verifier, state, nonce := oauth2.GenerateVerifier(), oauth2.GenerateVerifier()[:20], oauth2.GenerateVerifier()[:20]
	resp, body, err := read(hc.Get(c.conf.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))))
	if err != nil {
		return err
	}
	fs := forms(body)
	if resp.StatusCode != http.StatusOK || len(fs) == 0 {
		return fmt.Errorf("authorize: %d, no form", resp.StatusCode)
	}
	fs[0].values.Set("login", "alice@contoso.example")
	fs[0].values.Set("passwd", "Demo.Alice.2026")
	resp, _, err = read(hc.PostForm(fs[0].action, fs[0].values))
	if err != nil {
		return err
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound || loc.Query().Get("state") != state || loc.Query().Get("code") == "" {
		return fmt.Errorf("login: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	ctx := oidc.ClientContext(context.Background(), &http.Client{Transport: transport, Timeout: 30 * time.Second})
	tok, err := c.conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		return err
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := c.verifier.Verify(ctx, raw)
	if err != nil {
		return err
	}
	if idt.Nonce != nonce {
		return errors.New("nonce mismatch")
	}
	return nil
}

// BenchmarkOIDCCodeFlow measures complete logins per second on loopback (client and
// server share the machine).
func BenchmarkOIDCCodeFlow(b *testing.B) {
	srv, _ := start(b)
	c := newOIDCClient(b, srv, oidc.ScopeOpenID, "profile", "email")
	transport := srv.Client().Transport
	b.ResetTimer()
	began := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := loginOnce(srv, transport, c); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(began).Seconds(), "logins/s")
}

// The full load (200 browsers for 30 seconds) is
// go test ./harness/idp -run TestConcurrentLogins -load.workers 200 -load.duration 30s
var (
	loadWorkers  = flag.Int("load.workers", 50, "browsers logging in at once in TestConcurrentLogins")
	loadDuration = flag.Duration("load.duration", 2*time.Second, "how long TestConcurrentLogins runs")
)

// TestConcurrentLogins runs many browsers logging in at once (50 for two seconds by
// default); every login must succeed.
func TestConcurrentLogins(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	srv, _ := start(t)
	c := newOIDCClient(t, srv, oidc.ScopeOpenID, "profile", "email")
	transport := srv.Client().Transport
	workers, duration := *loadWorkers, *loadDuration
	var ok, failed atomic.Int64
	var firstErr sync.Once
	var errMsg string
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if err := loginOnce(srv, transport, c); err != nil {
					failed.Add(1)
					firstErr.Do(func() { errMsg = err.Error() })
					continue
				}
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	t.Logf("%d workers × %v: %d logins (%.0f/s), %d errors", workers, duration, ok.Load(), float64(ok.Load())/duration.Seconds(), failed.Load())
	if failed.Load() != 0 || ok.Load() == 0 {
		t.Errorf("%d failed logins (first: %s), %d succeeded; want none failed", failed.Load(), errMsg, ok.Load())
	}
}
