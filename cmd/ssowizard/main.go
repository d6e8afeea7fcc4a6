// Command ssowizard connects a Microsoft Entra ID tenant to a SaaS vendor by single
// sign-on, proving the connection with a real test login, and inspects SAML messages,
// JWTs and HAR files offline.
//
// With no arguments it opens the desktop window; every capability is also a subcommand
// (see `ssowizard help`). This package is the composition root: the only place that
// builds clients and screens and wires them together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	_ "github.com/ssowizard/ssowizard/internal/clocale" // before Fyne's lang package: see its doc
	"github.com/ssowizard/ssowizard/wizard/secret"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Exit codes, the same for every subcommand (DESIGN.md).
const (
	exitOK    = 0 // success
	exitWrong = 1 // the thing checked is wrong: invalid signature, failed login, failed step
	exitUsage = 2 // usage error or unreadable input
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(env *env, args []string) int
}

// env is what a subcommand may touch of the process, so tests run commands in-process.
type env struct {
	stdin          io.Reader
	stdinIsTTY     bool
	stdout, stderr io.Writer
	// ctx, when set, ends long-running commands (harness) as a signal would; tests
	// use it to stop them in-process. Nil means only signals do.
	ctx context.Context
	// secrets keeps client secrets across the setup commands of this env; nil means
	// the OS keyring, or memory where there is none (newKeeper). Tests share one
	// across commands as a keyring would.
	secrets secret.Keeper
	// submit posts connection bundles (export --submit); nil means an HTTPS client
	// trusting the system's roots.
	submit *http.Client
}

// keeper returns the env's secret keeper, making it on first use.
func (e *env) keeper() secret.Keeper {
	if e.secrets == nil {
		e.secrets = newKeeper()
	}
	return e.secrets
}

// context returns the env's parent context for a command.
func (e *env) context() context.Context {
	if e.ctx != nil {
		return e.ctx
	}
	return context.Background()
}

func commands() []command {
	return []command{
		{"inspect", "decode and check a SAML message, JWT, token response, URL, form body or HAR", runInspect},
		{"harness", "run the local Entra (OIDC and SAML sign-in) until interrupted", runHarness},
		{"login", "one real test login through the embedded SP, OIDC or SAML, explained", runLogin},
		{"setup", "run the wizard's steps without the window, automatically or from an answers file", runSetup},
		{"status", "show the saved setups: progress, last test, expiry and reminders", runStatus},
		{"scim", "check a vendor's SCIM endpoint against Entra's real provisioning requests", runSCIM},
		{"export", "write a setup's connection bundle, evidence bundle or reminders calendar", runExport},
		{"version", "print the version", runVersion},
		{"help", "show this help, or a command's: ssowizard help COMMAND", runHelp},
	}
}

func main() {
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	if fi, err := os.Stdin.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		e.stdinIsTTY = true
	}
	os.Exit(run(e, os.Args[1:]))
}

// run dispatches a command line and returns the exit code.
func run(e *env, args []string) int {
	if len(args) == 0 || guiFlag(args[0]) {
		return runGUI(e, args)
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		return runHelp(e, nil)
	case "-version", "--version":
		return runVersion(e, nil)
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(e, args[1:])
		}
	}
	fmt.Fprintf(e.stderr, "ssowizard: unknown command %q; run 'ssowizard help' to see the commands.\n", name)
	return exitUsage
}

func runVersion(e *env, args []string) int {
	fs := newFlagSet(e, "version", "", "Print the version of ssowizard and of the Go toolchain that built it.")
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(e.stderr, "ssowizard version: unexpected argument %q; it takes none.\n", pos[0])
		return exitUsage
	}
	rev := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = " " + s.Value[:12]
			}
		}
	}
	fmt.Fprintf(e.stdout, "ssowizard %s%s (%s %s/%s)\n", version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}

func runHelp(e *env, args []string) int {
	if len(args) > 0 {
		for _, c := range commands() {
			if c.name == args[0] {
				return c.run(e, []string{"-h"})
			}
		}
		fmt.Fprintf(e.stderr, "ssowizard: unknown command %q; run 'ssowizard help' to see the commands.\n", args[0])
		return exitUsage
	}
	var b strings.Builder
	b.WriteString("ssowizard connects a Microsoft Entra ID tenant to a SaaS vendor by single sign-on,\nand inspects SAML messages, JWTs and HAR files offline.\n\n")
	b.WriteString("Usage:\n  ssowizard [--db FILE]    open the window (setups are kept in FILE; default $SSOWIZARD_DB, else ssowizard.db in the user config directory)\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  ssowizard %-14s %s\n", c.name, c.summary)
	}
	b.WriteString("\nEvery command takes -h. Exit codes: 0 success, 1 the thing checked is wrong, 2 usage error or unreadable input.\n")
	fmt.Fprint(e.stdout, b.String())
	return exitOK
}

// flagSet is a subcommand's flags with its help text.
type flagSet struct {
	*flag.FlagSet
	e        *env
	synopsis string
	about    string
}

// newFlagSet makes a flag set whose -h prints the synopsis, the description and the
// flags to stdout, and whose errors go to stderr as one line plus a pointer to -h.
func newFlagSet(e *env, name, synopsis, about string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {} // parse prints help itself, to stdout
	return &flagSet{FlagSet: fs, e: e, synopsis: synopsis, about: about}
}

func (f *flagSet) printUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: ssowizard %s %s\n\n%s\n", f.Name(), f.synopsis, f.about)
	hasFlags := false
	f.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintln(w, "\nFlags:")
		f.VisitAll(func(fl *flag.Flag) {
			name, usage := flag.UnquoteUsage(fl)
			head := "  --" + fl.Name
			if name != "" {
				head += " " + name
			}
			if fl.DefValue != "" && fl.DefValue != "false" && fl.DefValue != "0s" {
				usage += " (default " + fl.DefValue + ")"
			}
			fmt.Fprintf(w, "%s\n      %s\n", head, usage)
		})
	}
}

// parse parses args, letting flags and positional arguments come in any order
// ("inspect resp.xml --json"), and returns the positional arguments. ok=false means the
// command must stop with code: 0 after -h, 2 after a usage error.
func (f *flagSet) parse(args []string) (positional []string, code int, ok bool) {
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				f.printUsage(f.e.stdout)
				return nil, exitOK, false
			}
			fmt.Fprintf(f.e.stderr, "Run 'ssowizard %s -h' for the flags.\n", f.Name())
			return nil, exitUsage, false
		}
		args = f.Args()
		if len(args) == 0 {
			return positional, 0, true
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}
