package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

const harnessAbout = `Run the local Entra: Entra's login endpoints (OIDC v2 and SAML) for one tenant, over HTTPS on
loopback, until interrupted (Ctrl-C, SIGINT or SIGTERM stop it cleanly, with exit status 0).

Without --tenant it serves the demo tenant, whose users, passwords and app are printed at start.
The CA, TLS certificate and token signing key are made once and kept in --state, so clients that
trust the CA once keep trusting it across restarts.

--scenario NAME applies a named fault to every app of the tenant; --scenario APP_ID=NAME to one
app only. It is repeatable. Scenarios can also be changed while running, from this machine, with
PUT /harness/scenarios.

--replay BUNDLE serves the tenant an evidence bundle (ssowizard export --evidence) describes: the
customer's tenant ID, domains and app (client ID, URLs, SAML signing as observed, claims,
assignment), one user who signs in with the claims the customer's test login showed (the login and
a fresh password are printed), and the scenarios that login showed (SHA-1, no e-mail, a groups
overage...), so support can reproduce the login against their own service. It cannot be combined
with --tenant.

--json prints exactly one line of facts once the harness answers (base_url, tenant_id, authority,
graph_url, ca_cert, users, apps), for scripts; stdout then carries nothing else, and stderr only
errors. Without --json the same facts are printed for a person, and each request is logged to stderr.

The harness listens on loopback only: it hands out passwords and signs tokens for whoever reaches
it. --allow-remote lets --addr name another address; its TLS certificate still names only
localhost, 127.0.0.1 and ::1, so clients on other machines see a name mismatch.

Exit status: 0 stopped by a signal, 1 the server failed while running, 2 usage error, unreadable
tenant file or state directory, or an address it cannot listen on.`

// shutdownGrace is how long requests in flight may take to finish once asked to stop.
const shutdownGrace = 5 * time.Second

// scenarioFlag collects repeated --scenario values.
type scenarioFlag []string

func (s *scenarioFlag) String() string { return strings.Join(*s, ",") }

func (s *scenarioFlag) Set(v string) error {
	*s = append(*s, v)
	return nil
}

type harnessFlags struct {
	addr, tenantFile, state, replay string
	scenarios                       scenarioFlag
	allowRemote, json               bool
}

// defaultStateDir is where the harness keeps its keys when --state is not given; empty
// when the system names no config directory (no $HOME), and then --state is needed.
func defaultStateDir() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "ssowizard", "harness")
}

func runHarness(e *env, args []string) int {
	var f harnessFlags
	fs := newFlagSet(e, "harness", "[flags]", harnessAbout)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:0", "listen on `HOST:PORT`; port 0 picks a free one")
	fs.StringVar(&f.tenantFile, "tenant", "", "serve the tenant in this JSON `FILE` (the format in DESIGN.md) instead of the demo tenant")
	fs.StringVar(&f.state, "state", defaultStateDir(), "keep the CA, TLS and signing keys in `DIR`")
	fs.Var(&f.scenarios, "scenario", "apply the fault `NAME` to every app, or APP_ID=NAME to one app; repeatable. Names: "+
		strings.Join(tenant.Scenarios(), ", "))
	fs.StringVar(&f.replay, "replay", "", "serve the tenant, app and user of an evidence `BUNDLE` (export --evidence)")
	fs.BoolVar(&f.allowRemote, "allow-remote", false, "allow an --addr that is not loopback (other machines can then sign in with the printed passwords)")
	fs.BoolVar(&f.json, "json", false, "print the facts as one JSON line once listening")
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(e.stderr, "ssowizard harness: unexpected argument %q; it takes only flags, run 'ssowizard harness -h'.\n", pos[0])
		return exitUsage
	}
	cfg, rp, err := f.config()
	if err != nil {
		fmt.Fprintf(e.stderr, "ssowizard harness: %v.\n", err)
		return exitUsage
	}
	cfg.SCIMReceiver = true // the offline demo's vendor; its URL and token join the facts
	if !f.json {
		cfg.Logger = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}

	parent := e.ctx
	if parent == nil {
		parent = context.Background()
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Start gets its own context: ending it would close the server at once, and a
	// signal should let requests in flight finish (Shutdown below).
	harness.TuneGCForServing()
	srv, err := harness.Start(context.Background(), cfg)
	if err != nil {
		fmt.Fprintf(e.stderr, "ssowizard harness: %s.\n", describeStartError(err, f))
		return exitUsage
	}
	if f.json {
		line, err := json.Marshal(replayFacts{Facts: srv.Facts(), Replay: rp.facts()})
		if err == nil {
			_, err = fmt.Fprintf(e.stdout, "%s\n", line)
		}
		if err != nil {
			srv.Close()
			fmt.Fprintf(e.stderr, "ssowizard harness: could not write the facts: %v.\n", err)
			return exitWrong
		}
	} else {
		printFacts(e.stdout, srv)
		printReplay(e.stdout, rp)
	}

	select {
	case <-ctx.Done():
	case <-srv.Done():
		// Shutdown reports why the server stopped on its own.
		err := srv.Shutdown(context.Background())
		fmt.Fprintf(e.stderr, "ssowizard harness: the server stopped by itself (%v); start it again.\n", err)
		return exitWrong
	}
	// A second Ctrl-C during the grace period ends the process at once, as people expect.
	stop()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// Requests still running after the grace period are cut off; that is what
		// the person who pressed Ctrl-C asked for, so it is still a clean stop.
		srv.Close()
		if !f.json {
			fmt.Fprintf(e.stderr, "ssowizard harness: requests still running after %v were cut off.\n", shutdownGrace)
		}
	}
	if !f.json {
		fmt.Fprintln(e.stderr, "ssowizard harness: stopped.")
	}
	return exitOK
}

// config checks the flags and loads the tenant (or the replay of an evidence bundle),
// so that every mistake on the command line is reported before anything listens.
func (f *harnessFlags) config() (harness.Config, *replayed, error) {
	var cfg harness.Config
	if err := checkLoopback(f.addr, f.allowRemote); err != nil {
		return cfg, nil, err
	}
	if f.state == "" {
		return cfg, nil, errors.New("no --state directory given and the system names no config directory ($HOME is unset); pass --state DIR")
	}
	if f.replay != "" && f.tenantFile != "" {
		return cfg, nil, errors.New("--replay serves the tenant the evidence bundle describes, so it cannot take --tenant too: give one of them")
	}
	cfg.Addr, cfg.StateDir = f.addr, f.state

	var t *tenant.Tenant
	var rp *replayed
	switch {
	case f.replay != "":
		var err error
		if rp, err = loadReplay(f.replay, time.Now()); err != nil {
			return cfg, nil, err
		}
		t = rp.Tenant
	case f.tenantFile != "":
		var err error
		if t, err = tenant.Load(f.tenantFile, nil); err != nil {
			return cfg, nil, tenantFileError(f.tenantFile, err)
		}
	default:
		t = tenant.Demo(time.Now())
	}
	known := tenant.Scenarios()
	for _, s := range f.scenarios {
		appID, name, perApp := strings.Cut(s, "=")
		if !perApp {
			name, appID = appID, ""
		}
		if !slices.Contains(known, name) {
			return cfg, nil, fmt.Errorf("--scenario %q: %q is not a scenario; the names are %s", s, name, strings.Join(known, ", "))
		}
		if !perApp {
			if !slices.Contains(cfg.Scenarios, name) {
				cfg.Scenarios = append(cfg.Scenarios, name)
			}
			continue
		}
		i := slices.IndexFunc(t.Apps, func(a tenant.App) bool { return strings.EqualFold(a.AppID, appID) })
		if i < 0 {
			return cfg, nil, fmt.Errorf("--scenario %q: the tenant has no app with app_id %q; use an app_id from the tenant, or NAME alone for every app", s, appID)
		}
		if !slices.Contains(t.Apps[i].Scenarios, name) {
			t.Apps[i].Scenarios = append(t.Apps[i].Scenarios, name)
		}
	}
	cfg.Tenant = t
	return cfg, rp, nil
}

// checkLoopback refuses an address other machines could reach, unless allowed.
func checkLoopback(addr string, allowRemote bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q is not HOST:PORT, e.g. 127.0.0.1:8443", addr)
	}
	if port == "" {
		return fmt.Errorf("--addr %q has no port; give one, or 0 for a free one", addr)
	}
	if allowRemote {
		return nil
	}
	ip := net.ParseIP(host)
	if strings.EqualFold(host, "localhost") || (ip != nil && ip.IsLoopback()) {
		return nil
	}
	return fmt.Errorf("--addr %s is not a loopback address and the harness hands out passwords and signs tokens for whoever reaches it; use 127.0.0.1, or add --allow-remote if other machines must reach it", addr)
}

// tenantFileError turns a refused tenant file into one sentence that names the bad
// field's JSON path (tenant.FieldError) and what to do.
func tenantFileError(path string, err error) error {
	if path == "" {
		path = "(the demo tenant)"
	}
	var fe *tenant.FieldError
	switch {
	case errors.As(err, &fe) && fe.Path != "":
		what := "fix that field and start again"
		if strings.Contains(fe.Msg, ";") {
			what = "start again once it is fixed" // the message already says how
		}
		return fmt.Errorf("the tenant file %s is refused at %s: %s; %s", path, fe.Path, fe.Msg, what)
	case errors.As(err, &fe):
		return fmt.Errorf("the tenant file %s is refused: %v; fix it and start again", path, fe)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("the tenant file %s does not exist; check the --tenant path", path)
	}
	return fmt.Errorf("%v; check the --tenant file", err)
}

// describeStartError says what went wrong starting the server in terms of the flags.
func describeStartError(err error, f harnessFlags) string {
	var opErr *net.OpError
	var fe *tenant.FieldError
	if errors.As(err, &fe) {
		return tenantFileError(f.tenantFile, err).Error()
	}
	if errors.As(err, &opErr) && opErr.Op == "listen" {
		return fmt.Sprintf("cannot listen on %s (%v); choose another --addr, or port 0 for a free one", f.addr, opErr.Err)
	}
	msg := strings.TrimPrefix(err.Error(), "harness: ")
	if errors.Is(err, fs.ErrPermission) || strings.Contains(msg, "state") {
		return fmt.Sprintf("%s; check that --state %s is a directory you can write, or choose another", msg, f.state)
	}
	return msg
}

// printFacts writes the facts for a person: what to point a client at, who can sign
// in, and how to make a client trust the harness CA.
func printFacts(w io.Writer, srv *harness.Server) {
	f := srv.Facts()
	snap := srv.Store.Snapshot()
	discovery := f.Authority + "/.well-known/openid-configuration"
	keys := f.BaseURL + "/" + f.TenantID + "/discovery/v2.0/keys"

	fmt.Fprintf(w, "ssowizard harness: the local Entra for %s is listening; Ctrl-C stops it.\n\n", snap.DisplayName)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  Base URL\t%s  (stands for login.microsoftonline.com)\n", f.BaseURL)
	fmt.Fprintf(tw, "  Tenant ID\t%s\n", f.TenantID)
	fmt.Fprintf(tw, "  Authority\t%s\n", f.Authority)
	fmt.Fprintf(tw, "  Discovery\t%s\n", discovery)
	fmt.Fprintf(tw, "  Graph\t%s  (stands for graph.microsoft.com/v1.0)\n", f.GraphURL)
	fmt.Fprintf(tw, "  CA certificate\t%s\n", f.CACert)
	tw.Flush()

	fmt.Fprintf(w, "\nClients must trust the CA certificate above, for example:\n")
	for _, l := range trustHints(runtime.GOOS, f.CACert, discovery, keys) {
		fmt.Fprintf(w, "  %s\n", l)
	}

	fmt.Fprintf(w, "\nUsers (sign in with these on the login page):\n")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  UPN\tPassword\n")
	for _, u := range f.Users {
		fmt.Fprintf(tw, "  %s\t%s\n", u.UPN, u.Password)
	}
	tw.Flush()

	for _, a := range f.Apps {
		fmt.Fprintf(w, "\nApp %q:\n", a.DisplayName)
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "  Application (client) ID\t%s\n", a.AppID)
		secret := a.ClientSecret
		if secret == "" {
			secret = "(none)"
		}
		fmt.Fprintf(tw, "  Client secret\t%s\n", secret)
		list := func(label string, vs []string) {
			if len(vs) == 0 {
				fmt.Fprintf(tw, "  %s\t(none)\n", label)
			}
			for i, v := range vs {
				if i > 0 {
					label = ""
				}
				fmt.Fprintf(tw, "  %s\t%s\n", label, v)
			}
		}
		list("Redirect URIs", a.RedirectURIs)
		list("Identifier URIs", a.IdentifierURIs)
		fmt.Fprintf(tw, "  SAML metadata URL\t%s\n", a.SAMLMetadataURL)
		sc := srv.Store.ScenariosFor(a.AppID)
		if len(sc) > 0 {
			fmt.Fprintf(tw, "  Scenarios\t%s\n", strings.Join(sc, ", "))
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
}

// trustHints are commands that make clients trust the harness CA at ca, written for the
// shell a person on goos types into: PowerShell on Windows, a POSIX shell elsewhere. On
// Windows, browsers (Edge, Chrome) and Go programs trust the user's Root store, which
// certutil -user adds to once the person confirms Windows's warning; OpenSSL's
// SSL_CERT_FILE does not apply there.
func trustHints(goos, ca, discovery, keys string) []string {
	if goos == "windows" {
		q := powerShellQuote(ca)
		return []string{
			"certutil -user -addstore Root " + q + "      (browsers, Go and other Windows programs; Windows asks to confirm)",
			"curl.exe --cacert " + q + " " + discovery,
			"ssowizard inspect --ca-cert " + q + " --jwks " + keys + " TOKEN_FILE",
			"$env:NODE_EXTRA_CA_CERTS = " + q + "; node app.js      (Node.js)",
		}
	}
	q := shellQuote(ca)
	return []string{
		"curl --cacert " + q + " " + discovery,
		"ssowizard inspect --ca-cert " + q + " --jwks " + keys + " TOKEN_FILE",
		"NODE_EXTRA_CA_CERTS=" + q + " node app.js      (Node.js)",
		"SSL_CERT_FILE=" + q + " ./app                  (Go, OpenSSL: replaces the system CAs)",
	}
}

// powerShellQuote quotes a path for pasting into PowerShell: a single-quoted string is
// taken literally there, a quote inside it doubled.
func powerShellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// shellQuote quotes a path for pasting into a POSIX shell, when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == ':' || r == '+' || r == '@' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
