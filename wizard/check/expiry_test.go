package check_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ssowizard/ssowizard/wizard/check"
)

func TestExpiry(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  time.Time
		want
	}{
		{"a year left", now.AddDate(1, 0, 0), want{id: "expiry", severity: check.OK, message: []string{"valid until 2027-03-01", "365 days"}}},
		{"61 days left", now.Add(61 * 24 * time.Hour), want{id: "expiry", severity: check.OK}},
		{"60 days left", now.Add(60 * 24 * time.Hour), want{id: "expires-soon", severity: check.Warning, message: []string{"in 60 days", "2026-04-30"}}},
		{"a day left", now.Add(30 * time.Hour), want{id: "expires-soon", severity: check.Warning, message: []string{"in 1 day", "2026-03-02 18:00 UTC"}}},
		{"hours left", now.Add(3 * time.Hour), want{id: "expires-soon", severity: check.Warning, message: []string{"within a day"}}},
		{"ends now", now, want{id: "expired", severity: check.Error, message: []string{"expired on 2026-03-01 12:00 UTC"}, fix: []string{"new client secret"}}},
		{"long gone", now.AddDate(0, -2, 0), want{id: "expired", severity: check.Error, message: []string{"expired on 2026-01-01."}}},
		{"unknown", time.Time{}, want{id: "expiry-unknown", severity: check.Warning}},
	} {
		r := check.Expiry("client secret", tc.end, now)
		tc.check(t, "Expiry("+tc.name+")", r)
		if !strings.Contains(r.Message, "client secret") {
			t.Errorf("Expiry(%s) does not name what expires: %q", tc.name, r.Message)
		}
	}
}

func TestReminders(t *testing.T) {
	end := time.Date(2027, 1, 15, 8, 30, 0, 0, time.UTC)
	rs := check.Reminders("client secret of Vendor SSO", end)
	wantDue := []string{"2026-11-16", "2026-12-16", "2027-01-08"}
	if len(rs) != len(wantDue) {
		t.Fatalf("Reminders = %d reminders, want %d", len(rs), len(wantDue))
	}
	for i, r := range rs {
		if got := r.Due.Format("2006-01-02"); got != wantDue[i] || !r.Expires.Equal(end) || r.What != "client secret of Vendor SSO" {
			t.Errorf("Reminders[%d] = %+v, want due %s", i, r, wantDue[i])
		}
	}
	if rs := check.Reminders("x", time.Time{}); rs != nil {
		t.Errorf("Reminders(zero end) = %v, want nil", rs)
	}
}

// icsProperty is one content line of an iCalendar file, unfolded.
type icsProperty struct {
	name   string
	params string
	value  string
}

// parseICS unfolds and splits an iCalendar file, checking the line rules of RFC 5545
// §3.1 on the way: CRLF endings, at most 75 octets a line, whole UTF-8 characters.
func parseICS(t *testing.T, b []byte) []icsProperty {
	t.Helper()
	if !bytes.HasSuffix(b, []byte("\r\n")) {
		t.Fatalf("ICS does not end with CRLF")
	}
	var logical []string
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n") {
		if strings.Contains(line, "\n") || strings.Contains(line, "\r") {
			t.Errorf("bare line break in %q", line)
		}
		if len(line) > 75 {
			t.Errorf("line of %d octets: %q", len(line), line)
		}
		if !utf8.ValidString(line) {
			t.Errorf("folding split a character: %q", line)
		}
		if strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
			if len(logical) == 0 {
				t.Fatalf("continuation line first")
			}
			logical[len(logical)-1] += line[1:]
			continue
		}
		logical = append(logical, line)
	}
	var props []icsProperty
	for _, l := range logical {
		head, value, found := strings.Cut(l, ":")
		if !found {
			t.Fatalf("line without a colon: %q", l)
		}
		name, params, _ := strings.Cut(head, ";")
		props = append(props, icsProperty{name: name, params: params, value: value})
	}
	return props
}

// unescapeText reverses RFC 5545 TEXT escaping, failing on an escape it does not allow.
func unescapeText(t *testing.T, s string) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ';' || c == ',' {
			t.Errorf("unescaped %q in TEXT %q", c, s)
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(s) {
			t.Fatalf("dangling backslash in %q", s)
		}
		switch s[i] {
		case '\\', ';', ',':
			b.WriteByte(s[i])
		case 'n', 'N':
			b.WriteByte('\n')
		default:
			t.Errorf("bad escape \\%c in %q", s[i], s)
		}
	}
	return b.String()
}

func TestICS(t *testing.T) {
	end := time.Date(2027, 1, 15, 8, 30, 0, 0, time.UTC)
	// A long name with non-ASCII letters and TEXT's special characters, so that lines
	// fold (some in the middle of a character) and escaping shows.
	what := "client secret of «Vendor SSO, Zürich; Ünïcödé-Tëst» \\ for the prøduction tenant (contoso.com)"
	reminders := check.Reminders(what, end)
	b := check.ICS(reminders, now, "setup-42/secret")
	props := parseICS(t, b)

	var events []map[string]icsProperty
	var stack []string
	for _, p := range props {
		switch p.name {
		case "BEGIN":
			stack = append(stack, p.value)
			if p.value == "VEVENT" {
				events = append(events, map[string]icsProperty{})
			}
		case "END":
			if len(stack) == 0 || stack[len(stack)-1] != p.value {
				t.Fatalf("END:%s does not close %v", p.value, stack)
			}
			stack = stack[:len(stack)-1]
		default:
			if len(stack) == 2 && stack[1] == "VEVENT" {
				events[len(events)-1][p.name] = p
			}
		}
	}
	if len(stack) != 0 {
		t.Fatalf("unclosed components %v", stack)
	}
	if props[0].name != "BEGIN" || props[0].value != "VCALENDAR" || props[1].name != "VERSION" || props[1].value != "2.0" {
		t.Errorf("calendar starts %v", props[:2])
	}
	if !strings.Contains(string(b), "\r\nPRODID:") {
		t.Error("no PRODID")
	}
	if len(events) != 3 {
		t.Fatalf("%d events, want 3", len(events))
	}
	wantStart := []string{"20261116", "20261216", "20270108"}
	wantEnd := []string{"20261117", "20261217", "20270109"}
	wantDays := []string{"60 days", "30 days", "7 days"}
	uids := map[string]bool{}
	for i, ev := range events {
		if got := ev["DTSTART"]; got.params != "VALUE=DATE" || got.value != wantStart[i] {
			t.Errorf("event %d DTSTART = %+v, want %s", i, got, wantStart[i])
		}
		if got := ev["DTEND"]; got.params != "VALUE=DATE" || got.value != wantEnd[i] {
			t.Errorf("event %d DTEND = %+v, want %s", i, got, wantEnd[i])
		}
		if got := ev["DTSTAMP"].value; got != "20260301T120000Z" {
			t.Errorf("event %d DTSTAMP = %q", i, got)
		}
		uid := unescapeText(t, ev["UID"].value)
		if uid != fmt.Sprintf("setup-42/secret-%d@ssowizard", i) || uids[uid] {
			t.Errorf("event %d UID = %q", i, uid)
		}
		uids[uid] = true
		summary := unescapeText(t, ev["SUMMARY"].value)
		if want := "Client secret of «Vendor SSO, Zürich; Ünïcödé-Tëst» \\ for the prøduction tenant (contoso.com) expires in " + wantDays[i]; summary != want {
			t.Errorf("event %d SUMMARY = %q, want %q", i, summary, want)
		}
		desc := unescapeText(t, ev["DESCRIPTION"].value)
		if !strings.Contains(desc, what) || !strings.Contains(desc, "2027-01-15 08:30 UTC") {
			t.Errorf("event %d DESCRIPTION = %q", i, desc)
		}
	}
	// The same reminders give the same file, so a re-import updates events.
	if again := check.ICS(reminders, now, "setup-42/secret"); !bytes.Equal(again, b) {
		t.Error("ICS is not deterministic")
	}
	// Two-octet characters only: some fold must fall inside one unless the folding
	// backs up to a character boundary.
	accents := strings.Repeat("é", 120)
	for _, ev := range parseICS(t, check.ICS(check.Reminders(accents, end), now, "x")) {
		if ev.name == "SUMMARY" && !strings.Contains(unescapeText(t, ev.value), "É"+accents[2:]) {
			t.Errorf("SUMMARY %q lost characters", ev.value)
		}
	}
	if check.ICS(nil, now, "x") != nil {
		t.Error("ICS(no reminders) is not nil")
	}
}
