package main

import (
	"bytes"
	"encoding/json"
	"net"
	"strings"
	"testing"

	"github.com/ssowizard/ssowizard/harness/scim/scimserver"
)

// listenReceiver starts the embedded SCIM receiver on its own loopback listener.
func listenReceiver(t *testing.T, token string) (*scimserver.Server, string) {
	t.Helper()
	s := scimserver.New(scimserver.Options{BearerToken: token})
	base, closeFn, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFn() })
	return s, base
}

func TestSCIMAgainstEmbeddedReceiver(t *testing.T) {
	s, base := listenReceiver(t, "rcv-token")
	t.Setenv("SCIM_TEST_TOKEN", "rcv-token")

	code, out, errOut := runCmd(t, "", "scim", "--url", base, "--token-env", "SCIM_TEST_TOKEN")
	if code != exitOK || !strings.Contains(out, "28 passed, 0 failed, 0 warnings, 0 not run.") {
		t.Fatalf("scim exit %d\nstdout:\n%s\nstderr: %s", code, out, errOut)
	}
	if !strings.Contains(out, "The check will send:") || strings.Index(out, "The check will send:") > strings.Index(out, "entra-default mode\n") {
		t.Errorf("the plan is not printed before the results:\n%s", out)
	}
	if strings.Contains(out+errOut, "rcv-token") {
		t.Errorf("the token was printed")
	}

	code, out, errOut = runCmd(t, "", "scim", "--url", base+"?aadOptscim062020", "--token-env", "SCIM_TEST_TOKEN", "--mode", "compliant", "--json")
	var rep struct {
		OK            bool   `json:"ok"`
		TenantURLMode string `json:"tenant_url_mode"`
		Checks        []struct {
			Mode, Result string
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json stdout is not one JSON object: %v\n%s", err, out)
	}
	if code != exitOK || !rep.OK || rep.TenantURLMode != "compliant" || len(rep.Checks) != 14 {
		t.Errorf("--json: exit %d ok %v mode %q checks %d; stderr %s", code, rep.OK, rep.TenantURLMode, len(rep.Checks), errOut)
	}
	if !strings.Contains(errOut, "The check will send:") {
		t.Errorf("with --json the plan belongs on stderr; stderr = %q", errOut)
	}
	if len(s.Users()) != 0 || len(s.Groups()) != 0 {
		t.Errorf("the check left %d users and %d groups", len(s.Users()), len(s.Groups()))
	}
}

func TestSCIMRefusals(t *testing.T) {
	s, base := listenReceiver(t, "rcv-token")
	t.Setenv("SCIM_TEST_TOKEN", "rcv-token")
	t.Setenv("SCIM_WRONG_TOKEN", "not-it")
	t.Setenv("SCIM_EMPTY", "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/scim"
	ln.Close()
	for _, tc := range []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"no url", []string{"--token-env", "SCIM_TEST_TOKEN"}, exitUsage, "--url is required"},
		{"plain http off loopback", []string{"--url", "http://scim.example.com/scim", "--token-env", "SCIM_TEST_TOKEN"}, exitUsage, "uses plain http; Entra provisions only over HTTPS"},
		{"empty token", []string{"--url", base, "--token-env", "SCIM_EMPTY"}, exitUsage, "SCIM_EMPTY named by --token-env is empty"},
		{"no token", []string{"--url", base}, exitUsage, "--token-env is required"},
		{"bad mode", []string{"--url", base, "--token-env", "SCIM_TEST_TOKEN", "--mode", "rfc"}, exitUsage, `--mode "rfc"`},
		{"remote without a terminal", []string{"--url", "https://scim.example.invalid/scim", "--token-env", "SCIM_TEST_TOKEN"}, exitUsage, "without confirmation; run it in a terminal to be asked, or pass --yes"},
		{"wrong token", []string{"--url", base, "--token-env", "SCIM_WRONG_TOKEN"}, exitWrong, "refused the credentials (HTTP 401)"},
		{"nothing listening", []string{"--url", closed, "--token-env", "SCIM_TEST_TOKEN"}, exitWrong, "got no answer: dial tcp"},
	} {
		code, _, errOut := runCmd(t, "", append([]string{"scim"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.err) {
			t.Errorf("%s: exit %d stderr %q; want %d and %q", tc.name, code, errOut, tc.code, tc.err)
		}
		if n := strings.Count(strings.TrimSpace(errOut), "\n"); n > 0 {
			t.Errorf("%s: stderr has %d lines, want one sentence: %q", tc.name, n+1, errOut)
		}
	}
	if len(s.Users()) != 0 {
		t.Errorf("a refused run created %d users", len(s.Users()))
	}
}

// At a terminal the check asks before writing to a remote endpoint; "n" sends nothing.
func TestSCIMAsksAtATerminal(t *testing.T) {
	t.Setenv("SCIM_TEST_TOKEN", "tok")
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader("n\n"), stdinIsTTY: true, stdout: &out, stderr: &errb}
	code := run(e, []string{"scim", "--url", "https://scim.example.invalid/scim", "--token-env", "SCIM_TEST_TOKEN"})
	if code != exitUsage || !strings.Contains(errb.String(), "[y/N]") || !strings.Contains(errb.String(), "nothing was sent") {
		t.Errorf("declined: exit %d stderr %q", code, errb.String())
	}
}
