package check

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

const day = 24 * time.Hour

// warnBefore is how long before its end a credential starts to warn: Entra's first
// expiry notice for a SAML signing certificate comes 60 days ahead.
const warnBefore = 60 * day

// reminderDays are the days before an end a reminder falls due, as Entra sends its
// certificate expiry notices.
var reminderDays = []int{60, 30, 7}

// Expiry judges a credential's end (a client secret, a signing certificate) at now:
// Error once it has passed, Warning within 60 days, else OK with the date. what names
// the credential in a sentence, e.g. "client secret". The Result's Field is empty: the
// caller knows which input the credential belongs to.
func Expiry(what string, end, now time.Time) Result {
	w := what
	if w == "" {
		w = "credential"
	}
	if end.IsZero() {
		return warn("expiry-unknown", "", fmt.Sprintf("The end date of the %s is not known.", w),
			"Look the end date up in Entra and record it, so that reminders can be set.")
	}
	left := end.Sub(now)
	switch {
	case left <= 0:
		return fail("expired", "", fmt.Sprintf("The %s expired on %s.", w, formatEnd(end, left)),
			fmt.Sprintf("Create a new %s in Entra, give it to the vendor, then delete the expired one.", w))
	case left <= warnBefore:
		return warn("expires-soon", "", fmt.Sprintf("The %s expires %s, on %s.", w, inDays(left), formatEnd(end, left)),
			fmt.Sprintf("Before then, create a new %s, give it to the vendor, then delete the old one.", w))
	}
	return ok("expiry", "", fmt.Sprintf("The %s is valid until %s, %s from now.", w, formatEnd(end, left), dayCount(int(left/day))))
}

// formatEnd shows a date, with the time of day when it is close enough to matter.
func formatEnd(end time.Time, left time.Duration) string {
	if left > -2*day && left < 2*day {
		return end.UTC().Format("2006-01-02 15:04 UTC")
	}
	return end.UTC().Format("2006-01-02")
}

func inDays(left time.Duration) string {
	if left < day {
		return "within a day"
	}
	return "in " + dayCount(int(left/day))
}

func dayCount(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// Reminder is a date to act on before a credential expires.
type Reminder struct {
	What    string    `json:"what"`    // the credential, e.g. "client secret for Vendor SSO"
	Due     time.Time `json:"due"`     // when to be reminded
	Expires time.Time `json:"expires"` // when the credential ends
}

// Reminders returns the reminders for a credential ending at end: 60, 30 and 7 days
// before it, as Entra sends its certificate notices, in that order. All three are
// returned even when some are past; a zero end gives none.
func Reminders(what string, end time.Time) []Reminder {
	if end.IsZero() {
		return nil
	}
	rs := make([]Reminder, 0, len(reminderDays))
	for _, n := range reminderDays {
		rs = append(rs, Reminder{What: what, Due: end.AddDate(0, 0, -n), Expires: end})
	}
	return rs
}

// ICS renders reminders as an iCalendar file (RFC 5545): one all-day VEVENT on each
// reminder's Due date (in Due's location), with a display alarm at 09:00 that day. Lines
// end in CRLF and are folded at 75 octets without splitting a character; text is
// escaped. DTSTAMP is now; each UID is derived from uid and the reminder's index, so
// exporting the same reminders again updates the events instead of duplicating them.
// No reminders give nil: a calendar must hold at least one component.
func ICS(reminders []Reminder, now time.Time, uid string) []byte {
	if len(reminders) == 0 {
		return nil
	}
	if uid == "" {
		uid = "ssowizard"
	}
	var b bytes.Buffer
	line := func(name, value string) { writeFolded(&b, name+":"+value) }
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//ssowizard//credential reminders//EN")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	stamp := now.UTC().Format("20060102T150405Z")
	for i, r := range reminders {
		what := r.What
		if what == "" {
			what = "credential"
		}
		left := dayCount(int((r.Expires.Sub(r.Due) + day/2) / day))
		summary := fmt.Sprintf("%s expires in %s", upperFirst(what), left)
		desc := fmt.Sprintf("The %s expires on %s. Create a new one in Entra, give it to the vendor, then delete the old one.",
			what, r.Expires.UTC().Format("2006-01-02 15:04 UTC"))
		start := time.Date(r.Due.Year(), r.Due.Month(), r.Due.Day(), 0, 0, 0, 0, time.UTC)
		line("BEGIN", "VEVENT")
		line("UID", escapeText(fmt.Sprintf("%s-%d@ssowizard", uid, i)))
		line("DTSTAMP", stamp)
		line("DTSTART;VALUE=DATE", start.Format("20060102"))
		line("DTEND;VALUE=DATE", start.AddDate(0, 0, 1).Format("20060102"))
		line("SUMMARY", escapeText(summary))
		line("DESCRIPTION", escapeText(desc))
		line("TRANSP", "TRANSPARENT")
		line("BEGIN", "VALARM")
		line("ACTION", "DISPLAY")
		line("TRIGGER", "PT9H")
		line("DESCRIPTION", escapeText(summary))
		line("END", "VALARM")
		line("END", "VEVENT")
	}
	line("END", "VCALENDAR")
	return b.Bytes()
}

// maxLineOctets is the longest content line RFC 5545 §3.1 allows before folding.
const maxLineOctets = 75

// writeFolded writes one content line, folded after 75 octets (a continuation line
// starts with a space, which counts) at a character boundary, ended by CRLF.
func writeFolded(b *bytes.Buffer, s string) {
	limit := maxLineOctets
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = maxLineOctets - 1
	}
	b.WriteString(s)
	b.WriteString("\r\n")
}

// escapeText escapes an RFC 5545 TEXT value (§3.3.11).
func escapeText(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", "").Replace(s)
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return strings.ToUpper(string(r)) + s[n:]
}
