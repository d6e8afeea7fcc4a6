package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/wizard"
	"github.com/ssowizard/ssowizard/wizard/check"
	"github.com/ssowizard/ssowizard/wizard/store"
)

const setupAbout = `Run the wizard's steps without the window: connect a tenant to the vendor a ticket describes, by
OIDC or SAML, prove it with a test login, and enable it. Every step is saved in the database as it
is judged, so a run that stops (a failed step, Ctrl-C, a crash) resumes where it stopped: the next
run with the same ticket's vendor, --protocol, --target and mode continues the most recent setup
still in progress (--session picks one, --new starts another).

--auto carries the steps out through Microsoft Graph. With --target harness that is the local Entra
started in this process (its keys and tenant kept beside the database, in harness/), and its seeded
test user completes the test login, so nothing needs a person. With --target entra an administrator
signs in by device code (the prompt is printed on stderr) and the test login opens the browser.

--answers FILE (manual mode, or extra inputs with --auto) gives what an administrator did by hand in
the Entra admin center, step by step; the wizard checks each value against Entra's public endpoints:
  {
    "registration":  {"client_id": "GUID", "tenant_id": "GUID or domain"},
    "redirect-uri":  {"redirect_uri": "https://vendor.example/callback"},
    "client-secret": {"client_secret": "$VENDOR_SECRET", "secret_expires": "2028-01-31"},
    "domain":        {"domains": "contoso.com"},
    "assignments":   {"principals": ["Vendor Users"], "assignment_required": true},
    "enable":        {"login_methods": "both"}
  }
SAML uses the steps enterprise-app (app_id, tenant_id), saml-urls (entity_id, reply_url) and
idp-metadata (metadata_url, or metadata_xml, or fingerprint with issuer). A value "$NAME" is read
from the environment variable NAME, so a secret need not be written in the file; secrets go to the
OS keyring, or are held in memory for this run only. In automatic mode against the harness, the
test user is assigned when no principals are given.

The test login signs in as the test user named (test.test_user; on the harness as that user of
the local Entra, by default alice) and fails when the answer names anyone else. When the app
requires assignment it also proves a user who is not assigned is refused (AADSTS50105): on the
harness one is found; on Entra name one as test.refused_user and sign in as them in a second login.

An automatic OIDC setup resumed without the client secret it made (kept in memory by an earlier
run, with no keyring) stops at Client secret: run again with --new-secret (or answer
client-secret.new_secret = yes) to remove the lost one from the app and make a new one.

Each step is printed as it is judged ("✓ Step" or "✗ Step" with what is wrong and what to do), then
where the run stopped. --json prints one JSON object per step and a last one with the outcome.

Exit status: 0 the setup is enabled, 1 a step failed or the run was interrupted (run it again to
resume), 2 usage error or unreadable input (ticket, answers file, database).`

type setupFlags struct {
	ticket, protocol, target, tenant, answers string
	db, session, clientID, logFile            string
	auto, json, fresh, verbose, newSecret     bool
	scenarios                                 scenarioFlag
}

func runSetup(e *env, args []string) int {
	var f setupFlags
	fs := newFlagSet(e, "setup", "--ticket FILE|demo --protocol oidc|saml --target harness|entra [--auto | --answers FILE] [flags]", setupAbout)
	fs.StringVar(&f.ticket, "ticket", "", "the vendor's ticket: a JSON `FILE`, or demo for the embedded one")
	fs.StringVar(&f.protocol, "protocol", "", "`oidc` or saml")
	fs.StringVar(&f.target, "target", "", "`harness` (the local Entra, in this process) or entra (a real tenant)")
	fs.StringVar(&f.tenant, "tenant", "", "the tenant `ID` (GUID or verified domain) the setup is for")
	fs.BoolVar(&f.auto, "auto", false, "carry the steps out through Microsoft Graph")
	fs.StringVar(&f.answers, "answers", "", "the inputs, step by step, as JSON `FILE` (manual mode without --auto)")
	fs.StringVar(&f.db, "db", "", "the database `FILE` (default $"+dbEnv+", else ssowizard.db in the user config directory)")
	fs.StringVar(&f.session, "session", "", "resume the setup with this `ID` (see status)")
	fs.BoolVar(&f.fresh, "new", false, "start a new setup even when one is in progress")
	fs.BoolVar(&f.newSecret, "new-secret", false, "--auto: make a new client secret when the one made earlier is lost (kept in memory by an earlier run)")
	fs.Var(&f.scenarios, "scenario", "harness target: apply the fault `NAME` to the local Entra; repeatable")
	fs.StringVar(&f.clientID, "client-id", graphCLIClientID, "entra target, --auto: the public client `ID` the administrator signs in to Graph with")
	fs.BoolVar(&f.json, "json", false, "print one JSON object per step, then one with the outcome")
	fs.BoolVar(&f.verbose, "verbose", false, "log each transition and request to stderr (never a secret)")
	fs.StringVar(&f.logFile, "log", "", "append the log to `FILE` instead")
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, "ssowizard setup: "+format+".\n", a...)
		return exitUsage
	}
	if len(pos) > 0 {
		return usage("unexpected argument %q; everything is given by flags, run 'ssowizard setup -h'", pos[0])
	}
	if err := f.check(); err != nil {
		return usage("%v", err)
	}
	var ticket, answers []byte
	var err error
	if f.ticket != "" {
		if ticket, err = readTicket(f.ticket); err != nil {
			return usage("%v", err)
		}
	}
	if f.answers != "" {
		if answers, err = os.ReadFile(f.answers); err != nil {
			return usage("--answers: %v", fileErr(err))
		}
		if f.protocol != "" { // refused before anything is made; else once the setup is loaded
			if _, err := wizard.ParseAnswers(answers, wizard.Protocol(f.protocol)); err != nil {
				return usage("--answers %s: %v", f.answers, err)
			}
		}
	}
	path := dbPath(f.db)
	if path == "" {
		return usage("%v", errNoDB)
	}
	logger, closeLog, err := f.logger(e)
	if err != nil {
		return usage("%v", err)
	}
	defer closeLog()

	ctx, stop := signal.NotifyContext(e.context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := store.Open(ctx, path)
	if err != nil {
		return usage("%v", err)
	}
	defer db.Close()
	eng := &wizard.Engine{DB: db, Secrets: e.keeper(), Log: logger}

	s, resumed, err := f.findSession(ctx, eng, ticket)
	if err != nil {
		return usage("%v", err)
	}
	if answers != nil {
		a, err := wizard.ParseAnswers(answers, s.Protocol())
		if err != nil {
			return usage("--answers %s: %v", f.answers, err)
		}
		if err := a.Apply(s); err != nil {
			return usage("--answers %s: %v", f.answers, err)
		}
	}

	var tgt *wizard.Target
	switch s.TargetName() {
	case "harness":
		t, srv, err := harnessTarget(context.Background(), harnessStateDir(path), f.scenarios, logger)
		if err != nil {
			return usage("%v", err)
		}
		defer srv.Close()
		if err := handDemoReceiver(s, srv); err != nil {
			return usage("%v", err)
		}
		tgt = t
	default:
		t, err := entraTarget(f.tenant, f.clientID, s.Mode() == wizard.Auto, printPrompt(e.stderr), logger)
		if err != nil {
			return usage("%v", err)
		}
		tgt = t
	}
	out := &setupPrinter{w: e.stdout, json: f.json, session: s.ID()}
	out.header(s, resumed)
	return drive(ctx, e, s, tgt, f.newSecret, out)
}

// check refuses contradictory flags before anything is opened.
func (f *setupFlags) check() error {
	switch f.protocol {
	case "", "oidc", "saml":
	default:
		return fmt.Errorf("--protocol %q is not oidc or saml", f.protocol)
	}
	switch f.target {
	case "", "harness", "entra":
	default:
		return fmt.Errorf("--target %q is not harness or entra", f.target)
	}
	if f.session != "" && f.fresh {
		return errors.New("--session resumes a setup and --new starts one: give one of them")
	}
	if f.session == "" {
		switch {
		case f.ticket == "":
			return errors.New("--ticket is required: a vendor's ticket file, or demo")
		case f.protocol == "":
			return errors.New("--protocol is required: oidc or saml")
		case f.target == "":
			return errors.New("--target is required: harness (the local Entra) or entra (a real tenant)")
		case !f.auto && f.answers == "":
			return errors.New("give --auto to carry the steps out through Graph, or --answers FILE with what was done by hand")
		}
	}
	if len(f.scenarios) > 0 && f.target == "entra" {
		return errors.New("--scenario applies to the harness target only")
	}
	if err := checkScenarios(f.scenarios); err != nil {
		return err
	}
	if f.tenant != "" {
		if r := check.TenantID(f.tenant); r.Failed() {
			return fmt.Errorf("--tenant: %s %s", strings.TrimSuffix(r.Message, "."), r.Fix)
		}
	}
	return nil
}

func (f *setupFlags) mode() wizard.Mode {
	if f.auto {
		return wizard.Auto
	}
	return wizard.Manual
}

// logger is where the run logs: stderr with --verbose, a file with --log, else nowhere.
func (f *setupFlags) logger(e *env) (*slog.Logger, func(), error) {
	switch {
	case f.logFile != "":
		fh, err := os.OpenFile(f.logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("--log: %v", fileErr(err))
		}
		return slog.New(slog.NewTextHandler(fh, nil)), func() { fh.Close() }, nil
	case f.verbose:
		return slog.New(slog.NewTextHandler(e.stderr, nil)), func() {}, nil
	}
	return slog.New(slog.DiscardHandler), func() {}, nil
}

// demoSCIMName is --ticket's name of the embedded demo ticket with provisioning.
const demoSCIMName = "demo-scim"

// readTicket reads --ticket: demo, demo-scim, or a file.
func readTicket(name string) ([]byte, error) {
	switch name {
	case "demo":
		return wizard.DemoTicketJSON(), nil
	case demoSCIMName:
		return wizard.DemoSCIMTicketJSON(), nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("--ticket: %v", fileErr(err))
	}
	if _, err := wizard.ParseTicket(b); err != nil {
		return nil, fmt.Errorf("--ticket %s: %v", name, err)
	}
	return b, nil
}

// handDemoReceiver points a setup of the demo-scim ticket on the in-process harness at
// the harness's embedded SCIM receiver: its URL as the Tenant URL, and its token, made
// for this start, as the secret scim_token (the keeper's, never the database's).
func handDemoReceiver(s *wizard.Session, srv *harness.Server) error {
	if s.Ticket.SCIM == nil || srv.SCIMURL == "" || s.Ticket.SCIM.BaseURL != wizard.DemoSCIMTicket().SCIM.BaseURL {
		return nil
	}
	if err := s.SetInput(wizard.StepProvisioning, wizard.InSCIMBaseURL, srv.SCIMURL); err != nil {
		return err
	}
	return s.SetInput(wizard.StepProvisioning, wizard.InSCIMToken, srv.SCIMToken)
}

// session_ finds the setup to continue (--session, or the most recent one in progress
// with the same vendor, protocol, target and mode, unless --new) or starts one.
func (f *setupFlags) findSession(ctx context.Context, eng *wizard.Engine, ticket []byte) (s *wizard.Session, resumed bool, err error) {
	if f.session != "" {
		s, err := eng.Load(ctx, f.session)
		if err != nil {
			return nil, false, err
		}
		switch {
		case f.protocol != "" && f.protocol != string(s.Protocol()):
			return nil, false, fmt.Errorf("setup %s is by %s, not %s: drop --protocol, or start another with --new", s.ID(), s.Protocol(), f.protocol)
		case f.target != "" && f.target != s.TargetName():
			return nil, false, fmt.Errorf("setup %s targets %s, not %s: drop --target, or start another with --new", s.ID(), s.TargetName(), f.target)
		case f.auto && s.Mode() != wizard.Auto:
			return nil, false, fmt.Errorf("setup %s is in %s mode: drop --auto, or start another with --new", s.ID(), s.Mode())
		}
		if ticket != nil {
			if t, err := wizard.ParseTicket(ticket); err == nil && t.Vendor != s.Ticket.Vendor {
				return nil, false, fmt.Errorf("setup %s is for %s, not %s: drop --ticket, or start another with --new", s.ID(), s.Ticket.Vendor, t.Vendor)
			}
		}
		return s, true, nil
	}
	t, err := wizard.ParseTicket(ticket)
	if err != nil {
		return nil, false, err
	}
	if !f.fresh {
		rows, err := eng.DB.Sessions(ctx)
		if err != nil {
			return nil, false, err
		}
		for _, r := range rows {
			if r.Status == wizard.SessionInProgress && r.Vendor == t.Vendor && r.Protocol == f.protocol && r.Target == f.target && r.Mode == string(f.mode()) {
				s, err := eng.Load(ctx, r.ID)
				if err != nil {
					return nil, false, err
				}
				return s, true, nil
			}
		}
	}
	s, err = eng.Create(ctx, wizard.NewSession{Ticket: ticket, Protocol: wizard.Protocol(f.protocol), Target: f.target, TenantID: f.tenant, Mode: f.mode()})
	return s, false, err
}

// drive runs the steps from the first one not verified until one fails, the run is
// interrupted, or the setup is enabled, printing each as it is judged.
func drive(ctx context.Context, e *env, s *wizard.Session, t *wizard.Target, newSecret bool, out *setupPrinter) int {
	if s.Mode() == wizard.Auto {
		// Automatic mode against the harness assigns the user who tests (the one named,
		// else the seeded one), unless told whom.
		tester := s.Step(wizard.StepTest).Inputs[wizard.InTestUser]
		if tester == "" {
			tester = t.TestUser
		}
		if st := s.Step(wizard.StepAssignments); st.Status != wizard.Verified && st.Inputs[wizard.InPrincipals] == "" && tester != "" {
			if err := s.SetInput(wizard.StepAssignments, wizard.InPrincipals, tester); err != nil {
				return out.fatal(e, err)
			}
		}
	}
	if err := answerLostSecret(s, newSecret, out); err != nil {
		return out.fatal(e, err)
	}
	steps := s.StepNames()
	for range len(steps) + 1 {
		if s.Done() {
			break
		}
		next, ok := firstOpen(s)
		if !ok {
			break
		}
		if overriding(s, next) {
			// The answers give a reason to enable without a passing test: Enable runs
			// on the failed test instead of running it again.
			next = wizard.StepEnable
		}
		st, err := s.Run(ctx, t, next)
		if ctx.Err() != nil {
			return out.interrupted(s, next)
		}
		if err != nil {
			return out.fatal(e, err)
		}
		out.step(st)
		if st.Status != wizard.Verified {
			return out.failed(ctx, s, st)
		}
	}
	if !s.Done() {
		next, _ := firstOpen(s)
		return out.failed(ctx, s, s.Step(next))
	}
	return out.enabled(ctx, s)
}

// overriding reports whether the run should go on to Enable over step next, a
// failed test, because Enable's inputs give a reason to enable without a passing one.
func overriding(s *wizard.Session, next wizard.StepName) bool {
	return next == wizard.StepTest && s.Step(next).Status == wizard.Failed &&
		strings.TrimSpace(s.Step(wizard.StepEnable).Inputs[wizard.InOverride]) != ""
}

// firstOpen is the first step not verified.
func firstOpen(s *wizard.Session) (wizard.StepName, bool) {
	for _, st := range s.Steps() {
		if st.Status != wizard.Verified {
			return st.Name, true
		}
	}
	return "", false
}

// answerLostSecret is --new-secret: an automatic setup whose client secret's value is
// lost (kept in memory by an earlier run) makes a new one only when asked, and the
// engine removes the lost one from the app. Without the flag the step stops and says
// so.
func answerLostSecret(s *wizard.Session, newSecret bool, out *setupPrinter) error {
	st := s.Step(wizard.StepClientSecret)
	if s.Mode() != wizard.Auto || !newSecret || st.Status == wizard.Verified {
		return nil
	}
	for _, r := range st.Checks {
		if r.ID == wizard.CodeSecretLost {
			out.note("The client secret made earlier was kept in memory only and is lost with that run: making a new one, as --new-secret asks.")
			return s.SetInput(wizard.StepClientSecret, wizard.InNewSecret, "yes")
		}
	}
	return nil
}

// setupPrinter writes the run for a person, or as JSON lines.
type setupPrinter struct {
	w       io.Writer
	json    bool
	session string
}

// stepLine is one judged step in --json output.
type stepLine struct {
	Session    string          `json:"session"`
	Step       wizard.StepName `json:"step"`
	Title      string          `json:"title"`
	Status     wizard.Status   `json:"status"`
	Checks     []check.Result  `json:"checks"`
	Error      string          `json:"error,omitempty"`
	VerifiedAt time.Time       `json:"verified_at,omitzero"`
}

// outcomeLine is the last line of --json output.
type outcomeLine struct {
	// Result is enabled, failed or interrupted.
	Result  string          `json:"result"`
	Message string          `json:"message"`
	Summary *wizard.Summary `json:"summary,omitempty"`
}

func (p *setupPrinter) emit(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	fmt.Fprintf(p.w, "%s\n", b)
}

func (p *setupPrinter) header(s *wizard.Session, resumed bool) {
	if p.json {
		return
	}
	verb := "Starting"
	if resumed {
		verb = "Resuming"
	}
	mode := "automatic"
	if s.Mode() == wizard.Manual {
		mode = "manual"
	}
	where := ""
	if next, ok := firstOpen(s); ok && resumed {
		where = " at " + next.Title()
	}
	fmt.Fprintf(p.w, "%s setup %s%s: %s by %s, %s mode, target %s.\n", verb, s.ID(), where, s.Ticket.Vendor, strings.ToUpper(string(s.Protocol())), mode, s.TargetName())
}

func (p *setupPrinter) note(msg string) {
	if !p.json {
		fmt.Fprintln(p.w, msg)
	}
}

func (p *setupPrinter) step(st wizard.StepState) {
	if p.json {
		checks := st.Checks
		if checks == nil {
			checks = []check.Result{}
		}
		p.emit(stepLine{Session: p.session, Step: st.Name, Title: st.Name.Title(), Status: st.Status, Checks: checks, Error: st.Error, VerifiedAt: st.VerifiedAt})
		return
	}
	mark := "✓"
	if st.Status != wizard.Verified {
		mark = "✗"
	}
	fmt.Fprintf(p.w, "%s %s\n", mark, st.Name.Title())
	for _, r := range st.Checks {
		if r.Severity == check.OK {
			continue
		}
		bullet := "-"
		if r.Severity == check.Warning {
			bullet = "!"
		}
		fmt.Fprintf(p.w, "    %s %s\n", bullet, r.Message)
		if r.Fix != "" {
			fmt.Fprintf(p.w, "      Fix: %s\n", r.Fix)
		}
		for _, l := range strings.Split(strings.TrimRight(r.Detail, "\n"), "\n") {
			if l != "" {
				fmt.Fprintf(p.w, "      %s\n", l)
			}
		}
	}
	if st.Error != "" {
		fmt.Fprintf(p.w, "    - %s\n", st.Error)
	}
}

func (p *setupPrinter) summary(ctx context.Context, s *wizard.Session) *wizard.Summary {
	sum, err := s.Summary(context.WithoutCancel(ctx))
	if err != nil {
		return nil
	}
	return &sum
}

func (p *setupPrinter) finish(ctx context.Context, s *wizard.Session, result, msg string, code int) int {
	if p.json {
		p.emit(outcomeLine{Result: result, Message: msg, Summary: p.summary(ctx, s)})
	} else {
		fmt.Fprintln(p.w, msg)
	}
	return code
}

func (p *setupPrinter) failed(ctx context.Context, s *wizard.Session, st wizard.StepState) int {
	what := "fix what is shown above (in Entra, or in the answers file)"
	if st.Error != "" && !check.Failed(st.Checks) {
		what = "fix the cause shown above"
	}
	msg := fmt.Sprintf("Stopped at %s: %s, then run the same command again to resume setup %s.", st.Name.Title(), what, s.ID())
	if slices.ContainsFunc(st.Checks, func(r check.Result) bool { return r.ID == wizard.CodeSecretLost }) && s.Mode() == wizard.Auto {
		msg = fmt.Sprintf("Stopped at %s: the secret made earlier is lost; run the same command again with --new-secret to make a new one (setup %s).", st.Name.Title(), s.ID())
	}
	return p.finish(ctx, s, "failed", msg, exitWrong)
}

func (p *setupPrinter) interrupted(s *wizard.Session, at wizard.StepName) int {
	msg := fmt.Sprintf("Interrupted during %s; run the same command again to resume setup %s there.", at.Title(), s.ID())
	return p.finish(context.Background(), s, "interrupted", msg, exitWrong)
}

func (p *setupPrinter) enabled(ctx context.Context, s *wizard.Session) int {
	msg := fmt.Sprintf("Enabled: single sign-on to %s by %s is ready and tested (setup %s). Export it with: ssowizard export --session %s --connection FILE",
		s.Ticket.Vendor, strings.ToUpper(string(s.Protocol())), s.ID(), s.ID())
	if e := s.State().Enabled; e != nil && e.Override != "" {
		msg = fmt.Sprintf("Enabled without a passing test login: single sign-on to %s by %s is on for the reason recorded (setup %s); run the test as soon as you can. Export it with: ssowizard export --session %s --connection FILE",
			s.Ticket.Vendor, strings.ToUpper(string(s.Protocol())), s.ID(), s.ID())
	}
	return p.finish(ctx, s, "enabled", msg, exitOK)
}

// fatal reports what kept a step from being judged at all (the database, mostly).
func (p *setupPrinter) fatal(e *env, err error) int {
	fmt.Fprintf(e.stderr, "ssowizard setup: %s.\n", strings.TrimSuffix(err.Error(), "."))
	return exitUsage
}

// openExisting opens the database for the commands that only read it, refusing to create
// one: a missing file means no setups yet.
func openExisting(ctx context.Context, path string) (*store.DB, bool, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, fmt.Errorf("the database %s cannot be read (%v)", path, err)
	}
	db, err := store.Open(ctx, path)
	if err != nil {
		return nil, false, err
	}
	return db, true, nil
}
