package wizard

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ssowizard/ssowizard/inspect"
	"github.com/ssowizard/ssowizard/wizard/check"
	"github.com/ssowizard/ssowizard/wizard/store"
)

// StepTest signs a user in through the embedded SP as the vendor would, and judges the
// answer.
const StepTest StepName = "test"

var testLoginStep = &Step{
	Name:          StepTest,
	Title:         "Test login",
	Verifies:      "A user signs in through Entra and the answer passes the vendor's checks, claims included.",
	View:          ViewTestLogin,
	RunLabel:      "Run the test login",
	Progress:      "Waiting for the browser to come back… Sign in there as the test user; the wizard then checks the answer as the vendor will.",
	InputsHeading: "Who signs in",
	// On Entra, the user who is not assigned is named in either mode; on the harness
	// one is found when none is named.
	AutoInputs:   []Input{{Key: InRefusedUser, Label: "A user who is not assigned", Optional: true, Hint: "proves assignment is enforced"}},
	instructions: testLoginInstructions,
	defaults: func(_ *Session, t *Target, set func(key, value string)) {
		set(InTestUser, t.TestUser)
	},
	auto:         (*Session).test,
	autoTakes:    []string{InTestUser, InRefusedUser},
	manual:       (*Session).test,
	withoutGraph: true,
	overridable:  true,
}

// testLoginInstructions say what the test login does.
func testLoginInstructions(*Session) Instructions {
	return Instructions{
		Text: []string{
			"The wizard opens your browser at Entra's sign-in page as the vendor would; sign in as the test user named here, who must be assigned to the app.",
			"When the browser comes back, the wizard checks the answer as the vendor will, that it names the test user, and explains every claim and finding.",
			"When the app requires assignment, name a user who is not assigned as well: the wizard opens a second sign-in, where you sign in as that user (in a private window) and Entra must refuse them (AADSTS50105).",
		},
		Inputs: []Input{{Key: InTestUser, Label: "Test user", Optional: true, Hint: "alice@contoso.com"},
			{Key: InRefusedUser, Label: "A user who is not assigned", Optional: true, Hint: "proves assignment is enforced"}},
	}
}

func (s *Session) test(ctx context.Context, t *Target, st *StepState, _ bool) ([]check.Result, error) {
	named := st.Inputs[InTestUser]
	as := *t
	if t.SignInAs != nil {
		login, open, err := t.SignInAs(named)
		if err != nil {
			return []check.Result{fail("test-user-unknown", InTestUser, oneSentence(err), "Name a user of the tenant who can sign in.")}, nil
		}
		named, as.Open = login, open
	}
	run, err := s.login(ctx, &as)
	if err != nil {
		return nil, err
	}
	run.Named = named
	if run.OK && named != "" && !run.names(named) {
		run.reject(CodeWrongUser, fmt.Sprintf("The test signed in as %s, not as %s, the test user named.", orNobody(run.User), named),
			fmt.Sprintf("Sign in as %s (a private browser window keeps another user's session out), or name the user who signs in.", named))
	}
	if run.OK && s.state.AssignmentRequired != nil && *s.state.AssignmentRequired {
		if err := s.refusal(ctx, t, st, &run); err != nil {
			return nil, err
		}
	}
	b, err := json.Marshal(run)
	if err != nil {
		return nil, err
	}
	msg := "test login passed as " + orNobody(run.User)
	if !run.OK {
		msg = "test login failed: " + run.Verdict
	}
	id, err := s.e.DB.AddTestRun(context.WithoutCancel(ctx), store.TestRun{Session: s.rec.ID, Started: run.Started, OK: run.OK, Protocol: string(run.Protocol), Result: b},
		store.Event{Session: s.rec.ID, At: s.e.now(), Step: string(StepTest), Kind: "test-run", Message: msg})
	if err != nil {
		return nil, err
	}
	var out []check.Result
	for _, f := range run.Findings {
		sev := check.OK
		switch f.Severity {
		case inspect.SeverityError:
			sev = check.Error
		case inspect.SeverityWarning:
			sev = check.Warning
		default:
			continue
		}
		out = append(out, check.Result{ID: f.Code, Field: InTestUser, Severity: sev, Message: f.Message, Fix: f.Fix})
	}
	if r := run.Refusal; r != nil {
		switch {
		case r.Proven:
			out = append(out, ok("unassigned-refused", InRefusedUser, r.Message))
		case r.User == "":
			out = append(out, warn("refusal-not-proven", InRefusedUser, r.Message, r.Fix))
		default:
			out = append(out, fail(CodeNotRefused, InRefusedUser, r.Message, r.Fix))
		}
	}
	if run.Error != "" {
		out = append(out, fail(CodeLoginFailed, InTestUser, run.Error, "Fix the cause and run the test again."))
	}
	if run.OK {
		out = append(out, ok("test-passed", InTestUser, fmt.Sprintf("Test login %d passed as %s.", id, run.User)))
	} else if !check.Failed(out) {
		out = append(out, fail(CodeLoginFailed, InTestUser, "The test login did not pass.", "Read the findings, fix the cause and run the test again."))
	}
	return out, nil
}

// refusal proves the negative of a passing test when the app requires assignment: a
// user who is not assigned signs in and must be refused with AADSTS50105. On the
// harness the user is found and signed in with no person; on Entra the admin names
// one and signs in as them in a second login. The outcome is the run's Refusal; a
// refusal tried and not proven fails the run.
func (s *Session) refusal(ctx context.Context, t *Target, st *StepState, run *TestRun) error {
	user := st.Inputs[InRefusedUser]
	if user == "" && t.Unassigned != nil {
		user = t.Unassigned(s.state.App.AppID)
	}
	if user == "" {
		r := &Refusal{Message: "Assignment is required, but no user who is not assigned was named, so a refusal is not proven.",
			Fix: "Name a user who is not assigned to the app and run the test again: you then sign in as them in a second login, and Entra must refuse them."}
		if t.Unassigned != nil {
			r.Message, r.Fix = "Assignment is required, but every user who can sign in is assigned, so no refusal can be shown.", "Nothing to do: Entra enforces the assignment."
		}
		run.Refusal = r
		return nil
	}
	r := &Refusal{User: user}
	run.Refusal = r
	notRefused := func(msg, fix string) {
		r.Message, r.Fix = msg, fix
		run.OK, run.Verdict = false, "error"
	}
	as := *t
	if t.SignInAs != nil {
		login, open, err := t.SignInAs(user)
		if err != nil {
			notRefused(oneSentence(err), "Name a user of the tenant who can sign in and is not assigned.")
			return nil
		}
		r.User, as.Open = login, open
		user = login
	}
	neg, err := s.login(ctx, &as)
	if err != nil {
		return err
	}
	if neg.AADSTS != nil {
		r.AADSTS = neg.AADSTS.Code
	}
	switch {
	case r.AADSTS == "AADSTS50105":
		r.Proven = true
		r.Message = fmt.Sprintf("%s, who is not assigned, was refused with AADSTS50105.", user)
	case neg.OK && neg.names(user):
		notRefused(fmt.Sprintf("%s, who is not assigned, signed in: the app does not enforce its assignments.", user),
			"Set Assignment required? to Yes on the enterprise application's Properties, and check that "+user+" is not in an assigned group.")
	case neg.OK:
		notRefused(fmt.Sprintf("The second login signed in as %s, not as %s, the user who is not assigned.", orNobody(neg.User), user),
			"Sign in as "+user+" in a private browser window, so the first user's session is not reused.")
	case r.AADSTS != "":
		notRefused(fmt.Sprintf("%s was refused with %s, not with AADSTS50105 (not assigned).", user, r.AADSTS),
			"Name a user who can otherwise sign in, and is not assigned to the app.")
	default:
		why := neg.Error
		if why == "" {
			why = "the answer failed its checks"
		}
		notRefused(fmt.Sprintf("The login as %s, who is not assigned, did not end in AADSTS50105: %s.", user, lowerFirst(why)),
			"Run the test again and sign in as "+user+" in the second login.")
	}
	return nil
}

// reject fails the run with a finding of its own.
func (r *TestRun) reject(code, msg, fix string) {
	r.Findings = append(r.Findings, inspect.Finding{Code: code, Severity: inspect.SeverityError, Message: msg, Fix: fix})
	r.OK = false
	r.Verdict = "error"
}

// names reports whether the run's answer names user: as its user, or by its e-mail
// (a guest signs in with the address they were invited with, and the answer's UPN is
// their #EXT# one).
func (r TestRun) names(user string) bool {
	if sameUser(r.User, user) {
		return true
	}
	c := r.Claim("email")
	return c != nil && sameUser(c.Values[0], user)
}

// sameUser reports whether the user an answer names is the one named: the same
// sign-in name, or the named one's part before the "@" when no domain was given.
func sameUser(got, named string) bool {
	got, named = strings.TrimSpace(got), strings.TrimSpace(named)
	if got == "" || named == "" {
		return false
	}
	if strings.EqualFold(got, named) {
		return true
	}
	local, _, found := strings.Cut(got, "@")
	return !strings.Contains(named, "@") && found && strings.EqualFold(local, named)
}

func orNobody(user string) string {
	if user == "" {
		return "an unnamed user"
	}
	return user
}
