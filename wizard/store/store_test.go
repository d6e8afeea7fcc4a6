package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/ssowizard/ssowizard/wizard/store"
)

// open opens a fresh database under t.TempDir and closes it when the test ends.
func open(t *testing.T) *store.DB {
	t.Helper()
	d, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "ssowizard.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// base is a time with nanoseconds in a zone other than UTC, so round trips are tested
// on the hard case.
var base = time.Date(2031, 3, 4, 5, 6, 7, 123456789, time.FixedZone("CET", 3600))

func session(id string, updated time.Time) store.Session {
	return store.Session{
		ID: id, Vendor: "Acme", Ticket: []byte(`{"vendor":"Acme"}`), Protocol: "oidc", Target: "harness",
		TenantID: "", Mode: "auto", Current: "registration", Status: "in_progress",
		Data: []byte(`{"n":1}`), Created: updated.Add(-time.Hour), Updated: updated,
	}
}

func created(t *testing.T, d *store.DB, s store.Session) {
	t.Helper()
	if err := d.CreateSession(context.Background(), s, store.Event{Kind: "created", Message: "new setup"}); err != nil {
		t.Fatalf("CreateSession(%q): %v", s.ID, err)
	}
}

func wantUTC(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("%s = %v, want %v in UTC", what, got, want)
	}
}

func TestSessionRoundTrip(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		s    store.Session
	}{
		{"full", session("s1", base)},
		{"nil JSON", func() store.Session { s := session("s2", base); s.Ticket, s.Data = nil, nil; return s }()},
		{"empty JSON", func() store.Session { s := session("s3", base); s.Ticket, s.Data = []byte{}, []byte{}; return s }()},
		{"odd text", func() store.Session {
			s := session("s4 'quoted' ; DROP TABLE sessions; --", base)
			s.Vendor = "Ünïcode \x00 nul"
			return s
		}()},
	}
	d := open(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			created(t, d, tt.s)
			got, err := d.Session(ctx, tt.s.ID)
			if err != nil {
				t.Fatalf("Session(%q): %v", tt.s.ID, err)
			}
			wantUTC(t, "Created", got.Created, tt.s.Created)
			wantUTC(t, "Updated", got.Updated, tt.s.Updated)
			if (got.Ticket == nil) != (tt.s.Ticket == nil) || (got.Data == nil) != (tt.s.Data == nil) {
				t.Errorf("nil-ness of Ticket/Data: got %v/%v, want %v/%v", got.Ticket == nil, got.Data == nil, tt.s.Ticket == nil, tt.s.Data == nil)
			}
			got.Created, got.Updated = tt.s.Created, tt.s.Updated
			if !reflect.DeepEqual(got, tt.s) {
				t.Errorf("Session(%q) = %+v, want %+v", tt.s.ID, got, tt.s)
			}
		})
	}
}

func TestCreateSessionDefaultsAndEvent(t *testing.T) {
	ctx := context.Background()
	d := open(t)
	s := session("s", base)
	s.Created, s.Updated = time.Time{}, time.Time{}
	before := time.Now()
	created(t, d, s)
	got, err := d.Session(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if got.Created.Before(before.Add(-time.Second)) || got.Created.After(time.Now()) || !got.Updated.Equal(got.Created) {
		t.Errorf("zero times became Created %v, Updated %v; want now, and Updated = Created", got.Created, got.Updated)
	}
	evs, err := d.Events(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Session != "s" || evs[0].Kind != "created" || !evs[0].At.Equal(got.Updated) || evs[0].ID == 0 {
		t.Errorf("Events after CreateSession = %+v, want one 'created' event at %v", evs, got.Updated)
	}
}

func TestCreateSessionRefusals(t *testing.T) {
	ctx := context.Background()
	d := open(t)
	orig := session("s", base)
	created(t, d, orig)

	dup := session("s", base.Add(time.Hour))
	dup.Vendor = "Other"
	if err := d.CreateSession(ctx, dup, store.Event{Kind: "created"}); !errors.Is(err, store.ErrExists) {
		t.Errorf("CreateSession(existing ID) = %v, want ErrExists", err)
	}
	if got, _ := d.Session(ctx, "s"); got.Vendor != "Acme" {
		t.Errorf("after a refused duplicate, Vendor = %q, want Acme", got.Vendor)
	}
	// The event fails (its session does not exist): the session must not be written either.
	if err := d.CreateSession(ctx, session("t", base), store.Event{Session: "ghost", Kind: "created"}); err == nil {
		t.Error("CreateSession with an event of an unknown session succeeded, want an error")
	}
	if _, err := d.Session(ctx, "t"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Session(t) after a failed CreateSession = %v, want ErrNotFound", err)
	}
	if err := d.CreateSession(ctx, session("", base), store.Event{Kind: "created"}); err == nil {
		t.Error("CreateSession with no ID succeeded")
	}
	if err := d.CreateSession(ctx, session("u", base), store.Event{}); err == nil {
		t.Error("CreateSession with an event without kind succeeded")
	}
	evs, _ := d.Events(ctx, "s")
	if len(evs) != 1 {
		t.Errorf("events of s = %d, want 1", len(evs))
	}
}

func TestNotFound(t *testing.T) {
	ctx := context.Background()
	d := open(t)
	tests := []struct {
		name string
		err  error
	}{
		{"Session", func() error { _, err := d.Session(ctx, "nope"); return err }()},
		{"Transition", d.Transition(ctx, session("nope", base), nil, store.Event{Kind: "k"})},
		{"DeleteSession", d.DeleteSession(ctx, "nope")},
		{"AddTestRun", func() error {
			_, err := d.AddTestRun(ctx, store.TestRun{Session: "nope"}, store.Event{Kind: "k"})
			return err
		}()},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, store.ErrNotFound) {
			t.Errorf("%s(unknown session) = %v, want ErrNotFound", tt.name, tt.err)
		}
	}
	for name, f := range map[string]func() (int, error){
		"Steps":    func() (int, error) { s, err := d.Steps(ctx, "nope"); return len(s), err },
		"Events":   func() (int, error) { s, err := d.Events(ctx, "nope"); return len(s), err },
		"TestRuns": func() (int, error) { s, err := d.TestRuns(ctx, "nope"); return len(s), err },
	} {
		if n, err := f(); n != 0 || err != nil {
			t.Errorf("%s(unknown session) = %d items, %v; want none and no error", name, n, err)
		}
	}
}

func TestSessionsNewestFirst(t *testing.T) {
	ctx := context.Background()
	d := open(t)
	// Sub-second differences: RFC 3339 text with a trimmed fraction would sort these wrong.
	for i, off := range []time.Duration{time.Second, 0, 500 * time.Millisecond, 1500 * time.Millisecond} {
		created(t, d, session(fmt.Sprintf("s%d", i), base.Add(off)))
	}
	got, err := d.Sessions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range got {
		ids = append(ids, s.ID)
	}
	if want := []string{"s3", "s0", "s2", "s1"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("Sessions() order = %v, want %v", ids, want)
	}
	// A transition moves a session to the front.
	s1 := session("s1", base.Add(time.Hour))
	if err := d.Transition(ctx, s1, nil, store.Event{Kind: "k"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.Sessions(ctx); len(got) != 4 || got[0].ID != "s1" {
		t.Errorf("after a transition of s1, Sessions()[0] = %+v, want s1", got[0])
	}
}

func TestTransition(t *testing.T) {
	ctx := context.Background()
	d := open(t)
	orig := session("s", base)
	created(t, d, orig)

	next := orig
	next.Vendor, next.Ticket, next.Protocol = "ignored", []byte(`{}`), "saml" // not Transition's to change
	next.Current, next.Status, next.TenantID, next.Data = "redirect", "in_progress", "tid", []byte(`{"n":2}`)
	next.Updated = base.Add(time.Minute)
	verified := base.Add(50 * time.Second)
	steps := []*store.Step{
		{Name: "registration", Status: "verified", Inputs: []byte(`{"a":1}`), Outputs: []byte(`{"b":2}`), Checks: []byte(`[]`), VerifiedAt: verified},
		{Name: "redirect", Status: "in_progress", Inputs: []byte(`{"uri":"x"}`)},
		// rewriting the first step keeps its place and replaces it whole
		{Session: "s", Name: "registration", Status: "failed", Checks: []byte(`[{"code":"x"}]`), Updated: base.Add(2 * time.Minute)},
	}
	for i, st := range steps {
		if err := d.Transition(ctx, next, st, store.Event{Step: st.Name, Kind: "step", Message: fmt.Sprint(i)}); err != nil {
			t.Fatalf("Transition %d: %v", i, err)
		}
	}
	if err := d.Transition(ctx, next, nil, store.Event{Kind: "note"}); err != nil {
		t.Fatalf("Transition without step: %v", err)
	}

	got, err := d.Session(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	want := orig
	want.Current, want.Status, want.TenantID, want.Data, want.Updated = next.Current, next.Status, next.TenantID, next.Data, next.Updated
	wantUTC(t, "Updated", got.Updated, want.Updated)
	got.Created, got.Updated, want.Created, want.Updated = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("session after transitions = %+v, want %+v", got, want)
	}

	gotSteps, err := d.Steps(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(gotSteps) != 2 {
		t.Fatalf("Steps = %+v, want 2", gotSteps)
	}
	reg, red := gotSteps[0], gotSteps[1]
	if reg.Name != "registration" || reg.Status != "failed" || reg.Inputs != nil || reg.Outputs != nil ||
		string(reg.Checks) != `[{"code":"x"}]` || !reg.VerifiedAt.IsZero() || reg.Session != "s" {
		t.Errorf("Steps[0] = %+v, want registration rewritten whole (failed, only checks, never verified)", reg)
	}
	wantUTC(t, "Steps[0].Updated", reg.Updated, base.Add(2*time.Minute))
	if red.Name != "redirect" || string(red.Inputs) != `{"uri":"x"}` || red.Outputs != nil {
		t.Errorf("Steps[1] = %+v, want redirect", red)
	}
	wantUTC(t, "Steps[1].Updated (from the session)", red.Updated, next.Updated)

	// VerifiedAt round trip, checked on a step that keeps it.
	if err := d.Transition(ctx, next, steps[0], store.Event{Step: "registration", Kind: "step"}); err != nil {
		t.Fatal(err)
	}
	gotSteps, _ = d.Steps(ctx, "s")
	wantUTC(t, "VerifiedAt", gotSteps[0].VerifiedAt, verified)

	evs, err := d.Events(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind+"/"+e.Step+"/"+e.Message)
		if e.Session != "s" {
			t.Errorf("event %+v: Session not filled from the session", e)
		}
	}
	wantKinds := []string{"created//new setup", "step/registration/0", "step/redirect/1", "step/registration/2", "note//", "step/registration/"}
	if !reflect.DeepEqual(kinds, wantKinds) {
		t.Errorf("events = %v, want %v", kinds, wantKinds)
	}
	wantUTC(t, "event At (from the session)", evs[1].At, next.Updated)

	if err := d.Transition(ctx, next, &store.Step{Session: "other", Name: "x"}, store.Event{Kind: "k"}); err == nil {
		t.Error("Transition with a step of another session succeeded")
	}
}

// TestTransitionIsOneTransaction forces the event insert to fail (a foreign key: its
// session does not exist) after the session and step writes succeeded: none may remain.
func TestTransitionIsOneTransaction(t *testing.T) {
	ctx := context.Background()
	d := open(t)
	orig := session("s", base)
	created(t, d, orig)
	first := &store.Step{Name: "registration", Status: "in_progress", Inputs: []byte(`{"v":1}`)}
	if err := d.Transition(ctx, orig, first, store.Event{Kind: "step"}); err != nil {
		t.Fatal(err)
	}
	beforeSess, _ := d.Session(ctx, "s")
	beforeSteps, _ := d.Steps(ctx, "s")
	beforeEvents, _ := d.Events(ctx, "s")

	next := orig
	next.Current, next.Status, next.Data, next.Updated = "redirect", "failed", []byte(`{"n":9}`), base.Add(time.Hour)
	tests := []struct {
		name string
		step *store.Step
	}{
		{"update of an existing step", &store.Step{Name: "registration", Status: "verified", Inputs: []byte(`{"v":2}`)}},
		{"insert of a new step", &store.Step{Name: "redirect", Status: "in_progress"}},
		{"no step", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := d.Transition(ctx, next, tt.step, store.Event{Session: "ghost", Kind: "step"})
			if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
				t.Fatalf("Transition with an event of an unknown session = %v, want a foreign key failure", err)
			}
			if got, _ := d.Session(ctx, "s"); !reflect.DeepEqual(got, beforeSess) {
				t.Errorf("session after the failed transition = %+v, want unchanged %+v", got, beforeSess)
			}
			if got, _ := d.Steps(ctx, "s"); !reflect.DeepEqual(got, beforeSteps) {
				t.Errorf("steps after the failed transition = %+v, want unchanged %+v", got, beforeSteps)
			}
			if got, _ := d.Events(ctx, "s"); !reflect.DeepEqual(got, beforeEvents) {
				t.Errorf("events after the failed transition = %+v, want unchanged", got)
			}
		})
	}
}

func TestTestRunsAndEvents(t *testing.T) {
	ctx := context.Background()
	d := open(t)
	created(t, d, session("s", base))
	created(t, d, session("other", base))
	runs := []store.TestRun{
		{Session: "s", Started: base.Add(2 * time.Minute), OK: true, Protocol: "oidc", Result: []byte(`{"login":"ok"}`)},
		{Session: "s", Started: base.Add(time.Minute), OK: false, Protocol: "saml", Result: nil},
		{Session: "other", Started: base, OK: true, Protocol: "oidc"},
	}
	ids := map[int64]bool{}
	for i, r := range runs {
		id, err := d.AddTestRun(ctx, r, store.Event{Kind: "test", Message: fmt.Sprint(i)})
		if err != nil {
			t.Fatalf("AddTestRun %d: %v", i, err)
		}
		if id <= 0 || ids[id] {
			t.Errorf("AddTestRun %d = id %d, want a new positive ID", i, id)
		}
		ids[id] = true
		runs[i].ID = id
	}
	got, err := d.TestRuns(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.TestRun{runs[1], runs[0]} // oldest first
	if len(got) != 2 {
		t.Fatalf("TestRuns(s) = %+v, want 2", got)
	}
	for i := range want {
		wantUTC(t, "Started", got[i].Started, want[i].Started)
		got[i].Started = want[i].Started
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("TestRuns(s) = %+v, want %+v", got, want)
	}

	// Events: filled from the run, oldest first by At whatever the order of writing.
	evs, err := d.Events(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, e := range evs {
		msgs = append(msgs, e.Kind+":"+e.Message)
	}
	if want := []string{"created:new setup", "test:1", "test:0"}; !reflect.DeepEqual(msgs, want) {
		t.Errorf("Events(s) = %v, want %v", msgs, want)
	}
	wantUTC(t, "test event At (from the run)", evs[1].At, runs[1].Started)
}

func TestDeleteSessionCascades(t *testing.T) {
	ctx := context.Background()
	d := open(t)
	for _, id := range []string{"gone", "kept"} {
		s := session(id, base)
		created(t, d, s)
		if err := d.Transition(ctx, s, &store.Step{Name: "registration", Status: "verified"}, store.Event{Kind: "step"}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.AddTestRun(ctx, store.TestRun{Session: id, Protocol: "oidc"}, store.Event{Kind: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.DeleteSession(ctx, "gone"); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	count := func(id string) [3]int {
		steps, _ := d.Steps(ctx, id)
		runs, _ := d.TestRuns(ctx, id)
		evs, _ := d.Events(ctx, id)
		return [3]int{len(steps), len(runs), len(evs)}
	}
	if got := count("gone"); got != [3]int{} {
		t.Errorf("steps, runs, events of a deleted session = %v, want none", got)
	}
	if got := count("kept"); got != [3]int{1, 1, 3} {
		t.Errorf("steps, runs, events of the other session = %v, want [1 1 3]", got)
	}
	if _, err := d.Session(ctx, "gone"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Session(deleted) = %v, want ErrNotFound", err)
	}
}

func TestOpenCreatesPrivateFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "config", "ssowizard")
	path := filepath.Join(dir, "ssowizard.db")
	d, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Path() != path {
		t.Errorf("Path() = %q, want %q", d.Path(), path)
	}
	for _, c := range []struct {
		path string
		want os.FileMode
	}{{dir, 0o700}, {path, 0o600}} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got&^c.want != 0 {
			t.Errorf("mode of %s = %v, want at most %v", c.path, got, c.want)
		}
	}
	if err := d.IntegrityCheck(context.Background()); err != nil {
		t.Errorf("IntegrityCheck of a new database = %v", err)
	}
}

// TestWALMode reads the file's header after Open: bytes 18 and 19 are 2 in WAL mode
// (https://sqlite.org/fileformat.html, 1.3.5), and the mode persists in the file.
func TestWALMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ssowizard.db")
	d, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	created(t, d, session("s", base))
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Errorf("no write-ahead log beside the open database: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if raw[18] != 2 || raw[19] != 2 {
		t.Errorf("header bytes 18, 19 = %d, %d; want 2, 2 (WAL)", raw[18], raw[19])
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ssowizard.db")
	d, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	created(t, d, session("s", base))
	d.Close()
	d, err = store.Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer d.Close()
	if s, err := d.Session(ctx, "s"); err != nil || s.Vendor != "Acme" {
		t.Errorf("Session after reopen = %+v, %v", s, err)
	}
}

// rawSQLite writes a database with plain SQLite, as another program would.
func rawSQLite(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// realDatabase makes an ssowizard database with enough rows to span many pages, closed
// so its log is folded into the file.
func realDatabase(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	d, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s := session("s", base)
	created(t, d, s)
	for i := range 200 {
		ev := store.Event{Kind: "step", Message: strings.Repeat(fmt.Sprint(i), 200)}
		if err := d.Transition(ctx, s, &store.Step{Name: fmt.Sprint("step", i%10), Status: "verified"}, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Fatal("the write-ahead log outlived Close")
	}
}

func TestOpenRefuses(t *testing.T) {
	tests := []struct {
		name    string
		make    func(t *testing.T, path string)
		kind    error
		phrases []string
	}{
		{"text file", func(t *testing.T, path string) {
			os.WriteFile(path, []byte("these are my notes, not a database\n"), 0o600)
		}, store.ErrForeign, []string{"is not an ssowizard database", "move it aside or give another --db"}},
		{"short file", func(t *testing.T, path string) {
			os.WriteFile(path, []byte("SQLite"), 0o600)
		}, store.ErrForeign, []string{"is not an ssowizard database"}},
		{"another program's SQLite database", func(t *testing.T, path string) {
			rawSQLite(t, path, "CREATE TABLE notes (body TEXT)", "INSERT INTO notes VALUES ('keep me')")
		}, store.ErrForeign, []string{"is not an ssowizard database", "another program's SQLite database", "give another --db"}},
		{"another program's application_id", func(t *testing.T, path string) {
			rawSQLite(t, path, "PRAGMA application_id = 1234")
		}, store.ErrForeign, []string{"is not an ssowizard database", "0x4d2"}},
		{"newer ssowizard", func(t *testing.T, path string) {
			realDatabase(t, path)
			rawSQLite(t, path, "PRAGMA user_version = 99")
		}, store.ErrTooNew, []string{"was written by a newer ssowizard", "upgrade ssowizard or give another --db"}},
		{"damaged page", func(t *testing.T, path string) {
			realDatabase(t, path)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			const pageSize = 4096
			pages := len(raw) / pageSize
			if pages < 8 {
				t.Fatalf("the real database has %d pages, want several", pages)
			}
			mid := pages / 2 * pageSize
			copy(raw[mid:mid+64], bytes.Repeat([]byte{0xA5}, 64))
			if err := os.WriteFile(path, raw, 0o600); err != nil {
				t.Fatal(err)
			}
		}, store.ErrDamaged, []string{"is damaged (", "keep it for support and give another --db; nothing was changed"}},
		{"damaged header", func(t *testing.T, path string) {
			realDatabase(t, path)
			raw, _ := os.ReadFile(path)
			copy(raw[16:24], []byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}) // page size, versions
			os.WriteFile(path, raw, 0o600)
		}, store.ErrDamaged, []string{"is damaged ("}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "ssowizard.db")
			tt.make(t, path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			d, err := store.Open(context.Background(), path)
			if err == nil {
				d.Close()
				t.Fatalf("Open(%s) succeeded, want a refusal", tt.name)
			}
			t.Logf("Open: %v", err)
			if !errors.Is(err, tt.kind) {
				t.Errorf("Open = %v, want it to wrap %v", err, tt.kind)
			}
			msg := err.Error()
			for _, p := range append(tt.phrases, path) {
				if !strings.Contains(msg, p) {
					t.Errorf("Open = %q, want it to contain %q", msg, p)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("Open = %q, want one line", msg)
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Errorf("Open changed the refused file (%d bytes before, %d after)", len(before), len(after))
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.Name() != "ssowizard.db" {
					t.Errorf("Open left %s beside the refused file", e.Name())
				}
			}
		})
	}
}

func TestOpenRefusesFolder(t *testing.T) {
	dir := t.TempDir()
	_, err := store.Open(context.Background(), dir)
	if !errors.Is(err, store.ErrForeign) || !strings.Contains(err.Error(), dir) {
		t.Errorf("Open(a folder) = %v, want a refusal naming it", err)
	}
}

// TestConcurrentTransitions runs many transitions from two DBs on one file at once:
// the busy timeout and BEGIN IMMEDIATE must serialise them with no SQLITE_BUSY.
func TestConcurrentTransitions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	path := filepath.Join(t.TempDir(), "ssowizard.db")
	var dbs []*store.DB
	for range 2 {
		d, err := store.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		dbs = append(dbs, d)
	}
	s := session("s", base)
	created(t, dbs[0], s)

	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := dbs[w%2]
			for i := range each {
				next := s
				next.Current = fmt.Sprintf("w%d-%d", w, i)
				next.Updated = time.Now()
				st := &store.Step{Name: fmt.Sprintf("w%d", w), Status: "in_progress", Inputs: []byte(fmt.Sprint(i))}
				if err := d.Transition(ctx, next, st, store.Event{Step: st.Name, Kind: "step"}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Transition: %v", err)
	}
	steps, err := dbs[1].Steps(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != workers {
		t.Errorf("steps = %d, want %d", len(steps), workers)
	}
	for _, st := range steps {
		if string(st.Inputs) != fmt.Sprint(each-1) {
			t.Errorf("step %s inputs = %s, want the last write %d", st.Name, st.Inputs, each-1)
		}
	}
	evs, err := dbs[0].Events(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != workers*each+1 {
		t.Errorf("events = %d, want %d", len(evs), workers*each+1)
	}
	if err := dbs[0].IntegrityCheck(ctx); err != nil {
		t.Errorf("IntegrityCheck after concurrent writes: %v", err)
	}
}

// TestIntegrityCheckFindsMismatch makes an index disagree with its table (a damage the
// quick check at Open does not look for): the full check must report it.
func TestIntegrityCheckFindsMismatch(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ssowizard.db")
	realDatabase(t, path)
	rawSQLite(t, path,
		"PRAGMA writable_schema = ON",
		"UPDATE sqlite_schema SET sql = 'CREATE INDEX events_by_session ON events (message, at)' WHERE name = 'events_by_session'")
	d, err := store.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer d.Close()
	err = d.IntegrityCheck(ctx)
	if !errors.Is(err, store.ErrDamaged) || !strings.Contains(err.Error(), "events_by_session") || !strings.Contains(err.Error(), path) {
		t.Errorf("IntegrityCheck = %v, want ErrDamaged naming the index and the file", err)
	}
}
