package ui

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/inspect"
	"github.com/ssowizard/ssowizard/wizard"
)

// TestWindowWords: the sentences the engine and the inspector share with the command
// line reach the window without a flag or a tenant-file key in them.
func TestWindowWords(t *testing.T) {
	flag := regexp.MustCompile(`--[a-z]|break_glass_ack`)
	for _, s := range []string{
		"Keep one vendor administrator who signs in with a password (a break-glass account), and confirm it with break_glass_ack = yes.",
		"This is a JWKS or discovery document, which is trust material: pass it with --jwks, and inspect a token with it.",
		"Pass the tenant's keys with --jwks https://login.microsoftonline.com/common/discovery/v2.0/keys.",
		"Pass the signer's certificate (--cert) or metadata (--metadata): the SP's signing certificate for a request.",
		"Pass the IdP's certificate (--cert), metadata (--metadata) or SHA-256 fingerprint (--fingerprint), from Entra.",
		"fetch 127.0.0.1:8443: the server's certificate is not trusted; for the harness pass --ca-cert with its ca.pem",
		"No current time was given, so expiry was not checked. Pass --now, or let the tool use the clock.",
		"Pass --tenant with the Directory (tenant) ID from Entra admin center > Overview.",
		"Pass the SP's private key (--sp-key): the one whose certificate was uploaded.",
		"Give the IdP's key (--some-new-flag) too.",
	} {
		got := windowWords(s)
		if flag.MatchString(got) && !strings.Contains(got, "command line") {
			t.Errorf("windowWords(%q) = %q: command-line words remain", s, got)
		}
		if got == "" {
			t.Errorf("windowWords(%q) is empty", s)
		}
	}
	if got := windowWords("The client ID is unknown."); got != "The client ID is unknown." {
		t.Errorf("a sentence without command-line words changed: %q", got)
	}
	if got := sentence(os.ErrNotExist); got != "File does not exist." {
		t.Errorf("sentence(os.ErrNotExist) = %q", got)
	}
}

// TestCopyButtonSaysCopied: a copy button says "Copied" once used, and goes back to
// its label when another one copies.
func TestCopyButtonSaysCopied(t *testing.T) {
	a := test.NewTempApp(t)
	e := &env{deps: Deps{App: a}}
	first, second := e.copyButton("Copy", "one"), e.copyButton("", "two")
	test.Tap(first)
	if a.Clipboard().Content() != "one" || first.Text != "Copied" {
		t.Errorf("after Copy: clipboard %q, button %q; want one and Copied", a.Clipboard().Content(), first.Text)
	}
	test.Tap(second)
	if a.Clipboard().Content() != "two" || second.Text != "Copied" || first.Text != "Copy" {
		t.Errorf("after the second copy: clipboard %q, buttons %q and %q; want two, Copy and Copied",
			a.Clipboard().Content(), first.Text, second.Text)
	}
}

// TestEpochClaimsShowUTC: exp, iat and nbf show the readable UTC time beside the number.
func TestEpochClaimsShowUTC(t *testing.T) {
	rows := claimRows(&inspect.Report{Claims: []inspect.Claim{
		{Name: "exp", Friendly: "exp", Values: []string{"1795462212"}},
		{Name: "iat", Friendly: "iat", Values: []string{"not a number"}},
		{Name: "oid", Friendly: "oid", Values: []string{"1795462212"}},
	}})
	want := []string{"1795462212 (2026-11-23 19:30:12 UTC)", "not a number", "1795462212"}
	for i, w := range want {
		if rows[i].Values != w {
			t.Errorf("%s shows %q, want %q", rows[i].Friendly, rows[i].Values, w)
		}
	}
}

// TestExportIsPrivate: an export saved from the window is readable by its owner only.
func TestExportIsPrivate(t *testing.T) {
	test.NewTempApp(t)
	path := filepath.Join(t.TempDir(), "vendor-connection.json")
	w, err := storage.Writer(storage.NewFileURI(path))
	if err != nil {
		t.Fatal(err)
	}
	if err := writeExport(w, []byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("the export is %v, want -rw------- (0600)", fi.Mode().Perm())
	}
	if b, _ := os.ReadFile(path); string(b) != "{}\n" {
		t.Errorf("the export holds %q", b)
	}
}

// TestRunButtonStepsBackAfterSuccess: once a step is verified, Next is the primary
// button and the step's own button is not.
func TestRunButtonStepsBackAfterSuccess(t *testing.T) {
	f := newWizFixture(t)
	s := f.session(t)
	verify(t, s, f.target(), wizard.StepRegistration, map[string]string{wizard.InClientID: tenant.DemoAppID, wizard.InTenantID: tenant.DemoTenantID})
	r := newSetupRig(t, s, f.target())
	if r.sc.snap.shown != wizard.StepRedirectURI || r.sc.runBtn.Importance != widget.HighImportance {
		t.Errorf("on the step not started (%s) the run button's importance is %v, want primary", r.sc.snap.shown, r.sc.runBtn.Importance)
	}
	r.tap(r.sc.steps[wizard.StepRegistration].btn)
	r.shows(wizard.StepRegistration, wizard.Verified)
	if r.sc.runBtn.Importance == widget.HighImportance || r.sc.nextBtn.Importance != widget.HighImportance {
		t.Errorf("on a verified step: run %v, next %v; want Next primary and the run button not", r.sc.runBtn.Importance, r.sc.nextBtn.Importance)
	}
}
