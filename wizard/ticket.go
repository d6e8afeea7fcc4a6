package wizard

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/ssowizard/ssowizard/wizard/check"
)

// Protocol is the single sign-on protocol of a setup.
type Protocol string

// The protocols a ticket can allow.
const (
	OIDC Protocol = "oidc"
	SAML Protocol = "saml"
)

// Login methods a vendor can offer its users once SSO is on.
const (
	LoginPassword = "password"
	LoginSSO      = "sso"
	LoginBoth     = "both"
)

// Ticket is what the vendor needs from the customer's tenant: the vendor's side of the
// connection, as its "SSO ticket" or setup guide states it.
type Ticket struct {
	// Vendor is the vendor's name, shown to the admin and used for the app's name.
	Vendor string `json:"vendor"`
	// AppName is the display name the app gets in Entra; empty means "{Vendor} SSO".
	AppName string `json:"app_name,omitempty"`
	// Protocols the vendor accepts, in its order of preference.
	Protocols []Protocol  `json:"protocols"`
	OIDC      *TicketOIDC `json:"oidc,omitempty"`
	SAML      *TicketSAML `json:"saml,omitempty"`
	// RequiredClaims are the claims the vendor reads (short names: email, name,
	// given_name, family_name, groups, oid, upn …); a test login lacking one fails.
	RequiredClaims []string `json:"required_claims,omitempty"`
	// Roles the vendor gives new users, and the one it suggests by default.
	Roles       []string `json:"roles,omitempty"`
	DefaultRole string   `json:"default_role,omitempty"`
	// LoginMethods the vendor supports: password, sso, both.
	LoginMethods []string `json:"login_methods,omitempty"`
	// SubmitURL, when set, receives the finished connection bundle (HTTPS POST).
	SubmitURL string `json:"submit_url,omitempty"`
	// Help is a link to the vendor's own setup guide.
	Help string `json:"help,omitempty"`
}

// TicketOIDC is the vendor's OpenID Connect side.
type TicketOIDC struct {
	// RedirectURI is the vendor's callback, registered as a Web redirect URI.
	RedirectURI string `json:"redirect_uri"`
	// Scopes the vendor asks for; empty means openid profile email.
	Scopes []string `json:"scopes,omitempty"`
}

// TicketSAML is the vendor's SAML side.
type TicketSAML struct {
	// EntityID is the vendor's SP Entity ID: Entra's Identifier.
	EntityID string `json:"entity_id"`
	// ACSURL is the vendor's Assertion Consumer Service: Entra's Reply URL.
	ACSURL string `json:"acs_url"`
	// RelayState, when the vendor wants one, for IdP-initiated sign-in.
	RelayState string `json:"relay_state,omitempty"`
	// SignOnURL is the vendor's login page, for Entra's Sign on URL (optional).
	SignOnURL string `json:"sign_on_url,omitempty"`
	// MetadataBy is how the vendor takes the IdP side: url, xml or fingerprint; empty
	// means any.
	MetadataBy string `json:"metadata_by,omitempty"`
}

//go:embed demo_ticket.json
var demoTicket []byte

// DemoTicketJSON is the embedded demo ticket, a vendor that accepts both protocols and
// whose URLs the demo tenant's apps do not already use.
func DemoTicketJSON() []byte { return bytes.Clone(demoTicket) }

// DemoTicket parses the embedded demo ticket.
func DemoTicket() *Ticket {
	t, err := ParseTicket(demoTicket)
	if err != nil {
		panic("wizard: the embedded demo ticket is invalid: " + err.Error())
	}
	return t
}

// maxTicketBytes bounds a ticket file; real ones are a few hundred bytes.
const maxTicketBytes = 256 << 10

// TicketError is a ticket that does not parse or contradicts itself, with the JSON path
// of the bad field.
type TicketError struct {
	Path string
	Msg  string
}

func (e *TicketError) Error() string {
	if e.Path == "" {
		return "the ticket " + e.Msg
	}
	return fmt.Sprintf("the ticket's %s %s", e.Path, e.Msg)
}

// ParseTicket reads and validates a ticket. Unknown fields are refused, so a typo in a
// field name is not silently ignored.
func ParseTicket(b []byte) (*Ticket, error) {
	if len(b) > maxTicketBytes {
		return nil, &TicketError{Msg: fmt.Sprintf("is %d bytes, more than the %d a ticket can be: is this the right file?", len(b), maxTicketBytes)}
	}
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))))
	dec.DisallowUnknownFields()
	var t Ticket
	if err := dec.Decode(&t); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, &TicketError{Msg: fmt.Sprintf("is not valid JSON at byte %d: %v", se.Offset, se.Error())}
		case errors.As(err, &te):
			return nil, &TicketError{Path: te.Field, Msg: fmt.Sprintf("must be a %s, not a JSON %s", te.Type, te.Value)}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return nil, &TicketError{Path: f, Msg: "is not a ticket field: check its spelling"}
		case errors.Is(err, io.EOF):
			return nil, &TicketError{Msg: "is empty"}
		}
		return nil, &TicketError{Msg: "does not parse: " + err.Error()}
	}
	if dec.More() {
		return nil, &TicketError{Msg: "has more than one JSON value"}
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &t, nil
}

// Validate checks that the ticket is complete and consistent.
func (t *Ticket) Validate() error {
	bad := func(path, msg string) error { return &TicketError{Path: path, Msg: msg} }
	if strings.TrimSpace(t.Vendor) == "" {
		return bad("vendor", "is missing: name the vendor")
	}
	if len(t.Protocols) == 0 {
		return bad("protocols", `is missing: list "oidc", "saml" or both`)
	}
	for i, p := range t.Protocols {
		if p != OIDC && p != SAML {
			return bad(fmt.Sprintf("protocols[%d]", i), fmt.Sprintf("is %q: only \"oidc\" and \"saml\" are known", p))
		}
		if slices.Index(t.Protocols, p) != i {
			return bad(fmt.Sprintf("protocols[%d]", i), fmt.Sprintf("repeats %q", p))
		}
	}
	if t.Allows(OIDC) {
		if t.OIDC == nil {
			return bad("oidc", "is missing although protocols lists oidc: give the vendor's redirect_uri")
		}
		if r := check.ReplyURL(t.OIDC.RedirectURI); r.Failed() {
			return bad("oidc.redirect_uri", lowerFirst(r.Message))
		}
	}
	if t.Allows(SAML) {
		if t.SAML == nil {
			return bad("saml", "is missing although protocols lists saml: give the vendor's entity_id and acs_url")
		}
		if r := check.EntityID(t.SAML.EntityID); r.Failed() {
			return bad("saml.entity_id", lowerFirst(r.Message))
		}
		if r := check.ReplyURL(t.SAML.ACSURL); r.Failed() {
			return bad("saml.acs_url", lowerFirst(r.Message))
		}
		switch t.SAML.MetadataBy {
		case "", "url", "xml", "fingerprint":
		default:
			return bad("saml.metadata_by", fmt.Sprintf("is %q: use url, xml or fingerprint", t.SAML.MetadataBy))
		}
	}
	for i, m := range t.LoginMethods {
		if m != LoginPassword && m != LoginSSO && m != LoginBoth {
			return bad(fmt.Sprintf("login_methods[%d]", i), fmt.Sprintf("is %q: use password, sso or both", m))
		}
	}
	if t.DefaultRole != "" && len(t.Roles) > 0 && !slices.Contains(t.Roles, t.DefaultRole) {
		return bad("default_role", fmt.Sprintf("is %q, which is not one of roles", t.DefaultRole))
	}
	if t.SubmitURL != "" {
		u, err := url.Parse(t.SubmitURL)
		if err != nil || u.Host == "" || (u.Scheme != "https" && !isLoopbackURL(u)) {
			return bad("submit_url", "must be an https URL")
		}
	}
	return nil
}

// Allows reports whether the vendor accepts protocol p.
func (t *Ticket) Allows(p Protocol) bool { return slices.Contains(t.Protocols, p) }

// DisplayName is the name the app gets in Entra.
func (t *Ticket) DisplayName() string {
	if t.AppName != "" {
		return t.AppName
	}
	return t.Vendor + " SSO"
}

func lowerFirst(s string) string {
	s = strings.TrimSuffix(s, ".")
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func isLoopbackURL(u *url.URL) bool {
	h := u.Hostname()
	return u.Scheme == "http" && (h == "127.0.0.1" || h == "localhost" || h == "::1")
}
