// Package store keeps the wizard's progress in a SQLite file (modernc.org/sqlite, no cgo):
// sessions, the state of each step, test logins and an event log. Every change is one
// transaction, so a crash loses at most the change in flight. The JSON it holds (tickets,
// step inputs and results, the engine's data) is opaque to it; secrets never belong here.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrNotFound is wrapped by lookups and changes of a session that does not exist.
var ErrNotFound = errors.New("not found")

// ErrExists is wrapped by CreateSession when the session ID is taken.
var ErrExists = errors.New("already exists")

// Session is one setup: a ticket being connected to a tenant, and where it stands.
type Session struct {
	ID       string
	Vendor   string
	Ticket   []byte // the ticket, JSON
	Protocol string // oidc or saml
	Target   string // harness or entra
	TenantID string
	Mode     string // auto or manual
	Current  string // the step in progress, by name
	Status   string // e.g. in_progress, enabled
	Data     []byte // the engine's own JSON, opaque here
	Created  time.Time
	Updated  time.Time
}

// Step is the recorded state of one step of a session. The store does not interpret its
// status (not_started, in_progress, verified, failed) nor its JSON.
type Step struct {
	Session, Name, Status   string
	Inputs, Outputs, Checks []byte    // JSON
	VerifiedAt              time.Time // zero: never verified
	Updated                 time.Time
}

// TestRun is one test login of a session and what it gave.
type TestRun struct {
	ID       int64
	Session  string
	Started  time.Time
	OK       bool
	Protocol string
	Result   []byte // JSON
}

// Event is one line of a session's history.
type Event struct {
	ID      int64
	Session string
	At      time.Time
	Step    string
	Kind    string // required
	Message string
}

// timeLayout is RFC 3339 with a fixed nine-digit fraction, always in UTC: it parses as
// time.RFC3339Nano and, unlike it, sorts as text in time order.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

// optionalTime is NULL for the zero time.
func optionalTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}

// blob scans a BLOB column, keeping NULL (nil) apart from an empty value.
type blob struct{ b *[]byte }

func (s blob) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.b = nil
	case []byte:
		*s.b = append(make([]byte, 0, len(v)), v...)
	case string:
		*s.b = []byte(v)
	default:
		return fmt.Errorf("stored JSON is %T, not bytes", src)
	}
	return nil
}

// timeText scans a TEXT time column; NULL gives the zero time.
type timeText struct{ t *time.Time }

func (s timeText) Scan(src any) error {
	var text string
	switch v := src.(type) {
	case nil:
		*s.t = time.Time{}
		return nil
	case string:
		text = v
	case []byte:
		text = string(v)
	default:
		return fmt.Errorf("stored time is %T, not text", src)
	}
	t, err := parseTime(text)
	*s.t = t
	return err
}

// inTx runs fn in one write transaction (BEGIN IMMEDIATE, by the DSN), committed when
// fn returns nil and rolled back otherwise.
func (d *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func isConstraint(err error, code int) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == code
}

// addEvent writes ev, its session and time defaulting to session and at.
func addEvent(ctx context.Context, tx *sql.Tx, session string, at time.Time, ev Event) error {
	if ev.Session == "" {
		ev.Session = session
	}
	if ev.At.IsZero() {
		ev.At = at
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO events (session, at, step, kind, message) VALUES (?, ?, ?, ?, ?)`,
		ev.Session, formatTime(ev.At), ev.Step, ev.Kind, ev.Message)
	if err != nil {
		return fmt.Errorf("record event %q: %w", ev.Kind, err)
	}
	return nil
}

func checkEvent(ev Event) error {
	if ev.Kind == "" {
		return errors.New("the event has no kind")
	}
	return nil
}

// CreateSession writes a new session and its first event in one transaction. A zero
// Created becomes now and a zero Updated becomes Created; the event's empty Session and
// zero At are filled from the session. An ID already taken is refused with ErrExists.
func (d *DB) CreateSession(ctx context.Context, s Session, ev Event) error {
	if s.ID == "" {
		return errors.New("create session: the session has no ID")
	}
	if err := checkEvent(ev); err != nil {
		return fmt.Errorf("create session %q: %w", s.ID, err)
	}
	if s.Created.IsZero() {
		s.Created = time.Now()
	}
	if s.Updated.IsZero() {
		s.Updated = s.Created
	}
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions
			(id, vendor, ticket, protocol, target, tenant_id, mode, current, status, data, created, updated)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			s.ID, s.Vendor, s.Ticket, s.Protocol, s.Target, s.TenantID, s.Mode, s.Current, s.Status, s.Data,
			formatTime(s.Created), formatTime(s.Updated))
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
			return ErrExists
		}
		if err != nil {
			return err
		}
		return addEvent(ctx, tx, s.ID, s.Updated, ev)
	})
	if err != nil {
		return fmt.Errorf("create session %q: %w", s.ID, err)
	}
	return nil
}

const sessionColumns = `id, vendor, ticket, protocol, target, tenant_id, mode, current, status, data, created, updated`

func scanSession(row interface{ Scan(...any) error }) (Session, error) {
	var s Session
	err := row.Scan(&s.ID, &s.Vendor, blob{&s.Ticket}, &s.Protocol, &s.Target, &s.TenantID, &s.Mode,
		&s.Current, &s.Status, blob{&s.Data}, timeText{&s.Created}, timeText{&s.Updated})
	return s, err
}

// Session returns the session with the given ID, or an error wrapping ErrNotFound.
func (d *DB) Session(ctx context.Context, id string) (Session, error) {
	s, err := scanSession(d.db.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, fmt.Errorf("session %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("read session %q: %w", id, err)
	}
	return s, nil
}

// Sessions returns every session, the most recently updated first.
func (d *DB) Sessions(ctx context.Context) ([]Session, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions ORDER BY updated DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("list sessions: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return out, nil
}

// Steps returns the recorded steps of a session in the order each was first written;
// none for an unknown session.
func (d *DB) Steps(ctx context.Context, session string) ([]Step, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT session, name, status, inputs, outputs, checks, verified_at, updated
		FROM steps WHERE session = ? ORDER BY seq`, session)
	if err != nil {
		return nil, fmt.Errorf("list steps of %q: %w", session, err)
	}
	defer rows.Close()
	var out []Step
	for rows.Next() {
		var s Step
		if err := rows.Scan(&s.Session, &s.Name, &s.Status, blob{&s.Inputs}, blob{&s.Outputs}, blob{&s.Checks},
			timeText{&s.VerifiedAt}, timeText{&s.Updated}); err != nil {
			return nil, fmt.Errorf("list steps of %q: %w", session, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list steps of %q: %w", session, err)
	}
	return out, nil
}

// Transition records a step transition in one transaction: the session's Current,
// Status, TenantID, Data and Updated (its other fields are not changed); the step, when
// not nil, written whole (inserted, or replacing the one of the same name); and the
// event. A zero sess.Updated becomes now; the step's empty Session and zero Updated, and
// the event's empty Session and zero At, are filled from sess. Either all of it is
// written or none. An unknown session gives an error wrapping ErrNotFound.
func (d *DB) Transition(ctx context.Context, sess Session, step *Step, ev Event) error {
	if err := checkEvent(ev); err != nil {
		return fmt.Errorf("transition of session %q: %w", sess.ID, err)
	}
	if sess.Updated.IsZero() {
		sess.Updated = time.Now()
	}
	var st Step
	if step != nil {
		st = *step
		if st.Session == "" {
			st.Session = sess.ID
		}
		if st.Session != sess.ID {
			return fmt.Errorf("transition of session %q: the step %q belongs to session %q", sess.ID, st.Name, st.Session)
		}
		if st.Updated.IsZero() {
			st.Updated = sess.Updated
		}
	}
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET current = ?, status = ?, tenant_id = ?, data = ?, updated = ? WHERE id = ?`,
			sess.Current, sess.Status, sess.TenantID, sess.Data, formatTime(sess.Updated), sess.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNotFound
		}
		if step != nil {
			_, err := tx.ExecContext(ctx, `INSERT INTO steps (session, name, status, inputs, outputs, checks, verified_at, updated)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (session, name) DO UPDATE SET status = excluded.status, inputs = excluded.inputs,
					outputs = excluded.outputs, checks = excluded.checks, verified_at = excluded.verified_at,
					updated = excluded.updated`,
				st.Session, st.Name, st.Status, st.Inputs, st.Outputs, st.Checks, optionalTime(st.VerifiedAt), formatTime(st.Updated))
			if err != nil {
				return fmt.Errorf("write step %q: %w", st.Name, err)
			}
		}
		return addEvent(ctx, tx, sess.ID, sess.Updated, ev)
	})
	if err != nil {
		return fmt.Errorf("transition of session %q: %w", sess.ID, err)
	}
	return nil
}

// AddTestRun records a test login and its event in one transaction and returns the
// run's ID. A zero Started becomes now; the event's empty Session and zero At are
// filled from the run.
func (d *DB) AddTestRun(ctx context.Context, run TestRun, ev Event) (int64, error) {
	if err := checkEvent(ev); err != nil {
		return 0, fmt.Errorf("record test run of session %q: %w", run.Session, err)
	}
	if run.Started.IsZero() {
		run.Started = time.Now()
	}
	ok := 0
	if run.OK {
		ok = 1
	}
	var id int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO test_runs (session, started, ok, protocol, result) VALUES (?, ?, ?, ?, ?)`,
			run.Session, formatTime(run.Started), ok, run.Protocol, run.Result)
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		return addEvent(ctx, tx, run.Session, run.Started, ev)
	})
	if err != nil {
		return 0, fmt.Errorf("record test run of session %q: %w", run.Session, err)
	}
	return id, nil
}

// TestRuns returns a session's test runs, the oldest first.
func (d *DB) TestRuns(ctx context.Context, session string) ([]TestRun, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, session, started, ok, protocol, result
		FROM test_runs WHERE session = ? ORDER BY started, id`, session)
	if err != nil {
		return nil, fmt.Errorf("list test runs of %q: %w", session, err)
	}
	defer rows.Close()
	var out []TestRun
	for rows.Next() {
		var r TestRun
		var ok int64
		if err := rows.Scan(&r.ID, &r.Session, timeText{&r.Started}, &ok, &r.Protocol, blob{&r.Result}); err != nil {
			return nil, fmt.Errorf("list test runs of %q: %w", session, err)
		}
		r.OK = ok != 0
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list test runs of %q: %w", session, err)
	}
	return out, nil
}

// Events returns a session's events, the oldest first (by At, then by order of writing).
func (d *DB) Events(ctx context.Context, session string) ([]Event, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, session, at, step, kind, message
		FROM events WHERE session = ? ORDER BY at, id`, session)
	if err != nil {
		return nil, fmt.Errorf("list events of %q: %w", session, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.ID, &e.Session, timeText{&e.At}, &e.Step, &e.Kind, &e.Message); err != nil {
			return nil, fmt.Errorf("list events of %q: %w", session, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list events of %q: %w", session, err)
	}
	return out, nil
}

// DeleteSession removes a session with its steps, test runs and events; an unknown
// session gives an error wrapping ErrNotFound.
func (d *DB) DeleteSession(ctx context.Context, id string) error {
	res, err := d.db.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete session %q: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete session %q: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("delete session %q: %w", id, ErrNotFound)
	}
	return nil
}
