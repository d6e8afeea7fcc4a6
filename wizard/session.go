package wizard

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ssowizard/ssowizard/wizard/check"
	"github.com/ssowizard/ssowizard/wizard/secret"
	"github.com/ssowizard/ssowizard/wizard/store"
)

// Engine runs setups and keeps them in a database.
type Engine struct {
	DB *store.DB
	// Secrets keeps client secrets (the OS keyring, or memory).
	Secrets secret.Keeper
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives one line per transition (never a secret); nil discards.
	Log *slog.Logger
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

func (e *Engine) log() *slog.Logger {
	if e.Log != nil {
		return e.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Target is where a session's steps act: the login and Graph endpoints, and how to
// reach them. It is not stored: the caller supplies it on each run.
type Target struct {
	// Name is harness or entra.
	Name string
	// LoginBase is https://login.microsoftonline.com, or the harness's origin.
	LoginBase string
	// GraphURL is https://graph.microsoft.com, or the harness's origin; used to resolve a
	// groups overage in the test login.
	GraphURL string
	// HTTP reaches both; nil means http.DefaultClient.
	HTTP *http.Client
	// Directory is the signed-in Graph client automatic mode uses; nil in manual mode.
	Directory Directory
	// Open shows the test login's sign-in URL; nil opens the system browser.
	Open func(url string) error
	// Scenarios are the harness's scenarios in effect, recorded in the evidence bundle.
	Scenarios []string
	// TestUser is the user the test login signs in as when the administrator names
	// none (the harness's seeded user).
	TestUser string
	// SignInAs completes a test login as the named user with no person at the
	// keyboard (the harness: its robot, with the tenant's credentials for that user):
	// it returns the user's sign-in name and what opens the sign-in URL, or an error
	// of one sentence when the user cannot sign in there. Nil on Entra, where a
	// person signs in, in the browser Open shows.
	SignInAs func(user string) (login string, open func(url string) error, err error)
	// Unassigned names a user who can sign in but is not assigned to the app (its
	// appId), for the test's negative; "" when there is none. Nil on Entra.
	Unassigned func(appID string) string
}

func (t *Target) client() *http.Client {
	if t.HTTP != nil {
		return t.HTTP
	}
	return http.DefaultClient
}

// State is what the steps have established: IDs, URLs, certificates, choices. It is
// stored as the session's data; it never holds a secret value.
type State struct {
	TenantID   string `json:"tenant_id,omitempty"`
	TenantName string `json:"tenant_name,omitempty"`
	// LoginBase is where the tenant signs in: login.microsoftonline.com, or the harness.
	LoginBase    string          `json:"login_base,omitempty"`
	App          App             `json:"app"`
	RedirectURIs []string        `json:"redirect_uris,omitempty"`
	Loopback     []string        `json:"loopback,omitempty"`
	Secret       *SecretRecord   `json:"secret,omitempty"`
	EntityID     string          `json:"entity_id,omitempty"`
	ReplyURL     string          `json:"reply_url,omitempty"`
	RelayState   string          `json:"relay_state,omitempty"`
	Metadata     *MetadataRecord `json:"metadata,omitempty"`
	Domains      []string        `json:"domains,omitempty"`
	Assigned     []Principal     `json:"assigned,omitempty"`
	// AssignmentRequired is what the app's "Assignment required?" is (nil: unknown).
	AssignmentRequired *bool            `json:"assignment_required,omitempty"`
	Enabled            *EnableRecord    `json:"enabled,omitempty"`
	Reminders          []check.Reminder `json:"reminders,omitempty"`
}

// SecretRecord describes the client secret without its value.
type SecretRecord struct {
	KeyID string    `json:"key_id,omitempty"`
	Hint  string    `json:"hint,omitempty"`
	End   time.Time `json:"end,omitzero"`
	// Kept says where the value is: keyring or memory.
	Kept string `json:"kept,omitempty"`
}

// MetadataRecord is the IdP side of a SAML connection.
type MetadataRecord struct {
	URL          string              `json:"url,omitempty"`
	XML          string              `json:"xml,omitempty"`
	Fingerprint  string              `json:"fingerprint,omitempty"`
	Issuer       string              `json:"issuer,omitempty"`
	SSOURL       string              `json:"sso_url,omitempty"`
	Certificates []check.Certificate `json:"certificates,omitempty"`
}

// StepState is one step's record: its inputs, check results and status.
type StepState struct {
	Name   StepName          `json:"name"`
	Status Status            `json:"status"`
	Inputs map[string]string `json:"inputs,omitempty"`
	Checks []check.Result    `json:"checks,omitempty"`
	// Error is why the step could not be carried out (as opposed to a failed check).
	Error      string    `json:"error,omitempty"`
	VerifiedAt time.Time `json:"verified_at,omitzero"`
	Updated    time.Time `json:"updated,omitzero"`
}

// Session is one setup: a ticket, a protocol, a target, and the steps' records.
type Session struct {
	e      *Engine
	runMu  sync.Mutex // held by Run for a whole step
	mu     sync.Mutex // guards the fields below
	rec    store.Session
	Ticket *Ticket
	state  State
	steps  map[StepName]*StepState
}

// NewSession describes a setup to start.
type NewSession struct {
	Ticket   []byte // the ticket's JSON
	Protocol Protocol
	Target   string // harness or entra
	TenantID string // optional: the tenant, when known
	Mode     Mode
}

// Session statuses.
const (
	SessionInProgress = "in_progress"
	SessionEnabled    = "enabled"
)

// Create starts a session and stores it.
func (e *Engine) Create(ctx context.Context, n NewSession) (*Session, error) {
	t, err := ParseTicket(n.Ticket)
	if err != nil {
		return nil, err
	}
	if n.Protocol == "" {
		n.Protocol = t.Protocols[0]
	}
	if !t.Allows(n.Protocol) {
		return nil, fmt.Errorf("%s does not accept %s: choose one of %s", t.Vendor, strings.ToUpper(string(n.Protocol)), protocolList(t.Protocols))
	}
	if n.Target != "harness" && n.Target != "entra" {
		return nil, fmt.Errorf("the target %q is unknown: use harness or entra", n.Target)
	}
	if n.Mode != Auto && n.Mode != Manual {
		return nil, fmt.Errorf("the mode %q is unknown: use auto or manual", n.Mode)
	}
	if n.TenantID != "" {
		if r := check.TenantID(n.TenantID); r.Failed() {
			return nil, errors.New(r.Message + " " + r.Fix)
		}
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	now := e.now()
	s := &Session{e: e, Ticket: t, steps: map[StepName]*StepState{}}
	s.state.TenantID = strings.TrimSpace(n.TenantID)
	for _, name := range TicketSteps(n.Protocol, t) {
		s.steps[name] = &StepState{Name: name, Status: NotStarted}
	}
	data, _ := json.Marshal(s.state)
	s.rec = store.Session{ID: id, Vendor: t.Vendor, Ticket: n.Ticket, Protocol: string(n.Protocol), Target: n.Target,
		TenantID: s.state.TenantID, Mode: string(n.Mode), Current: string(TicketSteps(n.Protocol, t)[0]), Status: SessionInProgress,
		Data: data, Created: now, Updated: now}
	ev := store.Event{Session: id, At: now, Kind: "created",
		Message: fmt.Sprintf("setup of %s by %s, %s mode, target %s", t.Vendor, strings.ToUpper(string(n.Protocol)), n.Mode, n.Target)}
	if err := e.DB.CreateSession(ctx, s.rec, ev); err != nil {
		return nil, err
	}
	e.log().Info("session created", "session", id, "vendor", t.Vendor, "protocol", n.Protocol, "mode", n.Mode, "target", n.Target)
	return s, nil
}

func protocolList(ps []Protocol) string {
	var out []string
	for _, p := range ps {
		out = append(out, strings.ToUpper(string(p)))
	}
	return strings.Join(out, " or ")
}

func newID() (string, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Load reads a stored session.
func (e *Engine) Load(ctx context.Context, id string) (*Session, error) {
	rec, err := e.DB.Session(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("there is no setup %q in %s: run status to list them", id, e.DB.Path())
	}
	if err != nil {
		return nil, err
	}
	t, err := ParseTicket(rec.Ticket)
	if err != nil {
		return nil, fmt.Errorf("setup %s: %w", id, err)
	}
	s := &Session{e: e, rec: rec, Ticket: t, steps: map[StepName]*StepState{}}
	if len(rec.Data) > 0 {
		if err := json.Unmarshal(rec.Data, &s.state); err != nil {
			return nil, fmt.Errorf("setup %s has unreadable progress (%v): export it for support and start a new setup", id, err)
		}
	}
	for _, name := range s.StepNames() {
		s.steps[name] = &StepState{Name: name, Status: NotStarted}
	}
	rows, err := e.DB.Steps(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		st, ok := s.steps[StepName(r.Name)]
		if !ok {
			continue
		}
		st.Status = Status(r.Status)
		st.VerifiedAt, st.Updated = r.VerifiedAt, r.Updated
		if len(r.Inputs) > 0 {
			_ = json.Unmarshal(r.Inputs, &st.Inputs)
		}
		if len(r.Checks) > 0 {
			_ = json.Unmarshal(r.Checks, &st.Checks)
		}
		if len(r.Outputs) > 0 {
			var o struct {
				Error string `json:"error"`
			}
			_ = json.Unmarshal(r.Outputs, &o)
			st.Error = o.Error
		}
	}
	if err := s.reconcile(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// ID is the session's identifier.
func (s *Session) ID() string { return s.rec.ID }

// Protocol is the session's protocol.
func (s *Session) Protocol() Protocol { return Protocol(s.rec.Protocol) }

// Mode is the session's mode.
func (s *Session) Mode() Mode { return Mode(s.rec.Mode) }

// TargetName is harness or entra.
func (s *Session) TargetName() string { return s.rec.Target }

// Status is in_progress or enabled.
func (s *Session) Status() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rec.Status
}

// Created and Updated are when the session began and last changed.
func (s *Session) Created() time.Time { return s.rec.Created }

// Updated is when the session last changed.
func (s *Session) Updated() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rec.Updated
}

// Current is the step the session is at.
func (s *Session) Current() StepName {
	s.mu.Lock()
	defer s.mu.Unlock()
	return StepName(s.rec.Current)
}

// State returns a copy of what the steps have established.
func (s *Session) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	var c State
	b, _ := json.Marshal(s.state)
	_ = json.Unmarshal(b, &c)
	return c
}

// Steps returns the steps' records in order.
func (s *Session) Steps() []StepState {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []StepState
	for _, n := range s.StepNames() {
		out = append(out, s.copyStep(n))
	}
	return out
}

// Step returns one step's record.
func (s *Session) Step(n StepName) StepState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.copyStep(n)
}

func (s *Session) copyStep(n StepName) StepState {
	st, ok := s.steps[n]
	if !ok {
		return StepState{Name: n, Status: NotStarted}
	}
	c := *st
	c.Inputs = maps.Clone(st.Inputs)
	c.Checks = slices.Clone(st.Checks)
	return c
}

// Done reports whether every step is verified, the test step excepted when the
// connection was enabled with an override.
func (s *Session) Done() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.firstOpen() < 0
}

// secretInputs are the inputs that never reach the database.
var secretInputs = map[string]bool{InClientSecret: true}

// SetInput records a value for a step. Secret values go to the keeper, never into the
// session's inputs. The value is stored with the step's next transition.
func (s *Session) SetInput(step StepName, key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.steps[step]
	if !ok {
		return fmt.Errorf("%s has no step %q: the steps are %s", strings.ToUpper(string(s.Protocol())), step, stepList(s.StepNames()))
	}
	if secretInputs[key] {
		value = strings.TrimSpace(value)
		if value == "" {
			return s.e.Secrets.Delete(s.rec.ID, key)
		}
		return s.e.Secrets.Put(s.rec.ID, key, value)
	}
	if st.Inputs == nil {
		st.Inputs = map[string]string{}
	}
	if value == "" {
		delete(st.Inputs, key)
	} else {
		st.Inputs[key] = value
	}
	return nil
}

func stepList(ns []StepName) string {
	var out []string
	for _, n := range ns {
		out = append(out, string(n))
	}
	return strings.Join(out, ", ")
}

func (s *Session) input(step StepName, key string) string {
	if st := s.steps[step]; st != nil {
		return strings.TrimSpace(st.Inputs[key])
	}
	return ""
}

// secretValue reads a kept secret.
func (s *Session) secretValue(key string) (string, bool, error) {
	return s.e.Secrets.Get(s.rec.ID, key)
}

// index is the position of a step in the session's path.
func (s *Session) index(n StepName) int { return slices.Index(s.StepNames(), n) }

// GoTo moves the session to a step: any verified step, or the first that is not.
// Inputs of every step are kept.
func (s *Session) GoTo(ctx context.Context, n StepName) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.index(n)
	if i < 0 {
		return fmt.Errorf("%s has no step %q: the steps are %s", strings.ToUpper(string(s.Protocol())), n, stepList(s.StepNames()))
	}
	if first := s.firstOpen(); first >= 0 && i > first {
		return fmt.Errorf("%s is not reachable yet: %s comes first", n.Title(), s.StepNames()[first].Title())
	}
	// The step being left is saved with its inputs, so what was typed there survives
	// a restart as well as the move.
	leaving := s.steps[StepName(s.rec.Current)]
	if s.rec.Current == string(n) {
		return s.transition(ctx, leaving, n, "inputs", "saved the inputs of "+string(n))
	}
	return s.transition(ctx, leaving, n, "moved", "moved to "+string(n))
}

// SaveInputs stores the inputs of a step now, without running it.
func (s *Session) SaveInputs(ctx context.Context, n StepName) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.steps[n]
	if !ok {
		return fmt.Errorf("%s has no step %q: the steps are %s", strings.ToUpper(string(s.Protocol())), n, stepList(s.StepNames()))
	}
	return s.transition(ctx, st, StepName(s.rec.Current), "inputs", "saved the inputs of "+string(n))
}

// Back moves to the previous step, keeping every input.
func (s *Session) Back(ctx context.Context) error {
	i := s.index(s.Current())
	if i <= 0 {
		return nil
	}
	return s.GoTo(ctx, s.StepNames()[i-1])
}

// Next moves to the first step that is not verified (the current one stays when it
// is not).
func (s *Session) Next(ctx context.Context) error {
	s.mu.Lock()
	first := s.firstOpen()
	s.mu.Unlock()
	if first < 0 {
		return nil
	}
	return s.GoTo(ctx, s.StepNames()[first])
}

// firstOpen is the index of the first step not verified, or -1.
func (s *Session) firstOpen() int {
	for i, d := range s.path() {
		if s.steps[d.Name].Status == Verified {
			continue
		}
		if d.overridable && s.overridden() {
			continue // enabled without a passing test: recorded, not blocking
		}
		return i
	}
	return -1
}

// overridden reports whether the connection was enabled with an override reason: a
// completing step is verified although an overridable one is not.
func (s *Session) overridden() bool {
	if s.state.Enabled == nil || s.state.Enabled.Override == "" {
		return false
	}
	return slices.ContainsFunc(s.path(), func(d *Step) bool { return d.completes && s.steps[d.Name].Status == Verified })
}

// transition persists the session (state, current step) and one step's record with an
// event, in one transaction. The caller holds s.mu.
func (s *Session) transition(ctx context.Context, st *StepState, current StepName, kind, msg string) error {
	now := s.e.now()
	rec := s.rec
	rec.Current = string(current)
	rec.TenantID = s.state.TenantID
	rec.Updated = now
	data, err := json.Marshal(s.state)
	if err != nil {
		return err
	}
	rec.Data = data
	var row *store.Step
	stepName := ""
	if st != nil {
		st.Updated = now
		row = &store.Step{Session: rec.ID, Name: string(st.Name), Status: string(st.Status), VerifiedAt: st.VerifiedAt, Updated: now}
		row.Inputs, _ = json.Marshal(st.Inputs)
		row.Checks, _ = json.Marshal(st.Checks)
		row.Outputs, _ = json.Marshal(map[string]string{"error": st.Error})
		stepName = string(st.Name)
	}
	ev := store.Event{Session: rec.ID, At: now, Step: stepName, Kind: kind, Message: msg}
	if err := s.e.DB.Transition(ctx, rec, row, ev); err != nil {
		return fmt.Errorf("saving the progress: %w", err)
	}
	s.rec = rec
	s.e.log().Info("transition", "session", rec.ID, "step", stepName, "kind", kind, "current", current)
	return nil
}

// Events returns the session's event log.
func (s *Session) Events(ctx context.Context) ([]store.Event, error) {
	return s.e.DB.Events(ctx, s.rec.ID)
}
