package wizard

import (
	"slices"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/wizard/check"
)

// Run calls the hooks without checking them: every step must have both runs and
// instructions, and a path must end in the one step that completes it.
func TestPathsAreWellFormed(t *testing.T) {
	for p, ds := range paths {
		seen := map[StepName]bool{}
		for i, d := range ds {
			if seen[d.Name] {
				t.Errorf("%s lists %s twice", p, d.Name)
			}
			seen[d.Name] = true
			if d.auto == nil || d.manual == nil || d.instructions == nil {
				t.Errorf("%s: %s lacks a run or its instructions", p, d.Name)
			}
			if d.completes != (i == len(ds)-1) {
				t.Errorf("%s: %s completes = %v, want only the last step to complete", p, d.Name, d.completes)
			}
			if describe(d.Name) != d {
				t.Errorf("%s: two descriptors are named %s", p, d.Name)
			}
		}
	}
}

func TestEnableChoices(t *testing.T) {
	at := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	ticket := DemoTicket()
	passed := &TestRun{ID: 7, OK: true}
	failed := &TestRun{ID: 8}
	ids := func(rs []check.Result) (fails, warns []string) {
		for _, r := range rs {
			switch r.Severity {
			case check.Error:
				fails = append(fails, r.ID)
			case check.Warning:
				warns = append(warns, r.ID)
			}
		}
		return fails, warns
	}
	for _, tc := range []struct {
		name         string
		domains      []string
		last         *TestRun
		in           map[string]string
		fails, warns []string
		check        func(*EnableRecord) bool
	}{
		{name: "passing test, both methods", last: passed, in: map[string]string{InLoginMethods: "both"},
			check: func(r *EnableRecord) bool {
				return r.TestRun == 7 && r.Override == "" && r.LoginMethods == "both" && r.At.Equal(at)
			}},
		{name: "no test at all", in: map[string]string{InLoginMethods: "both"}, fails: []string{"no-passing-test"}},
		{name: "failed test without a reason", last: failed, in: map[string]string{InLoginMethods: "both"}, fails: []string{"no-passing-test"}},
		{name: "failed test with a reason", last: failed, in: map[string]string{InLoginMethods: "both", InOverride: " vendor outage "},
			warns: []string{"enabled-without-test"}, check: func(r *EnableRecord) bool { return r.Override == "vendor outage" && r.TestRun == 0 }},
		{name: "no method", last: passed, in: map[string]string{}, fails: []string{"missing"}},
		{name: "unknown method", last: passed, in: map[string]string{InLoginMethods: "magic"}, fails: []string{"bad-login-method"}},
		{name: "password only", last: passed, in: map[string]string{InLoginMethods: "PASSWORD"}, warns: []string{"sso-off"},
			check: func(r *EnableRecord) bool { return r.LoginMethods == "password" }},
		{name: "sso only without break-glass", last: passed, in: map[string]string{InLoginMethods: "sso"}, fails: []string{"break-glass"}},
		{name: "sso only with break-glass", last: passed, in: map[string]string{InLoginMethods: "sso", InBreakGlassAck: "yes"},
			check: func(r *EnableRecord) bool { return r.BreakGlassAck }},
		{name: "enforced domain with none recorded", last: passed, in: map[string]string{InLoginMethods: "both", InEnforceDomain: "on", InBreakGlassAck: "yes"},
			fails: []string{"no-domain"}},
		{name: "enforced domain", domains: []string{"contoso.com"}, last: passed, in: map[string]string{InLoginMethods: "both", InEnforceDomain: "on", InBreakGlassAck: "yes"},
			check: func(r *EnableRecord) bool { return r.EnforceDomain }},
		{name: "unknown role", last: passed, in: map[string]string{InLoginMethods: "both", InDefaultRole: "Owner"}, fails: []string{"bad-role"}},
		{name: "not a yes or no", last: passed, in: map[string]string{InLoginMethods: "both", InJIT: "maybe"}, fails: []string{"bad-yes-no"}},
		{name: "jit without a role", last: passed, in: map[string]string{InLoginMethods: "both", InJIT: "on"}, warns: []string{"jit-no-role"},
			check: func(r *EnableRecord) bool { return r.JIT }},
	} {
		rec, out := enableChoices(ticket, tc.domains, tc.last, tc.in, at)
		fails, warns := ids(out)
		if !slices.Equal(fails, tc.fails) || !slices.Equal(warns, tc.warns) {
			t.Errorf("%s: enableChoices fails %v and warns %v, want %v and %v", tc.name, fails, warns, tc.fails, tc.warns)
		}
		if tc.check != nil && !tc.check(rec) {
			t.Errorf("%s: enableChoices recorded %+v", tc.name, *rec)
		}
		if rec.LoopbackRemoved || rec.LoopbackRemains {
			t.Errorf("%s: enableChoices decided the loopback URL, which is the effect's to record", tc.name)
		}
	}
}
