package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// interopDir holds the Node scripts and their node_modules (make interop runs npm ci).
var interopDir = filepath.Join("..", "..", "interop")

// TestInteropNode runs independent npm implementations against the real binary:
// openid-client as RP, samlify as SP. `make interop` runs it with SSOWIZARD_INTEROP=1
// after npm ci; otherwise it is skipped, since it needs Node and the npm packages.
func TestInteropNode(t *testing.T) {
	if os.Getenv("SSOWIZARD_INTEROP") == "" {
		t.Skip("needs Node.js and interop/node_modules; run 'make interop'")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("SSOWIZARD_INTEROP is set but node is not on PATH; run 'make interop-deps'")
	}
	for _, pkg := range []string{"openid-client", "samlify", "@authenio/samlify-node-xmllint"} {
		if _, err := os.Stat(filepath.Join(interopDir, "node_modules", pkg)); err != nil {
			t.Fatalf("interop/node_modules/%s is missing; run 'npm ci' in interop (make interop does)", pkg)
		}
	}
	bin := buildBinary(t)

	t.Run("openid-client", func(t *testing.T) {
		p := startHarnessProcess(t, bin)
		runNode(t, node, p, "openid-client-rp.mjs")
	})
	// samlify verifies each way the app may sign: Entra's default (assertion), the
	// response, and both.
	for _, tc := range []struct{ name, scenario, sign string }{
		{"assertion", "", "assertion"},
		{"sign-response", "sign-response", "response"},
		{"sign-both", "sign-both", "both"},
	} {
		t.Run("samlify-sp/"+tc.name, func(t *testing.T) {
			var args []string
			if tc.scenario != "" {
				args = []string{"--scenario", tc.scenario}
			}
			p := startHarnessProcess(t, bin, args...)
			runNode(t, node, p, "samlify-sp.js", tc.sign)
		})
	}
}

// runNode runs an interop script with the facts line, trusting the harness CA, and
// fails the test unless it exits 0.
func runNode(t *testing.T, node string, p *harnessProcess, script string, args ...string) {
	t.Helper()
	cmd := exec.Command(node, append([]string{filepath.Join(interopDir, script), p.line}, args...)...)
	cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+p.facts.CACert)
	out, err := cmd.CombinedOutput()
	text := strings.TrimSpace(string(out))
	if err != nil {
		t.Fatalf("node %s: %v\n%s\nharness stderr: %s", script, err, text, p.stderr.String())
	}
	t.Log(text)
}
