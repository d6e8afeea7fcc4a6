package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/robot"
	"github.com/ssowizard/ssowizard/inspect"
	"github.com/ssowizard/ssowizard/sp"
	"github.com/ssowizard/ssowizard/wizard"
)

// siteCodes are a run's finding codes from the answer itself, without those the
// wizard adds from the vendor's ticket.
func siteCodes(fs []inspect.Finding) []string {
	codes := wizard.TestRun{Findings: fs}.FindingCodes()
	return slices.DeleteFunc(codes, func(c string) bool {
		return c == wizard.CodeRequiredClaimMissing || c == wizard.CodeLoginFailed
	})
}

// TestHarnessReplay runs a setup against the harness with a fault in force, exports
// its evidence bundle, serves it with harness --replay, and signs in there as the
// replayed user: the login shows the same findings the customer's did.
func TestHarnessReplay(t *testing.T) {
	tests := []struct {
		protocol, scenario, want string // want: a finding code the scenario must cause
	}{
		{"saml", "sha1", inspect.CodeWeakAlgorithm},
		{"oidc", "no-email", inspect.CodeEmailMissing},
	}
	for _, tc := range tests {
		t.Run(tc.protocol+"/"+tc.scenario, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "ssowizard.db")
			c := newCLI(t)
			code, out, errOut := c.run("setup", "--ticket", "demo", "--protocol", tc.protocol, "--target", "harness", "--auto", "--db", db, "--scenario", tc.scenario)
			if code == exitUsage || !strings.Contains(out, "Test login") {
				t.Fatalf("setup with --scenario %s: exit %d\n%s\n%s", tc.scenario, code, out, errOut)
			}
			bundle := filepath.Join(dir, "evidence.json")
			if code, _, errOut := c.run("export", "--db", db, "--evidence", bundle); code != exitOK {
				t.Fatalf("export --evidence: exit %d, %s", code, errOut)
			}
			var ev wizard.Evidence
			readJSON(t, bundle, &ev)
			if len(ev.Runs) == 0 {
				t.Fatal("the evidence bundle holds no test login")
			}
			orig := siteCodes(ev.Runs[len(ev.Runs)-1].Findings)
			if !slices.Contains(orig, tc.want) {
				t.Fatalf("the original login's findings %v lack %s: the scenario was not in force", orig, tc.want)
			}

			pr, pw := io.Pipe()
			h := startHarnessCmd(t, pw, "--json", "--state", filepath.Join(dir, "replay-state"), "--replay", bundle)
			line, err := bufio.NewReader(pr).ReadBytes('\n')
			if err != nil {
				t.Fatalf("harness --replay printed no facts: %v; stderr %q", err, h.stderr.String())
			}
			go io.Copy(io.Discard, pr)
			var facts replayFacts
			if err := json.Unmarshal(line, &facts); err != nil || facts.Replay == nil {
				t.Fatalf("harness --replay --json = %s (%v); want the facts with replay", line, err)
			}
			rp := facts.Replay
			if rp.Login == "" || rp.Password == "" || rp.AppID != ev.App.AppID || rp.Session != ev.Session.ID || facts.TenantID != ev.Tenant.ID {
				t.Fatalf("replay facts %+v (tenant %s); want the bundle's app %s, tenant %s and a login with a password", rp, facts.TenantID, ev.App.AppID, ev.Tenant.ID)
			}
			if !slices.ContainsFunc(facts.Users, func(u harness.UserFact) bool { return u.UPN == rp.Login && u.Password == rp.Password }) {
				t.Errorf("the facts' users %+v lack the replayed one %s", facts.Users, rp.Login)
			}

			client := caClient(t, facts.CACert)
			common := sp.Common{HTTPClient: client, Open: playOpen(robot.New(client, rp.Login, rp.Password)), Tenant: facts.TenantID,
				ExpectedDomain: ev.Tenant.Domains[0], Timeout: 30 * time.Second}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			var res *sp.Result
			switch tc.protocol {
			case "saml":
				app := facts.Apps[slices.IndexFunc(facts.Apps, func(a harness.AppFact) bool { return a.AppID == rp.AppID })]
				resp, err := client.Get(app.SAMLMetadataURL)
				if err != nil {
					t.Fatal(err)
				}
				md, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				s, err := sp.NewSAML(sp.SAMLConfig{Common: common, IdPMetadata: md, EntityID: ev.App.EntityID})
				if err != nil {
					t.Fatal(err)
				}
				res, err = s.Login(ctx)
				if err != nil {
					t.Fatal(err)
				}
			case "oidc":
				app := facts.Apps[slices.IndexFunc(facts.Apps, func(a harness.AppFact) bool { return a.AppID == rp.AppID })]
				o, err := sp.NewOIDC(ctx, sp.OIDCConfig{Common: common, Authority: facts.Authority, ClientID: rp.AppID, ClientSecret: app.ClientSecret})
				if err != nil {
					t.Fatal(err)
				}
				res, err = o.Login(ctx)
				if err != nil {
					t.Fatal(err)
				}
			}
			if res.Report == nil {
				t.Fatalf("the replayed login has no report: %+v", res)
			}
			if got := siteCodes(res.Report.Findings); !slices.Equal(got, orig) {
				t.Errorf("the replayed login's findings %v, the customer's %v", got, orig)
			}
			if code := h.stop(t); code != exitOK {
				t.Errorf("harness --replay exit %d after cancel", code)
			}
		})
	}
}
