package wizard

import (
	"context"
	"fmt"

	"github.com/ssowizard/ssowizard/wizard/check"
)

// StepRegistration makes the OIDC app registration, or checks the one the admin made.
const StepRegistration StepName = "registration"

var registrationStep = &Step{
	Name:         StepRegistration,
	Title:        "App registration",
	Verifies:     "The app is registered in the setup's tenant, and Entra knows its client ID there.",
	AutoInputs:   []Input{appNameInput},
	autoTakes:    []string{InClientID}, // an existing app to adopt
	instructions: registrationInstructions,
	defaults:     appNameDefault,
	auto:         (*Session).autoRegistration,
	manual:       (*Session).manualRegistration,
}

// registrationInstructions are how to register the app by hand.
func registrationInstructions(s *Session) Instructions {
	t := s.Ticket
	name := t.DisplayName()
	return Instructions{
		Blade: blade("Microsoft_AAD_RegisteredApps/CreateApplicationBlade/quickStartType~/null/isMSAApp~/false"),
		Text: []string{
			"In the Microsoft Entra admin center, go to Identity > Applications > App registrations and choose New registration.",
			fmt.Sprintf("Name it %q, choose \"Accounts in this organizational directory only (Single tenant)\", and leave the redirect URI for the next step.", name),
			"Choose Register, then copy the Application (client) ID and the Directory (tenant) ID from the Overview page, not the Object ID.",
		},
		Copy:   []CopyValue{{"Name", name}},
		Inputs: []Input{{Key: InClientID, Label: "Application (client) ID", Hint: "a GUID from the Overview page"}, {Key: InTenantID, Label: "Directory (tenant) ID", Hint: "a GUID from the Overview page"}},
	}
}

func (s *Session) autoRegistration(ctx context.Context, t *Target, st *StepState, resumed bool) ([]check.Result, error) {
	return s.createApp(ctx, t, st, resumed, func(name string) (App, error) {
		return t.Directory.CreateOIDCApp(ctx, name, nil)
	})
}

func (s *Session) manualRegistration(ctx context.Context, t *Target, st *StepState, _ bool) ([]check.Result, error) {
	out, err := s.manualIDs(ctx, t, st, InClientID)
	if err != nil || check.Failed(out) {
		return out, err
	}
	// An unknown client ID fails at the authorize endpoint before the redirect URI is
	// looked at: 700016 here means the app is not in this tenant.
	code, err := ProbeAuthorize(ctx, t.client(), t.LoginBase, s.state.TenantID, s.state.App.AppID, LoopbackRedirectURI)
	if err != nil {
		return out, err
	}
	if code == 700016 || code == 700038 {
		return append(out, check.Probe(code, "")), nil
	}
	return append(out, ok("app-found", InClientID, fmt.Sprintf("Entra knows the app %s in this tenant.", s.state.App.AppID))), nil
}
