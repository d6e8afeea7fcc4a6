// Package harness is the local Entra: one HTTPS server on loopback that serves Entra's
// login endpoints (package idp) for one tenant (package tenant), with a certificate
// authority, a TLS certificate and token signing keys that it generates once and keeps
// in its state directory. Start it from a test with a temporary directory, or from the
// command line for support staff and the wizard.
//
// It serves the Graph side (package graphapi) under /v1.0 on the same origin.
//
// Beside those it serves admin endpoints to loopback clients only:
// /harness/scenarios: GET shows the scenarios in force, PUT {"app_id": "", "scenarios":
// ["slow"]} replaces those of the tenant (app_id empty) or of one app, effective on the
// next request. /harness/graph: GET shows the Graph side's faults, PUT
// {"propagation_delay": "5s", "throttle": {"requests": 2, "retry_after": "1s"}}
// replaces them (durations in Go's form; requests -1 throttles until changed).
package harness

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ssowizard/ssowizard/harness/graphapi"
	"github.com/ssowizard/ssowizard/harness/idp"
	"github.com/ssowizard/ssowizard/harness/scim/scimclient"
	"github.com/ssowizard/ssowizard/harness/scim/scimserver"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

// Config says how to run the harness. The zero value is not enough: StateDir is needed.
type Config struct {
	// Addr is where to listen; empty means 127.0.0.1:0 (a free loopback port).
	Addr string
	// StateDir keeps the CA, the TLS certificate, the token signing key and the apps'
	// SAML signing keys (under saml/) across restarts. It is created (0700) when missing.
	StateDir string
	// Tenant is the directory to serve; nil means the demo tenant of Now's day.
	Tenant *tenant.Tenant
	// TenantFile, when set and Tenant is nil, is loaded instead of the demo.
	TenantFile string
	// TenantState, when set, is the path of a tenant file that keeps the served tenant
	// across restarts. If it exists at Start it is served, instead of Tenant, TenantFile
	// or the demo; if not, the tenant chosen by those is written there (its directory is
	// created 0700). After every change to the tenant (Graph writes, the admin
	// endpoints, Store's methods; Scenarios above included) it is rewritten before the
	// change is answered, atomically and private to its owner (0600): a process stopped
	// at any moment leaves the old file or the new one. It holds passwords and secret
	// values: it is the emulator's own state.
	TenantState string
	// Now is the clock of the protocol (tokens, codes, sessions, secrets' expiry);
	// nil means time.Now. Certificates follow the wall clock, which TLS clients check.
	Now func() time.Time
	// Logger receives one line per request (method, path, status, duration: never a
	// query string or body) and the login side's outcomes; nil discards.
	Logger *slog.Logger
	// Mount, when set, adds routes to the harness's mux beside the login endpoints,
	// with the login side to share its login page and session (IdP.SignIn). It is how
	// further parts (SAML, Graph) and tests plug in.
	Mount func(mux *http.ServeMux, login *idp.IdP)
	// DevicePollInterval shortens the device code polling interval for tests; zero
	// means Entra's 5 seconds.
	DevicePollInterval time.Duration
	// SlowDelay is how long the slow scenario holds answers back; zero means 3 seconds.
	SlowDelay time.Duration
	// Scenarios are applied to the whole tenant at start, beside any the tenant file
	// names (the command line's --scenario).
	Scenarios []string
	// Graph are the Graph side's faults at start (propagation delay, throttle), for
	// tests of clients' retries; /harness/graph changes them while running.
	Graph graphapi.Settings
	// OnIssue, when set, is handed each SAML Response the harness posts to a reply URL
	// (kind IssuedSAMLResponse, the base64 as posted) and each ID token it issues
	// (kind IssuedIDToken), as Server.LastIssued records them. It runs on the
	// request's goroutine and must return quickly.
	OnIssue func(kind string, message []byte)
	// SCIMReceiver mounts an in-memory SCIM receiver (scimserver) at /scim under the
	// harness's origin, with a bearer token made at random for this start, and lets the
	// Graph side's provisioning engine trust the harness's CA: the offline demo's vendor.
	SCIMReceiver bool
}

// Kinds of Issued.
const (
	IssuedSAMLResponse = idp.IssuedSAMLResponse
	IssuedIDToken      = idp.IssuedIDToken
)

// Scenarios lists the names of the scenarios the harness can apply, tenant-wide or
// to one app.
func Scenarios() []string { return tenant.Scenarios() }

// Issued is a message the harness handed out, for a person to inspect.
type Issued struct {
	// Kind is IssuedSAMLResponse or IssuedIDToken.
	Kind string
	// Message is the base64 SAMLResponse as posted, or the compact ID token.
	Message []byte
	// At is when it was issued, by the wall clock.
	At time.Time
}

// lastIssued keeps the most recent Issued.
type lastIssued struct {
	mu   sync.Mutex
	last Issued
}

// Server is a running harness.
type Server struct {
	// BaseURL is the origin, https://127.0.0.1:PORT, standing for
	// login.microsoftonline.com (and graph.microsoft.com under /v1.0).
	BaseURL string
	// TenantID is the served tenant's GUID.
	TenantID string
	// Authority is BaseURL/{tenant ID}/v2.0, as OIDC clients take it.
	Authority string
	// CACertPath is the PEM file of the CA that issued the TLS certificate.
	CACertPath string
	// CACert is that CA.
	CACert *x509.Certificate
	// Store is the tenant served; changes to it take effect on the next request.
	Store *tenant.Store
	// IdP is the login side.
	IdP *idp.IdP
	// Graph is the Graph side, under /v1.0.
	Graph *graphapi.API
	// SCIM is the embedded SCIM receiver (Config.SCIMReceiver), else nil.
	SCIM *scimserver.Server
	// SCIMURL is the receiver's base URL, BaseURL + "/scim", when it runs.
	SCIMURL string
	// SCIMToken is the receiver's bearer token, new at every start: a secret.
	SCIMToken string

	srv       *http.Server
	ln        net.Listener
	pool      *x509.CertPool
	done      chan struct{}
	serveErr  error
	closeOnce sync.Once
	issued    *lastIssued
}

// Start listens, then serves in the background until ctx ends or Shutdown/Close is
// called. Discovery is answerable as soon as Start returns.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.StateDir == "" {
		return nil, errors.New("harness: no state directory; set Config.StateDir")
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// Certificates follow the wall clock, not Now: the clients that check them do.
	st, err := loadState(cfg.StateDir, time.Now(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	store, err := openTenant(cfg, now, logger)
	if err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	if len(cfg.Scenarios) > 0 {
		names := store.ScenariosFor("")
		for _, n := range cfg.Scenarios {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		if err := store.SetScenarios("", names); err != nil {
			return nil, fmt.Errorf("harness: scenarios: %w", err)
		}
	}
	addr := cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("harness: listen on %s: %w", addr, err)
	}
	base := "https://" + ln.Addr().String()
	issued := &lastIssued{}
	onIssue := func(kind string, message []byte) {
		issued.mu.Lock()
		issued.last = Issued{Kind: kind, Message: slices.Clone(message), At: time.Now()}
		issued.mu.Unlock()
		if cfg.OnIssue != nil {
			cfg.OnIssue(kind, message)
		}
	}
	login, err := idp.New(idp.Config{BaseURL: base, Store: store, Keys: []idp.SigningKey{st.signing},
		Now: now, Logger: logger, DevicePollInterval: cfg.DevicePollInterval, SlowDelay: cfg.SlowDelay,
		SAMLKeyDir: filepath.Join(cfg.StateDir, "saml"), OnIssue: onIssue})
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("harness: %w", err)
	}
	gcfg := graphapi.Config{Store: store, IdP: login, Now: now, Logger: logger, Settings: cfg.Graph}
	var rcv *scimserver.Server
	var rcvToken string
	if cfg.SCIMReceiver {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			ln.Close()
			return nil, fmt.Errorf("harness: scim receiver token: %w", err)
		}
		rcvToken = base64.RawURLEncoding.EncodeToString(b)
		rcv = scimserver.New(scimserver.Options{BearerToken: rcvToken, Now: now})
		roots, err := x509.SystemCertPool()
		if err != nil || roots == nil {
			roots = x509.NewCertPool()
		}
		roots.AddCert(st.caCert)
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
		gcfg.SCIMClient = &http.Client{Transport: tr, Timeout: scimclient.DefaultTimeout}
	}
	graph, err := graphapi.New(gcfg)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("harness: %w", err)
	}
	mux := http.NewServeMux()
	login.Register(mux)
	mux.Handle("/harness/scenarios", loopbackOnly(scenariosHandler(store)))
	mux.Handle("/harness/graph", loopbackOnly(graphSettingsHandler(graph)))
	if cfg.Mount != nil {
		cfg.Mount(mux, login)
	}

	pool := x509.NewCertPool()
	pool.AddCert(st.caCert)
	s := &Server{
		BaseURL:    base,
		TenantID:   store.TenantID(),
		Authority:  base + "/" + store.TenantID() + "/v2.0",
		CACertPath: st.caCertPath,
		CACert:     st.caCert,
		Store:      store,
		IdP:        login,
		Graph:      graph,
		ln:         ln,
		pool:       pool,
		done:       make(chan struct{}),
		issued:     issued,
	}
	if rcv != nil {
		s.SCIM, s.SCIMURL, s.SCIMToken = rcv, base+"/scim", rcvToken
	}
	s.srv = &http.Server{
		Handler:           logRequests(logger, withSCIM(rcv, withGraph(graph, mux))),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{st.tlsCert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}
	go func() {
		err := s.srv.ServeTLS(ln, "", "")
		if !errors.Is(err, http.ErrServerClosed) {
			s.serveErr = err
		}
		close(s.done)
	}()
	go func() {
		select {
		case <-ctx.Done():
			s.Close()
		case <-s.done:
		}
	}()
	return s, nil
}

// openTenant makes the store of the tenant to serve: the kept state when there is one,
// else Tenant, TenantFile or the demo; and, with TenantState set, keeps it on disk.
func openTenant(cfg Config, now func() time.Time, logger *slog.Logger) (*tenant.Store, error) {
	kept := false
	if cfg.TenantState != "" {
		switch _, err := os.Stat(cfg.TenantState); {
		case err == nil:
			kept = true
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("tenant state: %w", err)
		}
	}
	var t *tenant.Tenant
	var err error
	switch {
	case kept:
		t, err = tenant.LoadSaved(cfg.TenantState, nil)
	case cfg.Tenant != nil:
		t = cfg.Tenant
	case cfg.TenantFile != "":
		t, err = tenant.Load(cfg.TenantFile, nil)
	default:
		t = tenant.Demo(now())
	}
	if err != nil {
		return nil, err
	}
	store, err := tenant.NewStore(t, nil)
	if err != nil {
		return nil, fmt.Errorf("tenant: %w", err)
	}
	if cfg.TenantState == "" {
		return store, nil
	}
	if !kept {
		if err := os.MkdirAll(filepath.Dir(cfg.TenantState), 0o700); err != nil {
			return nil, fmt.Errorf("tenant state: %w", err)
		}
		if err := store.Save(cfg.TenantState); err != nil {
			return nil, err
		}
	}
	path := cfg.TenantState
	store.OnChange(func(t *tenant.Tenant) {
		// The change is made and served already; a file that cannot be written is the
		// operator's to fix, and the next change tries again.
		if err := tenant.Save(path, t); err != nil {
			logger.Error("tenant state not saved", "error", err)
		}
	})
	return store, nil
}

// Client returns an HTTP client that trusts the harness CA (and only it), for tests and
// the embedded SP. Each call returns a new client with its own connections.
func (s *Server) Client() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: s.pool, MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2:   true,
			MaxIdleConnsPerHost: 64,
		},
		Timeout: 30 * time.Second,
	}
}

// CertPool returns a pool holding the harness CA.
func (s *Server) CertPool() *x509.CertPool { return s.pool.Clone() }

// Shutdown stops accepting requests and waits for those in flight, until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	<-s.done
	if err != nil {
		return err
	}
	return s.serveErr
}

// Close stops the server at once.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() { err = s.srv.Close() })
	<-s.done
	return err
}

// LastIssued returns the last SAML Response or ID token the harness handed out; ok is
// false until it has handed out one.
func (s *Server) LastIssued() (last Issued, ok bool) {
	s.issued.mu.Lock()
	defer s.issued.mu.Unlock()
	last = s.issued.last
	last.Message = slices.Clone(last.Message)
	return last, last.Kind != ""
}

// Done is closed when the server has stopped.
func (s *Server) Done() <-chan struct{} { return s.done }

// Facts is what `ssowizard harness --json` prints: how to reach the harness and sign
// in to it.
type Facts struct {
	BaseURL    string     `json:"base_url"`
	TenantID   string     `json:"tenant_id"`
	TenantName string     `json:"tenant_name"`
	Authority  string     `json:"authority"`
	GraphURL   string     `json:"graph_url"`
	CACert     string     `json:"ca_cert"`
	Users      []UserFact `json:"users"`
	Apps       []AppFact  `json:"apps"`
	// SCIMURL and SCIMToken are the embedded SCIM receiver's base URL and bearer token
	// (Config.SCIMReceiver); the token is printed as the apps' client secrets and the
	// users' passwords are, for a person or a test to point a client at this emulator.
	SCIMURL   string `json:"scim_url,omitempty"`
	SCIMToken string `json:"scim_token,omitempty"`
}

// UserFact is a user who can sign in, with their password.
type UserFact struct {
	UPN      string `json:"upn"`
	Password string `json:"password"`
	// Guest is a B2B guest (its UPN has #EXT#); Admin holds a directory role.
	Guest bool `json:"guest,omitempty"`
	Admin bool `json:"admin,omitempty"`
}

// AppFact is an app registration with what a vendor configures from it.
type AppFact struct {
	DisplayName     string   `json:"display_name"`
	AppID           string   `json:"app_id"`
	ClientSecret    string   `json:"client_secret"`
	RedirectURIs    []string `json:"redirect_uris"`
	IdentifierURIs  []string `json:"identifier_uris"`
	SAMLMetadataURL string   `json:"saml_metadata_url"`
}

// Facts returns the harness's facts as they are now: the users who can sign in with a
// password, and each app with the secret that ends last.
func (s *Server) Facts() Facts {
	snap := s.Store.Snapshot()
	f := Facts{
		BaseURL:    s.BaseURL,
		TenantID:   s.TenantID,
		TenantName: snap.DisplayName,
		Authority:  s.Authority,
		GraphURL:   s.BaseURL + "/v1.0",
		CACert:     s.CACertPath,
		Users:      []UserFact{},
		Apps:       []AppFact{},
		SCIMURL:    s.SCIMURL,
		SCIMToken:  s.SCIMToken,
	}
	for _, u := range snap.Users {
		if u.Password != "" && !u.Disabled {
			f.Users = append(f.Users, UserFact{UPN: u.UPN, Password: u.Password, Guest: u.Guest, Admin: u.Admin})
		}
	}
	for _, a := range snap.Apps {
		af := AppFact{
			DisplayName:    a.DisplayName,
			AppID:          a.AppID,
			RedirectURIs:   append([]string{}, a.RedirectURIs...),
			IdentifierURIs: append([]string{}, a.IdentifierURIs...),
			SAMLMetadataURL: s.BaseURL + "/" + s.TenantID + "/federationmetadata/2007-06/federationmetadata.xml?appid=" +
				url.QueryEscape(a.AppID),
		}
		var newest time.Time
		for _, sec := range a.Secrets {
			if sec.End.After(newest) {
				newest, af.ClientSecret = sec.End, sec.Value
			}
		}
		f.Apps = append(f.Apps, af)
	}
	return f
}

// withSCIM sends /scim/… to the embedded SCIM receiver, when there is one, ahead of the
// mux, whose /{tenant}/… patterns would otherwise conflict with a /scim/ prefix.
func withSCIM(rcv *scimserver.Server, next http.Handler) http.Handler {
	if rcv == nil {
		return next
	}
	scim := http.StripPrefix("/scim", rcv)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/scim/") {
			scim.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status a handler wrote, for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// logRequests logs each request by method, path and status. The query string and the
// body are never logged: they carry codes, tokens, secrets and passwords. Paths carry
// none of those, but are cut short in case a client puts something odd in one.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		path := r.URL.Path
		if len(path) > 120 {
			path = path[:120] + "…"
		}
		logger.Info("request", "method", r.Method, "path", strings.ToValidUTF8(path, "?"), "status", rec.status,
			"duration", time.Since(start).Round(time.Microsecond))
	})
}
