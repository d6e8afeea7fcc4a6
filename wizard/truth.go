package wizard

import (
	"context"
	"fmt"
	"time"

	"github.com/ssowizard/ssowizard/wizard/check"
)

// A stored session can say more than is true now: a client secret kept in memory
// went with the run that made it, and a test that failed after the connection was
// enabled means it is not enabled any more. reconcile makes a loaded session say what
// is true, so status, the CLI and the window read the same fact; a change made here
// is stored with the step's next transition.

// Check IDs of what reconcile finds.
const (
	// CodeSecretLost: the client secret's value is not known to this run.
	CodeSecretLost = "secret-lost"
	// CodeLatestTestFailed: the latest test login failed after the connection was enabled.
	CodeLatestTestFailed = "latest-test-failed"
)

// reconcile is called by Load, before anyone reads the session.
func (s *Session) reconcile(ctx context.Context) error {
	if _, err := s.enabledUntested(ctx); err != nil {
		return err
	}
	if s.rec.Status != SessionEnabled {
		// Once enabled, the vendor holds the secret; the wizard needs it again only to
		// test, and the test says so.
		return s.loseSecret()
	}
	return nil
}

// enabledUntested takes an enabled session back to in progress when its latest test
// login failed after it was enabled, and returns the completing step so reopened
// (nil when nothing changed). The caller holds s.mu or owns s.
func (s *Session) enabledUntested(ctx context.Context) (*StepState, error) {
	if s.rec.Status != SessionEnabled {
		return nil, nil
	}
	runs, err := s.TestRuns(ctx)
	if err != nil {
		return nil, err
	}
	n := len(runs)
	if n == 0 || runs[n-1].OK || !s.testedAfterEnable(runs[n-1]) {
		return nil, nil
	}
	return s.reopenEnable(runs[n-1].ID), nil
}

// testedAfterEnable reports whether run came after the connection was enabled (an
// override is given knowing of the failed runs before it).
func (s *Session) testedAfterEnable(run TestRun) bool {
	e := s.state.Enabled
	if e == nil {
		return true
	}
	seen := max(e.LatestTest, e.TestRun)
	if seen > 0 {
		return run.ID > seen
	}
	return run.Started.After(e.At)
}

// reopenEnable takes the enable back after test login run failed: the session is in
// progress, the Enable step failed saying why, and the enable record dropped (the
// choices stay as the step's inputs). It returns the Enable step. The caller holds
// s.mu or owns s.
func (s *Session) reopenEnable(run int64) *StepState {
	s.rec.Status = SessionInProgress
	s.state.Enabled = nil
	var reopened *StepState
	for _, d := range path(s.Protocol()) {
		if !d.completes {
			continue
		}
		st := s.steps[d.Name]
		reopened = st
		st.Status, st.VerifiedAt, st.Error = Failed, time.Time{}, ""
		st.Checks = []check.Result{fail(CodeLatestTestFailed, InOverride,
			fmt.Sprintf("Test login %d failed after the connection was enabled, so it is not enabled.", run),
			"Fix what the test shows and run it again, then enable again.")}
	}
	if i := s.firstOpen(); i >= 0 {
		s.rec.Current = string(Steps(s.Protocol())[i])
	}
	return reopened
}

// loseSecret turns a verified Client secret step whose value this run does not know
// (kept in memory by an earlier run, or gone from the keyring) back to needing a new
// secret. The caller holds s.mu or owns s.
func (s *Session) loseSecret() error {
	st := s.steps[StepClientSecret]
	if st == nil || st.Status != Verified || s.state.Secret == nil {
		return nil
	}
	_, found, err := s.secretValue(InClientSecret)
	if err != nil || found {
		return err
	}
	st.Status, st.VerifiedAt, st.Error = Failed, time.Time{}, ""
	st.Checks = []check.Result{s.secretLost()}
	if i := s.index(StepClientSecret); i < s.index(StepName(s.rec.Current)) {
		s.rec.Current = string(StepClientSecret)
	}
	return nil
}

// secretLost says the client secret's value is gone, and what to do: paste it again
// (manual mode), or confirm a new one is made (automatic mode: making one changes
// the app, so the wizard asks first).
func (s *Session) secretLost() check.Result {
	where := "was kept in memory only and went with the run that had it"
	if s.state.Secret != nil && s.state.Secret.Kept == "keyring" {
		where = "is no longer in this computer's keyring"
	}
	if s.Mode() == Auto {
		return fail(CodeSecretLost, InNewSecret, "This setup needs a new client secret: the value of the one made earlier "+where+".",
			"Answer new_secret = yes to make a new one (the lost one is removed from the app), then run the step again.")
	}
	return fail(CodeSecretLost, InClientSecret, "This setup needs the client secret again: its value "+where+".",
		"Paste the secret's Value again, or make a new one under Certificates & secrets and paste that.")
}

// lostSecret is automatic mode's question before it replaces a lost secret: keyID is
// the lost secret's, "" when nothing is lost; ask is the check that asks, nil when
// the answer is yes (the answer is then used up, so a later loss asks again).
func (s *Session) lostSecret(st *StepState) (keyID string, ask *check.Result, err error) {
	if s.state.Secret == nil || s.state.Secret.KeyID == "" {
		return "", nil, nil
	}
	if _, found, err := s.secretValue(InClientSecret); err != nil || found {
		return "", nil, err
	}
	if y, _ := yes(st.Inputs[InNewSecret]); y {
		delete(st.Inputs, InNewSecret)
		return s.state.Secret.KeyID, nil, nil
	}
	r := s.secretLost()
	return s.state.Secret.KeyID, &r, nil
}
