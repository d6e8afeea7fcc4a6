package ui

import (
	"reflect"
	"testing"

	"github.com/ssowizard/ssowizard/inspect"
	"github.com/ssowizard/ssowizard/wizard"
)

func claim(name string, values ...string) inspect.Claim {
	return inspect.Claim{Name: name, Friendly: name, Values: values}
}

func finding(code string) inspect.Finding {
	return inspect.Finding{Code: code, Severity: inspect.SeverityWarning, Message: code}
}

func codes(fs []inspect.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}

func TestDiffRuns(t *testing.T) {
	const groupsURI = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
	for _, tc := range []struct {
		name           string
		before, after  wizard.TestRun
		added, removed []string
		claims         []claimChange
	}{
		{name: "identical", before: wizard.TestRun{Claims: []inspect.Claim{claim("email", "a@x")}, Findings: []inspect.Finding{finding("sha1")}},
			after: wizard.TestRun{Claims: []inspect.Claim{claim("email", "a@x")}, Findings: []inspect.Finding{finding("sha1")}}},
		{name: "volatile claims are ignored",
			before: wizard.TestRun{Claims: []inspect.Claim{claim("nonce", "1"), claim("iat", "1"), claim("exp", "2"), claim("aio", "x"), claim("uti", "u"), claim("rh", "r")}},
			after:  wizard.TestRun{Claims: []inspect.Claim{claim("nonce", "2"), claim("iat", "3"), claim("exp", "4"), claim("aio", "y"), claim("uti", "v")}}},
		{name: "finding added and removed",
			before: wizard.TestRun{Findings: []inspect.Finding{finding("email-missing"), finding("sha1")}},
			after:  wizard.TestRun{Findings: []inspect.Finding{finding("sha1"), finding("groups-overage"), finding("groups-overage")}},
			added:  []string{"groups-overage"}, removed: []string{"email-missing"}},
		{name: "claim added, removed and changed",
			before: wizard.TestRun{Claims: []inspect.Claim{claim("name", "Alice"), claim("groups", "g1"), claim("upn", "a@x")}},
			after:  wizard.TestRun{Claims: []inspect.Claim{claim("name", "Alice"), claim("email", "a@x"), claim("groups", "g1", "g2")}},
			claims: []claimChange{{"email", nil, []string{"a@x"}}, {"groups", []string{"g1"}, []string{"g1", "g2"}}, {"upn", []string{"a@x"}, nil}}},
		{name: "values compared as sets",
			before: wizard.TestRun{Claims: []inspect.Claim{claim("groups", "g2", "g1")}},
			after:  wizard.TestRun{Claims: []inspect.Claim{claim("groups", "g1", "g2", "g1")}}},
		{name: "SAML attributes by full name, shown by friendly name",
			before: wizard.TestRun{Claims: []inspect.Claim{{Name: groupsURI, Friendly: "groups", Values: []string{"g1"}}}},
			after:  wizard.TestRun{Claims: []inspect.Claim{{Name: groupsURI, Friendly: "groups", Values: []string{"g3"}}}},
			claims: []claimChange{{"groups", []string{"g1"}, []string{"g3"}}}},
		{name: "a claim emptied is a change",
			before: wizard.TestRun{Claims: []inspect.Claim{claim("email", "a@x")}},
			after:  wizard.TestRun{Claims: []inspect.Claim{claim("email")}},
			claims: []claimChange{{"email", []string{"a@x"}, nil}}},
		{name: "from a failed run with no claims",
			before:  wizard.TestRun{Findings: []inspect.Finding{finding("status-error")}},
			after:   wizard.TestRun{Claims: []inspect.Claim{claim("email", "a@x")}},
			removed: []string{"status-error"}, claims: []claimChange{{"email", nil, []string{"a@x"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := diffRuns(tc.before, tc.after)
			if !reflect.DeepEqual(codes(got.Added), tc.added) || !reflect.DeepEqual(codes(got.Removed), tc.removed) {
				t.Errorf("findings added %v removed %v, want %v and %v", codes(got.Added), codes(got.Removed), tc.added, tc.removed)
			}
			if !reflect.DeepEqual(got.Claims, tc.claims) {
				t.Errorf("claims changed %+v, want %+v", got.Claims, tc.claims)
			}
			if got.empty() != (tc.added == nil && tc.removed == nil && tc.claims == nil) {
				t.Errorf("empty() = %v", got.empty())
			}
		})
	}
}

func TestLastGoodBefore(t *testing.T) {
	runs := func(oks ...bool) []wizard.TestRun {
		var out []wizard.TestRun
		for _, ok := range oks {
			out = append(out, wizard.TestRun{OK: ok})
		}
		return out
	}
	for _, tc := range []struct {
		runs []wizard.TestRun
		i    int
		want int
	}{
		{nil, 0, -1},
		{runs(true), 0, -1},
		{runs(true, false), 1, 0},
		{runs(true, true), 1, 0},
		{runs(false, false, false), 2, -1},
		{runs(true, false, true, false, true), 4, 2},
		{runs(true, false), 5, 0}, // past the end: every run counts
	} {
		if got := lastGoodBefore(tc.runs, tc.i); got != tc.want {
			t.Errorf("lastGoodBefore(%d runs, %d) = %d, want %d", len(tc.runs), tc.i, got, tc.want)
		}
	}
}

func TestRunHeadline(t *testing.T) {
	for _, tc := range []struct {
		r     wizard.TestRun
		want  string
		level level
	}{
		{wizard.TestRun{ID: 3, OK: true, User: "alice@contoso.example"}, "Test login 3 passed as alice@contoso.example", levelOK},
		{wizard.TestRun{ID: 4, OK: true, Findings: []inspect.Finding{finding("sha1")}}, "Test login 4 passed", levelWarning},
		{wizard.TestRun{ID: 5, AADSTS: &inspect.AADSTS{Code: "AADSTS50105"}}, "Test login 5 failed: Entra answered AADSTS50105", levelError},
		{wizard.TestRun{ID: 6, Error: "The client secret is not known to this run."}, "Test login 6 failed", levelError},
	} {
		if got := runHeadline(tc.r); got != tc.want {
			t.Errorf("runHeadline = %q, want %q", got, tc.want)
		}
		if got := runLevel(tc.r); got != tc.level {
			t.Errorf("runLevel(%q) = %v, want %v", tc.want, got, tc.level)
		}
	}
}
