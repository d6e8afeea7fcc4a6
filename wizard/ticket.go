package wizard

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

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
	// SCIM, when set, asks for provisioning: Entra pushes the assigned users (and
	// groups) to the vendor's SCIM 2.0 endpoint.
	SCIM *TicketSCIM `json:"scim,omitempty"`
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

// TicketSCIM is the vendor's provisioning side: the SCIM 2.0 endpoint Entra's
// provisioning service writes to (Enterprise applications > the app > Provisioning).
type TicketSCIM struct {
	// BaseURL is Entra's Tenant URL: the vendor's SCIM base, https (http only on
	// loopback), optionally with the ?aadOptscim062020 flag.
	BaseURL string `json:"base_url"`
	// Auth is how Entra authenticates: bearer (the Secret Token; the default) or
	// basic (a username and password some vendors issue instead).
	Auth string `json:"auth,omitempty"`
	// TokenExpires is when the vendor's token ends (YYYY-MM-DD), when the vendor says.
	TokenExpires string `json:"token_expires,omitempty"`
	// RequiredAttributes are the SCIM attributes the vendor needs on a user
	// (userName, name.givenName, emails[type eq "work"].value …).
	RequiredAttributes []string `json:"required_attributes,omitempty"`
	// Groups says the vendor takes groups and their members, not only users.
	Groups bool `json:"groups,omitempty"`
	// Behaviour is which Entra SCIM dialect the vendor expects: default (Entra's
	// capitalised PATCH ops and "False" strings) or compliant (RFC 7644, what the
	// aadOptscim062020 flag turns on). Empty means default.
	Behaviour string `json:"behaviour,omitempty"`
}

// SCIM authentication kinds and behaviours a ticket can name.
const (
	SCIMBearer    = "bearer"
	SCIMBasic     = "basic"
	SCIMDefault   = "default"
	SCIMCompliant = "compliant"
)

// AuthKind is the ticket's authentication kind, bearer when unsaid.
func (c *TicketSCIM) AuthKind() string {
	if c.Auth == "" {
		return SCIMBearer
	}
	return c.Auth
}

// Compliant reports whether the vendor expects Entra's compliant (aadOptscim062020)
// behaviour.
func (c *TicketSCIM) Compliant() bool { return c.Behaviour == SCIMCompliant }

// TenantURL is what goes in Entra's Tenant URL box: the base URL, with the
// aadOptscim062020 flag when the vendor expects the compliant behaviour.
func (c *TicketSCIM) TenantURL() string {
	u := strings.TrimSpace(c.BaseURL)
	if !c.Compliant() || strings.Contains(strings.ToLower(u), strings.ToLower(check.SCIMCompliantFlag)) {
		return u
	}
	if strings.Contains(u, "?") {
		return u + "&" + check.SCIMCompliantFlag
	}
	return u + "?" + check.SCIMCompliantFlag
}

// TokenEnd is the token's expiry, zero when unknown.
func (c *TicketSCIM) TokenEnd() time.Time {
	end, _ := time.Parse(time.DateOnly, c.TokenExpires)
	return end
}

//go:embed demo_ticket.json
var demoTicket []byte

// DemoTicketJSON is the embedded demo ticket, a vendor that accepts both protocols and
// whose URLs the demo tenant's apps do not already use.
func DemoTicketJSON() []byte { return bytes.Clone(demoTicket) }

//go:embed demo_scim_ticket.json
var demoSCIMTicket []byte

// DemoSCIMTicketJSON is the embedded demo ticket with provisioning, named demo-scim: a
// vendor unlike the demo's whose SCIM endpoint, offline, is the in-process harness's
// embedded receiver (its base_url there is replaced by the receiver's).
func DemoSCIMTicketJSON() []byte { return bytes.Clone(demoSCIMTicket) }

// DemoSCIMTicket parses the embedded demo ticket with provisioning.
func DemoSCIMTicket() *Ticket {
	t, err := ParseTicket(demoSCIMTicket)
	if err != nil {
		panic("wizard: the embedded demo-scim ticket is invalid: " + err.Error())
	}
	return t
}

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
			return nil, &TicketError{Path: unknownFieldPath(b, f), Msg: "is not a ticket field: check its spelling"}
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

// unknownFieldPath is the JSON path of the unknown field f: encoding/json names only
// the key, so the path is found again, the shallowest first (scim.token, not token).
func unknownFieldPath(b []byte, f string) string {
	var v any
	if json.Unmarshal(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")), &v) != nil {
		return f
	}
	type node struct {
		path string
		v    any
	}
	queue := []node{{"", v}}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		switch x := n.v.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(x)) {
				p := k
				if n.path != "" {
					p = n.path + "." + k
				}
				if k == f {
					return p
				}
				queue = append(queue, node{p, x[k]})
			}
		case []any:
			for i, e := range x {
				queue = append(queue, node{fmt.Sprintf("%s[%d]", n.path, i), e})
			}
		}
	}
	return f
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
	if err := t.SCIM.validate(); err != nil {
		return err
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

func (c *TicketSCIM) validate() error {
	if c == nil {
		return nil
	}
	bad := func(path, msg string) error { return &TicketError{Path: "scim." + path, Msg: msg} }
	if r := check.SCIMBaseURL(c.BaseURL); r.Failed() {
		return bad("base_url", lowerFirst(r.Message))
	}
	switch c.Auth {
	case "", SCIMBearer, SCIMBasic:
	default:
		return bad("auth", fmt.Sprintf("is %q: use bearer or basic", c.Auth))
	}
	if c.TokenExpires != "" {
		if _, err := time.Parse(time.DateOnly, c.TokenExpires); err != nil {
			return bad("token_expires", fmt.Sprintf("is %q, not a date: write it as YYYY-MM-DD", c.TokenExpires))
		}
	}
	for i, a := range c.RequiredAttributes {
		if r := check.SCIMAttribute(a); r.Failed() {
			return bad(fmt.Sprintf("required_attributes[%d]", i), lowerFirst(r.Message))
		}
		if slices.Index(c.RequiredAttributes, a) != i {
			return bad(fmt.Sprintf("required_attributes[%d]", i), fmt.Sprintf("repeats %q", a))
		}
	}
	switch c.Behaviour {
	case "", SCIMDefault, SCIMCompliant:
	default:
		return bad("behaviour", fmt.Sprintf("is %q: use default or compliant", c.Behaviour))
	}
	if flagged := strings.Contains(strings.ToLower(c.BaseURL), strings.ToLower(check.SCIMCompliantFlag)); flagged && c.Behaviour == SCIMDefault {
		return bad("behaviour", fmt.Sprintf("is default, but base_url carries %s, which selects the compliant behaviour: drop one of them", check.SCIMCompliantFlag))
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
