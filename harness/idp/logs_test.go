package idp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestLogsHoldNoSecrets(t *testing.T) {
	var logs lockedBuffer
	srv, err := harness.Start(context.Background(), harness.Config{StateDir: t.TempDir(),
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var secrets []string
	keep := func(s ...string) {
		for _, v := range s {
			if v != "" {
				secrets = append(secrets, v)
			}
		}
	}
	app, _ := srv.Store.AppByID(tenant.DemoAppID)
	keep(app.Secrets[0].Value, "Demo.Alice.2026", "Wrong.Password.1")

	// A code flow with a failed attempt first, and a refresh.
	c := newOIDCClient(t, srv)
	b := newBrowser(t, srv)
	b.signIn(c.conf.AuthCodeURL("st"), "alice@contoso.example", "Wrong.Password.1")
	_, tok := c.login(t, b, "alice@contoso.example", "Demo.Alice.2026")
	keep(tok.AccessToken, tok.RefreshToken, tok.Extra("id_token").(string))
	fresh, err := c.conf.TokenSource(c.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatal(err)
	}
	keep(fresh.AccessToken, fresh.RefreshToken)
	q := redirectParams(t, b.get(c.conf.AuthCodeURL("st2")), "http://127.0.0.1:53682/callback?")
	keep(q.Get("code"))
	for _, ck := range b.c.Jar.Cookies(mustURL(srv.BaseURL)) {
		keep(ck.Value)
	}
	// Client credentials, and the secret ID sent as the secret.
	p := b.post(tokenURL(srv), url.Values{"grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com/.default"},
		"client_id": {tenant.DemoAppID}, "client_secret": {app.Secrets[0].Value}})
	var cc map[string]any
	json.Unmarshal([]byte(p.body), &cc)
	keep(cc["access_token"].(string))
	b.post(tokenURL(srv), url.Values{"grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com/.default"},
		"client_id": {tenant.DemoAppID}, "client_secret": {"Typo8Q~" + app.Secrets[0].Value[7:]}})
	keep("Typo8Q~" + app.Secrets[0].Value[7:])
	// A client that puts its secret in the query string, as some misconfigured ones do.
	b.post(tokenURL(srv)+"?client_secret="+url.QueryEscape(app.Secrets[0].Value), url.Values{"grant_type": {"client_credentials"},
		"scope": {"https://graph.microsoft.com/.default"}, "client_id": {tenant.DemoAppID}})
	// A device flow.
	d := startDevice(t, srv, b)
	keep(d.DeviceCode, d.UserCode)
	user := newBrowser(t, srv)
	user.submit(user.submit(user.get(d.VerificationURI), map[string]string{"otc": d.UserCode}),
		map[string]string{"login": "alice@contoso.example", "passwd": "Demo.Alice.2026"})

	out := logs.String()
	if !strings.Contains(out, `"path":"/`+srv.TenantID+`/oauth2/v2.0/token"`) || !strings.Contains(out, `"aadsts":50126`) {
		t.Fatalf("the log lacks the requests or outcomes it should have:\n%s", out)
	}
	for _, s := range secrets {
		if strings.Contains(out, s) || strings.Contains(out, url.QueryEscape(s)) {
			t.Errorf("the log holds a secret (%.12s…)", s)
		}
		// Also no long fragment of one (a prefix cut short, say).
		if len(s) > 24 && strings.Contains(out, s[:24]) {
			t.Errorf("the log holds the start of a secret (%.12s…)", s)
		}
	}
	for _, word := range []string{"passwd", "client_secret", "code=", "Bearer ", "eyJ"} {
		if strings.Contains(out, word) {
			t.Errorf("the log mentions %q", word)
		}
	}
}

func mustURL(s string) *url.URL {
	u, _ := url.Parse(s) // the harness's own base URL
	return u
}
