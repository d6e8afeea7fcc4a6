// Package scimserver is an in-memory SCIM 2.0 service provider (RFC 7644) for the
// offline demo and the tests: strict about what the RFC requires of a request, and
// accepting what Microsoft Entra ID is documented to send that the RFC does not allow
// (capitalised ops, "True"/"False" strings for active, unquoted filter values, a
// Microsoft group schema URN, members removed by a value array). A vendor that wants
// Entra to work has to accept the same.
//
// It is served on its own loopback listener (Listen), or mounted by a caller under any
// path prefix as an http.Handler; it does not listen on anything but loopback.
//
// Sources: [scim-build] https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups
// and [scim-compat] https://learn.microsoft.com/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility
package scimserver

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ssowizard/ssowizard/harness/scim/scimattr"
)

// SCIM URNs this server reads and writes.
const (
	mediaType       = "application/scim+json"
	urnUser         = "urn:ietf:params:scim:schemas:core:2.0:User"
	urnGroup        = "urn:ietf:params:scim:schemas:core:2.0:Group"
	urnEnterprise   = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	urnADSCIMGroup  = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
	urnListResponse = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	urnPatchOp      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	urnError        = "urn:ietf:params:scim:api:messages:2.0:Error"
	urnSPConfig     = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
)

// maxBody bounds request bodies.
const maxBody = 1 << 20

// maxPage is the largest page a list answers (RFC 7644 §3.4.2.4 lets the server cap it).
const maxPage = 100

// Options configures a Server.
type Options struct {
	// BearerToken is the token a request may carry (Authorization: Bearer); empty
	// accepts no bearer token.
	BearerToken string
	// BasicUser and BasicPassword are the credentials a request may carry instead
	// (Authorization: Basic, RFC 7617), as vendors that issue basic credentials take
	// them; an empty password accepts no basic credentials. With neither, every
	// request is refused.
	BasicUser, BasicPassword string
	// Now stamps meta.created and meta.lastModified; nil means time.Now.
	Now func() time.Time
	// Rand makes resource ids; nil means crypto/rand.
	Rand io.Reader
}

// Request is one request the server received, for tests and the demo to show.
type Request struct {
	Method string
	Path   string
	Query  string
	Body   string
	Status int
}

// Server holds users and groups in memory.
type Server struct {
	token string
	user  string
	pass  string
	now   func() time.Time
	rnd   io.Reader

	mu       sync.Mutex
	users    map[string]map[string]any
	groups   map[string]map[string]any
	requests []Request
}

// New returns an empty server.
func New(o Options) *Server {
	s := &Server{token: o.BearerToken, user: o.BasicUser, pass: o.BasicPassword, now: o.Now, rnd: o.Rand,
		users: map[string]map[string]any{}, groups: map[string]map[string]any{}}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rnd == nil {
		s.rnd = rand.Reader
	}
	return s
}

// Listen serves the server at http://ADDR/scim on a loopback address ("127.0.0.1:0"
// for any free port) until close is called, and returns that base URL.
func (s *Server) Listen(addr string) (baseURL string, closeFn func() error, err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", nil, fmt.Errorf("scim receiver address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return "", nil, fmt.Errorf("the SCIM receiver listens only on a loopback address, not %q", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("scim receiver: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/", http.StripPrefix("/scim", s))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/scim", srv.Close, nil
}

// Requests returns a copy of what the server received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Users returns copies of the stored users, ordered by userName.
func (s *Server) Users() []map[string]any { return s.snapshot(s.users, "userName") }

// Groups returns copies of the stored groups, ordered by displayName.
func (s *Server) Groups() []map[string]any { return s.snapshot(s.groups, "displayName") }

func (s *Server) snapshot(m map[string]map[string]any, key string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]map[string]any, 0, len(m))
	for _, r := range m {
		out = append(out, clone(r))
	}
	sort.Slice(out, func(i, j int) bool { return scimattr.Text(out[i][key]) < scimattr.Text(out[j][key]) })
	return out
}

// scimError is an RFC 7644 §3.12 error.
type scimError struct {
	status   int
	scimType string
	detail   string
}

func (e *scimError) Error() string { return e.detail }

func errf(status int, scimType, format string, args ...any) *scimError {
	return &scimError{status: status, scimType: scimType, detail: fmt.Sprintf(format, args...)}
}

// ServeHTTP answers SCIM requests whose path is relative to the SCIM base
// (/Users, /Users/{id}, /Groups, /Groups/{id}, /ServiceProviderConfig).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	rec := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(body)}
	status, out := s.serve(r, body, err)
	rec.Status = status
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.mu.Unlock()
	w.Header().Set("Content-Type", mediaType)
	if loc, ok := out.(location); ok {
		w.Header().Set("Location", loc.url)
		out = loc.res
	}
	if e, ok := out.(*scimError); ok {
		if e.status == http.StatusUnauthorized {
			if s.token != "" || s.pass == "" {
				w.Header().Add("WWW-Authenticate", `Bearer realm="scim"`)
			}
			if s.pass != "" {
				w.Header().Add("WWW-Authenticate", `Basic realm="scim", charset="UTF-8"`)
			}
		}
		out = map[string]any{"schemas": []string{urnError}, "status": strconv.Itoa(e.status), "scimType": e.scimType, "detail": e.detail}
		if e.scimType == "" {
			delete(out.(map[string]any), "scimType")
		}
	}
	if out == nil {
		w.WriteHeader(status)
		return
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(out)
}

type location struct {
	url string
	res map[string]any
}

func (s *Server) serve(r *http.Request, body []byte, readErr error) (int, any) {
	if !s.authorised(r) {
		e := errf(http.StatusUnauthorized, "", "the bearer token is missing or wrong")
		if s.pass != "" {
			e = errf(http.StatusUnauthorized, "", "the credentials are missing or wrong")
		}
		return e.status, e
	}
	if readErr != nil || len(body) > maxBody {
		e := errf(http.StatusRequestEntityTooLarge, "", "the request body is over %d bytes or unreadable", maxBody)
		return e.status, e
	}
	path := strings.Trim(r.URL.Path, "/")
	kind, id, _ := strings.Cut(path, "/")
	if strings.Contains(id, "/") {
		return notFound(path)
	}
	var res *store
	switch kind {
	case "Users":
		res = &store{s: s, m: s.users, kind: "User", base: baseURL(r)}
	case "Groups":
		res = &store{s: s, m: s.groups, kind: "Group", base: baseURL(r)}
	case "ServiceProviderConfig":
		if r.Method != http.MethodGet || id != "" {
			return methodNotAllowed(r.Method)
		}
		return http.StatusOK, serviceProviderConfig()
	default:
		return notFound(path)
	}
	if (r.Method == http.MethodPost || r.Method == http.MethodPatch || r.Method == http.MethodPut) && !jsonBody(r.Header.Get("Content-Type")) {
		e := errf(http.StatusUnsupportedMediaType, "invalidSyntax", "send the body as application/scim+json")
		return e.status, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var status int
	var out any
	var err error
	switch {
	case r.Method == http.MethodGet && id == "":
		status, out, err = res.list(r.URL.Query())
	case r.Method == http.MethodGet:
		status, out, err = res.get(id, r.URL.Query())
	case r.Method == http.MethodPost && id == "":
		var created map[string]any
		created, err = res.create(body)
		if err == nil {
			return http.StatusCreated, location{url: created["meta"].(map[string]any)["location"].(string), res: clone(created)}
		}
	case r.Method == http.MethodPatch && id != "":
		status, out, err = res.patch(id, body)
	case r.Method == http.MethodPut && id != "":
		status, out, err = res.put(id, body)
	case r.Method == http.MethodDelete && id != "":
		status, out, err = res.delete(id)
	default:
		return methodNotAllowed(r.Method)
	}
	if err != nil {
		var se *scimError
		if !errors.As(err, &se) {
			se = errf(http.StatusBadRequest, "invalidValue", "%v", err)
		}
		return se.status, se
	}
	return status, out
}

// authorised says whether r carries the bearer token or the basic credentials the
// server was given, compared in constant time.
func (s *Server) authorised(r *http.Request) bool {
	got := r.Header.Get("Authorization")
	if s.token != "" && subtle.ConstantTimeCompare([]byte(got), []byte("Bearer "+s.token)) == 1 {
		return true
	}
	if s.pass == "" {
		return false
	}
	u, p, ok := r.BasicAuth()
	userOK := subtle.ConstantTimeCompare([]byte(u), []byte(s.user)) == 1
	passOK := subtle.ConstantTimeCompare([]byte(p), []byte(s.pass)) == 1
	return ok && userOK && passOK
}

func notFound(path string) (int, any) {
	e := errf(http.StatusNotFound, "", "no SCIM resource at /%s", path)
	return e.status, e
}

func methodNotAllowed(m string) (int, any) {
	e := errf(http.StatusMethodNotAllowed, "", "%s is not supported here", m)
	return e.status, e
}

func jsonBody(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == mediaType || mt == "application/json")
}

// serviceProviderConfig is what this server supports (RFC 7643 §5).
func serviceProviderConfig() map[string]any {
	return map[string]any{
		"schemas":        []string{urnSPConfig},
		"patch":          map[string]any{"supported": true},
		"bulk":           map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":         map[string]any{"supported": true, "maxResults": maxPage},
		"changePassword": map[string]any{"supported": false},
		"sort":           map[string]any{"supported": false},
		"etag":           map[string]any{"supported": false},
		"authenticationSchemes": []any{map[string]any{
			"type": "oauthbearertoken", "name": "OAuth Bearer Token",
			"description": "The Secret Token entered in Entra's provisioning settings."}},
	}
}

func clone(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// baseURL is the SCIM base this request came through: its scheme and host, and the
// prefix a mounting mux stripped from the path.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	full := r.URL.Path
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil {
		full = u.Path
	}
	return scheme + "://" + r.Host + strings.TrimSuffix(full, r.URL.Path)
}

// escapePathSegment is url.PathEscape, for meta.location.
func escapePathSegment(s string) string { return url.PathEscape(s) }
