package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/wizard"
	"github.com/ssowizard/ssowizard/wizard/check"
)

func TestStatusText(t *testing.T) {
	failed := func(sev ...check.Severity) wizard.StepState {
		st := wizard.StepState{Status: wizard.Failed}
		for _, s := range sev {
			st.Checks = append(st.Checks, check.Result{Severity: s})
		}
		return st
	}
	for _, tc := range []struct {
		name    string
		st      wizard.StepState
		running bool
		want    string
	}{
		{"not started", wizard.StepState{Status: wizard.NotStarted}, false, "Not started"},
		{"zero status", wizard.StepState{}, false, "Not started"},
		{"running", wizard.StepState{Status: wizard.Verified}, true, "Running…"},
		{"interrupted", wizard.StepState{Status: wizard.InProgress}, false, "Interrupted: run it again"},
		{"verified", wizard.StepState{Status: wizard.Verified}, false, "Verified"},
		{"one problem", failed(check.OK, check.Error, check.Warning), false, "Failed: 1 problem"},
		{"two problems", failed(check.Error, check.Error), false, "Failed: 2 problems"},
		{"could not finish", failed(check.OK, check.Warning), false, "Failed: could not finish"},
	} {
		if got := statusText(tc.st, tc.running); got != tc.want {
			t.Errorf("%s: statusText = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestRunLabel(t *testing.T) {
	for _, tc := range []struct {
		mode wizard.Mode
		step wizard.StepName
		want string
	}{
		{wizard.Manual, wizard.StepRegistration, "Check"},
		{wizard.Auto, wizard.StepRegistration, "Do it for me"},
		{wizard.Auto, wizard.StepDomain, "Do it for me"},
		{wizard.Manual, wizard.StepTest, "Run the test login"},
		{wizard.Auto, wizard.StepTest, "Run the test login"},
		{wizard.Manual, wizard.StepEnable, "Enable SSO"},
	} {
		if got := runLabel(tc.mode, tc.step); got != tc.want {
			t.Errorf("runLabel(%s, %s) = %q, want %q", tc.mode, tc.step, got, tc.want)
		}
	}
}

func TestStepInputs(t *testing.T) {
	s := &wizard.Session{Ticket: wizard.DemoTicket()}
	keys := func(ins []wizard.Input) []string {
		var out []string
		for _, in := range ins {
			out = append(out, in.Key)
		}
		return out
	}
	for _, tc := range []struct {
		mode wizard.Mode
		step wizard.StepName
		want []string
	}{
		{wizard.Manual, wizard.StepRegistration, []string{wizard.InClientID, wizard.InTenantID}},
		{wizard.Auto, wizard.StepRegistration, []string{wizard.InAppName}},
		{wizard.Auto, wizard.StepEnterpriseApp, []string{wizard.InAppName}},
		{wizard.Manual, wizard.StepClientSecret, []string{wizard.InClientSecret, wizard.InSecretExpires}},
		{wizard.Auto, wizard.StepClientSecret, []string{wizard.InNewSecret}},
		{wizard.Auto, wizard.StepRedirectURI, nil},
		{wizard.Auto, wizard.StepDomain, []string{wizard.InDomains}},
		{wizard.Auto, wizard.StepAssignments, []string{wizard.InPrincipals, wizard.InAssignmentRequired}},
		{wizard.Auto, wizard.StepTest, []string{wizard.InRefusedUser, wizard.InTestUser}},
	} {
		got := stepInputs(tc.mode, tc.step, s.Instructions(tc.step).Inputs)
		if !slices.Equal(keys(got), tc.want) {
			t.Errorf("stepInputs(%s, %s) = %v, want %v", tc.mode, tc.step, keys(got), tc.want)
		}
		if tc.mode == wizard.Auto && tc.step == wizard.StepDomain && !got[0].Optional {
			t.Error("automatic mode requires a domain although it takes the tenant's default")
		}
	}
}

func TestFieldCheck(t *testing.T) {
	const guid = "0b7e5c1d-3f2a-4e8b-a6d9-5c4e1f0a7b28"
	for _, tc := range []struct {
		key, value string
		want       check.Severity
		says       string
	}{
		{wizard.InClientID, guid, check.OK, ""},
		{wizard.InClientID, "{" + guid + "}", check.Error, guid},
		{wizard.InAppID, "not-a-guid", check.Error, "GUID"},
		{wizard.InTenantID, "common", check.Error, "multi-tenant"},
		{wizard.InTenantID, "contoso.example", check.OK, ""},
		{wizard.InClientSecret, guid, check.Error, "Secret ID"},
		{wizard.InClientSecret, "abc8Q~" + strings.Repeat("x", 34), check.OK, ""},
		{wizard.InDomains, "contoso.com, contoso.onmicrosoft.com", check.Error, "onmicrosoft"},
		{wizard.InDomains, "contoso.com", check.OK, ""},
		{wizard.InRedirectURI, "https://vendor.example/callback", check.OK, ""},
		{wizard.InReplyURL, "vendor.example/acs", check.Error, ""},
		{wizard.InEntityID, "https://vendor.example/saml", check.OK, ""},
		{wizard.InFingerprint, "zz", check.Error, ""},
		// An entry not filled in yet is no mistake.
		{wizard.InClientID, "", check.OK, ""},
		{wizard.InClientSecret, "  ", check.OK, ""},
	} {
		c := fieldCheck(tc.key)
		if c == nil {
			t.Fatalf("no check for %s", tc.key)
		}
		r := unlessEmpty(c)(tc.value)
		if r.Severity != tc.want || !strings.Contains(resultText(r), tc.says) {
			t.Errorf("%s = %q: %s %q, want %s saying %q", tc.key, tc.value, r.Severity, resultText(r), tc.want, tc.says)
		}
		err := check.Validator(unlessEmpty(c))(tc.value)
		if (err != nil) != (tc.want == check.Error) {
			t.Errorf("%s = %q: the entry's validator says %v", tc.key, tc.value, err)
		}
	}
	for _, key := range []string{wizard.InPrincipals, wizard.InTestUser, wizard.InSecretExpires, wizard.InIssuer} {
		if fieldCheck(key) != nil {
			t.Errorf("%s has a check, but none of wizard/check fits it", key)
		}
	}
}

func TestWorst(t *testing.T) {
	e := check.Result{ID: "e", Severity: check.Error}
	w := check.Result{ID: "w", Severity: check.Warning}
	o := check.Result{ID: "o", Severity: check.OK}
	for _, tc := range []struct {
		in   []check.Result
		want string
	}{
		{nil, ""},
		{[]check.Result{o, w}, "w"},
		{[]check.Result{w, o, e}, "e"},
		{[]check.Result{o}, ""},
	} {
		if got := worst(tc.in); got.ID != tc.want {
			t.Errorf("worst(%v) = %q, want %q", tc.in, got.ID, tc.want)
		}
	}
}

func TestLoginMethods(t *testing.T) {
	for _, tc := range []struct {
		methods []string
		offered []string
		def     string
	}{
		{nil, []string{"password", "sso", "both"}, "both"},
		{[]string{"sso", "both"}, []string{"sso", "both"}, "both"},
		{[]string{"password", "sso"}, []string{"password", "sso"}, "password"},
		{[]string{"sso"}, []string{"sso"}, "sso"},
	} {
		offered, def := loginMethods(&wizard.Ticket{LoginMethods: tc.methods})
		if !slices.Equal(offered, tc.offered) || def != tc.def {
			t.Errorf("loginMethods(%v) = %v, %q; want %v, %q", tc.methods, offered, def, tc.offered, tc.def)
		}
	}
}

func TestConnectionRows(t *testing.T) {
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	yes := true
	oidc := wizard.State{TenantID: "tid", TenantName: "Contoso", App: wizard.App{AppID: "app"},
		RedirectURIs: []string{"https://v/cb", "http://127.0.0.1/callback"}, Domains: []string{"contoso.com", "contoso.co.uk"},
		Secret:  &wizard.SecretRecord{KeyID: "kid", Hint: "abc", End: now.AddDate(0, 0, 30), Kept: "keyring"},
		Enabled: &wizard.EnableRecord{At: now, LoginMethods: "both", DefaultRole: "Member", JIT: true, Override: "vendor deadline"}, AssignmentRequired: &yes}
	saml := wizard.State{TenantID: "tid", App: wizard.App{AppID: "app"}, EntityID: "https://v/saml", ReplyURL: "https://v/acs",
		Metadata: &wizard.MetadataRecord{URL: "https://login/md", Issuer: "https://sts.windows.net/tid/", SSOURL: "https://login/tid/saml2",
			Certificates: []check.Certificate{{Thumbprint: "AB12", NotAfter: now.AddDate(-1, 0, 0)}}}}
	for _, tc := range []struct {
		name  string
		st    wizard.State
		p     wizard.Protocol
		want  []string // labels, in order
		value map[string]string
	}{
		{"oidc", oidc, wizard.OIDC, []string{"Tenant", "Client ID", "Redirect URIs", "Client secret", "Domains", "Enabled 2026-11-23 00:00 UTC"},
			map[string]string{
				"Tenant":        "Contoso (tid)",
				"Client secret": "abc…, kept in the keyring, Secret ID kid\nThe client secret expires in 30 days",
				"Domains":       "contoso.com, contoso.co.uk",
				"Enabled 2026-11-23 00:00 UTC": "login methods password and sso; default role Member; auto-membership off; just-in-time provisioning on; " +
					"SSO required for the domains off; enabled without a passing test: vendor deadline",
			}},
		{"saml", saml, wizard.SAML, []string{"Tenant", "Application ID", "Identifier (Entity ID)", "Reply URL", "Metadata URL", "Microsoft Entra Identifier", "Login URL", "Signing certificate"},
			map[string]string{"Tenant": "tid", "Signing certificate": "AB12\nThe certificate expired on 2025-11-23."}},
		{"nothing yet", wizard.State{}, wizard.OIDC, nil, nil},
	} {
		rows := connectionRows(tc.st, tc.p, now)
		var labels []string
		for _, r := range rows {
			labels = append(labels, r.Label)
			if want, ok := tc.value[r.Label]; ok && !strings.HasPrefix(r.Value, want) {
				t.Errorf("%s: %s = %q, want it to start %q", tc.name, r.Label, r.Value, want)
			}
		}
		if !slices.Equal(labels, tc.want) {
			t.Errorf("%s: rows %v, want %v", tc.name, labels, tc.want)
		}
	}
}

func TestFileStem(t *testing.T) {
	for in, want := range map[string]string{
		"Vendor":            "vendor",
		"Acme Docketing":    "acme-docketing",
		"  A & B, Inc.  ":   "a-b-inc",
		"Åsa's Café":        "åsa-s-café",
		"***":               "sso",
		"Zoom 2.0 (EU)":     "zoom-2-0-eu",
		"already-kebab-ok":  "already-kebab-ok",
		"Trailing dashes--": "trailing-dashes",
	} {
		if got := fileStem(in); got != want {
			t.Errorf("fileStem(%q) = %q, want %q", in, got, want)
		}
	}
}
