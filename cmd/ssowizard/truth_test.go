package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/wizard"
)

// From the CLI: the test signs in as the user named in the answers, a failing test
// is not enabled, override enables over it without running the test again, and a
// run without the secret made earlier stops and asks before making one.
func TestSetupNamedUserOverrideAndLostSecret(t *testing.T) {
	dir := t.TempDir()
	db, answers := filepath.Join(dir, "sso.db"), filepath.Join(dir, "answers.json")
	args := []string{"setup", "--ticket", "demo", "--protocol", "oidc", "--target", "harness", "--auto", "--db", db, "--answers", answers}
	c := newCLI(t)

	// bob is named, Vendor Users (alice's group, not bob's) assigned: the test as bob
	// is refused, and says so.
	a := map[string]map[string]any{
		"assignments": {"principals": "Vendor Users", "assignment_required": "yes"},
		"test":        {"test_user": "bob"},
	}
	writeAnswers(t, answers, a)
	code, out, errOut := c.run(args...)
	if code != exitWrong || !strings.Contains(out, "✗ Test login") || !strings.Contains(out, "AADSTS50105") {
		t.Fatalf("the test as bob: exit %d\n%s\n%s", code, out, errOut)
	}
	sums := c.summaries(db)
	if len(sums) != 1 || sums[0].Status == wizard.SessionEnabled || sums[0].LastTest == nil || sums[0].LastTest.OK {
		t.Fatalf("status after the failed test: %+v", sums)
	}

	// A new run without a keyring: the secret made earlier is gone, so the setup is
	// at Client secret, and the run stops there and asks, making nothing.
	c2 := newCLI(t)
	sums = c2.summaries(db)
	if sums[0].Current != wizard.StepClientSecret || sums[0].Verified != 4 {
		t.Fatalf("status without the secret: %+v", sums[0])
	}
	secrets := func() int {
		app, _ := appByID(savedTenant(t, db), sums[0].AppID)
		return len(app.Secrets)
	}
	before := secrets()
	code, out, errOut = c2.run(args...)
	if code != exitWrong || !strings.Contains(out, "at Client secret:") || !strings.Contains(out, "--new-secret") || secrets() != before {
		t.Fatalf("without the secret: exit %d, %d secrets (were %d)\n%s\n%s", code, secrets(), before, out, errOut)
	}
	code, out, errOut = c2.run(append(args, "--new-secret")...)
	if code != exitWrong || !strings.Contains(out, "making a new one") || !strings.Contains(out, "✓ Client secret") || !strings.Contains(out, "✗ Test login") || secrets() != before {
		t.Fatalf("with --new-secret: exit %d, %d secrets (were %d)\n%s\n%s", code, secrets(), before, out, errOut)
	}

	// A reason to enable anyway: Enable runs on the failed test, which is not run again.
	a["enable"] = map[string]any{"override": "the vendor's pilot starts before bob is assigned"}
	writeAnswers(t, answers, a)
	code, out, errOut = c2.run(args...)
	if code != exitOK || strings.Contains(out, "✗ Test login") || !strings.Contains(out, "✓ Enable") ||
		!strings.HasPrefix(lastLine(out), "Enabled without a passing test login: ") {
		t.Fatalf("override from the CLI: exit %d\n%s\n%s", code, out, errOut)
	}
	if sums = c2.summaries(db); sums[0].Status != wizard.SessionEnabled {
		t.Fatalf("status after the override: %+v", sums)
	}

	// A second setup names alice by her short name: the run proves her, and bob's
	// refusal.
	a2 := map[string]map[string]any{
		"assignments": {"principals": "Vendor Users", "assignment_required": "yes"},
		"test":        {"test_user": "alice"},
	}
	writeAnswers(t, answers, a2)
	code, out, errOut = c2.run(append(args, "--new", "--json")...)
	if code != exitOK || !strings.Contains(out, "passed as alice@"+tenant.DemoDomain) || !strings.Contains(out, "bob@"+tenant.DemoDomain+", who is not assigned, was refused with AADSTS50105") {
		t.Fatalf("the test as alice: exit %d\n%s\n%s", code, out, errOut)
	}
}
