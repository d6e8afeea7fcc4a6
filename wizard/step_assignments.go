package wizard

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ssowizard/ssowizard/wizard/check"
)

// StepAssignments assigns the users and groups, or records those the admin assigned.
const StepAssignments StepName = "assignments"

var assignmentsStep = &Step{
	Name:                StepAssignments,
	Title:               "Users and groups",
	Verifies:            "The users and groups are assigned to the app, and whether assignment is required is known.",
	ManualInputsHeading: "Your answers",
	instructions:        assignmentsInstructions,
	defaults: func(_ *Session, _ *Target, set func(key, value string)) {
		set(InAssignmentRequired, "yes")
	},
	auto:      (*Session).autoAssignments,
	autoTakes: []string{InPrincipals, InAssignmentRequired},
	manual:    (*Session).manualAssignments,
}

// assignmentsInstructions are how to assign users and groups by hand.
func assignmentsInstructions(s *Session) Instructions {
	t := s.Ticket
	st := s.state
	return Instructions{
		Blade: enterpriseBlade("Users", st.App),
		Text: []string{
			"Open the enterprise app's Users and groups page and Add user/group for everyone who should reach " + t.Vendor + ".",
			"Assign groups that contain the users directly: Entra does not honour nested groups for app assignment.",
			"Under Properties, \"Assignment required?\" = Yes keeps everyone else out.",
		},
		Inputs: []Input{{Key: InPrincipals, Label: "Users and groups assigned", Hint: "names or e-mail addresses, comma separated"},
			{Key: InAssignmentRequired, Label: "Assignment required (yes/no)"}},
	}
}

// findPrincipal looks a user up by sign-in name or mail, or a group by name.
func findPrincipal(ctx context.Context, d Directory, term string) (Principal, error) {
	if strings.Contains(term, "@") {
		us, err := d.SearchUsers(ctx, term)
		if err != nil {
			return Principal{}, err
		}
		for _, u := range us {
			if strings.EqualFold(u.UserPrincipalName, term) || strings.EqualFold(u.Mail, term) {
				return u, nil
			}
		}
		return Principal{}, fmt.Errorf("no user signs in as %s", term)
	}
	gs, err := d.SearchGroups(ctx, term)
	if err != nil {
		return Principal{}, err
	}
	for _, g := range gs {
		if strings.EqualFold(g.DisplayName, term) {
			return g, nil
		}
	}
	return Principal{}, fmt.Errorf("no group is named %q", term)
}

func (s *Session) autoAssignments(ctx context.Context, t *Target, st *StepState, _ bool) ([]check.Result, error) {
	var out []check.Result
	required, okv := yes(st.Inputs[InAssignmentRequired])
	if !okv {
		return []check.Result{fail("bad-yes-no", InAssignmentRequired, fmt.Sprintf("%q is neither yes nor no.", st.Inputs[InAssignmentRequired]), "Answer yes or no.")}, nil
	}
	terms := splitList(st.Inputs[InPrincipals])
	if len(terms) == 0 && required {
		return []check.Result{fail("nobody-assigned", InPrincipals, "Nobody would be assigned, and with assignment required nobody could sign in.",
			"Name the users or groups who use "+s.Ticket.Vendor+".")}, nil
	}
	for _, term := range terms {
		p, err := findPrincipal(ctx, t.Directory, term)
		if err != nil {
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
			out = append(out, fail("principal-not-found", InPrincipals, strings.ToUpper(err.Error()[:1])+err.Error()[1:]+".", "Check the name, or assign by hand in Users and groups."))
			continue
		}
		if _, err := t.Directory.Assign(ctx, s.state.App, p); err != nil {
			return out, err
		}
		out = append(out, ok("assigned", InPrincipals, fmt.Sprintf("Assigned %s %s.", strings.ToLower(p.Type), p.DisplayName)))
	}
	if check.Failed(out) {
		return out, nil
	}
	if err := t.Directory.RequireAssignment(ctx, s.state.App, required); err != nil {
		return out, err
	}
	as, err := t.Directory.ListAssignments(ctx, s.state.App)
	if err != nil {
		return out, err
	}
	s.state.Assigned = nil
	for _, a := range as {
		s.state.Assigned = append(s.state.Assigned, Principal{ID: a.PrincipalID, Type: a.PrincipalType, DisplayName: a.PrincipalDisplayName})
	}
	s.state.AssignmentRequired = &required
	if !required {
		out = append(out, warn("assignment-not-required", InAssignmentRequired, "Assignment is not required, so everyone in the tenant can sign in to "+s.Ticket.Vendor+".",
			"Set Assignment required to Yes unless that is intended."))
	}
	if hasGroup(s.state.Assigned) {
		out = append(out, warn("nested-groups", InPrincipals, "Entra grants access only to direct members of an assigned group, not to members of groups nested in it.",
			"Assign the nested groups themselves, or their members."))
	}
	return out, nil
}

func hasGroup(ps []Principal) bool {
	return slices.ContainsFunc(ps, func(p Principal) bool { return p.Type == "Group" })
}

func (s *Session) manualAssignments(_ context.Context, _ *Target, st *StepState, _ bool) ([]check.Result, error) {
	required, okv := yes(st.Inputs[InAssignmentRequired])
	if !okv {
		return []check.Result{fail("bad-yes-no", InAssignmentRequired, fmt.Sprintf("%q is neither yes nor no.", st.Inputs[InAssignmentRequired]),
			"Answer yes or no, as the enterprise app's Properties show Assignment required.")}, nil
	}
	terms := splitList(st.Inputs[InPrincipals])
	if required && len(terms) == 0 {
		return []check.Result{fail("nobody-assigned", InPrincipals, "Nobody is assigned, and with assignment required nobody can sign in.",
			"Assign the users or groups who use "+s.Ticket.Vendor+" under Users and groups, and list them here.")}, nil
	}
	s.state.AssignmentRequired = &required
	s.state.Assigned = nil
	for _, term := range terms {
		s.state.Assigned = append(s.state.Assigned, Principal{DisplayName: term})
	}
	out := []check.Result{ok("assignments-recorded", InPrincipals, "Recorded the assignments; the test login shows whether a user gets in.")}
	if !required {
		out = append(out, warn("assignment-not-required", InAssignmentRequired, "Assignment is not required, so everyone in the tenant can sign in to "+s.Ticket.Vendor+".",
			"Set Assignment required to Yes unless that is intended."))
	}
	return out, nil
}
