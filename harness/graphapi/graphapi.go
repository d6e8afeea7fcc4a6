// Package graphapi is the Graph side of the local Entra: the subset of Microsoft Graph
// v1.0 that SSO setup calls, served under /v1.0 on the harness's origin over the same
// tenant store the login side reads, so what is written here takes effect at the next
// sign-in (a secret added authenticates, an assignment lets its user in).
//
// Routes (all under /v1.0):
//
//	GET    /organization                       Organization.Read.All
//	GET    /domains                            Domain.Read.All
//	GET    /applications  ($filter, $select, $top)          Application.Read.All
//	POST   /applications                       Application.ReadWrite.All
//	GET|PATCH|DELETE /applications/{id}, /applications(appId='…')  (GET: Application.Read.All)
//	POST   …/addPassword, …/removePassword     Application.ReadWrite.All
//	GET    /servicePrincipals ($filter, $select, $top)      Application.Read.All
//	POST   /servicePrincipals {appId}          Application.ReadWrite.All
//	GET|PATCH /servicePrincipals/{id}, /servicePrincipals(appId='…')  (GET: Application.Read.All)
//	POST   …/addTokenSigningCertificate        Application.ReadWrite.All
//	GET    …/appRoleAssignedTo[/{id}]           Application.Read.All
//	POST   …/appRoleAssignedTo, DELETE …/appRoleAssignedTo/{id}  AppRoleAssignment.ReadWrite.All
//	POST   /applicationTemplates/8adf8e6e-67b2-4cf2-a259-e3dc5476c621/instantiate  Application.ReadWrite.All
//	GET    /users, /users/{id or UPN} ($search, $filter, $select, $top, $count)  User.Read.All
//	POST   /users/{id}/getMemberObjects        User.Read.All
//	GET    /groups, /groups/{id}               Group.Read.All
//	…/servicePrincipals/{id}/synchronization/… and GET /auditLogs/provisioning  (synchronization.go)
//
// Graph's shapes are kept: camelCase properties, "@odata.context" on every answer in
// Graph's own literal form (https://graph.microsoft.com/v1.0/$metadata#…, as Entra
// returns it, whatever origin the harness has; @odata.nextLink, which a client
// follows, points at the harness), errors as {"error":{"code","message","innerError":
// {"date","request-id","client-request-id"}}} with Content-Type application/json,
// 201 with Location for creates, 204 for PATCH and DELETE. Request bodies may be
// gzipped (the Graph SDKs gzip every POST and PATCH); a body, inflated, is limited to
// 1 MiB (413 beyond). Instance annotations (@odata.type…) and declared properties the
// harness does not model are accepted and ignored; an undeclared property is refused
// as Graph refuses it, 400 "Invalid property 'x'.".
//
// Callers present a bearer access token the harness issued for Microsoft Graph. The
// permission a route needs is checked in the token's roles (application permissions,
// from client credentials) or scp (delegated permissions); a delegated write also
// needs a signed-in administrator. A missing permission is 403
// Authorization_RequestDenied "Insufficient privileges to complete the operation.",
// to which the harness adds the permission that was needed: Graph itself does not say.
// No token, or one that does not verify or is not for Graph, is 401
// InvalidAuthenticationToken.
//
// For tests of a client's retry paths two faults can be set (Config, or Settings at
// run time): a propagation delay, during which objects created through Graph are not
// found by Graph (404 Request_ResourceNotFound, as a replica that has not caught up
// answers) though the login side already sees them; and a throttle, which answers the
// next requests 429 with Retry-After.
package graphapi

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ssowizard/ssowizard/harness/idp"
	"github.com/ssowizard/ssowizard/harness/scim/scimclient"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

// odataBase is the literal prefix of @odata.context values, as Entra writes them.
const odataBase = "https://graph.microsoft.com/v1.0/$metadata#"

// Config is what the Graph side needs from the harness.
type Config struct {
	// Store is the tenant; the login side reads the same one.
	Store *tenant.Store
	// IdP verifies access tokens and keeps the SAML signing keys that
	// addTokenSigningCertificate makes.
	IdP *idp.IdP
	// Now is the clock of the protocol (created times, secret validity, propagation);
	// nil means time.Now.
	Now func() time.Time
	// Logger receives one line per refused call (route, code); nil discards.
	Logger *slog.Logger
	// Settings are the faults in force at start.
	Settings Settings
	// SCIMClient sends the provisioning engine's requests to the SCIM endpoints jobs
	// are configured with; nil means a client with scimclient.DefaultTimeout.
	SCIMClient *http.Client
}

// Settings are the faults the Graph side applies, for tests of clients' retries.
type Settings struct {
	// PropagationDelay hides objects created through Graph from Graph's own reads for
	// this long after their creation; zero shows them at once.
	PropagationDelay time.Duration
	// Throttle answers the next calls 429.
	Throttle Throttle
}

// Throttle answers the next Requests authenticated calls 429 TooManyRequests with
// Retry-After RetryAfter (whole seconds, at least one); Requests below zero throttles
// every call until the setting changes.
type Throttle struct {
	Requests   int
	RetryAfter time.Duration
}

// API serves the Graph routes over one tenant.
type API struct {
	store *tenant.Store
	idp   *idp.IdP
	now   func() time.Time
	log   *slog.Logger

	mu       sync.Mutex
	settings Settings
	created  map[string]created // lower-case object ID or appId → when and how it was made
	provLogs []map[string]any   // provisioning logs, oldest first (synchronization.go)

	// syncMu orders the synchronization API's calls and cycles; never held with mu
	// taken first.
	syncMu   sync.Mutex
	sync     map[string]*syncState // lower-case service principal id →
	scimHTTP *http.Client
}

// created is what the tenant model does not keep about an object made through Graph.
type created struct {
	at       time.Time
	visible  time.Time
	template string // applicationTemplateId
}

// New makes the Graph side.
func New(cfg Config) (*API, error) {
	if cfg.Store == nil || cfg.IdP == nil {
		return nil, errors.New("graphapi: a tenant store and the login side are needed")
	}
	if err := cfg.Settings.check(); err != nil {
		return nil, fmt.Errorf("graphapi: %w", err)
	}
	a := &API{store: cfg.Store, idp: cfg.IdP, now: cfg.Now, log: cfg.Logger, settings: cfg.Settings,
		created: map[string]created{}, sync: map[string]*syncState{}, scimHTTP: cfg.SCIMClient}
	if a.scimHTTP == nil {
		a.scimHTTP = &http.Client{Timeout: scimclient.DefaultTimeout}
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	return a, nil
}

func (s Settings) check() error {
	if s.PropagationDelay < 0 {
		return errors.New("the propagation delay is negative")
	}
	if s.Throttle.Requests != 0 && s.Throttle.RetryAfter < 0 {
		return errors.New("the throttle's Retry-After is negative")
	}
	return nil
}

// Settings returns the faults in force.
func (a *API) Settings() Settings {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.settings
}

// SetSettings replaces the faults in force, from the next call. A changed propagation
// delay applies to objects created from then on.
func (a *API) SetSettings(s Settings) error {
	if err := s.check(); err != nil {
		return err
	}
	a.mu.Lock()
	a.settings = s
	a.mu.Unlock()
	return nil
}

// ServeHTTP answers a Graph call: a request whose path is under /v1.0/. The harness
// hands it every such request before its mux, since a pattern for /v1.0/ would
// overlap the login side's /{tenant}/… patterns, which http.ServeMux refuses.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.serve(w, r) }

// call is one request being answered.
type call struct {
	a     *API
	w     http.ResponseWriter
	r     *http.Request
	tok   *idp.AccessToken
	reqID string
	route string // for the log: the route's shape, never an ID
}

func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	reqID, _ := tenant.NewGUID(rand.Reader)
	// Until routed, the log names the entity set alone: never an ID or a UPN.
	first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v1.0/"), "/")
	first, _, _ = strings.Cut(first, "(")
	if len(first) > 40 {
		first = first[:40]
	}
	c := &call{a: a, w: w, r: r, reqID: reqID, route: first}
	w.Header().Set("request-id", reqID)
	if cid := r.Header.Get("client-request-id"); cid != "" && len(cid) <= 100 {
		w.Header().Set("client-request-id", cid)
	}
	if !c.authenticate() {
		return
	}
	if !c.throttled() {
		a.route(c)
	}
}

// authenticate checks the bearer token: issued by the harness, current, for Graph.
func (c *call) authenticate() bool {
	scheme, tok, _ := strings.Cut(c.r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		c.unauthorized("Access token is empty.")
		return false
	}
	at, err := c.a.idp.VerifyAccessToken(tok)
	if err != nil {
		var te *idp.TokenError
		reason := "the token does not verify"
		if errors.As(err, &te) {
			reason = te.Reason
		}
		c.unauthorized("Access token validation failure: " + reason + ".")
		return false
	}
	switch strings.TrimSuffix(at.Audience, "/") {
	case idp.GraphResource, idp.GraphAppID:
	default:
		c.unauthorized("Access token validation failure. Invalid audience: the token is for " + at.Audience + ", not Microsoft Graph.")
		return false
	}
	if tid, _ := at.Claims["tid"].(string); !strings.EqualFold(tid, c.a.store.TenantID()) {
		c.unauthorized("Access token validation failure: the token was issued for another tenant.")
		return false
	}
	c.tok = at
	return true
}

func (c *call) unauthorized(msg string) {
	c.w.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="`+idp.GraphAppID+`"`)
	c.fail(http.StatusUnauthorized, "InvalidAuthenticationToken", msg)
}

// throttled answers 429 while the throttle lasts.
func (c *call) throttled() bool {
	a := c.a
	a.mu.Lock()
	t := a.settings.Throttle
	if t.Requests > 0 {
		a.settings.Throttle.Requests--
	}
	a.mu.Unlock()
	if t.Requests == 0 {
		return false
	}
	secs := int((t.RetryAfter + time.Second - 1) / time.Second)
	secs = max(secs, 1)
	c.w.Header().Set("Retry-After", fmt.Sprint(secs))
	c.fail(http.StatusTooManyRequests, "TooManyRequests", fmt.Sprintf("Too many requests. Retry after %d seconds.", secs))
	return true
}

// permission is what a route needs: the least privileged Graph permission, which a
// refusal names, and the broader ones that include it.
type permission struct {
	name  string
	also  []string
	write bool // a delegated caller must also be an administrator
}

// The permissions of the routes, from the Graph reference's permission tables.
var (
	permOrganization = permission{name: "Organization.Read.All",
		also: []string{"Organization.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "User.Read"}}
	permDomains = permission{name: "Domain.Read.All",
		also: []string{"Domain.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}}
	permAppRead = permission{name: "Application.Read.All",
		also: []string{"Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}}
	permAppWrite   = permission{name: "Application.ReadWrite.All", write: true}
	permAssignRead = permission{name: "Application.Read.All",
		also: []string{"Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}}
	permAssignWrite = permission{name: "AppRoleAssignment.ReadWrite.All", write: true}
	permUsers       = permission{name: "User.Read.All",
		also: []string{"User.ReadWrite.All", "User.ReadBasic.All", "Directory.Read.All", "Directory.ReadWrite.All"}}
	permMemberOf = permission{name: "User.Read.All",
		also: []string{"User.ReadWrite.All", "GroupMember.Read.All", "Directory.Read.All", "Directory.ReadWrite.All"}}
	permGroups = permission{name: "Group.Read.All",
		also: []string{"Group.ReadWrite.All", "GroupMember.Read.All", "Directory.Read.All", "Directory.ReadWrite.All"}}
)

// allow checks the token against p and answers 403 when it falls short.
// allowMethod checks read for a GET and write for anything else, as every route that
// both reads and changes an object does.
func (c *call) allowMethod(read, write permission) bool {
	if c.r.Method == http.MethodGet {
		return c.allow(read)
	}
	return c.allow(write)
}

func (c *call) allow(p permission) bool {
	granted := c.tok.Roles
	kind := "application permission (roles)"
	if c.tok.UserID != "" {
		granted, kind = c.tok.Scopes, "delegated permission (scp)"
	}
	ok := slices.Contains(granted, p.name) || slices.ContainsFunc(p.also, func(n string) bool { return slices.Contains(granted, n) })
	if ok && p.write && c.tok.UserID != "" {
		if u, found := c.a.store.UserByID(c.tok.UserID); !found || !u.Admin {
			c.fail(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation. "+
				"(Harness: the signed-in user holds no administrator role, which this change needs beside the "+p.name+" delegated permission.)")
			return false
		}
	}
	if ok {
		return true
	}
	has := "none"
	if len(granted) > 0 {
		has = strings.Join(granted, " ")
	}
	c.fail(http.StatusForbidden, "Authorization_RequestDenied", fmt.Sprintf("Insufficient privileges to complete the operation. "+
		"(Harness: this call needs the %s %s; the token has: %s. Graph does not name the permission.)", p.name, kind, has))
	return false
}
