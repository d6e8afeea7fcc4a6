package wizard

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ssowizard/ssowizard/wizard/check"
)

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
	TestRun         int64 `json:"test_run,omitempty"`
	LoopbackRemoved bool  `json:"loopback_removed,omitempty"`
	LoopbackRemains bool  `json:"loopback_remains,omitempty"`
}

func (s *Session) enable(ctx context.Context, t *Target, st *StepState, auto bool) ([]check.Result, error) {
	in := st.Inputs
	var out []check.Result
	rec := &EnableRecord{At: s.e.now()}

	runs, err := s.TestRuns(ctx)
	if err != nil {
		return nil, err
	}
	var last *TestRun
	if len(runs) > 0 {
		last = &runs[len(runs)-1]
	}
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
	case len(s.Ticket.LoginMethods) > 0 && !slices.Contains(s.Ticket.LoginMethods, methods):
		out = append(out, fail("login-method-not-offered", InLoginMethods, fmt.Sprintf("%s does not offer %q.", s.Ticket.Vendor, methods),
			"Choose one of "+strings.Join(s.Ticket.LoginMethods, ", ")+"."))
	case methods == LoginPassword:
		out = append(out, warn("sso-off", InLoginMethods, "With password only, nobody signs in by SSO yet.", "Choose both, or sso, when users are ready."))
	}
	rec.LoginMethods = methods
	rec.DefaultRole = in[InDefaultRole]
	if rec.DefaultRole != "" && len(s.Ticket.Roles) > 0 && !slices.Contains(s.Ticket.Roles, rec.DefaultRole) {
		out = append(out, fail("bad-role", InDefaultRole, fmt.Sprintf("%s has no role %q.", s.Ticket.Vendor, rec.DefaultRole),
			"Choose one of "+strings.Join(s.Ticket.Roles, ", ")+"."))
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
	if rec.EnforceDomain && len(s.state.Domains) == 0 {
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
	if check.Failed(out) {
		return out, nil
	}

	remove, _ := yes(in[InRemoveLoopback])
	if remove && len(s.state.Loopback) > 0 {
		if auto && t.Directory != nil {
			cur, err := t.Directory.Application(ctx, s.state.App)
			if err != nil {
				return out, err
			}
			keep := slices.DeleteFunc(slices.Clone(cur.RedirectURIs), func(u string) bool { return slices.Contains(s.state.Loopback, u) })
			if err := t.Directory.SetRedirectURIs(ctx, s.state.App, keep); err != nil {
				return out, err
			}
			s.state.RedirectURIs = keep
			rec.LoopbackRemoved = true
			out = append(out, ok("loopback-removed", InRemoveLoopback, "Removed the test login's loopback URL from the app."))
		} else {
			rec.LoopbackRemains = true
			out = append(out, warn("loopback-remove-by-hand", InRemoveLoopback, "The test login's loopback URL is still registered: "+strings.Join(s.state.Loopback, ", ")+".",
				"Remove it from the app's redirect (reply) URLs in Entra; the wizard cannot test again without it."))
		}
	} else if len(s.state.Loopback) > 0 {
		rec.LoopbackRemains = true
	}
	s.state.Enabled = rec
	out = append(out, ok("enabled", InLoginMethods, fmt.Sprintf("SSO with %s is ready: login methods %s.", s.Ticket.Vendor, methods)))
	return out, nil
}
