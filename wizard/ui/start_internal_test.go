package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ssowizard/ssowizard/wizard"
)

// targetCall is one call of the test's Target.
type targetCall struct {
	name string
	mode wizard.Mode
}

// fakeTarget answers a Target with the name asked for and records the call; err, when
// set, is returned instead.
func fakeTarget(calls chan<- targetCall, err error) func(context.Context, string, wizard.Mode, func(SignIn)) (*wizard.Target, error) {
	return func(_ context.Context, name string, mode wizard.Mode, _ func(SignIn)) (*wizard.Target, error) {
		calls <- targetCall{name, mode}
		if err != nil {
			return nil, err
		}
		return &wizard.Target{Name: name}, nil
	}
}

// startRig is the shell with the Setup tab first, on a test engine.
func startRig(t *testing.T, eng *wizard.Engine, d Deps) (*shellRig, chan targetCall) {
	t.Helper()
	calls := make(chan targetCall, 8)
	d.Engine = eng
	if d.Target == nil {
		d.Target = fakeTarget(calls, nil)
	}
	r := newShellRig(t, d)
	r.wait(1) // the saved setups are read
	return r, calls
}

func create(t *testing.T, eng *wizard.Engine, n wizard.NewSession) *wizard.Session {
	t.Helper()
	if n.Ticket == nil {
		n.Ticket = wizard.DemoTicketJSON()
	}
	s, err := eng.Create(context.Background(), n)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return s
}

func TestStartMarkup(t *testing.T) {
	t.Run("demo preselected, none saved", func(t *testing.T) {
		r, _ := startRig(t, newEngine(t), Deps{})
		s := r.sh.setup.start
		if s.choice.source != demoSource || s.protocol.Selected != protocolNames[wizard.OIDC] ||
			s.mode.Selected != modeAuto || s.target.Selected != targetHarness {
			t.Errorf("preselected %q %q %q %q, want the demo ticket, OIDC, automatic, the local harness",
				s.choice.source, s.protocol.Selected, s.mode.Selected, s.target.Selected)
		}
		r.relayout()
		assertMarkup(t, "start_empty.xml", r.win.Canvas())
	})
	t.Run("bad ticket file", func(t *testing.T) {
		r, _ := startRig(t, newEngine(t), Deps{})
		s := r.sh.setup.start
		s.loadTicket("acme.json", func() ([]byte, error) {
			return []byte(`{"vendor": "Acme", "protocols": ["ws-fed"]}`), nil
		})
		r.wait(1)
		if s.choice.source != demoSource {
			t.Errorf("after a bad ticket the choice is %q, want the demo ticket kept", s.choice.source)
		}
		if !s.ticketErr.Visible() || !strings.HasPrefix(s.ticketErr.Text, "The file acme.json cannot be used: ") ||
			!strings.HasSuffix(s.ticketErr.Text, "; the demo ticket stays selected.") {
			t.Errorf("ticket error %q (shown %v), want one sentence naming the file and the ticket kept", s.ticketErr.Text, s.ticketErr.Visible())
		}
		r.relayout()
		assertStructure(t, "start_bad_ticket.txt", r.win.Canvas())
	})
	t.Run("saved setups", func(t *testing.T) {
		eng := newEngine(t)
		// Listed newest first: the SAML setup an hour and a half after the OIDC one.
		eng.Now = func() time.Time { return fixedNow.Add(-90 * time.Minute) }
		create(t, eng, wizard.NewSession{Protocol: wizard.OIDC, Target: "harness", Mode: wizard.Manual})
		eng.Now = func() time.Time { return fixedNow }
		create(t, eng, wizard.NewSession{Protocol: wizard.SAML, Target: "entra", TenantID: "contoso.com", Mode: wizard.Auto})
		r, _ := startRig(t, eng, Deps{})
		if n := len(r.sh.setup.start.resumeBtns); n != 2 {
			t.Errorf("%d Resume buttons, want 2", n)
		}
		r.relayout()
		assertStructure(t, "start_saved.txt", r.win.Canvas())
	})
}

// TestStartOpens: Start setup creates a session of the chosen ticket, protocol, mode and
// target, asks for that target, and opens it.
func TestStartOpens(t *testing.T) {
	otherTicket := `{"vendor": "Fabrikam Files", "protocols": ["saml"],
		"saml": {"entity_id": "https://files.fabrikam.example/saml", "acs_url": "https://files.fabrikam.example/saml/acs"}}`
	for _, tc := range []struct {
		name     string
		ticket   string // empty: the demo
		protocol wizard.Protocol
		mode     string
		target   string
		tenant   string
		want     wizard.NewSession
		vendor   string
	}{
		{"demo oidc manual harness", "", wizard.OIDC, modeManual, targetHarness, "",
			wizard.NewSession{Protocol: wizard.OIDC, Mode: wizard.Manual, Target: "harness"}, "Acme Docketing"},
		{"demo saml auto entra", "", wizard.SAML, modeAuto, targetEntra, " contoso.com ",
			wizard.NewSession{Protocol: wizard.SAML, Mode: wizard.Auto, Target: "entra", TenantID: "contoso.com"}, "Acme Docketing"},
		{"ticket file saml manual", otherTicket, wizard.SAML, modeManual, targetHarness, "",
			wizard.NewSession{Protocol: wizard.SAML, Mode: wizard.Manual, Target: "harness"}, "Fabrikam Files"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eng := newEngine(t)
			r, calls := startRig(t, eng, Deps{})
			s := r.sh.setup.start
			if tc.ticket != "" {
				s.loadTicket("fabrikam.json", func() ([]byte, error) { return []byte(tc.ticket), nil })
				r.wait(1)
			}
			s.protocol.SetSelected(protocolNames[tc.protocol])
			s.mode.SetSelected(tc.mode)
			s.target.SetSelected(tc.target)
			if tc.tenant != "" {
				test.Type(s.tenant, tc.tenant)
			}
			test.Tap(s.startBtn)
			r.wait(2) // the setup opened, then the list read again

			opened := r.sh.setup.opened
			if opened == nil {
				t.Fatalf("no setup was opened; status %q", s.status.Text)
			}
			got := wizard.NewSession{Protocol: opened.Protocol(), Mode: opened.Mode(), Target: opened.TargetName(), TenantID: opened.State().TenantID}
			if got.Protocol != tc.want.Protocol || got.Mode != tc.want.Mode || got.Target != tc.want.Target ||
				got.TenantID != tc.want.TenantID || opened.Ticket.Vendor != tc.vendor {
				t.Errorf("opened %+v of %s, want %+v of %s", got, opened.Ticket.Vendor, tc.want, tc.vendor)
			}
			if c := <-calls; c.name != tc.want.Target || c.mode != tc.want.Mode {
				t.Errorf("Target(%q, %q), want (%q, %q)", c.name, c.mode, tc.want.Target, tc.want.Mode)
			}
			if r.sh.tabs.Selected().Text != "Setup" {
				t.Errorf("the %s tab is shown, want Setup", r.sh.tabs.Selected().Text)
			}
			sums, err := eng.Summaries(context.Background())
			if err != nil || len(sums) != 1 || sums[0].ID != opened.ID() {
				t.Errorf("saved setups %v (%v), want the one opened", sums, err)
			}
		})
	}
}

// TestStartRefusals: a wrong tenant is shown under its entry and nothing is created; a
// target that cannot be reached leaves the setup saved, with the reason in one sentence.
func TestStartRefusals(t *testing.T) {
	t.Run("tenant", func(t *testing.T) {
		eng := newEngine(t)
		r, calls := startRig(t, eng, Deps{})
		s := r.sh.setup.start
		s.target.SetSelected(targetEntra)
		test.Type(s.tenant, "common")
		test.Tap(s.startBtn)
		if !s.tenantErr.Visible() || !strings.Contains(s.tenantErr.Text, "multi-tenant") {
			t.Errorf("tenant error %q (shown %v), want the multi-tenant name refused", s.tenantErr.Text, s.tenantErr.Visible())
		}
		if s.status.Importance != widget.DangerImportance {
			t.Errorf("status %q is not an error", s.status.Text)
		}
		if sums, _ := eng.Summaries(context.Background()); len(sums) != 0 || len(calls) != 0 {
			t.Errorf("a refused start saved %d setups and asked for %d targets, want none", len(sums), len(calls))
		}
	})
	t.Run("target", func(t *testing.T) {
		eng := newEngine(t)
		calls := make(chan targetCall, 8)
		r, _ := startRig(t, eng, Deps{Target: fakeTarget(calls, errors.New("the local Entra did not start: port in use"))})
		s := r.sh.setup.start
		test.Tap(s.startBtn)
		r.wait(2)
		if r.sh.setup.opened != nil {
			t.Error("a setup was opened without its target")
		}
		want := "The setup is saved, but the local Entra cannot be reached: the local Entra did not start: port in use."
		if s.status.Text != want {
			t.Errorf("status %q, want %q", s.status.Text, want)
		}
		if n := len(s.resumeBtns); n != 1 {
			t.Errorf("%d saved setups listed, want the one just saved", n)
		}
	})
}

// TestResume: Resume opens the saved setup on its own target and mode.
func TestResume(t *testing.T) {
	eng := newEngine(t)
	saved := create(t, eng, wizard.NewSession{Protocol: wizard.SAML, Target: "entra", TenantID: "contoso.com", Mode: wizard.Auto})
	r, calls := startRig(t, eng, Deps{})
	s := r.sh.setup.start
	if len(s.resumeBtns) != 1 {
		t.Fatalf("%d Resume buttons, want 1", len(s.resumeBtns))
	}
	test.Tap(s.resumeBtns[0])
	r.wait(2)
	if o := r.sh.setup.opened; o == nil || o.ID() != saved.ID() {
		t.Fatalf("opened %v, want setup %s", o, saved.ID())
	}
	if c := <-calls; c.name != "entra" || c.mode != wizard.Auto {
		t.Errorf("Target(%q, %q), want (entra, auto)", c.name, c.mode)
	}
	// Back to the start screen: the list is read again.
	r.sh.setup.back()
	r.wait(1)
	if r.sh.setup.opened != nil || len(s.resumeBtns) != 1 {
		t.Errorf("after All setups: opened %v, %d listed", r.sh.setup.opened, len(s.resumeBtns))
	}
}

// TestFirstRun: with no saved setup the demo setup starts by itself (demo ticket, OIDC,
// automatic, the local harness); with one saved, the start screen stays.
func TestFirstRun(t *testing.T) {
	for _, tc := range []struct {
		name     string
		saved    bool
		wantDemo bool
	}{{"none saved", false, true}, {"one saved", true, false}} {
		t.Run(tc.name, func(t *testing.T) {
			eng := newEngine(t)
			if tc.saved {
				create(t, eng, wizard.NewSession{Protocol: wizard.SAML, Target: "harness", Mode: wizard.Manual})
			}
			r, calls := startRig(t, eng, Deps{DemoOnFirstRun: true})
			if !tc.wantDemo {
				if r.sh.setup.opened != nil || len(calls) != 0 {
					t.Error("the demo started although a setup was saved")
				}
				return
			}
			r.wait(2)
			o := r.sh.setup.opened
			if o == nil {
				t.Fatal("the demo setup did not open")
			}
			if o.Ticket.Vendor != wizard.DemoTicket().Vendor || o.Protocol() != wizard.OIDC || o.Mode() != wizard.Auto || o.TargetName() != "harness" {
				t.Errorf("opened %s %s %s on %s, want the demo by OIDC, automatic, on the harness", o.Ticket.Vendor, o.Protocol(), o.Mode(), o.TargetName())
			}
			// Back on the start screen the demo is listed, and does not start again.
			r.sh.setup.back()
			r.wait(1)
			if r.sh.setup.opened != nil || len(r.sh.setup.start.resumeBtns) != 1 {
				t.Errorf("after All setups: opened %v, %d listed", r.sh.setup.opened, len(r.sh.setup.start.resumeBtns))
			}
		})
	}
}

// TestSummaryCells: the words a saved setup is listed with.
func TestSummaryCells(t *testing.T) {
	now := time.Date(2026, 11, 23, 17, 45, 0, 0, time.UTC)
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{now.Add(-30 * time.Second), "just now"},
		{now.Add(-time.Minute), "1 minute ago"},
		{now.Add(-59 * time.Minute), "59 minutes ago"},
		{now.Add(-2 * time.Hour), "2 hours ago"},
		{now.Add(-49 * time.Hour), "2 days ago"},
		{time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC), "5 Jan 2026"},
	} {
		if got := ago(now, tc.at); got != tc.want {
			t.Errorf("ago(%v) = %q, want %q", now.Sub(tc.at), got, tc.want)
		}
	}
	for _, tc := range []struct {
		status, want string
		ok           bool
	}{
		{wizard.SessionInProgress, "In progress", true},
		{wizard.SessionEnabled, "Enabled", true},
		{"unreadable: the ticket is empty", "Unreadable", false},
	} {
		if got, ok := summaryStatus(tc.status); got != tc.want || ok != tc.ok {
			t.Errorf("summaryStatus(%q) = %q, %v, want %q, %v", tc.status, got, ok, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		sum  wizard.Summary
		want string
	}{
		{wizard.Summary{Target: "harness"}, "Local demo tenant"},
		{wizard.Summary{Target: "entra", TenantID: "contoso.com"}, "Entra contoso.com"},
		{wizard.Summary{Target: "entra"}, "Entra"},
	} {
		if got := summaryTarget(tc.sum); got != tc.want {
			t.Errorf("summaryTarget(%+v) = %q, want %q", tc.sum, got, tc.want)
		}
	}
}
