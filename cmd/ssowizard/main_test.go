package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// runCmd runs a command line in-process and returns its exit code and output.
func runCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb}
	code = run(e, args)
	return code, out.String(), errb.String()
}

func TestDispatch(t *testing.T) {
	tests := []struct {
		args       []string
		code       int
		out, err   string // substrings expected on stdout / stderr
		notStdout  bool
		notStderr  bool
		stdinInput string
	}{
		{args: []string{"help"}, code: 0, out: "ssowizard inspect"},
		{args: []string{"--help"}, code: 0, out: "Exit codes"},
		{args: []string{"help", "inspect"}, code: 0, out: "--sp-entity-id"},
		{args: []string{"help", "nope"}, code: 2, err: `unknown command "nope"`},
		{args: []string{"version"}, code: 0, out: "ssowizard dev"},
		{args: []string{"version", "extra"}, code: 2, err: "takes none"},
		{args: []string{"frobnicate"}, code: 2, err: `unknown command "frobnicate"; run 'ssowizard help'`},
		{args: []string{"inspect", "-h"}, code: 0, out: "Usage: ssowizard inspect"},
		{args: []string{"inspect", "--no-such-flag"}, code: 2, err: "Run 'ssowizard inspect -h'"},
		{args: []string{"inspect", "/does/not/exist.xml"}, code: 2, err: "/does/not/exist.xml does not exist"},
		{args: []string{"inspect", "a", "b"}, code: 2, err: "give one input file, not 2"},
		{args: []string{"inspect", "--now", "yesterday", "-"}, code: 2, err: `--now "yesterday" is not an RFC3339 time`},
		{args: []string{"inspect", "--skew", "-3m", "-"}, code: 2, err: "--skew -3m0s is negative"},
		{args: []string{"inspect", "--fingerprint", "zz", "-"}, code: 2, err: "--fingerprint: fingerprint:"},
		{args: []string{"inspect", "--cert", "/nope.pem", "-"}, code: 2, err: "--cert: /nope.pem does not exist"},
		{args: []string{"inspect", "--metadata", "http://203.0.113.9/md.xml", "-"}, code: 2, err: "refusing to fetch trust material over plain http"},
		{args: []string{"inspect", "-"}, code: 2, err: "- is empty"},
	}
	for _, tt := range tests {
		code, out, errOut := runCmd(t, tt.stdinInput, tt.args...)
		if code != tt.code {
			t.Errorf("ssowizard %q exit = %d, want %d (stderr %q)", tt.args, code, tt.code, errOut)
		}
		if tt.out != "" && !strings.Contains(out, tt.out) {
			t.Errorf("ssowizard %q stdout = %q, want it to contain %q", tt.args, out, tt.out)
		}
		if tt.err != "" && !strings.Contains(errOut, tt.err) {
			t.Errorf("ssowizard %q stderr = %q, want it to contain %q", tt.args, errOut, tt.err)
		}
		if tt.err != "" && strings.Count(strings.TrimSpace(errOut), "\n") > 1 {
			t.Errorf("ssowizard %q stderr has %d lines, want one sentence (and at most a pointer to -h): %q", tt.args, strings.Count(errOut, "\n"), errOut)
		}
	}
}

func TestInspectRefusesTerminalStdin(t *testing.T) {
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdinIsTTY: true, stdout: &out, stderr: &errb}
	if code := run(e, []string{"inspect"}); code != exitUsage {
		t.Fatalf("inspect with a terminal on stdin: exit %d, want %d", code, exitUsage)
	}
	if !strings.Contains(errb.String(), "no input") {
		t.Errorf("stderr = %q, want it to say there is no input", errb.String())
	}
}

// signedIDToken returns an Entra v2-shaped ID token, its JWKS, and the claims used.
func signedIDToken(t *testing.T, alg jose.SignatureAlgorithm, now time.Time) (token string, jwks []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwk := jose.JSONWebKey{Key: key, KeyID: "test-kid", Algorithm: string(jose.RS256), Use: "sig"}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jwk}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	tid := "72f988bf-86f1-41af-91ab-2d7cd011db47"
	claims := map[string]any{
		"aud": "11111111-2222-3333-4444-555555555555", "iss": "https://login.microsoftonline.com/" + tid + "/v2.0",
		"iat": now.Add(-time.Minute).Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(59 * time.Minute).Unix(),
		"sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", "oid": "00000000-0000-0000-66f3-3332eca7ea81",
		"tid": tid, "preferred_username": "alice@contoso.com", "name": "Alice Smith", "email": "alice@contoso.com",
		"nonce": "n-0S6_WzA2Mj", "ver": "2.0",
	}
	payload, _ := json.Marshal(claims)
	obj, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	token, err = obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ = json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk.Public()}})
	return token, jwks
}

func TestInspectJWTExitCodes(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	token, jwks := signedIDToken(t, jose.RS256, now)
	dir := t.TempDir()
	jwksFile := filepath.Join(dir, "jwks.json")
	if err := os.WriteFile(jwksFile, jwks, 0o644); err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(dir, "token.txt")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	// A good token, trusted keys, the right audience: exit 0, and flags after the file work.
	code, out, errOut := runCmd(t, "", "inspect", tokenFile, "--jwks", jwksFile, "--client-id", "11111111-2222-3333-4444-555555555555", "--nonce", "n-0S6_WzA2Mj")
	if code != exitOK {
		t.Fatalf("inspect good token: exit %d, want 0\nstdout:\n%s\nstderr: %s", code, out, errOut)
	}
	if !strings.HasPrefix(out, "OK") && !strings.HasPrefix(out, "WARNINGS") {
		t.Errorf("inspect good token: output starts %q, want the verdict first", firstLine(out))
	}

	// The wrong audience: exit 1 and the finding named in the JSON.
	code, out, _ = runCmd(t, token, "inspect", "--json", "--jwks", jwksFile, "--client-id", "99999999-2222-3333-4444-555555555555", "-")
	if code != exitWrong {
		t.Fatalf("inspect token for another client: exit %d, want 1\n%s", code, out)
	}
	var rep struct {
		Kind     string `json:"kind"`
		Verdict  string `json:"verdict"`
		Findings []struct {
			Code string `json:"code"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("inspect --json printed invalid JSON: %v\n%s", err, out)
	}
	if rep.Kind != "jwt" || rep.Verdict != "error" || !hasCode(rep.Findings, "client-id-mismatch") {
		t.Errorf("inspect --json = kind %q verdict %q findings %v, want jwt / error / client-id-mismatch", rep.Kind, rep.Verdict, rep.Findings)
	}

	// alg none: the header is rewritten and the signature dropped; exit 1.
	parts := strings.Split(token, ".")
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	code, out, _ = runCmd(t, none, "inspect", "--jwks", jwksFile, "-")
	if code != exitWrong || !strings.Contains(out, "jwt-alg-none") {
		t.Errorf("inspect alg=none token: exit %d, output %q; want exit 1 and jwt-alg-none", code, out)
	}

	// Garbage: not a message at all, so a usage-class exit.
	code, _, _ = runCmd(t, "hello, world", "inspect", "-")
	if code != exitUsage {
		t.Errorf("inspect garbage: exit %d, want 2", code)
	}
}

func hasCode(fs []struct {
	Code string `json:"code"`
}, code string) bool {
	for _, f := range fs {
		if f.Code == code {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// The window's "Load example" must give a message the inspector verifies and finds
// nothing wrong with once the example's federation metadata is trusted and its
// expectations are set, as the window does: fresh, well formed, signed as Entra signs.
// Without that trust it is not verified (exit 1): a verdict of OK means verified.
func TestExampleResponseInspectsClean(t *testing.T) {
	s := &exampleSigner{now: time.Now}
	ex, err := s.example()
	if err != nil {
		t.Fatalf("example: %v", err)
	}
	md := filepath.Join(t.TempDir(), "example-metadata.xml")
	if err := os.WriteFile(md, ex.Metadata, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, string(ex.Message), "inspect", "--metadata", md, "--sp-entity-id", ex.SPEntityID, "--acs", ex.ACS, "-")
	if code != exitOK || !strings.HasPrefix(out, "OK") || strings.Contains(out, "WARN") || strings.Contains(out, "ERROR") {
		t.Fatalf("inspect example with its metadata: exit %d, want %d, OK and no finding\n%s\n%s", code, exitOK, out, errOut)
	}
	code, out, errOut = runCmd(t, string(ex.Message), "inspect", "--sp-entity-id", ex.SPEntityID, "--acs", ex.ACS, "-")
	if code != exitWrong || !strings.HasPrefix(out, "UNVERIFIED") || !strings.Contains(out, "cert-untrusted") {
		t.Fatalf("inspect example without its metadata: exit %d, want %d, UNVERIFIED and cert-untrusted\n%s\n%s", code, exitWrong, out, errOut)
	}
}
