package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

// syncBuffer is a bytes.Buffer that a running command writes while the test reads it.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	written chan struct{} // closed and replaced on each Write, for waitFor
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.written != nil {
		close(s.written)
		s.written = nil
	}
	return s.b.Write(p)
}

// waitFor waits until what was written holds sub, or until ctx ends; it reports
// whether it does.
func (s *syncBuffer) waitFor(ctx context.Context, sub string) bool {
	for {
		s.mu.Lock()
		if strings.Contains(s.b.String(), sub) {
			s.mu.Unlock()
			return true
		}
		if s.written == nil {
			s.written = make(chan struct{})
		}
		written := s.written
		s.mu.Unlock()
		select {
		case <-written:
		case <-ctx.Done():
			return false
		}
	}
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// harnessRun is `ssowizard harness` running in-process.
type harnessRun struct {
	cancel context.CancelFunc
	code   chan int
	stderr *syncBuffer
}

// startHarnessCmd runs the command with args in a goroutine, its stdout going to out.
func startHarnessCmd(t *testing.T, out io.Writer, args ...string) *harnessRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h := &harnessRun{cancel: cancel, code: make(chan int, 1), stderr: &syncBuffer{}}
	e := &env{stdin: strings.NewReader(""), stdout: out, stderr: h.stderr, ctx: ctx}
	go func() { h.code <- run(e, append([]string{"harness"}, args...)) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.code:
		case <-time.After(time.Minute): // a hang guard: it stops in milliseconds
			t.Errorf("ssowizard harness still running a minute after cancel")
		}
	})
	return h
}

// stop cancels the command as a signal would and returns its exit code.
func (h *harnessRun) stop(t *testing.T) int {
	t.Helper()
	h.cancel()
	select {
	case code := <-h.code:
		h.code <- code // for the cleanup
		return code
	case <-time.After(shutdownGrace + time.Minute):
		t.Fatalf("ssowizard harness did not return after cancel; stderr %q", h.stderr.String())
		return -1
	}
}

// readFacts reads the one JSON line and checks nothing else was printed with it.
func readFacts(t *testing.T, r *bufio.Reader) (harness.Facts, string) {
	t.Helper()
	line, err := r.ReadBytes('\n')
	if err != nil {
		t.Fatalf("reading the --json line: %v (got %q)", err, line)
	}
	var f harness.Facts
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("--json line %q: %v", line, err)
	}
	return f, strings.TrimSuffix(string(line), "\n")
}

// caClient trusts only the CA in the file the facts name, as a client outside would.
func caClient(t *testing.T, caPath string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(caPath)
	if err != nil {
		t.Fatalf("ca_cert: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("ca_cert %s holds no PEM certificate", caPath)
	}
	return &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func TestHarnessJSONInProcess(t *testing.T) {
	state := t.TempDir()
	pr, pw := io.Pipe()
	h := startHarnessCmd(t, pw, "--json", "--state", state)
	br := bufio.NewReader(pr)
	f, _ := readFacts(t, br)
	rest := make(chan []byte, 1)
	go func() { b, _ := io.ReadAll(br); rest <- b }()

	if !strings.HasPrefix(f.BaseURL, "https://127.0.0.1:") {
		t.Errorf("base_url = %q, want https://127.0.0.1:PORT", f.BaseURL)
	}
	if f.TenantID != tenant.DemoTenantID || f.Authority != f.BaseURL+"/"+tenant.DemoTenantID+"/v2.0" ||
		f.GraphURL != f.BaseURL+"/v1.0" {
		t.Errorf("facts = %+v, want the demo tenant's authority and graph URL under base_url", f)
	}
	if f.CACert != filepath.Join(state, "ca.pem") {
		t.Errorf("ca_cert = %q, want it in --state %s", f.CACert, state)
	}
	if len(f.Users) == 0 || f.Users[0].Password == "" {
		t.Errorf("users = %+v, want the demo users with passwords", f.Users)
	}
	if len(f.Apps) != 2 || f.Apps[0].AppID != tenant.DemoAppID || f.Apps[0].ClientSecret == "" ||
		f.Apps[1].AppID != tenant.DemoSetupAppID || f.Apps[1].ClientSecret == "" {
		t.Errorf("apps = %+v, want the demo app and the setup app with their secrets", f.Apps)
	}

	resp, err := caClient(t, f.CACert).Get(f.Authority + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatalf("discovery with the harness CA: %v", err)
	}
	var disc struct{ Issuer string }
	err = json.NewDecoder(resp.Body).Decode(&disc)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || disc.Issuer != f.Authority {
		t.Errorf("discovery = %d issuer %q (%v), want 200 with issuer %q", resp.StatusCode, disc.Issuer, err, f.Authority)
	}

	if code := h.stop(t); code != exitOK {
		t.Errorf("exit after cancel = %d, want 0; stderr %q", code, h.stderr.String())
	}
	pw.Close()
	if b := <-rest; len(b) > 0 {
		t.Errorf("stdout after the facts line = %q, want nothing more", b)
	}
	if s := h.stderr.String(); s != "" {
		t.Errorf("stderr with --json = %q, want nothing", s)
	}
	if _, err := caClient(t, f.CACert).Get(f.BaseURL + "/common/discovery/instance"); err == nil {
		t.Errorf("harness still answers after it returned")
	}
}

func TestHarnessHumanFacts(t *testing.T) {
	state := t.TempDir()
	out := &syncBuffer{}
	h := startHarnessCmd(t, out, "--state", state, "--scenario", "slow",
		"--scenario", tenant.DemoAppID+"=sha1")
	// A hang guard only: the facts come in milliseconds.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if !out.waitFor(ctx, "SAML metadata URL") {
		t.Fatalf("no facts after 2 minutes; stdout %q stderr %q", out.String(), h.stderr.String())
	}
	// The facts are all printed before anything is served, so this is the whole page.
	text := out.String()
	ca := filepath.Join(state, "ca.pem")
	d := tenant.Demo(time.Now())
	want := []string{
		"curl --cacert " + ca, "ssowizard inspect --ca-cert " + ca, "NODE_EXTRA_CA_CERTS=" + ca,
		d.Users[0].UPN, d.Users[0].Password, d.Apps[0].Secrets[0].Value, tenant.DemoAppID,
		"Redirect URIs", tenant.DemoRedirectURI, "Scenarios", "slow, sha1",
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("facts for a person lack %q:\n%s", w, text)
		}
	}
	// Aligned: every value of the first block starts in the same column, two spaces
	// after the longest label.
	col := -1
	for _, line := range strings.Split(text, "\n")[2:8] {
		gap := strings.Index(strings.TrimPrefix(line, "  "), "  ")
		if !strings.HasPrefix(line, "  ") || gap < 0 {
			t.Fatalf("first block line %q is not '  LABEL  VALUE'; stdout:\n%s", line, text)
		}
		i := gap + 2
		for i < len(line) && line[i] == ' ' {
			i++
		}
		if col >= 0 && i != col {
			t.Errorf("line %q: value at column %d, want %d as the line above", line, i, col)
		}
		col = i
	}
	if want := len("  CA certificate  "); col != want {
		t.Errorf("values start at column %d, want %d", col, want)
	}
	if code := h.stop(t); code != exitOK {
		t.Errorf("exit after cancel = %d, want 0; stderr %q", code, h.stderr.String())
	}
	if !strings.Contains(h.stderr.String(), "ssowizard harness: stopped.") {
		t.Errorf("stderr = %q, want the stop line", h.stderr.String())
	}
}

func TestHarnessRefuses(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badField := write("bad-field.json", `{"tenant_id":"6f1c3a2e-8d4b-4c7a-9e51-2b0d7f4a9c13","display_name":"X",
 "domains":[{"name":"x.onmicrosoft.com","initial":true,"verified":true,"default":true}],
 "apps":[{"display_name":"A","saml":{"sign":"everything"}}]}`)
	badJSON := write("bad-json.json", "{\n  \"display_name\": \"X\",\n  \"users\": [}\n")
	unknown := write("unknown.json", `{"tenant_id":"6f1c3a2e-8d4b-4c7a-9e51-2b0d7f4a9c13","display_name":"X","apps":[{"dispaly_name":"A"}]}`)
	state := filepath.Join(dir, "state")

	tests := []struct {
		args []string
		err  []string // substrings of the one line on stderr
	}{
		{[]string{"--tenant", badField}, []string{badField, "apps[0].saml.sign", `"everything"`}},
		{[]string{"--tenant", badJSON}, []string{badJSON, "line 3"}},
		{[]string{"--tenant", unknown}, []string{unknown, "apps[0]", "dispaly_name"}},
		{[]string{"--tenant", filepath.Join(dir, "missing.json")}, []string{"missing.json does not exist"}},
		{[]string{"--addr", "0.0.0.0:0"}, []string{"--addr 0.0.0.0:0 is not a loopback address", "--allow-remote"}},
		{[]string{"--addr", ":8443"}, []string{"--addr :8443 is not a loopback address"}},
		{[]string{"--addr", "192.0.2.7:0"}, []string{"is not a loopback address"}},
		{[]string{"--addr", "vendor.example:443"}, []string{"is not a loopback address"}},
		{[]string{"--addr", "127.0.0.1"}, []string{`--addr "127.0.0.1" is not HOST:PORT`}},
		{[]string{"--scenario", "tuesday"}, []string{`"tuesday" is not a scenario`, "clock-skew"}},
		{[]string{"--scenario", "00000000-0000-0000-0000-000000000000=slow"}, []string{"no app with app_id"}},
		{[]string{"extra"}, []string{`unexpected argument "extra"`}},
		{[]string{"--replay", "bundle.zip"}, []string{"--replay: bundle.zip does not exist"}},
		{[]string{"--replay", "bundle.zip", "--tenant", badField}, []string{"--replay", "cannot take --tenant"}},
	}
	for _, tt := range tests {
		args := append([]string{"harness", "--state", state}, tt.args...)
		code, out, errOut := runCmd(t, "", args...)
		if code != exitUsage {
			t.Errorf("ssowizard %q exit = %d, want 2 (stderr %q)", args, code, errOut)
		}
		if out != "" {
			t.Errorf("ssowizard %q stdout = %q, want nothing", args, out)
		}
		for _, w := range tt.err {
			if !strings.Contains(errOut, w) {
				t.Errorf("ssowizard %q stderr = %q, want it to contain %q", args, errOut, w)
			}
		}
		if strings.Count(strings.TrimSpace(errOut), "\n") > 1 {
			t.Errorf("ssowizard %q stderr = %q, want one sentence", args, errOut)
		}
	}
	if _, err := os.Stat(state); err == nil {
		t.Errorf("a refused command created the state directory %s; refusals must come before anything is made", state)
	}
}

func TestCheckLoopback(t *testing.T) {
	tests := []struct {
		addr   string
		remote bool
		ok     bool
	}{
		{"127.0.0.1:0", false, true},
		{"127.0.0.2:8443", false, true},
		{"[::1]:0", false, true},
		{"localhost:0", false, true},
		{"LOCALHOST:0", false, true},
		{"0.0.0.0:0", false, false},
		{"[::]:0", false, false},
		{":0", false, false},
		{"10.0.0.5:443", false, false},
		{"0.0.0.0:0", true, true},
		{"10.0.0.5:443", true, true},
		{"10.0.0.5", true, false}, // no port, whatever --allow-remote says
	}
	for _, tt := range tests {
		err := checkLoopback(tt.addr, tt.remote)
		if (err == nil) != tt.ok {
			t.Errorf("checkLoopback(%q, %v) = %v, want ok=%v", tt.addr, tt.remote, err, tt.ok)
		}
	}
}

func TestHarnessScenarioFlags(t *testing.T) {
	f := harnessFlags{addr: "127.0.0.1:0", state: t.TempDir(),
		scenarios: scenarioFlag{"slow", "slow", strings.ToUpper(tenant.DemoAppID) + "=sign-both", tenant.DemoAppID + "=sign-both"}}
	cfg, _, err := f.config()
	if err != nil {
		t.Fatalf("config() = %v", err)
	}
	if strings.Join(cfg.Scenarios, ",") != "slow" {
		t.Errorf("tenant scenarios = %q, want [slow] once", cfg.Scenarios)
	}
	if got := cfg.Tenant.Apps[0].Scenarios; strings.Join(got, ",") != "sign-both" {
		t.Errorf("app scenarios = %q, want [sign-both] once", got)
	}
}

func TestHarnessHelp(t *testing.T) {
	code, out, _ := runCmd(t, "", "help", "harness")
	if code != exitOK {
		t.Fatalf("help harness exit = %d", code)
	}
	for _, w := range []string{"--addr", "--tenant", "--state", "--scenario", "--json", "--allow-remote", "APP_ID=NAME", "SIGTERM"} {
		if !strings.Contains(out, w) {
			t.Errorf("help harness lacks %q", w)
		}
	}
	_, out, _ = runCmd(t, "", "help")
	if !strings.Contains(out, "ssowizard harness") {
		t.Errorf("help does not list harness:\n%s", out)
	}
}

// buildBinary builds ssowizard into a temporary directory, for tests that run it as a
// separate process.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ssowizard")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// harnessProcess is `ssowizard harness --json` running as its own process.
type harnessProcess struct {
	cmd    *exec.Cmd
	facts  harness.Facts
	line   string // the --json line as printed
	stderr *syncBuffer
	done   chan error
}

// startHarnessProcess starts the binary with --json and a fresh state directory plus
// args, and waits for the facts line. Cleanup sends SIGTERM and waits.
func startHarnessProcess(t *testing.T, bin string, args ...string) *harnessProcess {
	t.Helper()
	all := append([]string{"harness", "--json", "--state", filepath.Join(t.TempDir(), "state")}, args...)
	p := &harnessProcess{cmd: exec.Command(bin, all...), stderr: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd.Stderr = p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			p.cmd.Process.Kill()
		}
	})
	br := bufio.NewReader(stdout)
	p.facts, p.line = readFacts(t, br)
	go io.Copy(io.Discard, br)
	return p
}

// TestHarnessProcessSIGTERM runs the built binary as support staff would and stops it
// with SIGTERM, as a service manager does.
func TestHarnessProcessSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	bin := buildBinary(t)
	start := time.Now()
	p := startHarnessProcess(t, bin)
	t.Logf("facts line after %v", time.Since(start).Round(time.Millisecond))
	resp, err := caClient(t, p.facts.CACert).Get(p.facts.Authority + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	resp.Body.Close()

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		if err != nil {
			t.Errorf("after SIGTERM: %v, want exit 0; stderr %q", err, p.stderr.String())
		}
		t.Logf("stopped %v after SIGTERM", time.Since(stopped).Round(time.Millisecond))
	case <-time.After(time.Minute): // a hang guard: it stops in milliseconds
		t.Fatalf("still running a minute after SIGTERM; stderr %q", p.stderr.String())
	}
}

func TestTrustHintsWindows(t *testing.T) {
	ca := `C:\Users\O'Brien\AppData\Roaming\ssowizard\harness\ca.pem`
	got := strings.Join(trustHints("windows", ca, "https://127.0.0.1:1/t/v2.0/.well-known/openid-configuration", "https://127.0.0.1:1/t/discovery/v2.0/keys"), "\n")
	q := `'C:\Users\O''Brien\AppData\Roaming\ssowizard\harness\ca.pem'`
	for _, want := range []string{"certutil -user -addstore Root " + q, "curl.exe --cacert " + q, "$env:NODE_EXTRA_CA_CERTS = " + q} {
		if !strings.Contains(got, want) {
			t.Errorf("trustHints(windows) = %q, want a line with %q", got, want)
		}
	}
	if strings.Contains(got, "SSL_CERT_FILE") {
		t.Errorf("trustHints(windows) = %q, which suggests SSL_CERT_FILE, ignored on Windows", got)
	}
}
