package wizard

import (
	"context"
	"fmt"

	"github.com/ssowizard/ssowizard/wizard/check"
)

// StepEnterpriseApp makes the SAML enterprise application, or checks the one the admin
// made.
const StepEnterpriseApp StepName = "enterprise-app"

var enterpriseAppStep = &Step{
	Name:         StepEnterpriseApp,
	Title:        "Enterprise application",
	Verifies:     "The non-gallery enterprise application exists in the setup's tenant.",
	AutoInputs:   []Input{appNameInput},
	instructions: enterpriseAppInstructions,
	defaults:     appNameDefault,
	auto:         (*Session).autoEnterpriseApp,
	autoTakes:    []string{InAppID}, // an existing app to adopt
	manual:       (*Session).manualEnterpriseApp,
}

// enterpriseAppInstructions are how to make the enterprise application by hand.
func enterpriseAppInstructions(s *Session) Instructions {
	t := s.Ticket
	name := t.DisplayName()
	return Instructions{
		Blade: blade("Microsoft_AAD_IAM/AppGalleryBlade"),
		Text: []string{
			"In the Microsoft Entra admin center, go to Identity > Applications > Enterprise applications and choose New application.",
			fmt.Sprintf("Choose Create your own application, name it %q, pick \"Integrate any other application you don't find in the gallery (Non-gallery)\" and Create.", name),
			"From the app's Overview page copy the Application ID, and the Directory (tenant) ID from the tenant's Overview.",
		},
		Copy:   []CopyValue{{"Name", name}},
		Inputs: []Input{{Key: InAppID, Label: "Application ID"}, {Key: InTenantID, Label: "Directory (tenant) ID"}},
	}
}

func (s *Session) autoEnterpriseApp(ctx context.Context, t *Target, st *StepState, resumed bool) ([]check.Result, error) {
	return s.createApp(ctx, t, st, resumed, func(name string) (App, error) {
		return t.Directory.InstantiateSAMLApp(ctx, name)
	})
}

func (s *Session) manualEnterpriseApp(ctx context.Context, t *Target, st *StepState, _ bool) ([]check.Result, error) {
	return s.manualIDs(ctx, t, st, InAppID)
}
