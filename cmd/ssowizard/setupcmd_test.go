package main

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
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
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
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

// setupProcess is ssowizard running as its own process (this test binary, switched by
// subprocessEnv), so it can be killed at any moment.
type setupProcess struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{}
	err            error
}

func startSetupProcess(t *testing.T, args ...string) *setupProcess {
	t.Helper()
	p := &setupProcess{cmd: exec.Command(os.Args[0], args...), stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	// Memory secrets, as on a machine with no keyring: and no item left in a real one.
	p.cmd.Env = append(os.Environ(), subprocessEnv+"=1", secretsEnv+"=memory")
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", args, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *setupProcess) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stepRows reads a setup's steps: their status and when each was verified.
func stepRows(t *testing.T, ctx context.Context, db *store.DB, id string) map[string]store.Step {
	t.Helper()
	rows, err := db.Steps(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.Step{}
	for _, r := range rows {
		out[r.Name] = r
	}
	return out
}

// TestSetupSurvivesKill kills automatic setups with SIGKILL (and SIGINT) at points
// spread over the run, as soon as the database holds k events, then runs them again:
// each resumes at the step in flight, keeps what was verified, makes no second app,
// ends enabled, and leaves a database SQLite finds intact.
func TestSetupSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ssowizard as processes and kills them; skipped with -short")
	}
	start := time.Now()
	// A run has 16 events: created, then started and verified for each of the 7 steps,
	// and the test login's. k is the count at which the signal is sent.
	type kill struct {
		protocol string
		k        int
		sig      os.Signal
	}
	var kills []kill
	for _, p := range []string{"oidc", "saml"} {
		for _, k := range []int{2, 3, 5, 6, 8, 10, 12, 13} {
			kills = append(kills, kill{p, k, syscall.SIGKILL})
		}
		kills = append(kills, kill{p, 4, syscall.SIGINT}, kill{p, 12, syscall.SIGINT})
	}
	midStep := 0     // kills that landed inside a step, not between two
	interrupted := 0 // SIGINTs that landed before the run ended
	for _, kc := range kills {
		name := fmt.Sprintf("%s/%v-at-%d", kc.protocol, kc.sig, kc.k)
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			db := filepath.Join(t.TempDir(), "ssowizard.db")
			args := []string{"setup", "--ticket", "demo", "--protocol", kc.protocol, "--target", "harness", "--auto", "--db", db}
			p := startSetupProcess(t, args...)
			for !strings.Contains(p.stdout.String(), "Starting setup ") {
				if p.exited() || ctx.Err() != nil {
					t.Fatalf("setup never started: %v\nstdout:\n%s\nstderr:\n%s", p.err, p.stdout.String(), p.stderr.String())
				}
				time.Sleep(2 * time.Millisecond)
			}
			rdb, err := store.Open(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			defer rdb.Close()
			for eventCount(ctx, rdb) < kc.k {
				if p.exited() || ctx.Err() != nil {
					t.Fatalf("setup ended before %d events: %v\n%s", kc.k, p.err, p.stdout.String())
				}
				time.Sleep(time.Millisecond)
			}
			p.cmd.Process.Signal(kc.sig)
			select {
			case <-p.done:
			case <-ctx.Done():
				t.Fatal("setup still running after the signal")
			}
			sessions, err := rdb.Sessions(ctx)
			if err != nil || len(sessions) != 1 {
				t.Fatalf("sessions after the kill: %+v, %v", sessions, err)
			}
			id := sessions[0].ID
			// On a busy machine the run may end between the k-th event and the signal:
			// nothing was interrupted, so there is nothing to check.
			if sessions[0].Status == wizard.SessionEnabled {
				t.Skipf("the setup finished before the signal landed (%d events)", eventCount(ctx, rdb))
			}
			if kc.sig == syscall.SIGINT {
				interrupted++
				if code := p.cmd.ProcessState.ExitCode(); code != exitWrong || !strings.HasPrefix(lastLine(p.stdout.String()), "Interrupted during ") {
					t.Errorf("after SIGINT: exit %d, last line %q; want 1 and Interrupted during …", code, lastLine(p.stdout.String()))
				}
			}
			before := stepRows(t, ctx, rdb, id)
			var inFlight wizard.StepName
			for _, n := range wizard.Steps(wizard.Protocol(kc.protocol)) {
				if before[string(n)].Status != string(wizard.Verified) {
					inFlight = n
					break
				}
			}
			if before[string(inFlight)].Status == string(wizard.InProgress) {
				midStep++
			}

			c := newCLI(t) // a new process: the memory keeper is empty
			lost := kc.protocol == "oidc" && before[string(wizard.StepClientSecret)].Status == string(wizard.Verified)
			if lost {
				// The secret's value went with the killed run: without --new-secret the
				// rerun stops there and asks, and makes nothing.
				code, out, _ := c.run(args...)
				if code != exitWrong || !strings.HasPrefix(out, "Resuming setup "+id+" at Client secret:") || !strings.Contains(out, "new-secret") && !strings.Contains(out, "new_secret") {
					t.Fatalf("the rerun without --new-secret: exit %d\n%s", code, out)
				}
				inFlight = wizard.StepClientSecret
			}
			code, out, errOut := c.run(append(args, "--new-secret")...)
			if code != exitOK || !strings.HasPrefix(lastLine(out), "Enabled: ") {
				t.Fatalf("the run after the kill: exit %d\nkilled run's stdout:\n%s\nstdout:\n%s\nstderr:\n%s", code, p.stdout.String(), out, errOut)
			}
			if want := "Resuming setup " + id + " at " + inFlight.Title() + ":"; !strings.HasPrefix(out, want) {
				t.Errorf("the run after the kill starts %q, want %q", strings.SplitN(out, "\n", 2)[0], want)
			}
			remade := strings.Contains(out, "making a new one")
			after := stepRows(t, ctx, rdb, id)
			for name, r := range before {
				if r.Status != string(wizard.Verified) || (name == string(wizard.StepClientSecret) && remade) {
					continue
				}
				if !after[name].VerifiedAt.Equal(r.VerifiedAt) {
					t.Errorf("step %s verified at %v before the kill, at %v after", name, r.VerifiedAt, after[name].VerifiedAt)
				}
			}
			if remade != lost {
				t.Errorf("the lost client secret remade: %v; the client secret step was %s at the kill", remade, before[string(wizard.StepClientSecret)].Status)
			}

			ten := savedTenant(t, db)
			var ours []tenant.App
			for _, a := range ten.Apps {
				if a.DisplayName == wizard.DemoTicket().DisplayName() {
					ours = append(ours, a)
				}
			}
			if len(ours) != 1 {
				t.Fatalf("the harness holds %d apps named %q after the kill and the rerun, want 1", len(ours), wizard.DemoTicket().DisplayName())
			}
			if kc.protocol == "oidc" && kc.sig == syscall.SIGKILL && len(ours[0].Secrets) != 1 {
				t.Errorf("the app holds %d secrets, want the one in use (lost ones removed)", len(ours[0].Secrets))
			}
			if sum := c.summaries(db); len(sum) != 1 || sum[0].Status != wizard.SessionEnabled || sum[0].AppID != ours[0].AppID {
				t.Errorf("status after the rerun: %+v", sum)
			}
			if err := rdb.IntegrityCheck(ctx); err != nil {
				t.Errorf("integrity check: %v", err)
			}
		})
	}
	if midStep == 0 {
		t.Error("no signal landed inside a step: the resume of a step in flight went untested")
	}
	if interrupted == 0 {
		t.Error("no SIGINT landed before the run ended: the interrupted exit went untested")
	}
	// How long they took is logged, not asserted: a busy machine may take longer
	// without anything being wrong.
	t.Logf("%d of %d signals landed inside a step, in %v", midStep, len(kills), time.Since(start).Round(time.Second))
}

// TestSetupRefuses: every mistake on the command line is one sentence and exit 2,
// before any database or harness state is made.
func TestSetupRefuses(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badTicket := write("bad-ticket.json", `{"vendor": "V", "protocols": ["oidc"], "oidc": {"redirect_uri": "https://v.example/cb"}, "colour": "red"}`)
	badAnswers := write("bad-answers.json", `{"registration": {"client_secret": "x"}}`)
	db := filepath.Join(dir, "db", "ssowizard.db")
	base := []string{"--db", db}
	tests := []struct {
		args []string
		err  []string
	}{
		{[]string{"--protocol", "oidc", "--target", "harness", "--auto"}, []string{"--ticket is required"}},
		{[]string{"--ticket", "demo", "--target", "harness", "--auto"}, []string{"--protocol is required"}},
		{[]string{"--ticket", "demo", "--protocol", "oidc", "--auto"}, []string{"--target is required"}},
		{[]string{"--ticket", "demo", "--protocol", "oidc", "--target", "harness"}, []string{"--auto", "--answers FILE"}},
		{[]string{"--ticket", "demo", "--protocol", "ws-fed", "--target", "harness", "--auto"}, []string{`--protocol "ws-fed" is not oidc or saml`}},
		{[]string{"--ticket", "demo", "--protocol", "oidc", "--target", "azure", "--auto"}, []string{`--target "azure" is not harness or entra`}},
		{[]string{"--session", "abc", "--new"}, []string{"--session", "--new"}},
		{[]string{"--ticket", "demo", "--protocol", "oidc", "--target", "entra", "--auto", "--scenario", "sha1"}, []string{"--scenario applies to the harness target only"}},
		{[]string{"--ticket", "demo", "--protocol", "oidc", "--target", "harness", "--auto", "--scenario", "tuesday"}, []string{`"tuesday" is not a scenario`}},
		{[]string{"--ticket", "demo", "--protocol", "oidc", "--target", "harness", "--auto", "--tenant", "not a tenant!"}, []string{"--tenant"}},
		{[]string{"--ticket", filepath.Join(dir, "nope.json"), "--protocol", "oidc", "--target", "harness", "--auto"}, []string{"nope.json does not exist"}},
		{[]string{"--ticket", badTicket, "--protocol", "oidc", "--target", "harness", "--auto"}, []string{badTicket, "colour"}},
		{[]string{"--ticket", "demo", "--protocol", "oidc", "--target", "harness", "--answers", filepath.Join(dir, "nope.json")}, []string{"--answers", "does not exist"}},
		{[]string{"--ticket", "demo", "--protocol", "oidc", "--target", "harness", "--answers", badAnswers}, []string{badAnswers, "registration.client_secret", "client_id"}},
		{[]string{"extra", "--ticket", "demo"}, []string{`unexpected argument "extra"`}},
	}
	for _, tt := range tests {
		args := append(append([]string{"setup"}, base...), tt.args...)
		code, out, errOut := runCmd(t, "", args...)
		if code != exitUsage {
			t.Errorf("ssowizard %q: exit %d, want 2 (stderr %q)", args, code, errOut)
		}
		if out != "" {
			t.Errorf("ssowizard %q: stdout %q, want nothing", args, out)
		}
		for _, w := range tt.err {
			if !strings.Contains(errOut, w) {
				t.Errorf("ssowizard %q: stderr %q, want it to contain %q", args, errOut, w)
			}
		}
		if strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Errorf("ssowizard %q: stderr %q, want one sentence", args, errOut)
		}
	}
	if _, err := os.Stat(filepath.Dir(db)); err == nil {
		t.Errorf("a refused setup created %s", filepath.Dir(db))
	}

	// Refusals that need the database: an unknown setup, a protocol the ticket does not
	// allow, a resumed setup of another kind.
	oidcOnly := write("oidc-only.json", `{"vendor": "V", "protocols": ["oidc"], "oidc": {"redirect_uri": "https://v.example/cb"}}`)
	for _, tt := range []struct {
		args []string
		err  string
	}{
		{[]string{"--session", "0123456789ab"}, `there is no setup "0123456789ab"`},
		{[]string{"--ticket", oidcOnly, "--protocol", "saml", "--target", "harness", "--auto"}, "does not accept SAML"},
	} {
		args := append(append([]string{"setup"}, base...), tt.args...)
		code, _, errOut := runCmd(t, "", args...)
		if code != exitUsage || !strings.Contains(errOut, tt.err) {
			t.Errorf("ssowizard %q: exit %d, stderr %q; want 2 and %q", args, code, errOut, tt.err)
		}
	}
}

func TestStatusAndExportWithoutDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "none", "ssowizard.db")
	code, out, errOut := runCmd(t, "", "status", "--db", db)
	if code != exitOK || !strings.HasPrefix(out, "no setups yet") {
		t.Errorf("status of a missing database: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, _ = runCmd(t, "", "status", "--db", db, "--json")
	var st statusJSON
	if err := json.Unmarshal([]byte(out), &st); code != exitOK || err != nil || st.Setups == nil || len(st.Setups) != 0 {
		t.Errorf("status --json of a missing database: exit %d, %q (%v); want an empty list", code, out, err)
	}
	code, _, errOut = runCmd(t, "", "export", "--db", db, "--evidence", "-")
	if code != exitUsage || !strings.Contains(errOut, "no setups yet") {
		t.Errorf("export from a missing database: exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Dir(db)); err == nil {
		t.Errorf("status or export created %s", filepath.Dir(db))
	}
	t.Setenv(dbEnv, db)
	if code, out, _ := runCmd(t, "", "status"); code != exitOK || !strings.Contains(out, db) {
		t.Errorf("status with $%s: exit %d, %q; want it to read %s", dbEnv, code, out, db)
	}
}

func TestExportRefuses(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ssowizard.db")
	for _, tt := range []struct {
		args []string
		err  string
	}{
		{nil, "nothing to export"},
		{[]string{"--evidence", "e.json", "--with-secret"}, "--with-secret goes with --connection or --submit"},
		{[]string{"--evidence", "-", "--connection", "-"}, "only one output can be -"},
		{[]string{"--evidence", "-", "extra"}, `unexpected argument "extra"`},
	} {
		args := append([]string{"export", "--db", db}, tt.args...)
		code, out, errOut := runCmd(t, "", args...)
		if code != exitUsage || out != "" || !strings.Contains(errOut, tt.err) {
			t.Errorf("ssowizard %q: exit %d, stdout %q, stderr %q; want 2 and %q", args, code, out, errOut, tt.err)
		}
	}
	for _, tt := range []struct{ url, err string }{
		{"", "names no submit_url"},
		{"http://vendor.example/sso", "not an https URL"},
		{"https:///nohost", "not an https URL"},
	} {
		if _, err := checkSubmitURL(tt.url); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("checkSubmitURL(%q) = %v, want %q", tt.url, err, tt.err)
		}
	}
	if u, err := checkSubmitURL("https://vendor.example/sso"); err != nil || u != "https://vendor.example/sso" {
		t.Errorf("checkSubmitURL(https) = %q, %v", u, err)
	}
}

func TestSubmitRefused(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "https://elsewhere.example/", http.StatusFound)
			return
		}
		http.Error(w, "tenant unknown", http.StatusBadRequest)
	}))
	defer srv.Close()
	ctx := context.Background()
	for _, tt := range []struct{ path, err string }{
		{"/sso", "refused the connection bundle with HTTP 400 (tenant unknown)"},
		{"/moved", "HTTP 302"},
	} {
		err := submitConnection(ctx, srv.Client(), srv.URL+tt.path, []byte(`{}`))
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("submit to %s = %v, want %q", tt.path, err, tt.err)
		}
	}
	if err := submitConnection(ctx, http.DefaultClient, srv.URL+"/sso", []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "could not be sent") {
		t.Errorf("submit to an untrusted certificate = %v, want could not be sent", err)
	}
}

func TestDBPath(t *testing.T) {
	t.Setenv(dbEnv, "")
	cfg, err := os.UserConfigDir()
	if err != nil {
		t.Skip("no user config directory here")
	}
	if got, want := dbPath(""), filepath.Join(cfg, "ssowizard", "ssowizard.db"); got != want {
		t.Errorf("dbPath() = %q, want %q", got, want)
	}
	t.Setenv(dbEnv, "/from/env.db")
	if got := dbPath(""); got != "/from/env.db" {
		t.Errorf("dbPath() with $%s = %q", dbEnv, got)
	}
	if got := dbPath("/from/flag.db"); got != "/from/flag.db" {
		t.Errorf("dbPath(flag) = %q, want the flag over the environment", got)
	}
	if got := harnessStateDir("/x/y/s.db"); got != "/x/y/harness" {
		t.Errorf("harnessStateDir = %q", got)
	}
}

// The Entra target can only be built here, not signed in to: automatic mode gets a
// Directory (whose device code prompt comes on first use), manual mode none.
func TestEntraTargetConstruction(t *testing.T) {
	var prompt bytes.Buffer
	for _, tt := range []struct {
		tenant, clientID string
		auto             bool
	}{
		{"", "", true},
		{"contoso.com", "", true},
		{"6f1c3a2e-8d4b-4c7a-9e51-2b0d7f4a9c13", "0b7e5c1d-3f2a-4e8b-a6d9-5c4e1f0a7b28", true},
		{"", "", false},
	} {
		tgt, err := entraTarget(tt.tenant, tt.clientID, tt.auto, printPrompt(&prompt), nil)
		if err != nil {
			t.Fatalf("entraTarget(%q, %q, %v) = %v", tt.tenant, tt.clientID, tt.auto, err)
		}
		if tgt.Name != "entra" || tgt.LoginBase != "https://login.microsoftonline.com" || tgt.GraphURL != "https://graph.microsoft.com" || tgt.Open != nil || tgt.TestUser != "" {
			t.Errorf("entra target = %+v", tgt)
		}
		if (tgt.Directory != nil) != tt.auto {
			t.Errorf("entraTarget(auto=%v) has Directory %v", tt.auto, tgt.Directory)
		}
	}
	if _, err := entraTarget("", "not-a-guid", true, printPrompt(&prompt), nil); err == nil {
		t.Error("entraTarget with a client ID that is not a GUID: no error")
	}
	if prompt.Len() != 0 {
		t.Errorf("building the target prompted already: %q", prompt.String())
	}
}

func TestSetupHelp(t *testing.T) {
	for cmd, want := range map[string][]string{
		"setup":  {"--ticket", "--protocol", "--target", "--auto", "--answers", "--db", "--session", "--new", "--scenario", "--json", "\"client-secret\"", "$NAME", "Exit status"},
		"status": {"--db", "--json", "no setups", "Exit status"},
		"export": {"--connection", "--with-secret", "--evidence", "--ics", "--submit", "0600", "Exit status"},
	} {
		code, out, _ := runCmd(t, "", "help", cmd)
		if code != exitOK {
			t.Fatalf("help %s: exit %d", cmd, code)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("help %s lacks %q", cmd, w)
			}
		}
	}
	_, out, _ := runCmd(t, "", "help")
	for _, w := range []string{"ssowizard setup", "ssowizard status", "ssowizard export"} {
		if !strings.Contains(out, w) {
			t.Errorf("help lacks %q:\n%s", w, out)
		}
	}
}
