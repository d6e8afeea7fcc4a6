package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// openAt opens path with the schema brought only to len(scripts), as an older
// ssowizard would have left it.
func openAt(t *testing.T, path string, scripts []string) *DB {
	t.Helper()
	if _, err := prepareFile(path); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	d := &DB{db: db, path: path}
	if err := d.migrate(context.Background(), scripts); err != nil {
		db.Close()
		t.Fatalf("migrate to %d: %v", len(scripts), err)
	}
	return d
}

func pragmas(t *testing.T, d *DB) (app, version int64) {
	t.Helper()
	err := d.db.QueryRow("SELECT (SELECT application_id FROM pragma_application_id), (SELECT user_version FROM pragma_user_version)").Scan(&app, &version)
	if err != nil {
		t.Fatal(err)
	}
	return app, version
}

func schemaHas(t *testing.T, d *DB, kind, name string) bool {
	t.Helper()
	var n int
	if err := d.db.QueryRow("SELECT count(*) FROM sqlite_schema WHERE type = ? AND name = ?", kind, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func TestMigrateFromVersion1(t *testing.T) {
	if len(migrations) < 2 {
		t.Fatal("this test needs at least two schema versions")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v1.db")
	old := openAt(t, path, migrations[:1])
	if app, v := pragmas(t, old); app != applicationID || v != 1 {
		t.Fatalf("the version 1 file has application_id %#x, user_version %d", app, v)
	}
	if schemaHas(t, old, "index", "events_by_session") {
		t.Fatal("the version 1 file already has version 2's index")
	}
	at := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	if err := old.CreateSession(ctx, Session{ID: "s", Vendor: "Acme", Created: at, Updated: at}, Event{Kind: "created"}); err != nil {
		t.Fatal(err)
	}
	if err := old.Transition(ctx, Session{ID: "s", Current: "redirect", Updated: at}, &Step{Name: "registration", Status: "verified"}, Event{Kind: "step"}); err != nil {
		t.Fatal(err)
	}
	old.Close()

	d, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open(version 1 file): %v", err)
	}
	defer d.Close()
	if app, v := pragmas(t, d); app != applicationID || v != int64(len(migrations)) {
		t.Errorf("after Open: application_id %#x, user_version %d; want %#x, %d", app, v, applicationID, len(migrations))
	}
	for _, idx := range []string{"sessions_by_updated", "test_runs_by_session", "events_by_session"} {
		if !schemaHas(t, d, "index", idx) {
			t.Errorf("after the upgrade, index %s is missing", idx)
		}
	}
	s, err := d.Session(ctx, "s")
	if err != nil || s.Current != "redirect" || !s.Created.Equal(at) {
		t.Errorf("Session after the upgrade = %+v, %v", s, err)
	}
	if steps, err := d.Steps(ctx, "s"); err != nil || len(steps) != 1 {
		t.Errorf("Steps after the upgrade = %+v, %v", steps, err)
	}
	if evs, err := d.Events(ctx, "s"); err != nil || len(evs) != 2 {
		t.Errorf("Events after the upgrade = %+v, %v", evs, err)
	}
	if err := d.IntegrityCheck(ctx); err != nil {
		t.Errorf("IntegrityCheck after the upgrade: %v", err)
	}
}

// TestFailedMigrationWritesNothing: a script failing half-way leaves no part of itself
// and the version where it was.
func TestFailedMigrationWritesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	d := openAt(t, path, migrations[:1])
	defer d.Close()
	bad := []string{migrations[0], "CREATE TABLE extra (a); INSERT INTO nowhere VALUES (1);"}
	err := d.migrate(context.Background(), bad)
	if err == nil || !strings.Contains(err.Error(), "schema version 2") || !strings.Contains(err.Error(), path) {
		t.Fatalf("migrate with a failing script = %v, want an error naming version 2 and the file", err)
	}
	if _, v := pragmas(t, d); v != 1 {
		t.Errorf("user_version after a failed migration = %d, want 1", v)
	}
	if schemaHas(t, d, "table", "extra") {
		t.Error("the failed migration's first statement was kept")
	}
}

func TestMigrateRefusesNewer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	d := openAt(t, path, migrations)
	defer d.Close()
	err := d.migrate(context.Background(), migrations[:1])
	if !errors.Is(err, ErrTooNew) {
		t.Errorf("migrate to an older version = %v, want ErrTooNew", err)
	}
	if _, v := pragmas(t, d); v != int64(len(migrations)) {
		t.Errorf("user_version after the refusal = %d, want %d", v, len(migrations))
	}
}

// TestConnectionSettings checks what the DSN sets on every connection.
func TestConnectionSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ssowizard.db")
	d, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"synchronous", "1"}, // NORMAL
		{"busy_timeout", "5000"},
	}
	for _, tt := range tests {
		var got string
		if err := d.db.QueryRow("PRAGMA " + tt.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("PRAGMA %s = %q, want %q", tt.pragma, got, tt.want)
		}
	}
}

// TestPathEscaping: characters that mean something in a URI stay part of the file name.
func TestPathEscaping(t *testing.T) {
	tests := []string{
		"plain.db",
		"with space.db",
		"q?mode=ro.db",
		"hash#frag.db",
		"pct%20x.db",
		"amp&_pragma=journal_mode(DELETE).db",
		"semi;colon'quote.db",
	}
	for _, name := range tests {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "a?b#c%d")
			path := filepath.Join(dir, name)
			d, err := Open(context.Background(), path)
			if err != nil {
				t.Fatalf("Open(%q): %v", path, err)
			}
			var mode string
			if err := d.db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
				t.Errorf("journal_mode = %q, %v; want wal", mode, err)
			}
			if err := d.CreateSession(context.Background(), Session{ID: "s"}, Event{Kind: "k"}); err != nil {
				t.Fatal(err)
			}
			d.Close()
			fi, err := os.Stat(path)
			if err != nil || fi.Size() == 0 {
				t.Fatalf("the database is not at %q: %v", path, err)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.Name() != name {
					t.Errorf("Open(%q) also made %q", path, e.Name())
				}
			}
		})
	}
}

func TestTimeLayoutSortsAsText(t *testing.T) {
	base := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	times := []time.Time{base, base.Add(time.Nanosecond), base.Add(500 * time.Millisecond), base.Add(time.Second)}
	for i := 1; i < len(times); i++ {
		a, b := formatTime(times[i-1]), formatTime(times[i])
		if a >= b {
			t.Errorf("formatTime(%v) = %q sorts after formatTime(%v) = %q", times[i-1], a, times[i], b)
		}
		back, err := parseTime(b)
		if err != nil || !back.Equal(times[i]) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", b, back, err, times[i])
		}
		if _, err := time.Parse(time.RFC3339Nano, b); err != nil {
			t.Errorf("%q is not RFC 3339: %v", b, err)
		}
	}
}
