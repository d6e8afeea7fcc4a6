package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssowizard/ssowizard/harness"
)

// TestSetupDemoSCIMOffline runs the demo-scim ticket on the in-process harness with
// nothing else running: the test user must arrive at the harness's embedded SCIM
// receiver, and the receiver's token must reach neither the output nor the database.
func TestSetupDemoSCIMOffline(t *testing.T) {
	var srv *harness.Server
	harnessStarted = func(s *harness.Server) { srv = s }
	defer func() { harnessStarted = func(*harness.Server) {} }()

	dir := t.TempDir()
	db := filepath.Join(dir, "state", "ssowizard.db")
	c := newCLI(t)
	code, out, errOut := c.run("setup", "--ticket", "demo-scim", "--protocol", "saml", "--target", "harness", "--auto", "--db", db)
	if code != 0 {
		t.Fatalf("setup exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "✓ Provisioning (SCIM)") || !strings.Contains(out, "Enabled:") {
		t.Fatalf("setup did not provision and enable:\n%s", out)
	}
	if srv == nil || srv.SCIM == nil || srv.SCIMToken == "" {
		t.Fatal("the in-process harness ran no SCIM receiver")
	}
	var got []string
	for _, u := range srv.SCIM.Users() {
		got = append(got, u["userName"].(string))
	}
	if len(got) != 1 || got[0] != harnessTestUser {
		t.Fatalf("receiver's users = %q, want the test user %s alone", got, harnessTestUser)
	}
	tok := []byte(srv.SCIMToken)
	if bytes.Contains([]byte(out+errOut), tok) {
		t.Error("the receiver's token was printed")
	}
	// The wizard's database (and its journal files); the harness's own tenant file
	// keeps the job's secrets, as Entra does.
	files, _ := filepath.Glob(db + "*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, tok) {
			t.Errorf("the receiver's token is in %s", f)
		}
	}
	if len(files) == 0 {
		t.Fatal("no database written")
	}
}

// TestHarnessFactsSCIMReceiver checks that the harness's facts name its embedded
// receiver, and that the receiver refuses a wrong token and accepts the given one.
func TestHarnessFactsSCIMReceiver(t *testing.T) {
	srv, err := harness.Start(t.Context(), harness.Config{StateDir: t.TempDir(), SCIMReceiver: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	line, err := json.Marshal(srv.Facts())
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	json.Unmarshal(line, &f)
	if f["scim_url"] != srv.BaseURL+"/scim" || f["scim_token"] != srv.SCIMToken {
		t.Fatalf("facts scim_url %v scim_token set %v, want %s/scim and the token", f["scim_url"], f["scim_token"] == srv.SCIMToken, srv.BaseURL)
	}
	for _, tc := range []struct {
		token string
		want  int
	}{{"wrong", 401}, {srv.SCIMToken, 200}} {
		req, _ := http.NewRequest("GET", srv.SCIMURL+"/Users", nil)
		req.Header.Set("Authorization", "Bearer "+tc.token)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET /scim/Users with token %q: %d, want %d", tc.token[:3], resp.StatusCode, tc.want)
		}
	}
	other, err := harness.Start(t.Context(), harness.Config{StateDir: t.TempDir(), SCIMReceiver: true})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if other.SCIMToken == srv.SCIMToken {
		t.Error("two starts made the same receiver token")
	}
}
