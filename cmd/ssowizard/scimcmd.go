package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ssowizard/ssowizard/harness/scim/scimcheck"
	"github.com/ssowizard/ssowizard/harness/scim/scimclient"
)

const scimAbout = `Check a vendor's SCIM 2.0 endpoint against Microsoft Entra ID's real provisioning client.

It runs Entra's whole request sequence in Entra's default mode (capitalised PATCH ops,
active as the string "False", members removed by a value array) and in the compliant mode
the tenant-URL flag ?aadOptscim062020 selects: Test Connection; two test users created,
found by filter, updated, disabled; a group created with no members, members added and
one removed; everything deleted and checked gone. Each incompatibility is reported with
the change that fixes it. What it will do is printed first; it writes only after you
agree when the endpoint is not on this computer (--yes agrees in advance). Whatever it
created is deleted at the end, also after a failure.

The token is read from the environment variable named by --token-env (or the basic
password from --password-env), never from the command line.

Exit status: 0 every check passed, 1 an incompatibility or a refused or non-SCIM
endpoint, 2 usage error or no confirmation.`

type scimFlags struct {
	url, tokenEnv, basicUser, passwordEnv, mode, domain, caCert string
	yes, json, verbose                                          bool
	timeout                                                     time.Duration
}

func runSCIM(e *env, args []string) int {
	var f scimFlags
	fs := newFlagSet(e, "scim", "--url URL (--token-env VAR | --basic-user USER --password-env VAR) [flags]", scimAbout)
	fs.StringVar(&f.url, "url", "", "the SCIM base `URL` as entered in Entra's Tenant URL box (https://…/scim/v2)")
	fs.StringVar(&f.tokenEnv, "token-env", "", "the environment `VAR` holding the bearer token (Entra's Secret Token)")
	fs.StringVar(&f.basicUser, "basic-user", "", "use HTTP basic authentication as `USER` instead of a bearer token")
	fs.StringVar(&f.passwordEnv, "password-env", "", "with --basic-user: the environment `VAR` holding the password")
	fs.StringVar(&f.mode, "mode", "both", "`both`, default (Entra's default PATCH dialect) or compliant (?aadOptscim062020)")
	fs.StringVar(&f.domain, "user-domain", "example.com", "the `DOMAIN` of the test users' userName")
	fs.StringVar(&f.caCert, "ca-cert", "", "also trust the CA certificate in `FILE`")
	fs.BoolVar(&f.yes, "yes", false, "agree in advance to create and delete test objects at an endpoint not on this computer")
	fs.BoolVar(&f.json, "json", false, "print one JSON object: the checks, every request and answer, leftovers")
	fs.BoolVar(&f.verbose, "verbose", false, "text output: also print every request and answer")
	fs.DurationVar(&f.timeout, "timeout", 2*time.Minute, "stop the whole check after `DURATION`")
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, "ssowizard scim: "+format+".\n", a...)
		return exitUsage
	}
	if len(pos) > 0 {
		return fail("unexpected argument %q; everything is given by flags", pos[0])
	}
	if f.url == "" {
		return fail("--url is required: the vendor's SCIM base URL, such as https://api.example.com/scim/v2")
	}
	base, urlMode, err := scimclient.ParseTenantURL(f.url)
	if err != nil {
		return fail("%s", strings.TrimSuffix(err.Error(), "."))
	}
	var modes []scimclient.Mode
	switch f.mode {
	case "both":
	case "default":
		modes = []scimclient.Mode{scimclient.ModeEntraDefault}
	case "compliant":
		modes = []scimclient.Mode{scimclient.ModeCompliant}
	default:
		return fail("--mode %q is not both, default or compliant", f.mode)
	}
	if f.timeout <= 0 {
		return fail("--timeout %s must be positive, such as 2m", f.timeout)
	}
	var auth scimclient.Auth
	switch {
	case f.tokenEnv != "" && f.basicUser != "":
		return fail("give either --token-env or --basic-user, not both")
	case f.tokenEnv != "":
		auth.BearerToken = os.Getenv(f.tokenEnv)
		if auth.BearerToken == "" {
			return fail("the environment variable %s named by --token-env is empty or unset; export the vendor's SCIM token in it", f.tokenEnv)
		}
	case f.basicUser != "":
		if f.passwordEnv == "" {
			return fail("--basic-user needs --password-env, the environment variable holding the password")
		}
		auth.BasicUser, auth.BasicPassword = f.basicUser, os.Getenv(f.passwordEnv)
		if auth.BasicPassword == "" {
			return fail("the environment variable %s named by --password-env is empty or unset", f.passwordEnv)
		}
	default:
		return fail("--token-env is required: the environment variable holding the vendor's SCIM token (or --basic-user with --password-env)")
	}
	var ca []byte
	if f.caCert != "" {
		if ca, err = os.ReadFile(f.caCert); err != nil {
			return fail("--ca-cert: %v", fileErr(err))
		}
	}
	fetch, err := newFetcher(ca)
	if err != nil {
		return fail("--ca-cert: %v", err)
	}
	hc := fetch.client
	hc.Timeout = scimclient.DefaultTimeout

	opts := scimcheck.Options{TenantURL: f.url, Auth: auth, Modes: modes, HTTP: hc, UserDomain: f.domain}
	planOut := e.stdout
	if f.json {
		planOut = e.stderr
	}
	fmt.Fprintf(planOut, "SCIM endpoint %s (for this Tenant URL Entra would use its %s mode).\nThe check will send:\n", base, urlMode)
	for _, l := range scimcheck.Plan(opts) {
		fmt.Fprintln(planOut, l)
	}
	fmt.Fprintln(planOut)
	if !scimclient.IsLoopbackHost(base.Hostname()) && !f.yes {
		if !e.stdinIsTTY {
			return fail("refusing to create and delete test users and a group at %s without confirmation; run it in a terminal to be asked, or pass --yes", base.Host)
		}
		fmt.Fprintf(e.stderr, "Create and delete these test objects at %s? [y/N] ", base.Host)
		line, _ := bufio.NewReader(io.LimitReader(e.stdin, 1024)).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			return fail("nothing was sent: the check needs your agreement to write to %s", base.Host)
		}
	}

	ctx, cancel := context.WithTimeout(e.context(), f.timeout)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := scimcheck.Run(ctx, opts)
	if err != nil {
		return fail("%s", strings.TrimSuffix(err.Error(), "."))
	}
	if f.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(e.stderr, "ssowizard scim: write the report: %v.\n", err)
			return exitWrong
		}
	} else {
		printSCIMReport(e.stdout, rep, f.verbose)
	}
	if rep.Stopped != "" {
		fmt.Fprintf(e.stderr, "ssowizard scim: %s.\n", strings.TrimSuffix(rep.Stopped, "."))
	}
	if !rep.OK {
		return exitWrong
	}
	return exitOK
}

// maxShownBody bounds a request or answer body in the text report.
const maxShownBody = 600

func shorten(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > maxShownBody {
		return s[:maxShownBody] + "…"
	}
	return s
}

func printSCIMReport(w io.Writer, rep *scimcheck.Report, verbose bool) {
	mode := ""
	counts := map[scimcheck.Severity]int{}
	for _, c := range rep.Checks {
		counts[c.Result]++
		if c.Mode != mode {
			mode = c.Mode
			fmt.Fprintf(w, "%s mode\n", mode)
		}
		fmt.Fprintf(w, "  %-7s %s\n", strings.ToUpper(string(c.Result)), c.Step)
		if c.Problem != "" && c.Result != scimcheck.Pass {
			fmt.Fprintf(w, "          problem: %s\n", c.Problem)
		}
		if c.Fix != "" {
			fmt.Fprintf(w, "          fix:     %s\n", c.Fix)
		}
		shown := c.Exchange
		if !verbose {
			shown = nil
			if c.Result == scimcheck.Fail && len(c.Exchange) > 0 {
				shown = c.Exchange[len(c.Exchange)-1:]
			}
		}
		for _, i := range shown {
			ex := rep.Exchanges[i]
			fmt.Fprintf(w, "          sent:    %s %s %s\n", ex.Method, readableURL(ex.URL), shorten(ex.RequestBody))
			switch {
			case ex.Error != "":
				fmt.Fprintf(w, "          answer:  %s\n", ex.Error)
			default:
				fmt.Fprintf(w, "          answer:  %d %s\n", ex.Status, shorten(ex.ResponseBody))
			}
		}
	}
	for _, l := range rep.Leftovers {
		fmt.Fprintf(w, "NOT DELETED: %s; delete it at the vendor\n", l)
	}
	fmt.Fprintf(w, "\n%d passed, %d failed, %d warnings, %d not run.\n", counts[scimcheck.Pass], counts[scimcheck.Fail], counts[scimcheck.Warn], counts[scimcheck.Skipped])
	if rep.OK {
		fmt.Fprintln(w, "Entra can provision users and groups to this endpoint in every mode checked.")
	}
}

// readableURL unescapes the query (the filter) for a person to read.
func readableURL(raw string) string {
	if u, err := url.QueryUnescape(raw); err == nil {
		return u
	}
	return raw
}
