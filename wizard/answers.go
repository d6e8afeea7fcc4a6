package wizard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
)

// Answers are a manual (or automatic) run's inputs, step by step, as a person would
// type them: {"registration": {"client_id": "…", "tenant_id": "…"}, …}. A value
// "$NAME" is read from the environment variable NAME, so a secret need not be
// written in the file.
type Answers map[StepName]map[string]string

// ParseAnswers reads an answers file, refusing unknown steps and keys so a typo does
// not pass silently.
func ParseAnswers(b []byte, p Protocol) (Answers, error) {
	var raw map[string]map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("the answers file is not a JSON object of steps (%v)", err)
	}
	// The keys are the inputs the steps' instructions ask for, and those only
	// automatic mode takes.
	known := map[StepName]map[string]bool{}
	s := &Session{Ticket: &Ticket{SAML: &TicketSAML{}, OIDC: &TicketOIDC{}, SCIM: &TicketSCIM{}}}
	for _, d := range pathFor(p, s.Ticket) {
		known[d.Name] = map[string]bool{}
		for _, in := range append(d.instructions(s).Inputs, d.AutoInputs...) {
			known[d.Name][in.Key] = true
		}
	}
	out := Answers{}
	for step, kv := range raw {
		n := StepName(step)
		if known[n] == nil {
			return nil, fmt.Errorf("the answers file names the step %q, which %s does not have: use %s", step, strings.ToUpper(string(p)), stepList(TicketSteps(p, s.Ticket)))
		}
		out[n] = map[string]string{}
		for k, v := range kv {
			if !known[n][k] {
				keys := make([]string, 0, len(known[n]))
				for k := range known[n] {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				return nil, fmt.Errorf("the answers file gives %s.%s, which that step does not take: use %s", step, k, strings.Join(keys, ", "))
			}
			switch x := v.(type) {
			case string:
				out[n][k] = x
			case bool:
				out[n][k] = map[bool]string{true: "yes", false: "no"}[x]
			case []any:
				var parts []string
				for _, e := range x {
					parts = append(parts, fmt.Sprint(e))
				}
				out[n][k] = strings.Join(parts, ", ")
			default:
				return nil, fmt.Errorf("the answers file's %s.%s must be a string", step, k)
			}
		}
	}
	return out, nil
}

// Apply sets the answers as the session's inputs. "$NAME" values are read from the
// environment; an unset variable is an error naming it.
func (a Answers) Apply(s *Session) error {
	for _, n := range s.StepNames() {
		for k, v := range a[n] {
			if name, ok := strings.CutPrefix(v, "$"); ok && name != "" {
				ev, set := os.LookupEnv(name)
				if !set {
					return fmt.Errorf("the answers file takes %s.%s from $%s, which is not set: export it first", n, k, name)
				}
				v = ev
			}
			if err := s.SetInput(n, k, v); err != nil {
				return err
			}
		}
	}
	return nil
}
