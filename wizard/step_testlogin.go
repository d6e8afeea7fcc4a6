package wizard

import (
	"context"
	"encoding/json"
	"fmt"

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
	Progress:      "Waiting for the browser to come back… Sign in there as a user assigned to the app; the wizard then checks the answer as the vendor will.",
	InputsHeading: "Who signs in",
	instructions:  testLoginInstructions,
	defaults: func(_ *Session, t *Target, set func(key, value string)) {
		set(InTestUser, t.TestUser)
	},
	auto:         (*Session).test,
	manual:       (*Session).test,
	withoutGraph: true,
	overridable:  true,
}

// testLoginInstructions say what the test login does.
func testLoginInstructions(*Session) Instructions {
	return Instructions{
		Text: []string{
			"The wizard opens your browser at Entra's sign-in page as the vendor would; sign in as a user assigned to the app.",
			"When the browser comes back, the wizard checks the answer as the vendor will and explains every claim and finding.",
		},
		Inputs: []Input{{Key: InTestUser, Label: "Test user", Optional: true}},
	}
}

func (s *Session) test(ctx context.Context, t *Target, _ *StepState, _ bool) ([]check.Result, error) {
	run, err := s.login(ctx, t)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(run)
	if err != nil {
		return nil, err
	}
	msg := "test login passed"
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
