// Package scimclient is Microsoft Entra ID's SCIM 2.0 client as Entra really drives it:
// the provisioning service's request sequences (Test Connection, match by filter then
// create or update, disable, delete, groups created empty then given members), its
// default attribute mappings, and its non-compliant PATCH shapes unless the tenant URL
// carries the aadOptscim062020 flag. Every request and response is handed to a log.
//
// Sources, cited where each behaviour is built:
//   - [scim-build] https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups
//   - [scim-compat] https://learn.microsoft.com/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility
//   - [how-prov-works] https://learn.microsoft.com/entra/identity/app-provisioning/how-provisioning-works
//   - RFC 7644 (SCIM protocol), RFC 7643 (SCIM schema)
package scimclient

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Mode is which PATCH dialect the client speaks.
type Mode int

const (
	// ModeFromTenantURL lets the tenant URL decide, as Entra does: the aadOptscim062020
	// query flag selects ModeCompliant, anything else ModeEntraDefault. [scim-compat]
	ModeFromTenantURL Mode = iota
	// ModeEntraDefault is what Entra sends a non-gallery SCIM app by default: ops
	// capitalised ("Add", "Replace", "Remove"), active as the string "False"/"True",
	// one operation per attribute, members removed with a value array. [scim-compat]
	ModeEntraDefault
	// ModeCompliant is Entra with aadOptscim062020: lower-case ops, a boolean active,
	// several replaced attributes in one operation without a path, and a member removed
	// by a value filter in the path. [scim-compat]
	ModeCompliant
)

func (m Mode) String() string {
	switch m {
	case ModeEntraDefault:
		return "entra-default"
	case ModeCompliant:
		return "compliant"
	}
	return "from-tenant-url"
}

// CompliantFlag is the tenant-URL query flag that opts into SCIM-compliant PATCH
// requests; DowngradeFlag is the documented way back once compliance is the default.
// [scim-compat] "Flags to alter the SCIM behavior"
const (
	CompliantFlag = "aadOptscim062020"
	DowngradeFlag = "AzureAdScimPatch2017"
)

// DefaultMaxBody bounds every response body the client reads.
const DefaultMaxBody = 1 << 20

// DefaultTimeout bounds each request when the caller gives no *http.Client.
const DefaultTimeout = 30 * time.Second

// Auth is how the client authenticates to the SCIM endpoint. Entra puts the Secret
// Token in "Authorization: Bearer"; basic credentials are what some gallery apps use.
// [scim-build] "Authorization to provisioning connectors in the application gallery"
type Auth struct {
	BearerToken   string
	BasicUser     string
	BasicPassword string
}

func (a Auth) apply(r *http.Request) {
	switch {
	case a.BearerToken != "":
		r.Header.Set("Authorization", "Bearer "+a.BearerToken)
	case a.BasicUser != "":
		r.SetBasicAuth(a.BasicUser, a.BasicPassword)
	}
}

// Config builds a Client.
type Config struct {
	// TenantURL is the SCIM base URL as typed into Entra's "Tenant URL" box, flags
	// included (https://api.example.com/scim?aadOptscim062020).
	TenantURL string
	Auth      Auth
	// Mode overrides the tenant URL's choice when not ModeFromTenantURL.
	Mode Mode
	// HTTP sends the requests; nil means a client with DefaultTimeout.
	HTTP *http.Client
	// Rand feeds the random GUID of Test Connection; nil means crypto/rand.
	Rand io.Reader
	// Log receives every exchange, in order; nil drops them.
	Log func(Exchange)
	// MaxBody bounds response bodies; 0 means DefaultMaxBody.
	MaxBody int64
	// UserMappings and GroupMappings are the attribute mappings; nil means Entra's
	// defaults for a non-gallery app.
	UserMappings  []Mapping
	GroupMappings []Mapping
}

// Client is Entra's SCIM client against one endpoint. It is safe for sequential use
// only: Entra's sequences are ordered.
type Client struct {
	base          *url.URL
	mode          Mode
	auth          Auth
	hc            *http.Client
	rnd           io.Reader
	log           func(Exchange)
	maxBody       int64
	userMappings  []Mapping
	groupMappings []Mapping
}

// New checks the tenant URL and returns a client. Plain http is refused except to a
// loopback address: Entra sends provisioning requests only over HTTPS. [scim-build]
func New(cfg Config) (*Client, error) {
	base, urlMode, err := ParseTenantURL(cfg.TenantURL)
	if err != nil {
		return nil, err
	}
	c := &Client{base: base, mode: cfg.Mode, auth: cfg.Auth, hc: cfg.HTTP, rnd: cfg.Rand, log: cfg.Log,
		maxBody: cfg.MaxBody, userMappings: cfg.UserMappings, groupMappings: cfg.GroupMappings}
	if c.mode == ModeFromTenantURL {
		c.mode = urlMode
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: DefaultTimeout}
	}
	if c.rnd == nil {
		c.rnd = rand.Reader
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBody
	}
	if c.userMappings == nil {
		c.userMappings = DefaultUserMappings
	}
	if c.groupMappings == nil {
		c.groupMappings = DefaultGroupMappings
	}
	return c, nil
}

// Mode is the dialect this client speaks.
func (c *Client) Mode() Mode { return c.mode }

// BaseURL is the SCIM base the requests go to, flags removed.
func (c *Client) BaseURL() string { return c.base.String() }

// ParseTenantURL splits a tenant URL into the SCIM base Entra sends requests to and the
// mode its flags select. Whether Entra strips the flag before calling the endpoint is
// not documented; requests here go to the base without it, which is how vendors'
// guides describe the resulting request lines.
func ParseTenantURL(raw string) (*url.URL, Mode, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, 0, errors.New("the SCIM tenant URL is empty; enter the vendor's SCIM base URL, such as https://api.example.com/scim/v2")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, 0, fmt.Errorf("the SCIM tenant URL %q is not an absolute http(s) URL; enter the vendor's SCIM base URL, such as https://api.example.com/scim/v2", raw)
	}
	if u.Scheme == "http" && !IsLoopbackHost(u.Hostname()) {
		return nil, 0, fmt.Errorf("the SCIM tenant URL %q uses plain http; Entra provisions only over HTTPS, so use the vendor's https:// URL (http is accepted only for a loopback address)", raw)
	}
	if u.User != nil {
		return nil, 0, fmt.Errorf("the SCIM tenant URL %q carries credentials; give the token separately and remove them from the URL", raw)
	}
	mode := ModeEntraDefault
	q := u.Query()
	for k := range q {
		switch {
		case strings.EqualFold(k, CompliantFlag):
			mode = ModeCompliant
		case strings.EqualFold(k, DowngradeFlag):
		default:
			return nil, 0, fmt.Errorf("the SCIM tenant URL %q has a query parameter %q Entra does not use; remove it (only %s or %s belong there)", raw, k, CompliantFlag, DowngradeFlag)
		}
	}
	u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, mode, nil
}

// IsLoopbackHost reports whether host (no port) names this computer.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Exchange is one request and its response, as the provisioning logs would show it.
// The Authorization header is never recorded.
type Exchange struct {
	Step         string `json:"step"`
	Method       string `json:"method"`
	URL          string `json:"url"`
	RequestBody  string `json:"request_body,omitempty"`
	Status       int    `json:"status,omitempty"`
	ContentType  string `json:"content_type,omitempty"`
	ResponseBody string `json:"response_body,omitempty"`
	Error        string `json:"error,omitempty"`
}

// ErrorKind sorts failures a caller must branch on.
type ErrorKind int

const (
	// KindNetwork: no HTTP answer (refused, TLS failure, timeout).
	KindNetwork ErrorKind = iota + 1
	// KindUnauthorized: 401 or 403, the credentials were refused.
	KindUnauthorized
	// KindNotSCIM: an answer that is not SCIM JSON of the expected shape.
	KindNotSCIM
	// KindStatus: a SCIM answer with a status Entra treats as failure.
	KindStatus
	// KindTooLarge: a body over the size limit.
	KindTooLarge
	// KindUnexpected: a well-formed answer whose content is not what the step needs
	// (Test Connection finding a user, a filter returning several matches).
	KindUnexpected
)

// Error is a failed step. Its message is one sentence for a person.
type Error struct {
	Kind   ErrorKind
	Step   string
	Method string
	URL    string
	Status int
	// SCIMType and Detail come from a SCIM error body (RFC 7644 §3.12), when there is one.
	SCIMType string
	Detail   string
	Err      error
}

func (e *Error) Error() string {
	switch e.Kind {
	case KindNetwork:
		return fmt.Sprintf("%s: %s %s got no answer: %v", e.Step, e.Method, e.URL, e.Err)
	case KindUnauthorized:
		return fmt.Sprintf("%s: the SCIM endpoint refused the credentials (HTTP %d); check the token is the vendor's current SCIM token and is sent to the right tenant URL", e.Step, e.Status)
	case KindNotSCIM:
		return fmt.Sprintf("%s: %s %s did not answer as a SCIM service (%v); check the tenant URL is the vendor's SCIM base, the one before /Users", e.Step, e.Method, e.URL, e.Err)
	case KindTooLarge:
		return fmt.Sprintf("%s: %s %s answered more than the size limit", e.Step, e.Method, e.URL)
	case KindUnexpected:
		return fmt.Sprintf("%s: %v", e.Step, e.Err)
	}
	msg := fmt.Sprintf("%s: %s %s answered HTTP %d", e.Step, e.Method, e.URL, e.Status)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// SCIM media type and message URNs (RFC 7644 §3.1, §3.4.2, §3.5.2, §3.12).
const (
	MediaType       = "application/scim+json"
	URNListResponse = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	URNPatchOp      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	URNError        = "urn:ietf:params:scim:api:messages:2.0:Error"
	URNUser         = "urn:ietf:params:scim:schemas:core:2.0:User"
	URNGroup        = "urn:ietf:params:scim:schemas:core:2.0:Group"
	URNEnterprise   = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	// URNADSCIMGroup is the Microsoft schema Entra lists in POST /Groups. [scim-build]
	URNADSCIMGroup = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
)

// response is a decoded answer.
type response struct {
	status int
	body   []byte
}

// do sends one request and logs it. want lists the statuses that mean success; any
// other status becomes an *Error. body, when not nil, is sent as SCIM JSON.
func (c *Client) do(ctx context.Context, step, method, path string, query url.Values, body any, want ...int) (*response, error) {
	u := *c.base
	u.Path = c.base.Path + path
	if query != nil {
		u.RawQuery = query.Encode()
	}
	ex := Exchange{Step: step, Method: method, URL: u.String()}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%s: encode request: %w", step, err)
		}
		ex.RequestBody = string(b)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", step, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", MediaType)
	}
	req.Header.Set("Accept", MediaType)
	c.auth.apply(req)
	resp, err := c.hc.Do(req)
	if err != nil {
		// *url.Error repeats the method and URL the message already names.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		ex.Error = err.Error()
		c.emit(ex)
		return nil, &Error{Kind: KindNetwork, Step: step, Method: method, URL: u.String(), Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	ex.Status = resp.StatusCode
	ex.ContentType = resp.Header.Get("Content-Type")
	ex.ResponseBody = string(data)
	if err != nil {
		ex.Error = err.Error()
		c.emit(ex)
		return nil, &Error{Kind: KindNetwork, Step: step, Method: method, URL: u.String(), Status: resp.StatusCode, Err: err}
	}
	if int64(len(data)) > c.maxBody {
		ex.ResponseBody = string(data[:c.maxBody])
		ex.Error = "response body over the size limit"
		c.emit(ex)
		return nil, &Error{Kind: KindTooLarge, Step: step, Method: method, URL: u.String(), Status: resp.StatusCode}
	}
	c.emit(ex)
	e := &Error{Kind: KindStatus, Step: step, Method: method, URL: u.String(), Status: resp.StatusCode}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		e.Kind = KindUnauthorized
		return nil, e
	}
	for _, w := range want {
		if resp.StatusCode == w {
			if len(data) > 0 {
				if err := checkJSON(resp.Header.Get("Content-Type"), data); err != nil {
					e.Kind, e.Err = KindNotSCIM, err
					return nil, e
				}
			}
			return &response{status: resp.StatusCode, body: data}, nil
		}
	}
	var se struct {
		Schemas  []string        `json:"schemas"`
		Status   json.RawMessage `json:"status"`
		SCIMType string          `json:"scimType"`
		Detail   string          `json:"detail"`
	}
	if checkJSON(resp.Header.Get("Content-Type"), data) != nil || json.Unmarshal(data, &se) != nil || !slices.Contains(se.Schemas, URNError) {
		if resp.StatusCode/100 == 2 || resp.StatusCode == http.StatusNotFound && len(data) == 0 {
			return nil, e
		}
		e.Kind, e.Err = KindNotSCIM, fmt.Errorf("HTTP %d without a SCIM error body", resp.StatusCode)
		return nil, e
	}
	e.SCIMType, e.Detail = se.SCIMType, se.Detail
	return nil, e
}

func (c *Client) emit(ex Exchange) {
	if c.log != nil {
		c.log(ex)
	}
}

// checkJSON accepts application/scim+json and application/json bodies that parse.
// RFC 7644 §3.1 asks for application/scim+json; Entra's doc says responses "should"
// use it [scim-build], and plain JSON is what many vendors send, so both pass here and
// the checker reports the difference.
func checkJSON(contentType string, data []byte) error {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || (mt != MediaType && mt != "application/json") {
		return fmt.Errorf("content type %q, not application/scim+json", contentType)
	}
	if !json.Valid(data) {
		return errors.New("a body that is not JSON")
	}
	return nil
}
