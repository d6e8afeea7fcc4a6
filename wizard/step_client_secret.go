package wizard

import (
	"context"
	"fmt"
	"time"

	"github.com/ssowizard/ssowizard/wizard/check"
)

// StepClientSecret makes the client secret, or checks the one the admin pasted, and
// proves Entra accepts it.
const StepClientSecret StepName = "client-secret"

var clientSecretStep = &Step{
	Name:  StepClientSecret,
	Title: "Client secret",
	// Automatic mode asks before it replaces a secret whose value is lost.
	AutoInputs:   []Input{{Key: InNewSecret, Label: "Make a new secret (yes)", Optional: true, Hint: "only when the one made earlier is lost"}},
	Verifies:     "Entra issues a token for the client ID and secret, and the secret's expiry is known.",
	instructions: clientSecretInstructions,
	auto:         (*Session).clientSecret,
	autoTakes:    []string{InSecretExpires},
	manual:       (*Session).clientSecret,
}

// clientSecretInstructions are how to make the client secret by hand.
func clientSecretInstructions(s *Session) Instructions {
	t := s.Ticket
	st := s.state
	return Instructions{
		Blade: appBlade("Credentials", st.App.AppID),
		Text: []string{
			"Open Certificates & secrets > Client secrets and choose New client secret; 24 months is the longest the portal recommends.",
			"Copy the Value column at once (Entra shows it only now), not the Secret ID next to it.",
			"Paste the value here; it goes to this computer's keyring, never to the wizard's database or logs.",
		},
		Copy: []CopyValue{{"Description", "ssowizard " + t.Vendor}},
		Inputs: []Input{{Key: InClientSecret, Label: "Client secret value", Secret: true, Hint: "40 characters, like abc8Q~…"},
			{Key: InSecretExpires, Label: "Expires (YYYY-MM-DD)", Optional: true}},
	}
}

// secretName names the client secret the wizard makes, so an interrupted run can find
// the one it made.
func (s *Session) secretName() string { return "ssowizard " + s.rec.ID }

// DefaultSecretLifetime is the lifetime of a secret the wizard makes: the longest the
// portal recommends.
const DefaultSecretLifetime = 24 * 30 * 24 * time.Hour

func (s *Session) clientSecret(ctx context.Context, t *Target, st *StepState, resumed bool) ([]check.Result, error) {
	auto := s.Mode() == Auto
	var out []check.Result
	now := s.e.now()
	var value string
	if auto {
		if resumed {
			// A secret made before the interruption is unusable: its value is lost.
			cur, err := t.Directory.Application(ctx, s.state.App)
			if err != nil {
				return nil, err
			}
			for _, sec := range cur.Secrets {
				// Every secret this session made is replaced: one made before a kill
				// has lost its value, and one an interrupt recorded may have too.
				if sec.DisplayName == s.secretName() {
					if err := t.Directory.RemovePassword(ctx, s.state.App, sec.KeyID); err != nil {
						return nil, err
					}
					out = append(out, ok("orphan-removed", InClientSecret, fmt.Sprintf("Removed secret %s, made before the interruption, whose value was lost.", sec.KeyID)))
				}
			}
		}
		lost, ask, err := s.lostSecret(st)
		if err != nil {
			return nil, err
		}
		if ask != nil {
			return []check.Result{*ask}, nil
		}
		if lost != "" && !resumed {
			if err := t.Directory.RemovePassword(ctx, s.state.App, lost); err != nil {
				out = append(out, warn("lost-secret-kept", InClientSecret, fmt.Sprintf("The lost secret %s could not be removed from the app (%v).", lost, err),
					"Remove it under Certificates & secrets: nobody knows its value."))
			} else {
				out = append(out, ok("lost-secret-removed", InClientSecret, fmt.Sprintf("Removed secret %s, whose value was lost.", lost)))
			}
		}
		end := now.Add(DefaultSecretLifetime)
		if e := st.Inputs[InSecretExpires]; e != "" {
			d, err := time.Parse(time.DateOnly, e)
			switch {
			case err != nil:
				return append(out, fail("bad-date", InSecretExpires, fmt.Sprintf("%q is not a date.", e), "Give the expiry as YYYY-MM-DD.")), nil
			case !d.After(now):
				return append(out, fail("secret-expires-past", InSecretExpires, fmt.Sprintf("%s is not in the future.", e), "Give an expiry date after today.")), nil
			case d.After(now.AddDate(2, 0, 1)):
				return append(out, fail("secret-expires-too-late", InSecretExpires, fmt.Sprintf("%s is more than 24 months away, longer than the portal lets a secret live.", e),
					"Give an expiry within 24 months.")), nil
			}
			end = d
		}
		pw, err := t.Directory.AddPassword(ctx, s.state.App, s.secretName(), end)
		if err != nil {
			return out, err
		}
		if err := s.e.Secrets.Put(s.rec.ID, InClientSecret, pw.Value); err != nil {
			return out, fmt.Errorf("keeping the new client secret: %w", err)
		}
		value = pw.Value
		s.state.Secret = &SecretRecord{KeyID: pw.KeyID, Hint: pw.Hint, End: pw.End, Kept: s.e.Secrets.Kind()}
		out = append(out, ok("secret-created", InClientSecret, fmt.Sprintf("Made client secret %s (%s…), kept in the %s.", pw.KeyID, pw.Hint, s.e.Secrets.Kind())))
	} else {
		v, found, err := s.secretValue(InClientSecret)
		if err != nil {
			return nil, err
		}
		if !found {
			return []check.Result{fail("secret-missing", InClientSecret, "No client secret value was given (it is not kept between runs without a keyring).",
				"Paste the secret's Value from Certificates & secrets.")}, nil
		}
		r := check.SecretValue(v, nil)
		out = append(out, r)
		if r.Failed() {
			return out, nil
		}
		value = v
		rec := &SecretRecord{Hint: hint(v), Kept: s.e.Secrets.Kind()}
		if e := st.Inputs[InSecretExpires]; e != "" {
			end, err := time.Parse(time.DateOnly, e)
			if err != nil {
				return append(out, fail("bad-date", InSecretExpires, fmt.Sprintf("%q is not a date.", e), "Give the Expires date as YYYY-MM-DD.")), nil
			}
			rec.End = end
		}
		s.state.Secret = rec
	}
	code, desc, err := s.probeSecret(ctx, t, value, auto)
	if err != nil {
		return out, err
	}
	pr := check.Probe(code, desc)
	if code == 0 {
		pr = ok("secret-works", InClientSecret, "Entra accepts the client ID and secret (an app-only token was issued and dropped).")
	}
	out = append(out, pr)
	if s.state.Secret.End.IsZero() {
		out = append(out, warn("secret-expiry-unknown", InSecretExpires, "The secret's expiry date is unknown, so no reminder can be set.",
			"Give the Expires date shown under Certificates & secrets."))
	} else {
		out = append(out, check.Expiry("client secret", s.state.Secret.End, now))
		s.setReminders("client secret", s.state.Secret.End)
	}
	return out, nil
}

func hint(v string) string {
	if len(v) < 3 {
		return ""
	}
	return v[:3]
}

// probeSecret probes the client ID and secret; a secret just made through Graph can
// take a few seconds to be accepted, so automatic mode retries 7000215 briefly.
func (s *Session) probeSecret(ctx context.Context, t *Target, value string, auto bool) (int, string, error) {
	for attempt := 0; ; attempt++ {
		code, desc, err := ProbeClientCredentials(ctx, t.client(), t.LoginBase, s.state.TenantID, s.state.App.AppID, value)
		if err != nil || !auto || code != 7000215 || attempt >= 5 {
			return code, desc, err
		}
		select {
		case <-ctx.Done():
			return 0, "", ctx.Err()
		case <-time.After(time.Duration(attempt+1) * time.Second):
		}
	}
}
