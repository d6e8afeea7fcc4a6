package wizard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

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

// loginBase is where the session's tenant signs in.
func (st State) loginBase() string {
	if st.LoginBase != "" {
		return st.LoginBase
	}
	return EntraLogin
}
