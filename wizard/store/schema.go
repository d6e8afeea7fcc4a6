package store

// applicationID is written to PRAGMA application_id by the first migration, so a SQLite
// file of another program is told apart from ours: the bytes read "SSOW".
const applicationID = 0x53534F57

// migrations are the schema's versions: migrations[i] takes a database from
// user_version i to i+1, in one transaction. Append only; never edit a released script.
//
// Times are text in timeLayout (RFC 3339, UTC, nine fraction digits), so text order is
// time order. JSON blobs are opaque to the store; NULL stands for a nil slice.
var migrations = []string{
	// 1: the four tables.
	`
CREATE TABLE sessions (
	id        TEXT PRIMARY KEY CHECK (id <> ''),
	vendor    TEXT NOT NULL,
	ticket    BLOB,
	protocol  TEXT NOT NULL,
	target    TEXT NOT NULL,
	tenant_id TEXT NOT NULL,
	mode      TEXT NOT NULL,
	current   TEXT NOT NULL,
	status    TEXT NOT NULL,
	data      BLOB,
	created   TEXT NOT NULL,
	updated   TEXT NOT NULL
) STRICT;

-- seq is the order of a step's first write: an upsert keeps it.
CREATE TABLE steps (
	seq         INTEGER PRIMARY KEY,
	session     TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	name        TEXT NOT NULL CHECK (name <> ''),
	status      TEXT NOT NULL,
	inputs      BLOB,
	outputs     BLOB,
	checks      BLOB,
	verified_at TEXT,
	updated     TEXT NOT NULL,
	UNIQUE (session, name)
) STRICT;

CREATE TABLE test_runs (
	id       INTEGER PRIMARY KEY,
	session  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	started  TEXT NOT NULL,
	ok       INTEGER NOT NULL CHECK (ok IN (0, 1)),
	protocol TEXT NOT NULL,
	result   BLOB
) STRICT;

CREATE TABLE events (
	id      INTEGER PRIMARY KEY,
	session TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	at      TEXT NOT NULL,
	step    TEXT NOT NULL,
	kind    TEXT NOT NULL CHECK (kind <> ''),
	message TEXT NOT NULL
) STRICT;
`,
	// 2: indexes for the lookups by session and for the session list, which also make a
	// session's cascading delete find its rows without a scan.
	`
CREATE INDEX sessions_by_updated ON sessions (updated);
CREATE INDEX test_runs_by_session ON test_runs (session, started);
CREATE INDEX events_by_session ON events (session, at);
`,
}
