package sp_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/inspect"
	"github.com/ssowizard/ssowizard/sp"
)

// The interop tests sign the SP in against IdPs that share no code with it or with the
// harness: samlify as a SAML IdP and oauth2-mock-server as an OpenID provider, each a
// Node process on 127.0.0.1 (interop/samlify-idp-server.js, interop/oauth2-mock-server.js).
// `make interop` runs them with SSOWIZARD_INTEROP=1 after npm ci.

var interopDir = filepath.Join("..", "interop")

// interopWait bounds each step a Node process takes: generous, as the machine running
// `make interop` may be busy compiling.
const interopWait = 60 * time.Second

// interopNode returns the node binary, skipping without SSOWIZARD_INTEROP and failing
// when it is set but Node or the npm packages are missing: a run that asked for interop
// must not pass by checking nothing.
func interopNode(t *testing.T) string {
	t.Helper()
	if os.Getenv("SSOWIZARD_INTEROP") == "" {
		t.Skip("independent IdPs (samlify, oauth2-mock-server) need Node.js and interop/node_modules: run 'make interop', or 'npm ci' in interop and set SSOWIZARD_INTEROP=1")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("SSOWIZARD_INTEROP is set but node is not on PATH; run 'make interop-deps'")
	}
	for _, pkg := range []string{"samlify", "@authenio/samlify-node-xmllint", "oauth2-mock-server"} {
		if _, err := os.Stat(filepath.Join(interopDir, "node_modules", pkg, "package.json")); err != nil {
			t.Fatalf("SSOWIZARD_INTEROP is set but interop/node_modules/%s is missing; run 'npm ci' in interop (make interop does)", pkg)
		}
	}
	return node
}

// lockedBuffer collects a subprocess's stderr while the test reads it.
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

// firstLine is a subprocess's stdout: it hands over the first line and drops the rest.
type firstLine struct {
	c    chan string
	buf  []byte
	sent bool
}

func (f *firstLine) Write(p []byte) (int, error) {
	if f.sent {
		return len(p), nil
	}
	f.buf = append(f.buf, p...)
	if i := bytes.IndexByte(f.buf, '\n'); i >= 0 {
		f.c <- string(f.buf[:i+1])
		f.sent, f.buf = true, nil
	} else if len(f.buf) > 1<<16 {
		f.c <- string(f.buf)
		f.sent, f.buf = true, nil
	}
	return len(p), nil
}

// nodeServer is one interop script running as an IdP.
type nodeServer struct {
	stderr *lockedBuffer
}

// startNodeServer runs script with args and env, waits for its one JSON line and
// decodes it into facts. The script ends when the test does: its stdin closes (so a
// killed test leaves no server), then SIGTERM, then SIGKILL.
func startNodeServer(t *testing.T, node, script string, env []string, facts any, args ...string) *nodeServer {
	t.Helper()
	cmd := exec.Command(node, append([]string{filepath.Join(interopDir, script), "--exit-with-stdin"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	s := &nodeServer{stderr: &lockedBuffer{}}
	cmd.Stderr = s.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	lines := &firstLine{c: make(chan string, 1)}
	cmd.Stdout = lines
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node %s: %v", script, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("%s stderr:\n%s", script, s.stderr.String())
		}
	})
	var line string
	select {
	case line = <-lines.c:
	case err := <-done:
		done <- err
		// Wait returns after stdout is copied: a line printed before the exit is here.
		select {
		case line = <-lines.c:
		default:
			t.Fatalf("%s exited before printing its JSON line: %v; stderr: %s", script, err, s.stderr.String())
		}
	case <-time.After(2 * interopWait):
		t.Fatalf("%s printed no JSON line within %v; stderr: %s", script, 2*interopWait, s.stderr.String())
	}
	if err := json.Unmarshal([]byte(line), facts); err != nil {
		t.Fatalf("%s printed %q, not its JSON line (%v); stderr: %s", script, line, err, s.stderr.String())
	}
	return s
}

// interopOpener plays a browser against a Node IdP: plain net/http with a cookie jar,
// redirects followed, auto-posting forms posted.
func interopOpener(t *testing.T) (*opener, *browser) {
	b := newBrowserWith(&http.Client{Timeout: interopWait}, "", "", "")
	return newOpener(b), b
}

// runLogin runs login while the browser plays it. A browser stopped short of the SP
// (an IdP's or the SP's refusal page) ends the login at once rather than after the
// SP's whole wait, and fails the test with that page.
func runLogin(t *testing.T, o *opener, login func(context.Context) (*sp.Result, error)) (*sp.Result, page) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type outcome struct {
		res *sp.Result
		err error
	}
	ch := make(chan outcome, 1)
	go func() {
		res, err := login(ctx)
		ch <- outcome{res, err}
	}()
	p, ok := o.next(2 * interopWait)
	if !ok {
		t.Fatalf("the browser did not finish within %v", 2*interopWait)
	}
	var out outcome
	if strings.Contains(p.body, "Test login received") {
		out = <-ch
	} else {
		select {
		case out = <-ch:
		case <-time.After(2 * time.Second):
			cancel()
			<-ch
			t.Fatalf("the browser stopped before the SP had an answer, at %s: %q", p.url, p.body)
		}
	}
	if out.err != nil {
		t.Fatalf("Login: %v; the browser ended on %q", out.err, p.body)
	}
	return out.res, p
}

func errorFindings(r *sp.Result) []string {
	var out []string
	for _, f := range r.Report.Findings {
		if f.Severity == inspect.SeverityError {
			out = append(out, f.Code+": "+f.Message)
		}
	}
	return out
}

func logFindings(t *testing.T, r *sp.Result) {
	t.Helper()
	for _, f := range r.Report.Findings {
		t.Logf("finding %s/%s: %s", f.Code, f.Severity, f.Message)
	}
	t.Logf("callback after %v, verified in %v, total %v", r.Callback.Round(time.Millisecond), r.Verify.Round(time.Millisecond), r.Total.Round(time.Millisecond))
}

type samlifyFacts struct {
	EntityID      string `json:"entity_id"`
	MetadataURL   string `json:"metadata_url"`
	SSOURL        string `json:"sso_url"`
	SPMetadataURL string `json:"sp_metadata_url"`
	User          string `json:"user"`
}

// TestInteropSamlifyIdP signs in with SAML against samlify as the IdP: the SP's
// AuthnRequest must pass samlify's schema check, samlify's signed response must pass
// crewjam/saml and the inspector against samlify's metadata, and one flipped byte in a
// signed attribute must be refused.
func TestInteropSamlifyIdP(t *testing.T) {
	node := interopNode(t)
	var facts samlifyFacts
	idp := startNodeServer(t, node, "samlify-idp-server.js", nil, &facts)
	ctx := context.Background()
	md, err := sp.LoadIdPMetadata(ctx, nil, facts.MetadataURL)
	if err != nil {
		t.Fatalf("LoadIdPMetadata(%s): %v", facts.MetadataURL, err)
	}
	o, b := interopOpener(t)
	s, err := sp.NewSAML(sp.SAMLConfig{
		Common:      sp.Common{Open: o.open, Timeout: interopWait, ExpectedDomain: "contoso.example"},
		IdPMetadata: md,
		EntityID:    "https://vendor.example/saml-interop",
	})
	if err != nil {
		t.Fatalf("NewSAML with samlify's metadata: %v", err)
	}
	registerSP(t, facts.SPMetadataURL, s)

	t.Run("login", func(t *testing.T) {
		res, p := runLogin(t, o, s.Login)
		logFindings(t, res)
		if !res.OK {
			t.Fatalf("Login OK = false; errors %v; the browser ended on %q", errorFindings(res), p.body)
		}
		if errs := errorFindings(res); len(errs) > 0 {
			t.Errorf("error findings %v, want none", errs)
		}
		if !strings.Contains(p.body, "Test login received") {
			t.Errorf("the browser ended on %q, want the SP's received page", p.body)
		}
		sig := res.Report.Signature
		if sig == nil || sig.Status != inspect.SigValid || strings.Join(sig.Signed, ",") != "assertion" {
			t.Errorf("signature = %+v, want valid on the assertion", sig)
		} else if !strings.HasSuffix(sig.Algorithm, "rsa-sha256") {
			t.Errorf("signature algorithm = %q, want RSA-SHA256", sig.Algorithm)
		}
		if res.Report.Issuer != facts.EntityID {
			t.Errorf("issuer = %q, want samlify's %q", res.Report.Issuer, facts.EntityID)
		}
		if res.Report.InResponseTo == "" || res.Report.InResponseTo != res.RequestID {
			t.Errorf("InResponseTo = %q, want the AuthnRequest's %q", res.Report.InResponseTo, res.RequestID)
		}
		if res.Report.Subject == nil || res.Report.Subject.NameID != facts.User {
			t.Errorf("subject = %+v, want NameID %s", res.Report.Subject, facts.User)
		}
		if got := claim(res, "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"); got != facts.User {
			t.Errorf("emailaddress claim = %q, want %q", got, facts.User)
		}
		if !res.Report.ClaimsSigned {
			t.Error("claims not read from the signed assertion")
		}
		if !strings.Contains(idp.stderr.String(), "signed in "+facts.User+" for "+res.RequestID) {
			t.Errorf("samlify did not log answering request %s: %s", res.RequestID, idp.stderr.String())
		}
	})

	t.Run("tampered-attribute-refused", func(t *testing.T) {
		var tampered string
		b.intercept = func(action string, v url.Values) bool {
			x, err := base64.StdEncoding.DecodeString(v.Get("SAMLResponse"))
			if err != nil {
				t.Error("the SAMLResponse samlify posted is not base64")
				return true
			}
			const value = "<saml:AttributeValue>Alice Smith</saml:AttributeValue>"
			i := bytes.Index(x, []byte(value))
			if i < 0 {
				t.Errorf("no displayname attribute value to tamper with in %s", x)
				return true
			}
			// One bit of one byte of a signed attribute value: Alice Smith → Alice Rmith.
			x[i+len("<saml:AttributeValue>Alice ")] ^= 0x01
			tampered = string(x[i : i+len(value)])
			v.Set("SAMLResponse", base64.StdEncoding.EncodeToString(x))
			return false
		}
		defer func() { b.intercept = nil }()
		res, _ := runLogin(t, o, s.Login)
		t.Logf("posted %s", tampered)
		logFindings(t, res)
		if res.OK {
			t.Fatal("Login OK = true for a response with a tampered attribute, want refused")
		}
		if !hasCode(res, sp.CodeSPRejected) || !hasCode(res, inspect.CodeSignatureInvalid) {
			t.Errorf("findings %v, want %s and %s", findingCodes(res), sp.CodeSPRejected, inspect.CodeSignatureInvalid)
		}
		if got := claim(res, "http://schemas.microsoft.com/identity/claims/displayname"); got == "Alice Rmith" && res.Report.ClaimsSigned {
			t.Errorf("the tampered value %q is reported as signed", got)
		}
	})

	// The trust is samlify's metadata and nothing else: the same IdP, described by
	// metadata that lists another certificate, is refused.
	t.Run("other-certificate-refused", func(t *testing.T) {
		pemBytes, err := os.ReadFile(filepath.Join("..", "inspect", "testdata", "keys", "idp-rollover.pem"))
		if err != nil {
			t.Fatal(err)
		}
		blk, _ := pem.Decode(pemBytes)
		if blk == nil {
			t.Fatal("idp-rollover.pem holds no PEM block")
		}
		re := regexp.MustCompile(`(<(?:ds:)?X509Certificate>)[^<]+(</(?:ds:)?X509Certificate>)`)
		if !re.Match(md) {
			t.Fatalf("samlify's metadata has no X509Certificate: %s", md)
		}
		other := re.ReplaceAll(md, []byte("${1}"+base64.StdEncoding.EncodeToString(blk.Bytes)+"${2}"))
		o2, _ := interopOpener(t)
		s2, err := sp.NewSAML(sp.SAMLConfig{Common: sp.Common{Open: o2.open, Timeout: interopWait},
			IdPMetadata: other, EntityID: "https://vendor.example/saml-interop"})
		if err != nil {
			t.Fatalf("NewSAML: %v", err)
		}
		registerSP(t, facts.SPMetadataURL, s2)
		res, _ := runLogin(t, o2, s2.Login)
		logFindings(t, res)
		if res.OK {
			t.Fatal("Login OK = true with a response signed by a key the metadata does not list")
		}
		if !hasCode(res, sp.CodeSPRejected) || !hasCode(res, inspect.CodeCertUntrusted) {
			t.Errorf("findings %v, want %s and %s", findingCodes(res), sp.CodeSPRejected, inspect.CodeCertUntrusted)
		}
	})
}

// registerSP uploads the SP's metadata to samlify, as the admin uploads it to Entra.
func registerSP(t *testing.T, to string, s *sp.SAML) {
	t.Helper()
	spmd, err := s.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(to, "application/samlmetadata+xml", bytes.NewReader(spmd))
	if err != nil {
		t.Fatalf("register the SP with samlify: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("samlify refused the SP's metadata: %s %s", resp.Status, body)
	}
}

type mockFacts struct {
	Issuer   string `json:"issuer"`
	ClientID string `json:"client_id"`
	User     string `json:"user"`
}

func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// TestInteropOAuth2MockServer signs in with OIDC against oauth2-mock-server: discovery,
// the code flow with PKCE S256 and a nonce, the secret at the token endpoint, the ID
// token verified against its JWKS by go-oidc and the inspector, userinfo.
func TestInteropOAuth2MockServer(t *testing.T) {
	node := interopNode(t)
	clientID := "ssowizard-interop-" + randomHex(t, 4)
	secret := randomHex(t, 24)
	var facts mockFacts
	idp := startNodeServer(t, node, "oauth2-mock-server.js", []string{"OAUTH2_MOCK_CLIENT_SECRET=" + secret}, &facts, clientID)
	ctx := context.Background()
	o, _ := interopOpener(t)
	cfg := sp.OIDCConfig{
		Common:       sp.Common{Open: o.open, Timeout: interopWait, ExpectedDomain: "contoso.example"},
		Authority:    facts.Issuer,
		ClientID:     clientID,
		ClientSecret: secret,
		UserInfo:     true,
	}

	t.Run("login", func(t *testing.T) {
		rp, err := sp.NewOIDC(ctx, cfg)
		if err != nil {
			t.Fatalf("NewOIDC(%s): %v", facts.Issuer, err)
		}
		res, p := runLogin(t, o, rp.Login)
		logFindings(t, res)
		if !res.OK {
			t.Fatalf("Login OK = false; errors %v; the browser ended on %q; provider: %s", errorFindings(res), p.body, idp.stderr.String())
		}
		if errs := errorFindings(res); len(errs) > 0 {
			t.Errorf("error findings %v, want none", errs)
		}
		if hasCode(res, sp.CodeUserInfoFailed) {
			t.Error("the userinfo call failed")
		}
		if !strings.Contains(p.body, "Test login received") {
			t.Errorf("the browser ended on %q, want the SP's received page", p.body)
		}
		sig := res.Report.Signature
		if sig == nil || sig.Status != inspect.SigValid {
			t.Errorf("signature = %+v, want valid against the provider's JWKS", sig)
		}
		u, err := url.Parse(res.SignInURL)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
			t.Errorf("sign-in URL %s lacks a PKCE S256 challenge", res.SignInURL)
		}
		if got := claim(res, "nonce"); got == "" || got != q.Get("nonce") {
			t.Errorf("ID token nonce = %q, want the sign-in URL's %q", got, q.Get("nonce"))
		}
		if got := claim(res, "aud"); got != clientID {
			t.Errorf("ID token aud = %q, want %q", got, clientID)
		}
		if got := claim(res, "iss"); got != facts.Issuer {
			t.Errorf("ID token iss = %q, want %q", got, facts.Issuer)
		}
		if got := claim(res, "email"); got != facts.User {
			t.Errorf("ID token email = %q, want %q", got, facts.User)
		}
	})

	// The provider's own checks are what make the login above mean something: a wrong
	// secret must come back as the token endpoint's error, explained.
	t.Run("wrong-secret-refused", func(t *testing.T) {
		bad := cfg
		bad.ClientSecret = secret + "x"
		rp, err := sp.NewOIDC(ctx, bad)
		if err != nil {
			t.Fatalf("NewOIDC: %v", err)
		}
		res, _ := runLogin(t, o, rp.Login)
		logFindings(t, res)
		if res.OK {
			t.Fatal("Login OK = true with a wrong client secret")
		}
		if res.Artifact == nil || res.Artifact.Kind != "token_error" || !strings.Contains(res.Artifact.Value, "invalid_client") {
			t.Errorf("artifact = %+v, want the token endpoint's invalid_client", res.Artifact)
		}
		if !hasCode(res, sp.CodeIdPError) && !hasCode(res, inspect.CodeStatusError) {
			t.Errorf("findings %v, want the provider's error explained", findingCodes(res))
		}
	})
}
