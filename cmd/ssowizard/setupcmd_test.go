package main

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/wizard"
	"github.com/ssowizard/ssowizard/wizard/secret"
	"github.com/ssowizard/ssowizard/wizard/store"
)

// subprocessEnv, set to 1, makes the test binary run ssowizard's main instead of the
// tests, so the crash tests can run it as a process (and kill it) without building it.
const subprocessEnv = "SSOWIZARD_TEST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(subprocessEnv) == "1" {
		os.Exit(run(&env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// cli runs commands in-process with one secret keeper across them, as the OS keyring
// keeps secrets from one command to the next; everything they print is kept for the
// secret scans.
type cli struct {
	t       *testing.T
	secrets secret.Keeper
	submit  *http.Client
	mu      sync.Mutex
	printed bytes.Buffer
}

func newCLI(t *testing.T) *cli { return &cli{t: t, secrets: secret.Memory()} }

func (c *cli) run(args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, ctx: ctx, secrets: c.secrets, submit: c.submit}
	code = run(e, args)
	c.mu.Lock()
	c.printed.Write(out.Bytes())
	c.printed.Write(errb.Bytes())
	c.mu.Unlock()
	return code, out.String(), errb.String()
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// savedTenant reads the tenant the in-process harness of the database at db keeps.
func savedTenant(t *testing.T, db string) *tenant.Tenant {
	t.Helper()
	ten, err := tenant.LoadSaved(filepath.Join(harnessStateDir(db), "tenant.json"), nil)
	if err != nil {
		t.Fatalf("the harness tenant beside %s: %v", db, err)
	}
	return ten
}

func appByID(ten *tenant.Tenant, appID string) (tenant.App, bool) {
	for _, a := range ten.Apps {
		if strings.EqualFold(a.AppID, appID) {
			return a, true
		}
	}
	return tenant.App{}, false
}

// summaries reads status --json.
func (c *cli) summaries(db string) []wizard.Summary {
	c.t.Helper()
	code, out, errOut := c.run("status", "--db", db, "--json")
	if code != exitOK {
		c.t.Fatalf("status --json: exit %d, stderr %q", code, errOut)
	}
	var st statusJSON
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		c.t.Fatalf("status --json printed %q: %v", out, err)
	}
	return st.Setups
}

// TestSetupAutoEndToEnd walks both protocols in automatic mode against the in-process
// harness, then checks status, the exports, the submission, and that the client
// secret's value reaches none of the database, the output, the log or the bundles made
// without it.
func TestSetupAutoEndToEnd(t *testing.T) {
	var submitted [][]byte
	var smu sync.Mutex
	vendor := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		smu.Lock()
		submitted = append(submitted, b)
		smu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	vendor.StartTLS() // httptest binds 127.0.0.1
	defer vendor.Close()

	dir := t.TempDir()
	db := filepath.Join(dir, "state", "ssowizard.db")
	logFile := filepath.Join(dir, "setup.log")
	var ticket map[string]any
	if err := json.Unmarshal(wizard.DemoTicketJSON(), &ticket); err != nil {
		t.Fatal(err)
	}
	ticket["submit_url"] = vendor.URL + "/sso/connections"
	ticketFile := filepath.Join(dir, "ticket.json")
	b, _ := json.Marshal(ticket)
	if err := os.WriteFile(ticketFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	c := newCLI(t)
	c.submit = vendor.Client()

	// OIDC for a person, with the log in a file.
	code, out, errOut := c.run("setup", "--ticket", ticketFile, "--protocol", "oidc", "--target", "harness", "--auto", "--db", db, "--log", logFile)
	if code != exitOK {
		t.Fatalf("setup oidc --auto: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, step := range wizard.Steps(wizard.OIDC) {
		if !strings.Contains(out, "✓ "+step.Title()+"\n") {
			t.Errorf("setup oidc output lacks ✓ %s:\n%s", step.Title(), out)
		}
	}
	if !strings.HasPrefix(lastLine(out), "Enabled: ") || strings.Contains(out, "✗") {
		t.Errorf("setup oidc output does not end enabled:\n%s", out)
	}

	// SAML as JSON lines: one per step, then the outcome.
	code, out, errOut = c.run("setup", "--ticket", ticketFile, "--protocol", "saml", "--target", "harness", "--auto", "--db", db, "--json")
	if code != exitOK {
		t.Fatalf("setup saml --auto --json: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(wizard.Steps(wizard.SAML))+1 {
		t.Fatalf("setup saml --json printed %d lines, want one per step and the outcome:\n%s", len(lines), out)
	}
	for i, step := range wizard.Steps(wizard.SAML) {
		var l stepLine
		if err := json.Unmarshal([]byte(lines[i]), &l); err != nil || l.Step != step || l.Status != wizard.Verified || l.VerifiedAt.IsZero() || l.Session == "" {
			t.Errorf("line %d = %s (%v); want %s verified", i, lines[i], err, step)
		}
	}
	var outcome outcomeLine
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &outcome); err != nil || outcome.Result != "enabled" || outcome.Summary == nil ||
		outcome.Summary.Status != wizard.SessionEnabled || outcome.Summary.LastTest == nil || !outcome.Summary.LastTest.OK {
		t.Errorf("outcome line = %s (%v); want enabled with a passing test", lines[len(lines)-1], err)
	}

	// status: both enabled, last test ok, every step verified.
	sums := c.summaries(db)
	if len(sums) != 2 {
		t.Fatalf("status lists %d setups, want 2: %+v", len(sums), sums)
	}
	byProto := map[wizard.Protocol]wizard.Summary{}
	for _, s := range sums {
		byProto[s.Protocol] = s
		if s.Status != wizard.SessionEnabled || s.LastTest == nil || !s.LastTest.OK || s.Verified != s.Steps || s.Mode != wizard.Auto || s.Target != "harness" {
			t.Errorf("status: %+v; want enabled, auto, harness, all verified, last test ok", s)
		}
		if s.NextReminder == nil || len(s.Expiry) == 0 {
			t.Errorf("status of %s: no expiry or reminder: %+v", s.Protocol, s)
		}
	}
	oidc, saml := byProto[wizard.OIDC], byProto[wizard.SAML]
	if oidc.ID == "" || saml.ID == "" {
		t.Fatalf("status lacks a protocol: %+v", sums)
	}
	code, out, _ = c.run("status", "--db", db)
	if code != exitOK || !strings.Contains(out, oidc.ID) || !strings.Contains(out, saml.ID) || strings.Count(out, "enabled") < 2 || !strings.Contains(out, "next reminder") {
		t.Errorf("status for a person: exit %d\n%s", code, out)
	}

	// The OIDC app in the harness holds the secret the wizard made: one, whose value
	// must appear nowhere but in the bundle asked with it.
	ten := savedTenant(t, db)
	app, ok := appByID(ten, oidc.AppID)
	if !ok || len(app.Secrets) != 1 || len(app.Secrets[0].Value) < 30 {
		t.Fatalf("the harness's OIDC app %s: %+v; want one secret", oidc.AppID, app.Secrets)
	}
	value := app.Secrets[0].Value

	conn := filepath.Join(dir, "out", "connection.json")
	if err := os.MkdirAll(filepath.Dir(conn), 0o700); err != nil {
		t.Fatal(err)
	}
	evidence := filepath.Join(dir, "out", "evidence.json")
	ics := filepath.Join(dir, "out", "reminders.ics")
	code, _, errOut = c.run("export", "--db", db, "--session", oidc.ID, "--connection", conn, "--evidence", evidence, "--ics", ics)
	if code != exitOK {
		t.Fatalf("export: exit %d, stderr %q", code, errOut)
	}
	for _, f := range []string{conn, evidence, ics} {
		fi, err := os.Stat(f)
		if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() == 0 {
			t.Errorf("export wrote %s: %v, mode %v; want a non-empty 0600 file", f, err, fi.Mode())
		}
	}
	var cb wizard.Connection
	readJSON(t, conn, &cb)
	if cb.Format != wizard.ConnectionFormat || cb.OIDC == nil || cb.OIDC.ClientID != oidc.AppID || cb.OIDC.ClientSecret != "" || cb.OIDC.SecretID != app.Secrets[0].KeyID {
		t.Errorf("connection bundle = %+v; want the OIDC app without its secret", cb)
	}
	var ev wizard.Evidence
	readJSON(t, evidence, &ev)
	if ev.Format != wizard.EvidenceFormat || ev.Session.ID != oidc.ID || len(ev.Runs) == 0 {
		t.Errorf("evidence bundle = %+v", ev.Session)
	}
	if b, _ := os.ReadFile(ics); !bytes.Contains(b, []byte("BEGIN:VCALENDAR")) {
		t.Errorf("reminders = %q, want an iCalendar file", b)
	}
	// The most recent setup (SAML) is the default; its evidence to stdout.
	code, out, _ = c.run("export", "--db", db, "--evidence", "-")
	if err := json.Unmarshal([]byte(out), &ev); code != exitOK || err != nil || ev.Session.ID != saml.ID {
		t.Errorf("export --evidence - : exit %d, session %q (%v); want the SAML setup %s", code, ev.Session.ID, err, saml.ID)
	}

	code, _, errOut = c.run("export", "--db", db, "--session", oidc.ID, "--submit")
	if code != exitOK || !strings.Contains(errOut, "Submitted") {
		t.Fatalf("export --submit: exit %d, stderr %q", code, errOut)
	}
	withSecret := filepath.Join(dir, "out", "with-secret.json")
	code, _, errOut = c.run("export", "--db", db, "--session", oidc.ID, "--connection", withSecret, "--with-secret", "--submit")
	if code != exitOK {
		t.Fatalf("export --with-secret --submit: exit %d, stderr %q", code, errOut)
	}
	readJSON(t, withSecret, &cb)
	if cb.OIDC == nil || cb.OIDC.ClientSecret != value {
		t.Errorf("the connection bundle asked --with-secret lacks the secret")
	}
	smu.Lock()
	if len(submitted) != 2 || bytes.Contains(submitted[0], []byte(value)) || !bytes.Contains(submitted[1], []byte(value)) {
		t.Errorf("the vendor got %d submissions; want the first without the secret and the second with it", len(submitted))
	}
	smu.Unlock()

	// The secret's value, anywhere but where it was asked for.
	places := map[string][]byte{"the output of the commands": c.printed.Bytes()}
	for _, f := range []string{db, db + "-wal", db + "-shm", logFile, conn, evidence, ics} {
		if b, err := os.ReadFile(f); err == nil {
			places[f] = b
		}
	}
	if len(places[logFile]) == 0 {
		t.Errorf("--log %s is empty; want the run's transitions", logFile)
	}
	if len(places[db]) == 0 {
		t.Fatalf("the database %s is empty", db)
	}
	for where, b := range places {
		if bytes.Contains(b, []byte(value)) {
			t.Errorf("the client secret's value is in %s", where)
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// eventCount is how many events the database's setups have.
func eventCount(ctx context.Context, db *store.DB) int {
	rows, err := db.Sessions(ctx)
	if err != nil {
		return -1
	}
	n := 0
	for _, r := range rows {
		evs, err := db.Events(ctx, r.ID)
		if err != nil {
			return -1
		}
		n += len(evs)
	}
	return n
}

// demoVendorTicket is a ticket whose URLs the demo tenant's vendor app already has, so
// manual mode can be walked against it as an admin would have set it up by hand.
func demoVendorTicket(t *testing.T, dir string) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"vendor":          "Vendor",
		"protocols":       []string{"oidc", "saml"},
		"oidc":            map[string]any{"redirect_uri": tenant.DemoRedirectURI},
		"saml":            map[string]any{"entity_id": tenant.DemoEntityID, "acs_url": tenant.DemoReplyURL},
		"required_claims": []string{"email"},
		"roles":           []string{"Member", "Admin"},
		"default_role":    "Member",
		"login_methods":   []string{"password", "sso", "both"},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "vendor-ticket.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// demoHarness writes the demo tenant where setup's harness for db keeps its tenant,
// and returns it with the SHA-1 thumbprint of the demo app's SAML signing certificate,
// as an admin reads both in the portal before answering.
func demoHarness(t *testing.T, db string) (*tenant.Tenant, string) {
	t.Helper()
	state := harnessStateDir(db)
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	st, err := tenant.NewStore(tenant.Demo(time.Now()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Save(filepath.Join(state, "tenant.json")); err != nil {
		t.Fatal(err)
	}
	tgt, srv, err := harnessTarget(context.Background(), state, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	md, err := wizard.FetchMetadata(context.Background(), tgt.HTTP, srv.BaseURL+"/"+srv.TenantID+"/federationmetadata/2007-06/federationmetadata.xml?appid="+tenant.DemoAppID)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`<X509Certificate>([^<]+)</X509Certificate>`).FindSubmatch(md)
	if m == nil {
		t.Fatalf("the demo app's metadata has no certificate:\n%s", md)
	}
	der, err := base64.StdEncoding.DecodeString(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum(der)
	return savedTenant(t, db), strings.ToUpper(hex.EncodeToString(sum[:]))
}

// writeAnswers writes an answers file.
func writeAnswers(t *testing.T, path string, a map[string]map[string]any) {
	t.Helper()
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSetupManualClassicMistakes answers each step by hand with a classic mistake in
// it: the run stops at that step with the explanation, and the corrected answers file
// resumes the same setup, until it is enabled.
func TestSetupManualClassicMistakes(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "ssowizard.db")
	ten, fingerprint := demoHarness(t, db)
	ticket := demoVendorTicket(t, dir)
	demo, ok := appByID(ten, tenant.DemoAppID)
	if !ok || len(demo.Secrets) == 0 {
		t.Fatal("the demo app or its secret is missing")
	}
	t.Setenv("SSOWIZARD_TEST_SECRET", demo.Secrets[0].KeyID) // the Secret ID, not the value
	answers := filepath.Join(dir, "answers.json")

	type attempt struct {
		name string
		fix  func(a map[string]map[string]any)
		step wizard.StepName // where it stops; "" when enabled
		says []string
	}
	tests := []struct {
		protocol string
		answers  map[string]map[string]any
		attempts []attempt
	}{
		{"oidc", map[string]map[string]any{
			"registration":  {"client_id": demo.ObjectID, "tenant_id": tenant.DemoDomain},
			"redirect-uri":  {"redirect_uri": tenant.DemoRedirectURI + "/"},
			"client-secret": {"client_secret": "$SSOWIZARD_TEST_SECRET"},
			"domain":        {"domains": tenant.DemoInitial},
			"assignments":   {"principals": []string{"Vendor Users"}, "assignment_required": true},
			"enable":        {"login_methods": "both"},
		}, []attempt{
			{"object ID for the client ID", nil, wizard.StepRegistration, []string{"700016"}},
			{"trailing slash", func(a map[string]map[string]any) { a["registration"]["client_id"] = tenant.DemoAppID },
				wizard.StepRedirectURI, []string{"slash"}},
			{"Secret ID for the value", func(a map[string]map[string]any) { a["redirect-uri"]["redirect_uri"] = tenant.DemoRedirectURI },
				wizard.StepClientSecret, []string{"Secret ID"}},
			{"onmicrosoft.com domain", func(map[string]map[string]any) { t.Setenv("SSOWIZARD_TEST_SECRET", demo.Secrets[0].Value) },
				wizard.StepDomain, []string{"onmicrosoft"}},
			{"corrected", func(a map[string]map[string]any) { a["domain"]["domains"] = tenant.DemoDomain }, "", nil},
		}},
		{"saml", map[string]map[string]any{
			"enterprise-app": {"app_id": tenant.DemoAppID, "tenant_id": tenant.DemoTenantID},
			"saml-urls":      {"entity_id": strings.Replace(tenant.DemoEntityID, "https", "http", 1), "reply_url": tenant.DemoReplyURL},
			"idp-metadata":   {"fingerprint": fingerprint, "issuer": "https://sts.windows.net/" + tenant.DemoTenantID + "/"},
			"domain":         {"domains": tenant.DemoDomain},
			"assignments":    {"principals": "Vendor Users", "assignment_required": "yes"},
			"enable":         {"login_methods": "both"},
		}, []attempt{
			{"wrong entity ID", nil, wizard.StepSAMLURLs, []string{"differs", "Replace it with the vendor's value exactly: " + tenant.DemoEntityID}},
			{"corrected", func(a map[string]map[string]any) { a["saml-urls"]["entity_id"] = tenant.DemoEntityID }, "", nil},
		}},
	}
	c := newCLI(t)
	for _, tc := range tests {
		session := ""
		for i, at := range tc.attempts {
			if at.fix != nil {
				at.fix(tc.answers)
			}
			writeAnswers(t, answers, tc.answers)
			code, out, errOut := c.run("setup", "--ticket", ticket, "--protocol", tc.protocol, "--target", "harness", "--answers", answers, "--db", db)
			head := strings.SplitN(out, "\n", 2)[0]
			if i == 0 {
				if !strings.HasPrefix(head, "Starting setup ") {
					t.Fatalf("%s %s: first line %q, want a new setup", tc.protocol, at.name, head)
				}
				session = strings.Fields(head)[2]
				session = strings.TrimSuffix(session, ":")
			} else if !strings.HasPrefix(head, "Resuming setup "+session+" at ") {
				t.Errorf("%s %s: first line %q, want it resuming setup %s", tc.protocol, at.name, head, session)
			}
			if at.step == "" {
				if code != exitOK || !strings.HasPrefix(lastLine(out), "Enabled: ") {
					t.Fatalf("%s %s: exit %d, want enabled\n%s\n%s", tc.protocol, at.name, code, out, errOut)
				}
				continue
			}
			if code != exitWrong {
				t.Fatalf("%s %s: exit %d, want 1\n%s\n%s", tc.protocol, at.name, code, out, errOut)
			}
			if !strings.Contains(out, "✗ "+at.step.Title()+"\n") || strings.Count(out, "✗") != 1 {
				t.Errorf("%s %s: want exactly ✗ %s:\n%s", tc.protocol, at.name, at.step.Title(), out)
			}
			failed := out[strings.Index(out, "✗"):]
			for _, w := range append(at.says, "Fix: ") {
				if !strings.Contains(failed, w) {
					t.Errorf("%s %s: the failed step's explanation lacks %q:\n%s", tc.protocol, at.name, w, failed)
				}
			}
			if want := "Stopped at " + at.step.Title() + ": "; !strings.HasPrefix(lastLine(out), want) || !strings.Contains(lastLine(out), session) {
				t.Errorf("%s %s: last line %q, want %q… naming setup %s", tc.protocol, at.name, lastLine(out), want, session)
			}
		}
		sums := c.summaries(db)
		i := slices.IndexFunc(sums, func(s wizard.Summary) bool { return s.ID == session })
		if i < 0 || sums[i].Status != wizard.SessionEnabled || sums[i].Mode != wizard.Manual || sums[i].LastTest == nil || !sums[i].LastTest.OK {
			t.Errorf("%s: status after the corrections: %+v", tc.protocol, sums)
		}
	}
	if n := len(c.summaries(db)); n != 2 {
		t.Errorf("status lists %d setups after two manual setups with corrections, want 2", n)
	}
	if b, _ := os.ReadFile(db); bytes.Contains(b, []byte(demo.Secrets[0].Value)) {
		t.Error("the client secret's value is in the database")
	}
}
