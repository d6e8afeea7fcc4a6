package main

import (
	"context"
	"errors"
	"fmt"
	dirmodel "github.com/ssowizard/ssowizard/directory"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ssowizard/ssowizard/entra"
	"github.com/ssowizard/ssowizard/graph"
	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/robot"
	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/wizard"
	"github.com/ssowizard/ssowizard/wizard/secret"
)

// This file wires the wizard to the world, for the setup commands and the window alike:
// where the database is, the Graph client that is the wizard's Directory, and the two
// targets (the in-process harness, a real Entra tenant).

// dbEnv names the environment variable that moves the database.
const dbEnv = "SSOWIZARD_DB"

// dbPath is the database to use: the --db flag, else $SSOWIZARD_DB, else ssowizard.db in
// the user config directory; empty when none of those is known (no $HOME).
func dbPath(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if v := os.Getenv(dbEnv); v != "" {
		return v
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "ssowizard", "ssowizard.db")
}

// harnessStateDir is where the in-process harness of a database keeps its keys and its
// tenant: beside the database, so a setup killed and started again finds the apps it
// made.
func harnessStateDir(db string) string { return filepath.Join(filepath.Dir(db), "harness") }

// secretsEnv names the environment variable that, set to "memory", keeps client
// secrets in this process only even where an OS keyring exists.
const secretsEnv = "SSOWIZARD_SECRETS"

// newKeeper is where client secrets go: the OS keyring when there is one (and
// $SSOWIZARD_SECRETS is not "memory"), else this process's memory.
func newKeeper() secret.Keeper {
	if strings.EqualFold(os.Getenv(secretsEnv), "memory") {
		return secret.Memory()
	}
	return secret.New("ssowizard")
}

// The harness's seeded test user, who completes the test login with no person.
const (
	harnessTestUser     = "alice@" + tenant.DemoDomain
	harnessTestPassword = "Demo.Alice.2026"
)

// checkScenarios refuses a scenario name the harness does not know.
func checkScenarios(names []string) error {
	known := tenant.Scenarios()
	for _, n := range names {
		if !slices.Contains(known, n) {
			return fmt.Errorf("--scenario %q is not a scenario; the names are %s", n, strings.Join(known, ", "))
		}
	}
	return nil
}

// harnessStarted is handed each in-process harness as it starts: tests read its
// embedded SCIM receiver through it.
var harnessStarted = func(*harness.Server) {}

// harnessTarget starts the local Entra in this process, with its keys and its tenant
// kept in stateDir (the tenant in stateDir/tenant.json, rewritten after every change),
// the scenarios given in force for the whole tenant (and no others), and returns the
// wizard's target on it: Graph signed in as the demo's setup app, and test logins
// completed by the seeded test user. The caller closes the server.
func harnessTarget(ctx context.Context, stateDir string, scenarios []string, logger *slog.Logger) (*wizard.Target, *harness.Server, error) {
	if err := checkScenarios(scenarios); err != nil {
		return nil, nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	srv, err := startKeptAddr(ctx, harness.Config{StateDir: stateDir, TenantState: filepath.Join(stateDir, "tenant.json"), Logger: logger, SCIMReceiver: true})
	if err != nil {
		return nil, nil, fmt.Errorf("the local Entra could not start (%v): check that %s is a directory you can write", strings.TrimPrefix(err.Error(), "harness: "), stateDir)
	}
	harnessStarted(srv)
	fail := func(err error) (*wizard.Target, *harness.Server, error) {
		srv.Close()
		return nil, nil, err
	}
	if scenarios == nil {
		scenarios = []string{}
	}
	if err := srv.Store.SetScenarios("", scenarios); err != nil {
		return fail(fmt.Errorf("the local Entra refused the scenarios (%v)", err))
	}
	t, err := harnessTargetOn(srv, stateDir, logger)
	if err != nil {
		return fail(err)
	}
	return t, srv, nil
}

// harnessTargetOn is the wizard's target on a running harness: Graph signed in as the
// demo's setup app, test logins completed by the seeded test user, and the scenarios in
// force for the whole tenant recorded. stateDir is where srv keeps its tenant. The
// window uses it on the harness it runs.
func harnessTargetOn(srv *harness.Server, stateDir string, logger *slog.Logger) (*wizard.Target, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	setup, ok := srv.Store.AppByID(tenant.DemoSetupAppID)
	secretValue := ""
	var newest time.Time
	for _, s := range setup.Secrets {
		if s.End.After(newest) {
			newest, secretValue = s.End, s.Value
		}
	}
	if !ok || secretValue == "" {
		return nil, fmt.Errorf("the local Entra's tenant in %s has no setup app with a secret to sign in to Graph with: move that file away to start from the demo tenant", filepath.Join(stateDir, "tenant.json"))
	}
	tg, err := graph.HarnessTarget(srv.BaseURL, srv.TenantID, srv.CertPool())
	if err != nil {
		return nil, err
	}
	tg.Logger = logger
	cred, err := graph.ClientSecretCredential(tg, tenant.DemoSetupAppID, secretValue)
	if err != nil {
		return nil, err
	}
	client, err := graph.NewClient(tg, cred, graph.Options{})
	if err != nil {
		return nil, err
	}
	users := robot.Users{Store: srv.Store}
	scenarios := srv.Store.ScenariosFor("")
	if scenarios == nil {
		scenarios = []string{}
	}
	return &wizard.Target{
		Name:      "harness",
		LoginBase: srv.BaseURL,
		GraphURL:  srv.BaseURL,
		HTTP:      srv.Client(),
		Directory: newDirectory(client),
		Open:      playOpen(robot.New(srv.Client(), harnessTestUser, harnessTestPassword)),
		Scenarios: scenarios,
		TestUser:  harnessTestUser,
		SignInAs: func(user string) (string, func(string) error, error) {
			login, b, err := users.Browser(srv.Client(), user)
			if err != nil {
				return "", nil, err
			}
			return login, playOpen(b), nil
		},
		Unassigned: users.Unassigned,
	}, nil
}

// addrFile keeps the harness's address in its state directory.
const addrFile = "addr"

// startKeptAddr starts the harness on the address it had last time in this state
// directory, as Entra's URLs do not change between two runs: what a setup recorded (the
// SAML sign-on URL in the IdP metadata) must still lead somewhere after a restart. When
// that port is taken, a free one is used, and kept for next time.
func startKeptAddr(ctx context.Context, cfg harness.Config) (*harness.Server, error) {
	path := filepath.Join(cfg.StateDir, addrFile)
	if b, err := os.ReadFile(path); err == nil {
		if addr := strings.TrimSpace(string(b)); checkLoopback(addr, false) == nil {
			c := cfg
			c.Addr = addr
			if srv, err := harness.Start(ctx, c); err == nil {
				return srv, nil
			}
		}
	}
	srv, err := harness.Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	// Best effort: without it the next start picks another free port.
	_ = writeFileAtomic(path, []byte(strings.TrimPrefix(srv.BaseURL, "https://")+"\n"))
	return srv, nil
}

// playOpen is the test login's browser on the harness: the robot plays the sign-in to
// its end before Open returns, so a sign-in that never comes back to the test login
// (an Entra error page, a harness that is gone) ends the login at once with the reason
// instead of leaving it to wait for its timeout.
func playOpen(b *robot.Browser) func(string) error {
	return func(u string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		p, err := b.Play(ctx, u)
		if err != nil {
			return fmt.Errorf("the test user's sign-in did not finish: %v", err)
		}
		if pu, err := url.Parse(p.URL); err == nil && isLoopback(pu.Hostname()) && pu.Scheme == "http" {
			return nil // the answer reached the test login's loopback listener
		}
		if code := p.AADSTS(); code != 0 {
			return fmt.Errorf("the test user's sign-in stopped at Entra's error AADSTS%d and never came back to the test login", code)
		}
		return fmt.Errorf("the test user's sign-in stopped at %s (HTTP %d) and never came back to the test login", redactURL(p.URL), p.Status)
	}
}

// redactURL drops a URL's query and fragment, which can carry codes.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "an unreadable address"
	}
	u.RawQuery, u.Fragment = "", ""
	return u.String()
}

// Entra's public cloud, as the wizard reaches it.
const (
	// graphCLIClientID is Microsoft Graph Command Line Tools, a public client every
	// tenant can consent to, which the device code sign-in uses unless told otherwise.
	graphCLIClientID = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
)

// entraTarget is a real tenant. In automatic mode Graph is reached through a device
// code sign-in as clientID, whose prompt is written to prompt when the first call needs
// a token; tenantID may be empty (any organisation's admin may sign in). Test logins
// open the system browser.
func entraTarget(tenantID, clientID string, auto bool, prompt func(graph.DeviceCode) error, logger *slog.Logger) (*wizard.Target, error) {
	t := &wizard.Target{Name: "entra", LoginBase: entra.LoginBase, GraphURL: entra.GraphBase,
		HTTP: &http.Client{Timeout: 60 * time.Second}}
	if !auto {
		return t, nil
	}
	if clientID == "" {
		clientID = graphCLIClientID
	}
	if tenantID == "" {
		tenantID = "organizations"
	}
	tg := graph.EntraTarget(tenantID)
	tg.Logger = logger
	cred, err := graph.DeviceCodeCredential(tg, clientID, func(_ context.Context, dc graph.DeviceCode) error {
		return prompt(dc)
	})
	if err != nil {
		return nil, err
	}
	client, err := graph.NewClient(tg, cred, graph.Options{ClientID: clientID})
	if err != nil {
		return nil, err
	}
	t.Directory = newDirectory(client)
	return t, nil
}

// printPrompt tells the admin on w how to sign in with a device code: Entra's own
// sentence, or one made of the page and the code when Entra gave none.
func printPrompt(w io.Writer) func(graph.DeviceCode) error {
	return func(dc graph.DeviceCode) error {
		msg := dc.Message
		if msg == "" {
			msg = fmt.Sprintf("To sign in to Microsoft Graph, open %s and enter the code %s.", dc.VerificationURL, dc.UserCode)
		}
		_, err := fmt.Fprintln(w, msg)
		return err
	}
}

// errNoDB is the database path unknown.
var errNoDB = errors.New("no --db given, $SSOWIZARD_DB is unset and the system names no config directory ($HOME is unset): pass --db FILE")

// directory is the Graph client as the wizard's Directory (its methods promoted as
// they are) with the synchronization calls of the Provisioning step. A client that is
// not a graph.Synchronizer (a test double) answers those with one sentence.
type directory struct{ dirmodel.Client }

func newDirectory(c dirmodel.Client) directory { return directory{c} }

var _ wizard.Provisioner = directory{}

func (d directory) sync() (graph.Synchronizer, error) {
	s, ok := d.Client.(graph.Synchronizer)
	if !ok {
		return nil, errors.New("this Graph client cannot set provisioning up: set it up by hand with a manual-mode setup")
	}
	return s, nil
}

func (d directory) SyncTemplates(ctx context.Context, app wizard.App) ([]string, error) {
	s, err := d.sync()
	if err != nil {
		return nil, err
	}
	return s.SyncTemplates(ctx, app)
}

func fromGraphJob(j graph.SyncJob) wizard.SyncJob {
	return wizard.SyncJob{ID: j.ID, TemplateID: j.TemplateID, Status: j.Status}
}

func (d directory) SyncJobs(ctx context.Context, app wizard.App) ([]wizard.SyncJob, error) {
	s, err := d.sync()
	if err != nil {
		return nil, err
	}
	js, err := s.SyncJobs(ctx, app)
	out := make([]wizard.SyncJob, 0, len(js))
	for _, j := range js {
		out = append(out, fromGraphJob(j))
	}
	return out, err
}

func (d directory) CreateSyncJob(ctx context.Context, app wizard.App, templateID string) (wizard.SyncJob, error) {
	s, err := d.sync()
	if err != nil {
		return wizard.SyncJob{}, err
	}
	j, err := s.CreateSyncJob(ctx, app, templateID)
	return fromGraphJob(j), err
}

func (d directory) SetSyncSecrets(ctx context.Context, app wizard.App, secrets []wizard.SyncSecret) error {
	s, err := d.sync()
	if err != nil {
		return err
	}
	m := map[string]string{}
	for _, x := range secrets {
		m[x.Key] = x.Value
	}
	return s.SetSyncSecrets(ctx, app, m)
}

func (d directory) ValidateSyncCredentials(ctx context.Context, app wizard.App, jobID string) error {
	s, err := d.sync()
	if err != nil {
		return err
	}
	return s.ValidateSyncCredentials(ctx, app, jobID)
}

func (d directory) StartSyncJob(ctx context.Context, app wizard.App, jobID string) error {
	s, err := d.sync()
	if err != nil {
		return err
	}
	return s.StartSyncJob(ctx, app, jobID)
}

func (d directory) ProvisionOnDemand(ctx context.Context, app wizard.App, jobID, userID string) (wizard.OnDemandResult, error) {
	s, err := d.sync()
	if err != nil {
		return wizard.OnDemandResult{}, err
	}
	r, err := s.ProvisionOnDemand(ctx, app, jobID, userID)
	return wizard.OnDemandResult{Result: r.Result, ErrorCode: r.ErrorCode, ErrorMessage: r.ErrorMessage, TargetID: r.TargetID}, err
}

func (d directory) ProvisioningLogs(ctx context.Context, app wizard.App, jobID string) ([]wizard.ProvisioningLog, error) {
	s, err := d.sync()
	if err != nil {
		return nil, err
	}
	ls, err := s.ProvisioningLogs(ctx, app, jobID)
	out := make([]wizard.ProvisioningLog, 0, len(ls))
	for _, l := range ls {
		w := wizard.ProvisioningLog{Action: l.Action, Status: l.Status, Reason: l.Reason, SourceID: l.SourceID, SourceName: l.SourceName, TargetID: l.TargetID}
		for _, st := range l.Steps {
			w.Steps = append(w.Steps, wizard.ProvisioningStep{Name: st.Name, Status: st.Status, Description: st.Description,
				Request: st.Request, Response: st.Response, StatusCode: st.StatusCode})
		}
		out = append(out, w)
	}
	return out, err
}
