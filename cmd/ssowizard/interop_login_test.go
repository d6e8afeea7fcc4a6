package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInteropLogin runs the built binary's `ssowizard login` as a vendor's engineer
// would, against IdPs that share no code with ssowizard: oauth2-mock-server as the
// OpenID provider, samlify as the SAML IdP. `make interop` runs it with
// SSOWIZARD_INTEROP=1 after npm ci; sp's TestInterop* cover the same IdPs in
// depth (tampering, other certificates), this proves the command wires them.
func TestInteropLogin(t *testing.T) {
	if os.Getenv("SSOWIZARD_INTEROP") == "" {
		t.Skip("needs Node.js and interop/node_modules (samlify, oauth2-mock-server); run 'make interop'")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("SSOWIZARD_INTEROP is set but node is not on PATH; run 'make interop-deps'")
	}
	for _, pkg := range []string{"samlify", "@authenio/samlify-node-xmllint", "oauth2-mock-server"} {
		if _, err := os.Stat(filepath.Join(interopDir, "node_modules", pkg, "package.json")); err != nil {
			t.Fatalf("interop/node_modules/%s is missing; run 'npm ci' in interop (make interop does)", pkg)
		}
	}
	bin := buildBinary(t)

	t.Run("oidc/oauth2-mock-server", func(t *testing.T) {
		var facts struct{ Issuer, User string }
		startNodeIdP(t, node, "oauth2-mock-server.js", []string{"OAUTH2_MOCK_CLIENT_SECRET=interop-secret-value"}, &facts, "vendor-app")
		got, stdout, stderr := runLoginBinary(t, bin, []string{"VENDOR_SECRET=interop-secret-value"},
			"--protocol", "oidc", "--authority", facts.Issuer, "--client-id", "vendor-app",
			"--client-secret-env", "VENDOR_SECRET", "--domain", "contoso.example")
		if got.Login != "ok" || got.Kind != "jwt" || got.Verdict == "error" || got.Signature.Status != "valid" {
			t.Errorf("login = %+v, want ok, a jwt with a valid signature\nstdout %.600s\nstderr %s", got, stdout, stderr)
		}
		if !hasClaim(got.Claims, "email", facts.User) {
			t.Errorf("claims %+v lack email %s", got.Claims, facts.User)
		}
		if strings.Contains(stdout+stderr, "interop-secret-value") {
			t.Error("the client secret appears in the output")
		}
	})

	t.Run("saml/samlify-idp", func(t *testing.T) {
		var facts struct {
			MetadataURL   string `json:"metadata_url"`
			SPMetadataURL string `json:"sp_metadata_url"`
			User          string
		}
		startNodeIdP(t, node, "samlify-idp-server.js", nil, &facts)
		// What the admin types into the IdP's SP configuration: the Entity ID and the
		// loopback reply URL without a port, which the login's ACS matches on any port.
		const entityID = "https://vendor.example/saml-cli"
		spmd := `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="` + entityID + `">` +
			`<SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
			`<AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="http://127.0.0.1/saml/acs" index="1"/>` +
			`</SPSSODescriptor></EntityDescriptor>`
		resp, err := http.Post(facts.SPMetadataURL, "application/samlmetadata+xml", strings.NewReader(spmd))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("samlify refused the SP metadata: %s", resp.Status)
		}
		got, stdout, stderr := runLoginBinary(t, bin, nil,
			"--protocol", "saml", "--idp-metadata", facts.MetadataURL, "--entity-id", entityID, "--domain", "contoso.example")
		if got.Login != "ok" || got.Kind != "saml-response" || got.Verdict == "error" || got.Signature.Status != "valid" ||
			strings.Join(got.Signature.Signed, ",") != "assertion" {
			t.Errorf("login = %+v, want ok, a SAML response with a valid assertion signature\nstdout %.600s\nstderr %s", got, stdout, stderr)
		}
		if got.Subject.NameID != facts.User {
			t.Errorf("NameID = %q, want %q", got.Subject.NameID, facts.User)
		}
	})
}

// interopLoginReport is what the checks read of `ssowizard login --json`.
type interopLoginReport struct {
	Login, Kind, Verdict string
	Signature            struct {
		Status string
		Signed []string
	}
	Subject struct {
		NameID string `json:"name_id"`
	}
	Claims   []claimJSON
	Findings []struct{ Code, Severity string }
}

// claimJSON is one claim of the report.
type claimJSON struct {
	Name, Friendly string
	Values         []string
}

func hasClaim(claims []claimJSON, name, value string) bool {
	for _, c := range claims {
		if (c.Name == name || c.Friendly == name) && len(c.Values) > 0 && c.Values[0] == value {
			return true
		}
	}
	return false
}

// runLoginBinary runs `bin login … --browser none --json`, plays the browser for the URL
// it prints and returns the decoded report with the raw stdout and stderr.
func runLoginBinary(t *testing.T, bin string, env []string, args ...string) (interopLoginReport, string, string) {
	t.Helper()
	cmd := exec.Command(bin, append(append([]string{"login"}, args...), "--browser", "none", "--timeout", "60s", "--json")...)
	cmd.Env = append(os.Environ(), env...)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var rest strings.Builder
	sc := bufio.NewScanner(pipe)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "open: "); ok {
			page := playPlainBrowser(u)
			if !strings.Contains(page, "Test login received") {
				rest.WriteString("(browser ended on: " + page + ")\n")
			}
			continue
		}
		rest.WriteString(sc.Text() + "\n")
	}
	werr := cmd.Wait()
	var got interopLoginReport
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("ssowizard login: %v; stdout is not one JSON object (%v): %.400s\nstderr %s", werr, err, stdout.String(), rest.String())
	}
	if werr != nil && got.Login == "ok" {
		t.Errorf("ssowizard login said ok but exited %v", werr)
	}
	return got, stdout.String(), rest.String()
}

// playPlainBrowser is a browser with nothing to sign in with: it follows redirects and
// posts auto-submitting forms, and returns the page it stops at.
func playPlainBrowser(u string) string {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 60 * time.Second}
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
		resp, err = c.PostForm(attr(m[1])["action"], v)
	}
	if err != nil {
		return "browser error: " + err.Error()
	}
	resp.Body.Close()
	return "(more forms than a login has)"
}

// startNodeIdP runs an interop IdP script and decodes its one JSON line into facts;
// the script ends with the test (its stdin closes, then SIGTERM, then SIGKILL).
func startNodeIdP(t *testing.T, node, script string, env []string, facts any, args ...string) {
	t.Helper()
	cmd := exec.Command(node, append([]string{filepath.Join(interopDir, script), "--exit-with-stdin"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node %s: %v", script, err)
	}
	line := make(chan string, 1)
	go func() {
		// Read to the end before Wait, as os/exec asks of a pipe's reader.
		br := bufio.NewReader(stdout)
		l, _ := br.ReadString('\n')
		line <- l
		io.Copy(io.Discard, br)
	}()
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("%s stderr:\n%s", script, stderr.String())
		}
	})
	select {
	case l := <-line:
		if err := json.Unmarshal([]byte(l), facts); err != nil {
			t.Fatalf("%s printed %q, not its JSON line (%v); stderr: %s", script, l, err, stderr.String())
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("%s printed no JSON line within 2 minutes; stderr: %s", script, stderr.String())
	}
}
