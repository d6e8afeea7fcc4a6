package wizard_test

import (
	"slices"
	"testing"

	"github.com/ssowizard/ssowizard/wizard"
)

// The step names are stored with every session and used by answers files and the
// CLI's JSON, and the titles are what the CLI prints: neither may change by accident.
func TestStepPathsAndTitles(t *testing.T) {
	type named struct{ name, title string }
	for _, tc := range []struct {
		p    wizard.Protocol
		want []named
	}{
		{wizard.OIDC, []named{{"registration", "App registration"}, {"redirect-uri", "Redirect URI"}, {"client-secret", "Client secret"},
			{"domain", "Domain"}, {"assignments", "Users and groups"}, {"test", "Test login"}, {"enable", "Enable"}}},
		{wizard.SAML, []named{{"enterprise-app", "Enterprise application"}, {"saml-urls", "SAML URLs"}, {"idp-metadata", "IdP metadata"},
			{"domain", "Domain"}, {"assignments", "Users and groups"}, {"test", "Test login"}, {"enable", "Enable"}}},
	} {
		var got []named
		for _, n := range wizard.Steps(tc.p) {
			got = append(got, named{string(n), n.Title()})
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("Steps(%s) = %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := wizard.StepName("no-such-step").Title(); got != "no-such-step" {
		t.Errorf("Title of an unknown step = %q, want its name", got)
	}
}

func TestEveryStepIsDescribed(t *testing.T) {
	s := &wizard.Session{Ticket: wizard.DemoTicket()}
	for _, p := range []wizard.Protocol{wizard.OIDC, wizard.SAML} {
		for _, n := range wizard.Steps(p) {
			d, ok := wizard.Describe(n)
			if !ok {
				t.Errorf("Describe(%s) found nothing", n)
				continue
			}
			if d.Name != n || d.Title == "" || d.Verifies == "" {
				t.Errorf("Describe(%s) = name %q, title %q, verifies %q: want its own name and both texts", n, d.Name, d.Title, d.Verifies)
			}
			in := s.Instructions(n)
			if len(in.Text) == 0 || len(in.Inputs) == 0 {
				t.Errorf("Instructions(%s) has %d paragraphs and %d inputs, want both", n, len(in.Text), len(in.Inputs))
			}
		}
	}
	if _, ok := wizard.Describe("no-such-step"); ok {
		t.Error(`Describe("no-such-step") found a step`)
	}
}
