package wizard

import (
	"context"
	"fmt"
	"slices"

	"github.com/ssowizard/ssowizard/wizard/check"
)

// StepRedirectURI registers the vendor's redirect URI and the test login's loopback
// URI, or checks that Entra has both.
const StepRedirectURI StepName = "redirect-uri"

var redirectURIStep = &Step{
	Name:         StepRedirectURI,
	Title:        "Redirect URI",
	Verifies:     "Entra accepts the vendor's redirect URI and the test login's loopback URI for the app.",
	instructions: redirectURIInstructions,
	auto:         (*Session).autoRedirectURI,
	manual:       (*Session).manualRedirectURI,
}

// redirectURIInstructions are how to add the redirect URIs by hand.
func redirectURIInstructions(s *Session) Instructions {
	t := s.Ticket
	st := s.state
	return Instructions{
		Blade: appBlade("Authentication", st.App.AppID),
		Text: []string{
			"Open the app's Authentication page and choose Add a platform > Web.",
			"Add the vendor's redirect URI exactly as below, then add the test login's loopback URI as a second Web redirect URI, and Save.",
			"Paste back the vendor's redirect URI as it now reads in Entra, so the wizard can compare it character by character.",
		},
		Copy:   []CopyValue{{"Vendor redirect URI", t.redirectURI()}, {"Test login redirect URI", LoopbackRedirectURI}},
		Inputs: []Input{{Key: InRedirectURI, Label: "Redirect URI as registered"}},
	}
}

func (s *Session) autoRedirectURI(ctx context.Context, t *Target, _ *StepState, _ bool) ([]check.Result, error) {
	app := s.state.App
	cur, err := t.Directory.Application(ctx, app)
	if err != nil {
		return nil, err
	}
	want := withURIs(cur.RedirectURIs, s.Ticket.redirectURI(), LoopbackRedirectURI)
	if !slices.Equal(want, cur.RedirectURIs) {
		if err := t.Directory.SetRedirectURIs(ctx, app, want); err != nil {
			return nil, err
		}
	}
	back, err := t.Directory.Application(ctx, app)
	if err != nil {
		return nil, err
	}
	s.state.RedirectURIs = back.RedirectURIs
	s.state.Loopback = []string{LoopbackRedirectURI}
	r := check.RedirectURI(s.Ticket.redirectURI(), back.RedirectURIs)
	out := []check.Result{r}
	if r.Failed() {
		return out, nil
	}
	return append(out, ok("redirect-registered", InRedirectURI, fmt.Sprintf("Registered %s and the test login's %s.", s.Ticket.redirectURI(), LoopbackRedirectURI))), nil
}

// probeRedirect turns the authorize probe's answer into a check.
func (s *Session) probeRedirect(ctx context.Context, t *Target, uri, whose string) (check.Result, error) {
	code, err := ProbeAuthorize(ctx, t.client(), t.LoginBase, s.state.TenantID, s.state.App.AppID, uri)
	if err != nil {
		return check.Result{}, err
	}
	switch code {
	case 0:
		return ok("redirect-accepted", InRedirectURI, fmt.Sprintf("Entra accepts %s as a redirect URI of the app.", uri)), nil
	case 50011, 500113:
		return fail("redirect-not-registered", InRedirectURI, fmt.Sprintf("Entra does not have %s (%s) among the app's redirect URIs (AADSTS%d).", uri, whose, code),
			"Add it exactly as shown under Authentication > Web > Redirect URIs, and Save."), nil
	}
	return check.Probe(code, ""), nil
}

func (s *Session) manualRedirectURI(ctx context.Context, t *Target, st *StepState, _ bool) ([]check.Result, error) {
	entered := st.Inputs[InRedirectURI]
	if entered == "" {
		return []check.Result{fail("missing", InRedirectURI, "The redirect URI as registered is missing.", "Paste it from the app's Authentication page.")}, nil
	}
	out := []check.Result{check.RedirectURI(entered, []string{s.Ticket.redirectURI()})}
	for _, u := range []struct{ uri, whose string }{{s.Ticket.redirectURI(), "the vendor's"}, {LoopbackRedirectURI, "the test login's"}} {
		r, err := s.probeRedirect(ctx, t, u.uri, u.whose)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	if !check.Failed(out) {
		s.state.RedirectURIs = []string{s.Ticket.redirectURI(), LoopbackRedirectURI}
		s.state.Loopback = []string{LoopbackRedirectURI}
	}
	return out, nil
}
