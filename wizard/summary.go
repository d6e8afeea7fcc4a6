package wizard

import (
	"context"
	"time"

	"github.com/ssowizard/ssowizard/wizard/check"
)

// Summary is a saved setup at a glance, as status lists it.
type Summary struct {
	ID       string    `json:"id"`
	Vendor   string    `json:"vendor"`
	Protocol Protocol  `json:"protocol"`
	Target   string    `json:"target"`
	Mode     Mode      `json:"mode"`
	Status   string    `json:"status"`
	Current  StepName  `json:"current"`
	Verified int       `json:"verified"`
	Steps    int       `json:"steps"`
	TenantID string    `json:"tenant_id,omitempty"`
	AppID    string    `json:"app_id,omitempty"`
	Updated  time.Time `json:"updated"`
	// LastTest is the most recent test login.
	LastTest *TestSummary `json:"last_test,omitempty"`
	// Expiry holds the secret's and certificates' expiry checks (ok, warning at 60
	// days, error once expired).
	Expiry []check.Result `json:"expiry,omitempty"`
	// NextReminder is the earliest reminder still ahead.
	NextReminder *check.Reminder `json:"next_reminder,omitempty"`
}

// Summaries lists the saved setups, most recently changed first.
func (e *Engine) Summaries(ctx context.Context) ([]Summary, error) {
	rows, err := e.DB.Sessions(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Summary, 0, len(rows))
	for _, r := range rows {
		s, err := e.Load(ctx, r.ID)
		if err != nil {
			// A setup that cannot be read is still listed, so it can be exported or
			// deleted.
			out = append(out, Summary{ID: r.ID, Vendor: r.Vendor, Protocol: Protocol(r.Protocol), Target: r.Target, Mode: Mode(r.Mode),
				Status: "unreadable: " + err.Error(), Current: StepName(r.Current), Updated: r.Updated})
			continue
		}
		sum, err := s.Summary(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, sum)
	}
	return out, nil
}

// Summary describes the session at a glance.
func (s *Session) Summary(ctx context.Context) (Summary, error) {
	st := s.State()
	steps := s.Steps()
	sum := Summary{ID: s.ID(), Vendor: s.Ticket.Vendor, Protocol: s.Protocol(), Target: s.TargetName(), Mode: s.Mode(), Status: s.Status(),
		Current: s.Current(), Steps: len(steps), TenantID: st.TenantID, AppID: st.App.AppID, Updated: s.Updated()}
	for _, x := range steps {
		if x.Status == Verified {
			sum.Verified++
		}
	}
	runs, err := s.TestRuns(ctx)
	if err != nil {
		return sum, err
	}
	if n := len(runs); n > 0 {
		r := runs[n-1]
		sum.LastTest = &TestSummary{ID: r.ID, Started: r.Started, OK: r.OK, User: r.User}
	}
	now := s.e.now()
	if st.Secret != nil && !st.Secret.End.IsZero() {
		sum.Expiry = append(sum.Expiry, check.Expiry("client secret", st.Secret.End, now))
	}
	if st.Metadata != nil {
		for _, c := range st.Metadata.Certificates {
			sum.Expiry = append(sum.Expiry, check.Expiry("SAML signing certificate "+c.Thumbprint, c.NotAfter, now))
		}
	}
	for _, r := range st.Reminders {
		if r.Due.After(now) && (sum.NextReminder == nil || r.Due.Before(sum.NextReminder.Due)) {
			sum.NextReminder = &r
		}
	}
	return sum, nil
}

// RemindersICS is the session's expiry reminders as an iCalendar file.
func (s *Session) RemindersICS() []byte {
	return check.ICS(s.State().Reminders, s.e.now(), s.ID())
}
