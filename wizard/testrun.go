package wizard

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ssowizard/ssowizard/inspect"
	"github.com/ssowizard/ssowizard/sp"
)

// TestRun is one test login as kept: what came back, redacted so it cannot be
// replayed, with the claims and findings.
type TestRun struct {
	ID       int64     `json:"id"`
	Started  time.Time `json:"started"`
	OK       bool      `json:"ok"`
	Protocol Protocol  `json:"protocol"`
	Target   string    `json:"target"`
	// Scenarios are the harness scenarios in effect, when the target was the harness.
	Scenarios []string `json:"scenarios,omitempty"`
	// User is who signed in, as the answer names them.
	User string `json:"user,omitempty"`
	// Named is who the test was to sign in as; a passing run's User is them.
	Named string `json:"named,omitempty"`
	// Refusal is the negative, when the app requires assignment: a user who is not
	// assigned tried to sign in and was to be refused.
	Refusal   *Refusal           `json:"refusal,omitempty"`
	Verdict   string             `json:"verdict"`
	Findings  []inspect.Finding  `json:"findings"`
	Claims    []inspect.Claim    `json:"claims,omitempty"`
	Subject   *inspect.Subject   `json:"subject,omitempty"`
	Signature *inspect.Signature `json:"signature,omitempty"`
	AADSTS    *inspect.AADSTS    `json:"aadsts,omitempty"`
	Groups    []string           `json:"groups,omitempty"`
	// Artifact is the answer redacted: no token signature, no signature values.
	Artifact *sp.Artifact  `json:"artifact,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	// Error is why the login could not be run at all.
	Error string `json:"error,omitempty"`
}

// Refusal is a sign-in by a user who is not assigned to an app that requires
// assignment: proven when Entra refused it with AADSTS50105. With no User, nobody
// could be tried.
type Refusal struct {
	// User is who was to be refused.
	User string `json:"user"`
	// Proven is true when Entra refused them with AADSTS50105.
	Proven bool `json:"proven"`
	// AADSTS is the code Entra answered, if any.
	AADSTS string `json:"aadsts,omitempty"`
	// Message says what happened, in one sentence; Fix what to do when not proven.
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

// FindingCodes lists the codes of the run's findings, sorted.
func (r TestRun) FindingCodes() []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Code)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestRuns returns the session's test logins, oldest first.
func (s *Session) TestRuns(ctx context.Context) ([]TestRun, error) {
	rows, err := s.e.DB.TestRuns(ctx, s.rec.ID)
	if err != nil {
		return nil, err
	}
	var out []TestRun
	for _, r := range rows {
		var tr TestRun
		if err := json.Unmarshal(r.Result, &tr); err != nil {
			continue
		}
		tr.ID = r.ID
		out = append(out, tr)
	}
	return out, nil
}

// Test-run finding codes the wizard adds to the SP's.
const (
	CodeRequiredClaimMissing = "required-claim-missing"
	CodeLoginFailed          = "login-failed"
	// CodeWrongUser: the answer names someone other than the user the test named.
	CodeWrongUser = "wrong-user"
	// CodeNotRefused: a user who is not assigned was not refused with AADSTS50105
	// (a check of the test step; the run's Refusal says why).
	CodeNotRefused = "unassigned-not-refused"
)

// login performs the test login through the embedded SP.
func (s *Session) login(ctx context.Context, t *Target) (TestRun, error) {
	run := TestRun{Started: s.e.now(), Protocol: s.Protocol(), Target: s.rec.Target, Scenarios: slices.Clone(t.Scenarios)}
	common := sp.Common{HTTPClient: t.client(), Open: t.Open, Now: s.e.Now, Tenant: s.state.TenantID}
	if len(s.state.Domains) > 0 {
		common.ExpectedDomain = s.state.Domains[0]
	}
	var res *sp.Result
	var err error
	switch s.Protocol() {
	case OIDC:
		value, found, kerr := s.secretValue(InClientSecret)
		if kerr != nil {
			return run, kerr
		}
		if !found {
			run.Error = "The client secret is not known to this run (without a keyring it is kept in memory only): give it again in the Client secret step."
			run.Verdict = "error"
			return run, nil
		}
		cfg := sp.OIDCConfig{Common: common, Authority: strings.TrimRight(t.LoginBase, "/") + "/" + s.state.TenantID + "/v2.0",
			ClientID: s.state.App.AppID, ClientSecret: value, GraphURL: t.GraphURL}
		if s.Ticket.OIDC != nil && len(s.Ticket.OIDC.Scopes) > 0 {
			cfg.Scopes = s.Ticket.OIDC.Scopes
		}
		var rp *sp.OIDC
		if rp, err = sp.NewOIDC(ctx, cfg); err == nil {
			res, err = rp.Login(ctx)
		}
	case SAML:
		if s.state.Metadata == nil {
			return run, fmt.Errorf("the IdP metadata step has not recorded any metadata: run it again")
		}
		var p *sp.SAML
		if p, err = sp.NewSAML(sp.SAMLConfig{Common: common, IdPMetadata: []byte(s.state.Metadata.XML), EntityID: s.state.EntityID}); err == nil {
			res, err = p.Login(ctx)
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return run, ctx.Err()
		}
		run.Error = oneSentence(err)
		run.Verdict = "error"
		return run, nil
	}
	s.fillRun(&run, res)
	return run, nil
}

// fillRun copies what a login showed into the run, redacted, and adds the vendor's
// required-claims check.
func (s *Session) fillRun(run *TestRun, res *sp.Result) {
	run.OK = res.OK
	run.Duration = res.Total
	run.AADSTS = res.AADSTS
	run.Groups = res.Groups
	run.Artifact = res.Artifact.Redacted()
	if rep := res.Report; rep != nil {
		run.Verdict = rep.Verdict
		run.Findings = slices.Clone(rep.Findings)
		run.Claims = rep.Claims
		run.Subject = rep.Subject
		run.Signature = rep.Signature
		run.User = userOf(rep)
	}
	if run.AADSTS == nil && len(run.Claims) > 0 {
		for _, want := range s.Ticket.RequiredClaims {
			if findClaim(run.Claims, want) == nil {
				run.Findings = append(run.Findings, inspect.Finding{Code: CodeRequiredClaimMissing, Severity: inspect.SeverityError,
					Message: fmt.Sprintf("%s needs the %s claim, and the answer has none.", s.Ticket.Vendor, want),
					Fix:     fmt.Sprintf("Add %s under Token configuration (OIDC) or Attributes & Claims (SAML), and check the user has a value for it.", want)})
				run.OK = false
				run.Verdict = "error"
			}
		}
	}
}

// claimAliases maps a ticket's short claim names to the names Entra uses in a token
// or a SAML attribute.
var claimAliases = map[string][]string{
	"email":       {"email", "emailaddress", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"},
	"name":        {"name", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"},
	"given_name":  {"given_name", "givenname", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"},
	"family_name": {"family_name", "surname", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"},
	"oid":         {"oid", "objectidentifier", "http://schemas.microsoft.com/identity/claims/objectidentifier"},
	"groups":      {"groups", "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"},
	"upn":         {"upn", "preferred_username", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"},
}

// Claim is the run's claim named name, or by a name Entra uses for it (email is also
// emailaddress and its URI), with a value; nil when the run has none.
func (r TestRun) Claim(name string) *inspect.Claim { return findClaim(r.Claims, name) }

func findClaim(cs []inspect.Claim, want string) *inspect.Claim {
	names := append([]string{want}, claimAliases[strings.ToLower(want)]...)
	for i, c := range cs {
		for _, n := range names {
			if (strings.EqualFold(c.Name, n) || strings.EqualFold(c.Friendly, n)) && len(c.Values) > 0 && c.Values[0] != "" {
				return &cs[i]
			}
		}
	}
	return nil
}

func userOf(rep *inspect.Report) string {
	for _, n := range []string{"preferred_username", "upn", "email"} {
		if c := findClaim(rep.Claims, n); c != nil {
			return c.Values[0]
		}
	}
	if rep.Subject != nil {
		return rep.Subject.NameID
	}
	return ""
}
