package wizard

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ssowizard/ssowizard/wizard/check"
)

// Run carries out a step (automatic mode) or verifies what the admin did (manual
// mode), and records the outcome in one transaction: verified (the session moves to
// the next step), or failed with the checks that say why. The returned error is for
// what stopped the step from being judged at all (the database); a step that was
// judged and failed returns its record with Status Failed and a nil error. A step cut
// short by ctx is recorded as interrupted: it stays InProgress (with Error saying so)
// and the next Run resumes it as after a crash. Every step can be run again: earlier
// inputs are kept.
func (s *Session) Run(ctx context.Context, t *Target, n StepName) (StepState, error) {
	// One step at a time; the session's lock is not held while the step talks to
	// Entra (a test login waits minutes for the browser), so the window can read the
	// session meanwhile.
	s.runMu.Lock()
	defer s.runMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.index(n)
	if i < 0 {
		return StepState{}, fmt.Errorf("%s has no step %q: the steps are %s", strings.ToUpper(string(s.Protocol())), n, stepList(s.StepNames()))
	}
	if first := s.firstOpen(); first >= 0 && i > first && !s.overridable(n, first) {
		return s.copyStep(n), fmt.Errorf("%s cannot run yet: %s is not verified", n.Title(), s.StepNames()[first].Title())
	}
	d := s.path()[i]
	if s.Mode() == Auto && t.Directory == nil && !d.withoutGraph {
		return s.copyStep(n), fmt.Errorf("%s in automatic mode needs a Graph sign-in: sign in to Entra, or switch to manual mode", n.Title())
	}
	if t.LoginBase != "" {
		s.state.LoginBase = t.LoginBase // for the bundle's issuer and the instructions' URLs
	}
	st := s.steps[n]
	resumed := st.Status == InProgress
	s.defaults(t, d, st)
	st.Status, st.Error, st.Checks = InProgress, "", nil
	if err := s.transition(ctx, st, n, "started", "started "+string(n)+resumedNote(resumed)); err != nil {
		return s.copyStep(n), err
	}
	w := s.workCopy()
	s.mu.Unlock()
	checks, err := w.do(ctx, t, d, w.steps[n], resumed)
	s.mu.Lock()
	s.state = w.state
	st.Inputs = w.steps[n].Inputs
	st.Checks = checks
	save := context.WithoutCancel(ctx)
	switch {
	case err != nil && ctx.Err() != nil:
		// Cancelled (Ctrl-C, a closed window) with the step's calls in flight: what
		// they made may exist, so the step stays in progress and the next run resumes
		// it as after a crash, adopting what was made instead of making it twice.
		st.Error = n.Title() + " was interrupted before it finished: run it again to resume it."
		if perr := s.transition(save, st, n, "interrupted", st.Error); perr != nil {
			return s.copyStep(n), perr
		}
	case err != nil:
		st.Status, st.Error = Failed, err.Error()
		if perr := s.failed(save, st, n, st.Error); perr != nil {
			return s.copyStep(n), perr
		}
	case check.Failed(checks):
		st.Status = Failed
		if perr := s.failed(save, st, n, firstFailure(checks)); perr != nil {
			return s.copyStep(n), perr
		}
	default:
		st.Status, st.VerifiedAt = Verified, s.e.now()
		next := n
		if first := s.firstOpen(); first >= 0 {
			next = s.StepNames()[first]
		}
		msg := "verified " + string(n)
		if d.completes {
			s.rec.Status = SessionEnabled
			if e := s.state.Enabled; e != nil && e.Override != "" {
				msg = "enabled without a passing test; reason: " + e.Override
			}
		}
		if perr := s.transition(save, st, next, "verified", msg); perr != nil {
			return s.copyStep(n), perr
		}
	}
	return s.copyStep(n), nil
}

// failed records step st (n) as failed. A failed test login in an enabled session
// means it is enabled no more: the Enable step is reopened with it. The caller holds
// s.mu.
func (s *Session) failed(ctx context.Context, st *StepState, n StepName, why string) error {
	reopened, err := s.enabledUntested(ctx)
	if err != nil {
		return err
	}
	if err := s.transition(ctx, st, n, "failed", why); err != nil {
		return err
	}
	if reopened == nil {
		return nil
	}
	return s.transition(ctx, reopened, n, "reopened", "not enabled any more: "+reopened.Checks[0].Message)
}

// overridable reports whether step n may run although the step at first is not
// verified: a completing step (Enable) after a failed overridable one (the test),
// where an override reason can be recorded.
func (s *Session) overridable(n StepName, first int) bool {
	f := s.path()[first]
	return describe(n).completes && f.overridable && s.steps[f.Name].Status == Failed
}

// workCopy is a copy of the session a step runs on without the session's lock: its
// state and steps are its own, merged back when the step ends. The caller holds s.mu.
func (s *Session) workCopy() *Session {
	w := &Session{e: s.e, rec: s.rec, Ticket: s.Ticket, steps: map[StepName]*StepState{}}
	b, _ := json.Marshal(s.state)
	_ = json.Unmarshal(b, &w.state)
	for n := range s.steps {
		c := s.copyStep(n)
		w.steps[n] = &c
	}
	return w
}

func resumedNote(resumed bool) string {
	if resumed {
		return " again after an interruption"
	}
	return ""
}

func firstFailure(rs []check.Result) string {
	for _, r := range rs {
		if r.Failed() {
			return r.Message
		}
	}
	return ""
}

// RunAll runs the steps from the current one until one fails, one needs a person, or
// all are verified. It returns the last step run.
func (s *Session) RunAll(ctx context.Context, t *Target) (StepState, error) {
	var last StepState
	for range len(s.StepNames()) + 1 {
		if s.Done() {
			return last, nil
		}
		s.mu.Lock()
		first := s.firstOpen()
		s.mu.Unlock()
		n := s.StepNames()[first]
		st, err := s.Run(ctx, t, n)
		last = st
		if err != nil || st.Status != Verified {
			return st, err
		}
	}
	return last, nil
}

// defaults fills the inputs automatic mode can choose itself, leaving any given.
func (s *Session) defaults(t *Target, d *Step, st *StepState) {
	if d.defaults == nil {
		return
	}
	d.defaults(s, t, func(k, v string) {
		if st.Inputs == nil {
			st.Inputs = map[string]string{}
		}
		if st.Inputs[k] == "" && v != "" {
			st.Inputs[k] = v
		}
	})
}

// do carries out (automatic mode) or verifies (manual mode) one step. The caller
// holds s.mu.
func (s *Session) do(ctx context.Context, t *Target, d *Step, st *StepState, resumed bool) ([]check.Result, error) {
	if s.Mode() == Auto {
		if out := s.unusedAnswers(d, st); len(out) > 0 {
			return out, nil
		}
		return d.auto(s, ctx, t, st, resumed)
	}
	return d.manual(s, ctx, t, st, resumed)
}

// unusedAnswers refuses, one check each, the manual inputs given to an automatic
// step that it does not honour.
func (s *Session) unusedAnswers(d *Step, st *StepState) []check.Result {
	var out []check.Result
	for _, in := range d.instructions(s).Inputs {
		if st.Inputs[in.Key] == "" || slices.Contains(d.autoTakes, in.Key) || slices.ContainsFunc(d.AutoInputs, func(a Input) bool { return a.Key == in.Key }) {
			continue
		}
		out = append(out, fail("answer-not-used", in.Key,
			fmt.Sprintf("Automatic mode does not use %s.%s (%s): it makes or finds that itself.", d.Name, in.Key, in.Label),
			"Remove it from the answers, or give every value by hand in a manual setup."))
	}
	return out
}

func ok(id, field, msg string) check.Result {
	return check.Result{ID: id, Field: field, Severity: check.OK, Message: msg}
}

func fail(id, field, msg, fix string) check.Result {
	return check.Result{ID: id, Field: field, Severity: check.Error, Message: msg, Fix: fix}
}

func warn(id, field, msg, fix string) check.Result {
	return check.Result{ID: id, Field: field, Severity: check.Warning, Message: msg, Fix: fix}
}

// withURIs returns uris with add appended where missing.
func withURIs(uris []string, add ...string) []string {
	out := slices.Clone(uris)
	for _, a := range add {
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func (s *Session) setReminders(what string, end time.Time) {
	s.state.Reminders = slices.DeleteFunc(s.state.Reminders, func(r check.Reminder) bool { return r.What == what })
	s.state.Reminders = append(s.state.Reminders, check.Reminders(what, end)...)
}

func yes(v string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "y", "true", "on", "1":
		return true, true
	case "no", "n", "false", "off", "0":
		return false, true
	}
	return false, false
}

func splitList(v string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == '\n' }) {
		if f = strings.TrimSpace(f); f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// oneSentence makes an error a sentence.
func oneSentence(err error) string {
	m := err.Error()
	if m == "" {
		return m
	}
	m = strings.ToUpper(m[:1]) + m[1:]
	if !strings.HasSuffix(m, ".") {
		m += "."
	}
	return m
}
