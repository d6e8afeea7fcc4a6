package sp_test

import (
	"context"
	"testing"

	"github.com/ssowizard/ssowizard/sp"
)

// BenchmarkOIDCLogin is a whole test login through the SP against the harness: loopback
// listener, authorize, login form, callback, code exchange, ID token verified by go-oidc
// and explained by the inspector. After the first login the harness's session cookie
// skips the form, as a person's second test login would.
func BenchmarkOIDCLogin(b *testing.B) {
	srv := startHarness(b)
	o := newOpener(newBrowser(b, srv, alice, passwords[alice]))
	rp, err := sp.NewOIDC(context.Background(), oidcConfig(b, srv, o))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		res, err := rp.Login(context.Background())
		o.last(b)
		if err != nil || !res.OK {
			b.Fatalf("Login: %v", err)
		}
	}
}

// BenchmarkSAMLLogin is a whole SAML test login: AuthnRequest by redirect, login form,
// auto-posted response, crewjam's verification and the inspector's.
func BenchmarkSAMLLogin(b *testing.B) {
	srv := startHarness(b)
	o := newOpener(newBrowser(b, srv, alice, passwords[alice]))
	s, err := sp.NewSAML(samlConfig(b, srv, o))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		res, err := s.Login(context.Background())
		o.last(b)
		if err != nil || !res.OK {
			b.Fatalf("Login: %v", err)
		}
	}
}
