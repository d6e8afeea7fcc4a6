package wizard

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ssowizard/ssowizard/wizard/check"
)

// StepEnable records the vendor-side choices and enables the connection.
const StepEnable StepName = "enable"

var enableStep = &Step{
	Name:         StepEnable,
	Title:        "Enable",
	Verifies:     "The vendor-side choices are consistent and safe, and the connection rests on a passing test login or a recorded reason.",
	View:         ViewEnable,
	RunLabel:     "Enable SSO",
	Progress:     "Enabling…",
	instructions: enableInstructions,
	defaults:     enableDefaults,
	auto:         (*Session).enable,
	autoTakes: []string{InLoginMethods, InDefaultRole, InAutoMembership, InJIT, InEnforceDomain, InBreakGlassAck,
		InOverride, InRemoveLoopback}, // the same choices in either mode
	manual:    (*Session).enable,
	completes: true,
}

// enableInstructions are the vendor-side choices to make.
func enableInstructions(s *Session) Instructions {
	t := s.Ticket
	return Instructions{
		Text: []string{
			"Choose how " + t.Vendor + " lets users sign in once SSO is on. Start with both password and SSO until everyone has signed in by SSO once.",
			"Keep one administrator who can sign in with a password (a break-glass account), so an Entra problem cannot lock everyone out.",
		},
		Inputs: []Input{{Key: InLoginMethods, Label: "Login methods (password, sso, both)"}, {Key: InDefaultRole, Label: "Default role", Optional: true},
			{Key: InAutoMembership, Label: "Auto-membership (on/off)", Optional: true}, {Key: InJIT, Label: "Just-in-time provisioning (on/off)", Optional: true},
			{Key: InEnforceDomain, Label: "Enforce SSO for the domains (on/off)", Optional: true},
			{Key: InBreakGlassAck, Label: "Break-glass administrator kept (yes)", Optional: true},
			{Key: InOverride, Label: "Enable without a passing test: reason", Optional: true},
			{Key: InRemoveLoopback, Label: "Remove the test login's loopback URL (yes/no)", Optional: true}},
	}
}

// enableDefaults offers both login methods where the vendor has them, else the
// vendor's first, and the vendor's default role.
func enableDefaults(s *Session, _ *Target, set func(key, value string)) {
	if len(s.Ticket.LoginMethods) > 0 {
		m := s.Ticket.LoginMethods[0]
		if slices.Contains(s.Ticket.LoginMethods, LoginBoth) {
			m = LoginBoth
		}
		set(InLoginMethods, m)
	}
	set(InDefaultRole, s.Ticket.DefaultRole)
}

// EnableRecord is what was decided when the connection was enabled: the vendor-side
// choices, and the override when it was enabled without a passing test.
type EnableRecord struct {
	At             time.Time `json:"at"`
	LoginMethods   string    `json:"login_methods"`
	DefaultRole    string    `json:"default_role,omitempty"`
	AutoMembership bool      `json:"auto_membership"`
	JIT            bool      `json:"jit"`
	EnforceDomain  bool      `json:"enforce_domain"`
	BreakGlassAck  bool      `json:"break_glass_ack"`
	// Override is the reason given for enabling without a passing test.
	Override string `json:"override,omitempty"`
	// TestRun is the passing test the connection was enabled on (0 with an override).
	TestRun int64 `json:"test_run,omitempty"`
	// LatestTest is the latest test login when it was enabled, passing or not: a
	// later one that fails means the connection is no longer enabled.
	LatestTest      int64 `json:"latest_test,omitempty"`
	LoopbackRemoved bool  `json:"loopback_removed,omitempty"`
	LoopbackRemains bool  `json:"loopback_remains,omitempty"`
}

// enable judges the choices and, when they pass, removes the test login's loopback
// URL if asked and records the connection as enabled.
func (s *Session) enable(ctx context.Context, t *Target, st *StepState, _ bool) ([]check.Result, error) {
	runs, err := s.TestRuns(ctx)
	if err != nil {
		return nil, err
	}
	var last *TestRun
	if len(runs) > 0 {
		last = &runs[len(runs)-1]
	}
	rec, out := enableChoices(s.Ticket, s.state.Domains, last, st.Inputs, s.e.now())
	if check.Failed(out) {
		return out, nil
	}
	if last != nil {
		rec.LatestTest = last.ID
	}
	r, err := s.removeLoopback(ctx, t, rec, st.Inputs)
	if err != nil {
		return out, err
	}
	if r != nil {
		out = append(out, *r)
	}
	s.state.Enabled = rec
	return append(out, ok("enabled", InLoginMethods, fmt.Sprintf("SSO with %s is ready: login methods %s.", s.Ticket.Vendor, rec.LoginMethods))), nil
}

// enableChoices checks the vendor-side choices in, against the vendor's ticket, the
// recorded domains and the last test login (nil: none), and returns the record they
// make. It has no effect: a record whose checks failed is not to be kept.
func enableChoices(t *Ticket, domains []string, last *TestRun, in map[string]string, at time.Time) (*EnableRecord, []check.Result) {
	var out []check.Result
	rec := &EnableRecord{At: at}
	switch {
	case last != nil && last.OK:
		rec.TestRun = last.ID
		out = append(out, ok("test-passed", InOverride, fmt.Sprintf("Test login %d passed.", last.ID)))
	case strings.TrimSpace(in[InOverride]) != "":
		rec.Override = strings.TrimSpace(in[InOverride])
		out = append(out, warn("enabled-without-test", InOverride, "Enabled without a passing test login; the reason is recorded: "+rec.Override+".",
			"Run the test as soon as you can: users may be unable to sign in."))
	default:
		out = append(out, fail("no-passing-test", InOverride, "Enabling needs a passing test login, and the last one did not pass.",
			"Fix what the test showed and run it again, or give a reason to enable anyway."))
	}

	methods := strings.ToLower(in[InLoginMethods])
	switch {
	case methods == "":
		out = append(out, fail("missing", InLoginMethods, "No login method was chosen.", "Choose password, sso or both."))
	case methods != LoginPassword && methods != LoginSSO && methods != LoginBoth:
		out = append(out, fail("bad-login-method", InLoginMethods, fmt.Sprintf("%q is not a login method.", methods), "Choose password, sso or both."))
	case len(t.LoginMethods) > 0 && !slices.Contains(t.LoginMethods, methods):
		out = append(out, fail("login-method-not-offered", InLoginMethods, fmt.Sprintf("%s does not offer %q.", t.Vendor, methods),
			"Choose one of "+strings.Join(t.LoginMethods, ", ")+"."))
	case methods == LoginPassword:
		out = append(out, warn("sso-off", InLoginMethods, "With password only, nobody signs in by SSO yet.", "Choose both, or sso, when users are ready."))
	}
	rec.LoginMethods = methods
	rec.DefaultRole = in[InDefaultRole]
	if rec.DefaultRole != "" && len(t.Roles) > 0 && !slices.Contains(t.Roles, rec.DefaultRole) {
		out = append(out, fail("bad-role", InDefaultRole, fmt.Sprintf("%s has no role %q.", t.Vendor, rec.DefaultRole),
			"Choose one of "+strings.Join(t.Roles, ", ")+"."))
	}
	for _, f := range []struct {
		key string
		dst *bool
	}{{InAutoMembership, &rec.AutoMembership}, {InJIT, &rec.JIT}, {InEnforceDomain, &rec.EnforceDomain}, {InBreakGlassAck, &rec.BreakGlassAck}} {
		if v := in[f.key]; v != "" {
			b, okv := yes(v)
			if !okv {
				out = append(out, fail("bad-yes-no", f.key, fmt.Sprintf("%q is neither on nor off.", v), "Answer on or off (yes or no)."))
			}
			*f.dst = b
		}
	}
	if rec.EnforceDomain && len(domains) == 0 {
		out = append(out, fail("no-domain", InEnforceDomain, "SSO cannot be enforced for a domain: none was recorded.", "Go back to the Domain step."))
	}
	if (methods == LoginSSO || rec.EnforceDomain) && !rec.BreakGlassAck {
		out = append(out, fail("break-glass", InBreakGlassAck, "With SSO only, an Entra outage or a wrong setting locks every user out, administrators included.",
			"Keep one vendor administrator who signs in with a password (a break-glass account), and confirm it with break_glass_ack = yes."))
	}
	if rec.JIT && rec.DefaultRole == "" {
		out = append(out, warn("jit-no-role", InDefaultRole, "Just-in-time provisioning is on with no default role, so new users get the vendor's own default.",
			"Choose the default role new users get."))
	}
	return rec, out
}

// removeLoopback takes the test login's loopback URL off the app when asked: through
// Graph in automatic mode, else it says to remove it by hand. It records on rec
// whether the URL was removed or remains, and returns the check saying so (nil when
// nothing was asked).
func (s *Session) removeLoopback(ctx context.Context, t *Target, rec *EnableRecord, in map[string]string) (*check.Result, error) {
	if len(s.state.Loopback) == 0 {
		return nil, nil
	}
	if remove, _ := yes(in[InRemoveLoopback]); !remove {
		rec.LoopbackRemains = true
		return nil, nil
	}
	if s.Mode() != Auto || t.Directory == nil {
		rec.LoopbackRemains = true
		r := warn("loopback-remove-by-hand", InRemoveLoopback, "The test login's loopback URL is still registered: "+strings.Join(s.state.Loopback, ", ")+".",
			"Remove it from the app's redirect (reply) URLs in Entra; the wizard cannot test again without it.")
		return &r, nil
	}
	cur, err := t.Directory.Application(ctx, s.state.App)
	if err != nil {
		return nil, err
	}
	keep := slices.DeleteFunc(slices.Clone(cur.RedirectURIs), func(u string) bool { return slices.Contains(s.state.Loopback, u) })
	if err := t.Directory.SetRedirectURIs(ctx, s.state.App, keep); err != nil {
		return nil, err
	}
	s.state.RedirectURIs = keep
	rec.LoopbackRemoved = true
	r := ok("loopback-removed", InRemoveLoopback, "Removed the test login's loopback URL from the app.")
	return &r, nil
}
