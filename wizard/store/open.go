package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Errors that Open's refusals wrap, so a caller can branch with errors.Is; each refusal's
// own message is the sentence to show.
var (
	// ErrForeign: the file is not an ssowizard database (not SQLite, or another program's).
	ErrForeign = errors.New("not an ssowizard database")
	// ErrTooNew: the database was written by a newer ssowizard, with a schema this one does not know.
	ErrTooNew = errors.New("database written by a newer ssowizard")
	// ErrDamaged: SQLite cannot read the file, or its own checks find it corrupt.
	ErrDamaged = errors.New("database damaged")
)

// refusal is an error whose message is one sentence for a person and which wraps the
// kind of problem (ErrForeign, ErrTooNew, ErrDamaged) and its cause, when there is one.
type refusal struct {
	msg   string
	kind  error
	cause error
}

func (r *refusal) Error() string { return r.msg }

func (r *refusal) Unwrap() []error {
	var errs []error
	for _, e := range []error{r.kind, r.cause} {
		if e != nil {
			errs = append(errs, e)
		}
	}
	return errs
}

func notOurs(path, why string) error {
	if why != "" {
		why = " (" + why + ")"
	}
	return &refusal{msg: fmt.Sprintf("%s is not an ssowizard database%s: move it aside or give another --db", path, why), kind: ErrForeign}
}

func tooNew(path string, version int64, known int) error {
	return &refusal{
		msg:  fmt.Sprintf("%s was written by a newer ssowizard (schema version %d, this one knows up to %d): upgrade ssowizard or give another --db", path, version, known),
		kind: ErrTooNew,
	}
}

func damaged(path, detail string, cause error) error {
	return &refusal{
		msg:   fmt.Sprintf("%s is damaged (%s): keep it for support and give another --db; nothing was changed", path, detail),
		kind:  ErrDamaged,
		cause: cause,
	}
}

// sqliteMagic opens every SQLite database file (https://sqlite.org/fileformat.html, 1.3).
var sqliteMagic = []byte("SQLite format 3\x00")

// DB is an open ssowizard database. It is safe for concurrent use, also alongside other
// DBs (in this or another process) on the same file.
type DB struct {
	db   *sql.DB
	path string
}

// Open opens the ssowizard database at path, creating it (its folder 0700, the file
// 0600) when missing, and brings an older schema up to date, one transaction per
// version. It never resets or overwrites a database: a file that is not ours, was
// written by a newer ssowizard, or is damaged is refused, unchanged, with a sentence
// saying so (wrapping ErrForeign, ErrTooNew or ErrDamaged).
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("no database file was given: give one with --db")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("cannot resolve the database path %s (%v): give another --db", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the folder of the database %s (%v): check its permissions or give another --db", abs, err)
	}
	fresh, err := prepareFile(abs)
	if err != nil {
		return nil, err
	}
	if !fresh {
		if err := inspect(ctx, abs); err != nil {
			return nil, err
		}
	}
	db, err := sql.Open("sqlite", dsn(abs))
	if err != nil {
		return nil, fmt.Errorf("cannot open the database %s (%v): check its permissions or give another --db", abs, err)
	}
	d := &DB{db: db, path: abs}
	if err := d.migrate(ctx, migrations); err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

// Close closes the database; a DB is unusable afterwards.
func (d *DB) Close() error { return d.db.Close() }

// Path is the absolute path of the database file.
func (d *DB) Path() string { return d.path }

// IntegrityCheck runs SQLite's full integrity check and returns nil only when it
// reports "ok"; otherwise the error (wrapping ErrDamaged) names the first problem.
func (d *DB) IntegrityCheck(ctx context.Context) error {
	problem, err := check(ctx, d.db, "PRAGMA integrity_check")
	if err != nil {
		return damaged(d.path, sqliteDetail(err), err)
	}
	if problem != "" {
		return damaged(d.path, problem, nil)
	}
	return nil
}

// uri is the SQLite URI of the file at abs (an absolute path) with the query appended:
// the path is percent-escaped so no character of it can end the path or start a
// parameter, and nothing else of the URI comes from outside this package.
func uri(abs, query string) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive path: SQLite takes "/C:/…"
	}
	return "file:" + (&url.URL{Path: p}).EscapedPath() + "?" + query
}

// dsn is the data source name of the database at abs, as ENTRA.md prescribes: writes
// wait up to 5 s for the lock, and every transaction takes the write lock when it
// begins, so a read-then-write transaction never fails with SQLITE_BUSY half-way.
func dsn(abs string) string {
	return uri(abs, "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate")
}

// prepareFile creates the database file (0600) when it is missing and reports whether
// it is empty, a database yet to be made. It refuses a directory and a file that does
// not start like a SQLite database, without writing to either.
func prepareFile(abs string) (fresh bool, err error) {
	f, err := os.Open(abs)
	if errors.Is(err, fs.ErrNotExist) {
		created, cerr := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		switch {
		case cerr == nil:
			return true, created.Close()
		case errors.Is(cerr, fs.ErrExist):
			// another process created it in between: read what it wrote
			f, err = os.Open(abs)
		default:
			return false, fmt.Errorf("cannot create the database %s (%v): check the folder's permissions or give another --db", abs, cerr)
		}
	}
	if err != nil {
		return false, fmt.Errorf("cannot read the database %s (%v): check its permissions or give another --db", abs, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("cannot read the database %s (%v): check its permissions or give another --db", abs, err)
	}
	if fi.IsDir() {
		return false, notOurs(abs, "it is a folder")
	}
	if fi.Size() == 0 {
		return true, nil
	}
	head := make([]byte, len(sqliteMagic))
	if _, err := io.ReadFull(f, head); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return false, fmt.Errorf("cannot read the database %s (%v): check its permissions or give another --db", abs, err)
	}
	if !bytes.Equal(head, sqliteMagic) {
		return false, notOurs(abs, "")
	}
	return false, nil
}

// inspect looks at an existing SQLite file through a read-only connection, before
// anything may write to it, and refuses another program's database, one from a newer
// ssowizard, and one that SQLite finds damaged.
func inspect(ctx context.Context, abs string) error {
	// Read-only still makes a -wal and -shm beside a WAL database; where there is no
	// -wal, no connection has the file open (ours keep one while open) and the file holds
	// all of the database, so it is read as immutable: nothing is created or locked.
	query := "mode=ro&_pragma=busy_timeout(5000)"
	if _, err := os.Lstat(abs + "-wal"); errors.Is(err, fs.ErrNotExist) {
		query = "mode=ro&immutable=1"
	}
	db, err := sql.Open("sqlite", uri(abs, query))
	if err != nil {
		return damaged(abs, sqliteDetail(err), err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	var app, version, objects int64
	err = db.QueryRowContext(ctx, "SELECT (SELECT application_id FROM pragma_application_id), (SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM sqlite_schema)").Scan(&app, &version, &objects)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return damaged(abs, sqliteDetail(err), err)
	}
	switch {
	case app != applicationID && app != 0:
		return notOurs(abs, fmt.Sprintf("it is another program's SQLite database, application_id %#x", app))
	case app == 0 && (objects > 0 || version != 0):
		return notOurs(abs, "it is another program's SQLite database")
	case version > int64(len(migrations)):
		return tooNew(abs, version, len(migrations))
	}
	problem, err := check(ctx, db, "PRAGMA quick_check")
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return damaged(abs, sqliteDetail(err), err)
	}
	if problem != "" {
		return damaged(abs, problem, nil)
	}
	return nil
}

// check runs quick_check or integrity_check and returns its first problem, or "" when
// it reports ok.
func check(ctx context.Context, db *sql.DB, pragma string) (string, error) {
	rows, err := db.QueryContext(ctx, pragma)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		lines = append(lines, line)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if len(lines) == 1 && lines[0] == "ok" {
		return "", nil
	}
	if len(lines) == 0 {
		return "the check reported nothing", nil
	}
	return firstLine(strings.TrimPrefix(lines[0], "*** in database main ***")), nil
}

// sqliteDetail is SQLite's own words for err, short enough for a parenthesis.
func sqliteDetail(err error) string { return firstLine(err.Error()) }

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// migrate brings the schema to len(scripts), one transaction per version. It reads the
// version inside each transaction, so two processes opening an old database at once
// apply each script once.
func (d *DB) migrate(ctx context.Context, scripts []string) error {
	for range len(scripts) + 1 {
		done, err := d.migrateOnce(ctx, scripts)
		if err != nil || done {
			return err
		}
	}
	return fmt.Errorf("the schema of %s did not reach version %d: report this", d.path, len(scripts))
}

func (d *DB) migrateOnce(ctx context.Context, scripts []string) (done bool, err error) {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, fmt.Errorf("cannot open the database %s (%v): check its permissions or give another --db", d.path, sqliteDetail(err))
	}
	defer tx.Rollback()
	var app, version int64
	if err := tx.QueryRowContext(ctx, "SELECT (SELECT application_id FROM pragma_application_id), (SELECT user_version FROM pragma_user_version)").Scan(&app, &version); err != nil {
		return false, fmt.Errorf("read the schema version of %s: %w", d.path, err)
	}
	switch {
	case app != applicationID && app != 0:
		return false, notOurs(d.path, fmt.Sprintf("it is another program's SQLite database, application_id %#x", app))
	case version > int64(len(scripts)):
		return false, tooNew(d.path, version, len(scripts))
	case version == int64(len(scripts)):
		return true, nil
	}
	if _, err := tx.ExecContext(ctx, scripts[version]); err != nil {
		return false, fmt.Errorf("cannot bring %s to schema version %d (%v); nothing of that step was written: report this", d.path, version+1, sqliteDetail(err))
	}
	// Numbers, not user text: PRAGMA takes no parameters.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d; PRAGMA user_version = %d", applicationID, version+1)); err != nil {
		return false, fmt.Errorf("set the schema version of %s: %w", d.path, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("cannot bring %s to schema version %d (%v); nothing of that step was written: report this", d.path, version+1, sqliteDetail(err))
	}
	return version+1 == int64(len(scripts)), nil
}
