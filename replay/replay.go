// Package replay rebuilds, from a setup's evidence bundle, a harness tenant that
// reproduces the customer's tenant, app and test user, so support can replay their
// login against the local Entra. It stands between the wizard (whose bundle it reads)
// and the harness (whose tenant it builds), so that neither imports the other.
package replay

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/wizard"
	"github.com/ssowizard/ssowizard/wizard/check"
)

// Replay is a harness tenant that reproduces an evidence bundle's tenant, app and
// test user, with the scenarios the customer's login showed.
type Replay struct {
	Tenant *tenant.Tenant
	// Login and Password sign in as the replayed user.
	Login, Password string
	// AppID is the replayed app's client ID.
	AppID string
	// Scenarios are applied to the app.
	Scenarios []string
}

// FromEvidence builds the replay of an evidence bundle: the same tenant ID, domains
// and app (client ID, URLs, SAML signing as observed, group and optional claims,
// assignment), and the user of the last test login with the claims Entra sent for
// them. Scenarios recorded by a harness run are kept; for a real tenant they are
// inferred from what the answer showed (SHA-1, response signing, no e-mail, a guest,
// a groups overage, a transient NameID).
func FromEvidence(ev *wizard.Evidence, now time.Time) (*Replay, error) {
	if len(ev.Runs) == 0 {
		return nil, errors.New("the evidence bundle holds no test login, so there is no user to replay: run the test step before exporting")
	}
	run := ev.Runs[len(ev.Runs)-1]
	for i := len(ev.Runs) - 1; i >= 0; i-- { // the last run that reached the IdP
		if len(ev.Runs[i].Claims) > 0 || ev.Runs[i].AADSTS != nil {
			run = ev.Runs[i]
			break
		}
	}
	pw := make([]byte, 12)
	if _, err := rand.Read(pw); err != nil {
		return nil, err
	}
	r := &Replay{AppID: ev.App.AppID, Password: "Replay." + base64.RawURLEncoding.EncodeToString(pw)}
	t := &tenant.Tenant{TenantID: ev.Tenant.ID, DisplayName: ev.Tenant.DisplayName}
	if t.DisplayName == "" {
		t.DisplayName = "Replay of " + ev.Session.Vendor + " setup " + ev.Session.ID
	}
	initial := "replay" + strings.ReplaceAll(ev.Tenant.ID, "-", "")[:8] + ".onmicrosoft.com"
	t.Domains = append(t.Domains, tenant.Domain{Name: initial, Initial: true, Verified: true})
	for i, d := range ev.Tenant.Domains {
		t.Domains = append(t.Domains, tenant.Domain{Name: d, Default: i == 0, Verified: true})
	}
	if len(ev.Tenant.Domains) == 0 {
		t.Domains[0].Default = true
	}

	claim := func(names ...string) string {
		for _, n := range names {
			if c := run.Claim(n); c != nil {
				return c.Values[0]
			}
		}
		return ""
	}
	scen := map[string]bool{}
	for _, s := range run.Scenarios {
		scen[s] = true
	}
	u := tenant.User{ID: claim("oid"), Mail: claim("email"), GivenName: claim("given_name"), Surname: claim("family_name"), Password: r.Password}
	u.UPN = claim("preferred_username", "upn", "name")
	if u.UPN == "" && run.Subject != nil {
		u.UPN = run.Subject.NameID
	}
	if u.UPN == "" {
		u.UPN = run.User
	}
	if u.UPN == "" || !strings.Contains(u.UPN, "@") {
		u.UPN = "user@" + t.Domains[len(t.Domains)-1].Name
	}
	u.DisplayName = strings.TrimSpace(u.GivenName + " " + u.Surname)
	if dn := claim("displayname"); dn != "" {
		u.DisplayName = dn
	} else if dn := claim("name"); dn != "" && ev.Session.Protocol == wizard.OIDC {
		u.DisplayName = dn // in an ID token, name is the display name (in SAML, the UPN)
	}
	if claim("idp", "identityprovider") != "" && !strings.EqualFold(claim("idp", "identityprovider"), "https://sts.windows.net/"+ev.Tenant.ID+"/") {
		u.Guest = true
	}
	if u.Mail == "" && !u.Guest {
		scen["no-email"] = true
	}
	if run.Claim("groups") == nil && hasOverage(run) {
		scen["groups-overage"] = true
	}
	for _, gid := range groupValues(run) {
		if _, err := parseGUID(gid); err == nil {
			t.Groups = append(t.Groups, tenant.Group{ID: gid, DisplayName: "Group " + gid[:8], Type: tenant.GroupSecurity})
			u.Groups = append(u.Groups, gid)
		}
	}
	t.Users = append(t.Users, u)
	r.Login = u.UPN

	redirects := slices.Clone(ev.App.RedirectURIs)
	for _, u := range []string{ev.App.ReplyURL, loopbackFor(ev.Session.Protocol)} {
		if u != "" && !slices.Contains(redirects, u) {
			redirects = append(redirects, u)
		}
	}
	app := tenant.App{AppID: ev.App.AppID, ObjectID: ev.App.ObjectID, DisplayName: ev.App.DisplayName, ServicePrincipalID: ev.App.ServicePrincipalID,
		SignInAudience: tenant.AudienceMyOrg, RedirectURIs: redirects,
		SAML:        tenant.SAML{Sign: tenant.SignAssertion, Algorithm: tenant.AlgorithmSHA256, NameID: tenant.NameIDUPN, RelayState: ev.App.RelayState},
		GroupClaims: tenant.GroupClaimsNone}
	if app.DisplayName == "" {
		app.DisplayName = ev.Session.Vendor + " SSO (replay)"
	}
	if app.ServicePrincipalID == "" { // manual mode never learns it
		id, err := tenant.NewGUID(rand.Reader)
		if err != nil {
			return nil, err
		}
		app.ServicePrincipalID = id
	}
	if ev.App.EntityID != "" {
		app.IdentifierURIs = []string{ev.App.EntityID}
	}
	if len(u.Groups) > 0 || scen["groups-overage"] {
		app.GroupClaims = tenant.GroupClaimsSecurity
	}
	if u.Mail != "" && ev.Session.Protocol == wizard.OIDC {
		app.OptionalClaims = []string{"email"}
	}
	if sig := run.Signature; sig != nil && ev.Session.Protocol == wizard.SAML {
		resp, assertion := slices.Contains(sig.Signed, "response"), slices.Contains(sig.Signed, "assertion")
		switch {
		case resp && assertion:
			app.SAML.Sign = tenant.SignBoth
		case resp:
			app.SAML.Sign = tenant.SignResponse
		}
		if strings.Contains(strings.ToLower(sig.Algorithm), "sha1") {
			app.SAML.Algorithm = tenant.AlgorithmSHA1
		}
	}
	if run.Subject != nil && strings.HasSuffix(run.Subject.Format, ":transient") {
		scen["transient-nameid"] = true
	}
	if ev.App.AssignmentRequired != nil && *ev.App.AssignmentRequired {
		app.AssignmentRequired = true
		app.Assignments = []string{u.ID}
	}
	// A harness run's app-side scenarios that change the SAML settings are applied
	// through the settings above; the rest stay scenarios.
	for s := range scen {
		r.Scenarios = append(r.Scenarios, s)
	}
	slices.Sort(r.Scenarios)
	app.Scenarios = r.Scenarios
	t.Apps = append(t.Apps, app)
	r.Tenant = t
	if ev.Session.Protocol == wizard.OIDC {
		sec, err := tenant.NewSecret(rand.Reader, now, 365*24*time.Hour)
		if err != nil {
			return nil, err
		}
		sec.DisplayName = "replay"
		t.Apps[0].Secrets = []tenant.Secret{sec}
	}
	return r, nil
}

func loopbackFor(p wizard.Protocol) string {
	if p == wizard.SAML {
		return wizard.LoopbackACS
	}
	return wizard.LoopbackRedirectURI
}

func hasOverage(run wizard.TestRun) bool {
	for _, f := range run.Findings {
		if strings.Contains(f.Code, "overage") {
			return true
		}
	}
	return run.Claim("http://schemas.microsoft.com/claims/groups.link") != nil || run.Claim("_claim_names") != nil
}

func groupValues(run wizard.TestRun) []string {
	if c := run.Claim("groups"); c != nil {
		return c.Values
	}
	return nil
}

func parseGUID(s string) (string, error) {
	if r := check.ClientID(s); r.Failed() {
		return "", errors.New(r.Message)
	}
	return s, nil
}
