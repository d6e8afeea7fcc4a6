package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssowizard/ssowizard/harness/scim/scimserver"
	"github.com/ssowizard/ssowizard/wizard"
)

// TestSetupAutoSAMLWithProvisioning is the demo ticket asking for provisioning into
// the embedded SCIM receiver, set up in automatic mode on the in-process harness
// through package graph's synchronization calls: the job, its credentials, Test
// Connection, start, the test user on demand and the provisioning log.
func TestSetupAutoSAMLWithProvisioning(t *testing.T) {
	const token = "demo-scim-token-4c1e"
	rcv := scimserver.New(scimserver.Options{BearerToken: token})
	base, closeFn, err := rcv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	dir := t.TempDir()
	db := filepath.Join(dir, "state", "ssowizard.db")
	var ticket map[string]any
	if err := json.Unmarshal(wizard.DemoTicketJSON(), &ticket); err != nil {
		t.Fatal(err)
	}
	ticket["scim"] = map[string]any{"base_url": base, "token_expires": "2027-06-30", "groups": true}
	ticketFile := filepath.Join(dir, "ticket.json")
	answersFile := filepath.Join(dir, "answers.json")
	b, _ := json.Marshal(ticket)
	if err := os.WriteFile(ticketFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TEST_SCIM_TOKEN", token)
	if err := os.WriteFile(answersFile, []byte(`{"provisioning":{"scim_token":"$TEST_SCIM_TOKEN"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c := newCLI(t)
	code, out, errOut := c.run("setup", "--ticket", ticketFile, "--protocol", "saml", "--target", "harness", "--auto", "--answers", answersFile, "--db", db)
	if code != exitOK {
		t.Fatalf("setup saml --auto with provisioning: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "✓ "+wizard.StepProvisioning.Title()+"\n") || !strings.HasPrefix(lastLine(out), "Enabled: ") {
		t.Errorf("the output does not show provisioning verified and the setup enabled:\n%s", out)
	}
	if len(rcv.Users()) == 0 {
		t.Error("the receiver got no user")
	}
	for _, p := range []string{db, db + "-wal"} {
		if raw, err := os.ReadFile(p); err == nil && strings.Contains(string(raw), token) {
			t.Errorf("%s holds the SCIM token", p)
		}
	}
	if strings.Contains(out+errOut, token) {
		t.Error("the output shows the SCIM token")
	}
}
