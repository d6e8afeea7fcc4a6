package check_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/wizard/check"
)

// now is the fixed clock of every test.
var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var (
	idPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	// twoSentences finds a sentence end followed by the start of another.
	twoSentences = regexp.MustCompile(`[.!?] +[A-Z]`)
	fields       = map[string]bool{"": true, "client_id": true, "tenant_id": true, "client_secret": true, "domain": true,
		"redirect_uri": true, "reply_url": true, "entity_id": true, "issuer": true, "fingerprint": true,
		"idp_metadata": true, "certificate": true}
)

// assertShape checks the contract every Result keeps: a kebab-case ID, a known field and
// severity, a one-sentence Message, and a one-sentence Fix exactly when not OK.
func assertShape(t *testing.T, r check.Result) {
	t.Helper()
	if !idPattern.MatchString(r.ID) {
		t.Errorf("ID %q is not kebab-case", r.ID)
	}
	if !fields[r.Field] {
		t.Errorf("%s: unknown field %q", r.ID, r.Field)
	}
	switch r.Severity {
	case check.OK, check.Warning, check.Error:
	default:
		t.Errorf("%s: severity %q", r.ID, r.Severity)
	}
	sentence := func(what, s string) {
		t.Helper()
		if s == "" || !strings.HasSuffix(s, ".") || twoSentences.MatchString(s) || strings.Contains(s, "\n") {
			t.Errorf("%s: %s is not one sentence: %q", r.ID, what, s)
		}
	}
	sentence("Message", r.Message)
	if r.Severity == check.OK {
		if r.Fix != "" {
			t.Errorf("%s: OK result with a Fix %q", r.ID, r.Fix)
		}
	} else {
		sentence("Fix", r.Fix)
	}
}

// want is the expectation of one table row: the ID, severity and field of the Result,
// and fragments its Message, Fix and Detail must contain.
type want struct {
	id       string
	severity check.Severity
	field    string
	message  []string
	fix      []string
	detail   []string
}

func (w want) check(t *testing.T, call string, r check.Result) {
	t.Helper()
	assertShape(t, r)
	if r.ID != w.id || r.Severity != w.severity {
		t.Errorf("%s = %s/%s (%q), want %s/%s", call, r.ID, r.Severity, r.Message, w.id, w.severity)
	}
	if w.field != "" && r.Field != w.field {
		t.Errorf("%s: field %q, want %q", call, r.Field, w.field)
	}
	for _, m := range w.message {
		if !strings.Contains(r.Message, m) {
			t.Errorf("%s: Message %q lacks %q", call, r.Message, m)
		}
	}
	for _, m := range w.fix {
		if !strings.Contains(r.Fix, m) {
			t.Errorf("%s: Fix %q lacks %q", call, r.Fix, m)
		}
	}
	for _, m := range w.detail {
		if !strings.Contains(r.Detail, m) {
			t.Errorf("%s: Detail %q lacks %q", call, r.Detail, m)
		}
	}
}

func TestFailed(t *testing.T) {
	ok := check.Result{Severity: check.OK}
	warning := check.Result{Severity: check.Warning}
	bad := check.Result{Severity: check.Error}
	for _, tc := range []struct {
		rs   []check.Result
		want bool
	}{
		{nil, false},
		{[]check.Result{ok, warning}, false},
		{[]check.Result{ok, bad, warning}, true},
		{[]check.Result{bad}, true},
	} {
		if got := check.Failed(tc.rs); got != tc.want {
			t.Errorf("Failed(%v) = %v, want %v", tc.rs, got, tc.want)
		}
	}
	if ok.Failed() || warning.Failed() || !bad.Failed() {
		t.Error("Result.Failed must be true for Error only")
	}
}

func TestValidator(t *testing.T) {
	v := check.Validator(check.ClientID)
	if err := v("1b4e28ba-2fa1-41d2-883f-0016d3cca427"); err != nil {
		t.Errorf("Validator(ClientID)(GUID) = %v, want nil", err)
	}
	err := v("{1b4e28ba-2fa1-41d2-883f-0016d3cca427}")
	var re *check.ResultError
	if !errors.As(err, &re) || re.Result.ID != "client-id-braces" {
		t.Fatalf("Validator(ClientID)(braced) = %v, want a ResultError client-id-braces", err)
	}
	if want := re.Result.Message + " " + re.Result.Fix; err.Error() != want {
		t.Errorf("error text %q, want %q", err.Error(), want)
	}
	if err := check.Validator(check.DomainName)("bücher.de"); err != nil {
		t.Errorf("a warning must pass the validator, got %v", err)
	}
}
