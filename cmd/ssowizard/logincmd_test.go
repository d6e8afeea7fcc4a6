package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

// openWatcher is stderr for a login under test: it keeps everything written and hands
// each "open: URL" line to the test, as a script reading stderr would.
type openWatcher struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	part string
	urls chan string
}

func (w *openWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	w.part += string(p)
	for {
		i := strings.IndexByte(w.part, '\n')
		if i < 0 {
			break
		}
		if u, ok := strings.CutPrefix(w.part[:i], "open: "); ok {
			w.urls <- u
		}
		w.part = w.part[i+1:]
	}
	return len(p), nil
}

func (w *openWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

var (
	loginFormRe = regexp.MustCompile(`(?s)<form\b([^>]*)>(.*?)</form>`)
	loginInput  = regexp.MustCompile(`<input\b([^>]*)>`)
	loginAttr   = regexp.MustCompile(`([a-zA-Z_-]+)="([^"]*)"`)
)

// playBrowser signs in at u as a person would: the login form, then any auto-posted
// form (the SAML response to the ACS), following redirects to the loopback callback.
func playBrowser(t *testing.T, srv *harness.Server, u, login, password string) string {
	jar, _ := cookiejar.New(nil)
	c := srv.Client()
	c.Jar = jar
	c.Timeout = 20 * time.Second
	resp, err := c.Get(u)
	for step := 0; err == nil && step < 6; step++ {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		m := loginFormRe.FindStringSubmatch(string(body))
		if m == nil {
			return string(body)
		}
		attr := func(s string) map[string]string {
			out := map[string]string{}
			for _, a := range loginAttr.FindAllStringSubmatch(s, -1) {
				out[strings.ToLower(a[1])] = html.UnescapeString(a[2])
			}
			return out
		}
		v := url.Values{}
		for _, in := range loginInput.FindAllStringSubmatch(m[2], -1) {
			if a := attr(in[1]); a["name"] != "" {
				v.Set(a["name"], a["value"])
			}
		}
		if v.Has("passwd") {
			v.Set("login", login)
			v.Set("passwd", password)
		}
		resp, err = c.PostForm(attr(m[1])["action"], v)
	}
	if err != nil {
		return "browser error: " + err.Error()
	}
	resp.Body.Close()
	return ""
}

// runLoginCmd runs `ssowizard login` in-process, playing the browser for each URL it
// prints, and returns the exit code, stdout, stderr and the last page the browser saw.
func runLoginCmd(t *testing.T, srv *harness.Server, login, password string, args ...string) (int, string, string, string) {
	t.Helper()
	var out bytes.Buffer
	w := &openWatcher{urls: make(chan string, 4)}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: w, ctx: ctx}
	done := make(chan int, 1)
	go func() { done <- run(e, append([]string{"login"}, args...)) }()
	var last string
	for {
		select {
		case u := <-w.urls:
			last = playBrowser(t, srv, u, login, password)
		case code := <-done:
			return code, out.String(), w.String(), last
		}
	}
}

func startLoginHarness(t *testing.T, scenarios ...string) *harness.Server {
	t.Helper()
	srv, err := harness.Start(context.Background(), harness.Config{StateDir: t.TempDir(), Scenarios: scenarios})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func TestLoginCommand(t *testing.T) {
	srv := startLoginHarness(t)
	app, _ := srv.Store.AppByID(tenant.DemoAppID)
	t.Setenv("SSOWIZARD_TEST_SECRET", app.Secrets[0].Value)
	t.Setenv("SSOWIZARD_EMPTY_SECRET", "")
	oidc := []string{"--protocol", "oidc", "--authority", srv.Authority, "--client-id", tenant.DemoAppID,
		"--client-secret-env", "SSOWIZARD_TEST_SECRET", "--ca-cert", srv.CACertPath, "--browser", "none"}
	saml := []string{"--protocol", "saml", "--idp-metadata", srv.IdP.SAMLMetadataURL(tenant.DemoAppID),
		"--entity-id", tenant.DemoEntityID, "--ca-cert", srv.CACertPath, "--browser", "none"}

	t.Run("oidc json ok", func(t *testing.T) {
		code, out, errOut, page := runLoginCmd(t, srv, "alice@contoso.example", "Demo.Alice.2026", append(oidc, "--json")...)
		var got struct {
			Kind, Login, Verdict string
			AADSTS               *struct{ Code string } `json:"aadsts"`
			Claims               []struct{ Name string }
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("stdout is not one JSON object: %v\n%s\nstderr %s", err, out, errOut)
		}
		if code != exitOK || got.Login != "ok" || got.Kind != "jwt" || len(got.Claims) == 0 || got.AADSTS != nil {
			t.Errorf("login = exit %d %+v, want 0, login ok, a jwt report with claims; stderr %s", code, got, errOut)
		}
		if !strings.Contains(page, "Test login received") {
			t.Errorf("the browser ended on %.200q", page)
		}
	})
	t.Run("saml people ok", func(t *testing.T) {
		code, out, errOut, _ := runLoginCmd(t, srv, "alice@contoso.example", "Demo.Alice.2026", saml...)
		if code != exitOK || !strings.HasPrefix(out, "LOGIN OK  SAML") || !strings.Contains(out, "alice@contoso.example") {
			t.Errorf("login = exit %d\n%s\nstderr %s", code, out, errOut)
		}
	})
	t.Run("oidc user not assigned", func(t *testing.T) {
		code, out, errOut, _ := runLoginCmd(t, srv, "bob@contoso.example", "Demo.Bob.2026", append(oidc, "--json")...)
		var got struct {
			Login  string
			AADSTS *struct{ Code, Meaning, Fix string } `json:"aadsts"`
		}
		json.Unmarshal([]byte(out), &got)
		if code != exitWrong || got.Login != "failed" || got.AADSTS == nil || got.AADSTS.Code != "AADSTS50105" || got.AADSTS.Fix == "" {
			t.Errorf("login = exit %d %+v, want 1, failed, AADSTS50105 with a fix\n%s\nstderr %s", code, got, out, errOut)
		}
	})
	t.Run("saml reply url not registered times out", func(t *testing.T) {
		args := append(append([]string{}, saml...), "--acs", "http://127.0.0.1:0/not/registered", "--timeout", "1500ms")
		code, out, _, page := runLoginCmd(t, srv, "alice@contoso.example", "Demo.Alice.2026", args...)
		if code != exitWrong || !strings.Contains(out, "LOGIN FAILED") || !strings.Contains(out, "no-callback") {
			t.Errorf("login = exit %d\n%s", code, out)
		}
		if !strings.Contains(page, "AADSTS50011") {
			t.Errorf("the browser's page does not name AADSTS50011: %.300s", page)
		}
	})

	for _, tc := range []struct {
		name string
		args []string
		err  string
	}{
		{"no protocol", []string{"--browser", "none"}, "--protocol is required"},
		{"bad protocol", []string{"--protocol", "ws-fed"}, `--protocol "ws-fed" is not oidc or saml`},
		{"no secret variable", []string{"--protocol", "oidc", "--authority", srv.Authority, "--client-id", tenant.DemoAppID, "--ca-cert", srv.CACertPath}, "--client-secret-env is required"},
		{"empty secret", []string{"--protocol", "oidc", "--authority", srv.Authority, "--client-id", tenant.DemoAppID, "--client-secret-env", "SSOWIZARD_EMPTY_SECRET"}, "SSOWIZARD_EMPTY_SECRET is empty or not set"},
		{"unset secret", []string{"--protocol", "oidc", "--authority", srv.Authority, "--client-id", tenant.DemoAppID, "--client-secret-env", "SSOWIZARD_NO_SUCH_VAR_42"}, "SSOWIZARD_NO_SUCH_VAR_42 is empty or not set"},
		{"secret flag does not exist", []string{"--protocol", "oidc", "--client-secret", "x"}, "Run 'ssowizard login -h'"},
		{"redirect not loopback", append(append([]string{}, oidc...), "--redirect-uri", "https://vendor.example/callback"), "must be an http://127.0.0.1:PORT/"},
		{"bad browser", []string{"--protocol", "oidc", "--browser", "firefox"}, `--browser "firefox" is not system or none`},
		{"saml without metadata", []string{"--protocol", "saml", "--entity-id", "x"}, "SAML needs --idp-metadata and --entity-id"},
		{"metadata missing file", []string{"--protocol", "saml", "--entity-id", "x", "--idp-metadata", "/no/such.xml"}, "/no/such.xml does not exist"},
		{"harness untrusted", []string{"--protocol", "oidc", "--authority", srv.Authority, "--client-id", tenant.DemoAppID, "--client-secret-env", "SSOWIZARD_TEST_SECRET"}, "discovery at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, "", append([]string{"login"}, tc.args...)...)
			if code != exitUsage || !strings.Contains(errOut, tc.err) || out != "" {
				t.Errorf("login %q = exit %d stderr %q stdout %q, want 2 and %q", tc.args, code, errOut, out, tc.err)
			}
			if strings.Count(strings.TrimSpace(errOut), "\n") > 1 {
				t.Errorf("stderr is more than a sentence: %q", errOut)
			}
		})
	}
}

// TestLoginProcess runs the built binary as a script would: --browser none, the secret in
// the environment, the sign-in URL read from the "open: " line on stderr, the browser
// played, the JSON report read from stdout.
func TestLoginProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	bin := buildBinary(t)
	srv := startLoginHarness(t)
	app, _ := srv.Store.AppByID(tenant.DemoAppID)
	cmd := exec.Command(bin, "login", "--protocol", "oidc", "--authority", srv.Authority, "--client-id", tenant.DemoAppID,
		"--client-secret-env", "VENDOR_SECRET", "--ca-cert", srv.CACertPath, "--browser", "none", "--timeout", "30s", "--json")
	cmd.Env = append(os.Environ(), "VENDOR_SECRET="+app.Secrets[0].Value)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var rest strings.Builder
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "open: "); ok {
			playBrowser(t, srv, u, "alice@contoso.example", "Demo.Alice.2026")
			continue
		}
		rest.WriteString(sc.Text() + "\n")
	}
	err = cmd.Wait()
	var got struct{ Login, Kind string }
	if jerr := json.Unmarshal(stdout.Bytes(), &got); err != nil || jerr != nil || got.Login != "ok" || got.Kind != "jwt" {
		t.Errorf("ssowizard login = %v, stdout %.400s (%v), stderr %q; want exit 0 and login ok", err, stdout.String(), jerr, rest.String())
	}
	if strings.Contains(stdout.String()+rest.String(), app.Secrets[0].Value) {
		t.Error("the client secret appears in the output")
	}
}
