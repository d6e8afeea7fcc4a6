package harness_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/idp"
	"github.com/ssowizard/ssowizard/harness/robot"
	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/sp"
)

type issuedMsg struct {
	kind    string
	message []byte
}

// testLogin runs one test login of the embedded SP at srv as user, the robot being
// the browser, and returns the raw answer the SP received (nil when the robot was
// refused before any answer).
func testLogin(t *testing.T, srv *harness.Server, protocol, user, password string) *sp.Artifact {
	t.Helper()
	b := robot.New(srv.Client(), user, password)
	common := sp.Common{HTTPClient: srv.Client(), Open: b.Open, Timeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
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
		resp, err := srv.Client().Get(srv.IdP.SAMLMetadataURL(tenant.DemoAppID))
		if err != nil {
			t.Fatalf("fetch metadata: %v", err)
		}
		md, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		s, err := sp.NewSAML(sp.SAMLConfig{Common: common, IdPMetadata: md, EntityID: tenant.DemoEntityID})
		if err != nil {
			t.Fatalf("NewSAML: %v", err)
		}
		run = s.Login
	default:
		t.Fatalf("unknown protocol %q", protocol)
	}
	done := make(chan *sp.Result, 1)
	go func() {
		res, _ := run(ctx)
		done <- res
	}()
	if _, err := b.Wait(ctx); err != nil {
		cancel()
	}
	if res := <-done; res != nil {
		return res.Artifact
	}
	return nil
}

// TestLastIssued: each SAML Response posted and each ID token issued is handed to
// OnIssue and kept as LastIssued, byte for byte what the SP received; an OIDC refusal
// issues no token and leaves the last one in place.
func TestLastIssued(t *testing.T) {
	got := make(chan issuedMsg, 8)
	srv, err := harness.Start(context.Background(), harness.Config{StateDir: t.TempDir(),
		OnIssue: func(kind string, message []byte) { got <- issuedMsg{kind, message} }})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })

	if last, ok := srv.LastIssued(); ok {
		t.Fatalf("LastIssued before any login = %+v, want none", last)
	}
	const bob, bobPassword = "bob@" + tenant.DemoDomain, "Demo.Bob.2026" // not assigned to the demo app
	for _, tc := range []struct {
		name, protocol, user, password string
		wantKind                       string // "" when nothing is issued
	}{
		{"oidc", "oidc", "alice@" + tenant.DemoDomain, "Demo.Alice.2026", idp.IssuedIDToken},
		{"saml", "saml", "alice@" + tenant.DemoDomain, "Demo.Alice.2026", idp.IssuedSAMLResponse},
		{"oidc refused", "oidc", bob, bobPassword, ""},
		{"saml refused is a Response too", "saml", bob, bobPassword, idp.IssuedSAMLResponse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := srv.LastIssued()
			art := testLogin(t, srv, tc.protocol, tc.user, tc.password)
			last, ok := srv.LastIssued()
			if tc.wantKind == "" {
				select {
				case m := <-got:
					t.Errorf("OnIssue got %s after a refusal, want nothing", m.kind)
				default:
				}
				if !ok || string(last.Message) != string(before.Message) {
					t.Errorf("LastIssued after a refusal changed from %s to %s", before.Kind, last.Kind)
				}
				return
			}
			if art == nil {
				t.Fatal("the SP received no answer")
			}
			if !ok || last.Kind != tc.wantKind || string(last.Message) != art.Value {
				t.Errorf("LastIssued = %q %.40q (ok %v), want %q and the %.40q the SP received", last.Kind, last.Message, ok, tc.wantKind, art.Value)
			}
			if last.At.IsZero() {
				t.Error("LastIssued has no time")
			}
			select {
			case m := <-got:
				if m.kind != tc.wantKind || string(m.message) != art.Value {
					t.Errorf("OnIssue got %q %.40q, want %q %.40q", m.kind, m.message, tc.wantKind, art.Value)
				}
			default:
				t.Error("OnIssue was not called")
			}
		})
	}
}
