package wizard

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ssowizard/ssowizard/entra"
	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/wizard/check"
)

// Bundle formats.
const (
	ConnectionFormat = "ssowizard-connection/1"
	EvidenceFormat   = "ssowizard-evidence/1"
)

// Connection is what the vendor needs to turn SSO on: the IdP's side of the
// connection, and the choices made at Enable. The client secret is in it only when
// asked for.
type Connection struct {
	Format   string          `json:"format"`
	Created  time.Time       `json:"created"`
	Vendor   string          `json:"vendor"`
	Protocol Protocol        `json:"protocol"`
	TenantID string          `json:"tenant_id"`
	Domains  []string        `json:"domains,omitempty"`
	OIDC     *ConnectionOIDC `json:"oidc,omitempty"`
	SAML     *ConnectionSAML `json:"saml,omitempty"`
	Settings *EnableRecord   `json:"settings,omitempty"`
	// TestRun is the passing test login the connection was enabled on.
	TestRun *TestSummary `json:"test_run,omitempty"`
}

// ConnectionOIDC is the OIDC side of a connection.
type ConnectionOIDC struct {
	Issuer       string   `json:"issuer"`
	DiscoveryURL string   `json:"discovery_url"`
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret,omitempty"`
	SecretID     string   `json:"secret_id,omitempty"`
	SecretEnds   string   `json:"secret_expires,omitempty"`
	RedirectURI  string   `json:"redirect_uri"`
	Scopes       []string `json:"scopes,omitempty"`
}

// ConnectionSAML is the SAML side of a connection.
type ConnectionSAML struct {
	IdPEntityID  string              `json:"idp_entity_id"`
	SSOURL       string              `json:"sso_url"`
	MetadataURL  string              `json:"metadata_url,omitempty"`
	MetadataXML  string              `json:"metadata_xml,omitempty"`
	Certificates []check.Certificate `json:"certificates"`
	EntityID     string              `json:"entity_id"`
	ACSURL       string              `json:"acs_url"`
	RelayState   string              `json:"relay_state,omitempty"`
}

// TestSummary names a test login.
type TestSummary struct {
	ID      int64     `json:"id"`
	Started time.Time `json:"started"`
	OK      bool      `json:"ok"`
	User    string    `json:"user,omitempty"`
}

// ErrNotEnabled is returned for a connection bundle of a setup not yet enabled.
var ErrNotEnabled = errors.New("the setup is not enabled yet: finish the Enable step first")

// ConnectionBundle builds the connection bundle. withSecret puts the client secret's
// value in it, read from the keeper.
func (s *Session) ConnectionBundle(ctx context.Context, withSecret bool) (*Connection, error) {
	st := s.State()
	if st.Enabled == nil {
		return nil, ErrNotEnabled
	}
	c := &Connection{Format: ConnectionFormat, Created: s.e.now(), Vendor: s.Ticket.Vendor, Protocol: s.Protocol(),
		TenantID: st.TenantID, Domains: st.Domains, Settings: st.Enabled}
	runs, err := s.TestRuns(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range runs {
		if r.ID == st.Enabled.TestRun {
			c.TestRun = &TestSummary{ID: r.ID, Started: r.Started, OK: r.OK, User: r.User}
		}
	}
	switch s.Protocol() {
	case OIDC:
		iss := strings.TrimRight(st.loginBase(), "/") + "/" + st.TenantID + "/v2.0"
		o := &ConnectionOIDC{Issuer: iss, DiscoveryURL: iss + "/.well-known/openid-configuration", ClientID: st.App.AppID,
			RedirectURI: s.Ticket.redirectURI()}
		if s.Ticket.OIDC != nil {
			o.Scopes = s.Ticket.OIDC.Scopes
		}
		if st.Secret != nil {
			o.SecretID = st.Secret.KeyID
			if !st.Secret.End.IsZero() {
				o.SecretEnds = st.Secret.End.Format(time.DateOnly)
			}
		}
		if withSecret {
			v, found, err := s.secretValue(InClientSecret)
			if err != nil {
				return nil, err
			}
			if !found {
				return nil, errors.New("the client secret is not kept on this computer (no keyring, or another run): make a new one in the Client secret step, or export without it")
			}
			o.ClientSecret = v
		}
		c.OIDC = o
	case SAML:
		m := st.Metadata
		if m == nil {
			return nil, errors.New("the setup has no IdP metadata: run the IdP metadata step")
		}
		c.SAML = &ConnectionSAML{IdPEntityID: m.Issuer, SSOURL: m.SSOURL, MetadataURL: m.URL, MetadataXML: m.XML, Certificates: m.Certificates,
			EntityID: st.EntityID, ACSURL: st.ReplyURL, RelayState: st.RelayState}
	}
	return c, nil
}

// Evidence is what support needs to understand and replay a customer's login, with
// every secret left out: the ticket, the tenant's and the app's settings as the setup
// saw them, the steps with their checks, the test logins redacted, and the event log.
type Evidence struct {
	Format    string           `json:"format"`
	Created   time.Time        `json:"created"`
	Session   EvidenceSession  `json:"session"`
	Ticket    json.RawMessage  `json:"ticket"`
	Tenant    EvidenceTenant   `json:"tenant"`
	App       EvidenceApp      `json:"app"`
	Steps     []StepState      `json:"steps"`
	Runs      []TestRun        `json:"runs"`
	Events    []EvidenceEvent  `json:"events"`
	Reminders []check.Reminder `json:"reminders,omitempty"`
}

// EvidenceSession identifies the setup.
type EvidenceSession struct {
	ID       string    `json:"id"`
	Vendor   string    `json:"vendor"`
	Protocol Protocol  `json:"protocol"`
	Target   string    `json:"target"`
	Mode     Mode      `json:"mode"`
	Status   string    `json:"status"`
	Current  StepName  `json:"current"`
	Created  time.Time `json:"created"`
}

// EvidenceTenant is the customer's tenant as far as the setup saw it.
type EvidenceTenant struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"display_name,omitempty"`
	Domains     []string `json:"domains,omitempty"`
}

// EvidenceApp is the app's settings as the setup made or verified them.
type EvidenceApp struct {
	App
	RedirectURIs       []string            `json:"redirect_uris,omitempty"`
	EntityID           string              `json:"entity_id,omitempty"`
	ReplyURL           string              `json:"reply_url,omitempty"`
	RelayState         string              `json:"relay_state,omitempty"`
	AssignmentRequired *bool               `json:"assignment_required,omitempty"`
	Assigned           []Principal         `json:"assigned,omitempty"`
	Secret             *SecretRecord       `json:"secret,omitempty"`
	IdPEntityID        string              `json:"idp_entity_id,omitempty"`
	MetadataURL        string              `json:"metadata_url,omitempty"`
	Certificates       []check.Certificate `json:"certificates,omitempty"`
	Enabled            *EnableRecord       `json:"enabled,omitempty"`
}

// EvidenceEvent is one line of the event log.
type EvidenceEvent struct {
	At      time.Time `json:"at"`
	Step    string    `json:"step,omitempty"`
	Kind    string    `json:"kind"`
	Message string    `json:"message"`
}

// EvidenceBundle builds the evidence bundle. It never holds a secret: the client
// secret's value is not read, and test logins are stored redacted.
func (s *Session) EvidenceBundle(ctx context.Context) (*Evidence, error) {
	st := s.State()
	s.mu.Lock()
	rec := s.rec
	s.mu.Unlock()
	ev := &Evidence{Format: EvidenceFormat, Created: s.e.now(), Ticket: json.RawMessage(rec.Ticket),
		Session: EvidenceSession{ID: rec.ID, Vendor: rec.Vendor, Protocol: Protocol(rec.Protocol), Target: rec.Target, Mode: Mode(rec.Mode),
			Status: rec.Status, Current: StepName(rec.Current), Created: rec.Created},
		Tenant: EvidenceTenant{ID: st.TenantID, DisplayName: st.TenantName, Domains: st.Domains},
		App: EvidenceApp{App: st.App, RedirectURIs: st.RedirectURIs, EntityID: st.EntityID, ReplyURL: st.ReplyURL, RelayState: st.RelayState,
			AssignmentRequired: st.AssignmentRequired, Assigned: st.Assigned, Secret: st.Secret, Enabled: st.Enabled},
		Steps: s.Steps(), Reminders: st.Reminders}
	if m := st.Metadata; m != nil {
		ev.App.IdPEntityID, ev.App.MetadataURL, ev.App.Certificates = m.Issuer, m.URL, m.Certificates
	}
	runs, err := s.TestRuns(ctx)
	if err != nil {
		return nil, err
	}
	ev.Runs = runs
	if ev.Runs == nil {
		ev.Runs = []TestRun{}
	}
	events, err := s.Events(ctx)
	if err != nil {
		return nil, err
	}
	for _, e := range events {
		ev.Events = append(ev.Events, EvidenceEvent{At: e.At, Step: e.Step, Kind: e.Kind, Message: e.Message})
	}
	return ev, nil
}

// ParseEvidence reads an evidence bundle.
func ParseEvidence(b []byte) (*Evidence, error) {
	var ev Evidence
	if err := json.Unmarshal(b, &ev); err != nil {
		return nil, fmt.Errorf("the evidence bundle does not parse (%v): give the file ssowizard export --evidence wrote", err)
	}
	if ev.Format != EvidenceFormat {
		return nil, fmt.Errorf("the file is not an ssowizard evidence bundle (format %q, want %q)", ev.Format, EvidenceFormat)
	}
	if ev.Tenant.ID == "" || ev.App.AppID == "" {
		return nil, errors.New("the evidence bundle names no tenant or app: the setup it came from had not registered the app yet")
	}
	return &ev, nil
}

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

// ReplayTenant builds the replay of an evidence bundle: the same tenant ID, domains
// and app (client ID, URLs, SAML signing as observed, group and optional claims,
// assignment), and the user of the last test login with the claims Entra sent for
// them. Scenarios recorded by a harness run are kept; for a real tenant they are
// inferred from what the answer showed (SHA-1, response signing, no e-mail, a guest,
// a groups overage, a transient NameID).
func ReplayTenant(ev *Evidence, now time.Time) (*Replay, error) {
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
			if c := findClaim(run.Claims, n); c != nil {
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
	} else if dn := claim("name"); dn != "" && ev.Session.Protocol == OIDC {
		u.DisplayName = dn // in an ID token, name is the display name (in SAML, the UPN)
	}
	if claim("idp", "identityprovider") != "" && !strings.EqualFold(claim("idp", "identityprovider"), entra.STSIssuer(ev.Tenant.ID)) {
		u.Guest = true
	}
	if u.Mail == "" && !u.Guest {
		scen["no-email"] = true
	}
	if findClaim(run.Claims, "groups") == nil && hasOverage(run) {
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

	app := tenant.App{AppID: ev.App.AppID, ObjectID: ev.App.ObjectID, DisplayName: ev.App.DisplayName, ServicePrincipalID: ev.App.ServicePrincipalID,
		SignInAudience: tenant.AudienceMyOrg, RedirectURIs: withURIs(ev.App.RedirectURIs, ev.App.ReplyURL, loopbackFor(ev.Session.Protocol)),
		SAML:        tenant.SAML{Sign: tenant.SignAssertion, Algorithm: tenant.AlgorithmSHA256, NameID: tenant.NameIDUPN, RelayState: ev.App.RelayState},
		GroupClaims: tenant.GroupClaimsNone}
	if app.DisplayName == "" {
		app.DisplayName = ev.Session.Vendor + " SSO (replay)"
	}
	if app.ServicePrincipalID == "" { // manual mode never learns it
		id, err := entra.NewGUID(rand.Reader)
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
	if u.Mail != "" && ev.Session.Protocol == OIDC {
		app.OptionalClaims = []string{"email"}
	}
	if sig := run.Signature; sig != nil && ev.Session.Protocol == SAML {
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
	if ev.Session.Protocol == OIDC {
		sec, err := tenant.NewSecret(rand.Reader, now, 365*24*time.Hour)
		if err != nil {
			return nil, err
		}
		sec.DisplayName = "replay"
		t.Apps[0].Secrets = []tenant.Secret{sec}
	}
	return r, nil
}

// loginBase is where the session's tenant signs in.
func (st State) loginBase() string {
	if st.LoginBase != "" {
		return st.LoginBase
	}
	return entra.LoginBase
}

func loopbackFor(p Protocol) string {
	if p == SAML {
		return LoopbackACS
	}
	return LoopbackRedirectURI
}

func hasOverage(run TestRun) bool {
	for _, f := range run.Findings {
		if strings.Contains(f.Code, "overage") {
			return true
		}
	}
	return findClaim(run.Claims, "http://schemas.microsoft.com/claims/groups.link") != nil || findClaim(run.Claims, "_claim_names") != nil
}

func groupValues(run TestRun) []string {
	if c := findClaim(run.Claims, "groups"); c != nil {
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
