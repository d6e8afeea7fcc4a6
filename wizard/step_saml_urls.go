package wizard

import (
	"context"
	"fmt"

	"github.com/ssowizard/ssowizard/wizard/check"
)

// StepSAMLURLs sets the vendor's Entity ID and Reply URL (with the test login's), or
// checks that Entra answers requests for them.
const StepSAMLURLs StepName = "saml-urls"

var samlURLsStep = &Step{
	Name:         StepSAMLURLs,
	Title:        "SAML URLs",
	Verifies:     "Entra accepts a SAML request from the vendor's Entity ID answered at the vendor's and the test login's Reply URLs.",
	instructions: samlURLsInstructions,
	auto:         (*Session).autoSAMLURLs,
	autoTakes:    []string{InEntityID},
	manual:       (*Session).manualSAMLURLs,
}

// samlURLsInstructions are how to set the Basic SAML Configuration by hand.
func samlURLsInstructions(s *Session) Instructions {
	t := s.Ticket
	st := s.state
	c := []CopyValue{{"Identifier (Entity ID)", t.entityID()}, {"Reply URL (ACS)", t.acsURL()}, {"Test login Reply URL", LoopbackACS}}
	if t.SAML != nil && t.SAML.RelayState != "" {
		c = append(c, CopyValue{"Relay State", t.SAML.RelayState})
	}
	if t.SAML != nil && t.SAML.SignOnURL != "" {
		c = append(c, CopyValue{"Sign on URL", t.SAML.SignOnURL})
	}
	return Instructions{
		Blade: enterpriseBlade("SignOn", st.App),
		Text: []string{
			"Open the enterprise app's Single sign-on page, choose SAML, and Edit the Basic SAML Configuration.",
			"Add the Identifier and the Reply URL below; add the test login's Reply URL as a second Reply URL (keep the vendor's as default), and Save.",
			"Paste back the Identifier and the Reply URL as Entra now shows them.",
		},
		Copy:   c,
		Inputs: []Input{{Key: InEntityID, Label: "Identifier (Entity ID) as saved"}, {Key: InReplyURL, Label: "Reply URL as saved"}},
	}
}

func (s *Session) autoSAMLURLs(ctx context.Context, t *Target, st *StepState, _ bool) ([]check.Result, error) {
	app := s.state.App
	entity, acs := s.Ticket.entityID(), s.Ticket.acsURL()
	if e := st.Inputs[InEntityID]; e != "" {
		entity = e // the administrator's, over the ticket's
	}
	relay := ""
	if s.Ticket.SAML != nil {
		relay = s.Ticket.SAML.RelayState
	}
	others, err := t.Directory.ApplicationsByIdentifierURI(ctx, entity)
	if err != nil {
		return nil, err
	}
	var apps []check.App
	for _, o := range others {
		apps = append(apps, check.App{AppID: o.AppID, ObjectID: o.ObjectID, DisplayName: o.DisplayName, IdentifierURIs: o.IdentifierURIs})
	}
	out := []check.Result{check.EntityIDUnique(entity, app.AppID, apps)}
	if check.Failed(out) {
		return out, nil
	}
	if err := t.Directory.SetSAMLURLs(ctx, app, entity, acs, relay); err != nil {
		return out, err
	}
	cur, err := t.Directory.Application(ctx, app)
	if err != nil {
		return out, err
	}
	if want := withURIs(cur.RedirectURIs, acs, LoopbackACS); len(want) != len(cur.RedirectURIs) {
		if err := t.Directory.SetRedirectURIs(ctx, app, want); err != nil {
			return out, err
		}
		if cur, err = t.Directory.Application(ctx, app); err != nil {
			return out, err
		}
	}
	s.state.EntityID, s.state.ReplyURL, s.state.RelayState = entity, acs, relay
	s.state.RedirectURIs = cur.RedirectURIs
	s.state.Loopback = []string{LoopbackACS}
	r := check.RedirectURI(acs, cur.RedirectURIs)
	r.Field = InReplyURL
	out = append(out, r)
	if !containsFold(cur.IdentifierURIs, entity) {
		out = append(out, fail("identifier-missing", InEntityID, "The app's Identifier did not take the vendor's Entity ID.", "Set it by hand in Basic SAML Configuration."))
	}
	if !check.Failed(out) {
		out = append(out, ok("saml-urls-set", InEntityID, fmt.Sprintf("Set Identifier %s and Reply URL %s, with the test login's %s beside it.", entity, acs, LoopbackACS)))
	}
	return out, nil
}

func containsFold(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// probeSAMLURL turns the SAML probe's answer into a check.
func (s *Session) probeSAMLURL(ctx context.Context, t *Target, entity, acs, whose string) (check.Result, error) {
	code, err := ProbeSAML(ctx, t.client(), t.LoginBase, s.state.TenantID, entity, acs, s.e.now())
	if err != nil {
		return check.Result{}, err
	}
	switch code {
	case 0:
		return ok("saml-accepted", InReplyURL, fmt.Sprintf("Entra accepts a request from %s answered at %s.", entity, acs)), nil
	case 700016:
		return fail("identifier-not-registered", InEntityID, fmt.Sprintf("No app in the tenant has the Identifier %s (AADSTS700016).", entity),
			"Add it exactly under Basic SAML Configuration > Identifier (Entity ID), and Save."), nil
	case 50011:
		return fail("reply-url-not-registered", InReplyURL, fmt.Sprintf("Entra does not have %s (%s) among the app's Reply URLs (AADSTS50011).", acs, whose),
			"Add it exactly under Basic SAML Configuration > Reply URL, and Save."), nil
	}
	return check.Probe(code, ""), nil
}

func (s *Session) manualSAMLURLs(ctx context.Context, t *Target, st *StepState, _ bool) ([]check.Result, error) {
	entity, acs := s.Ticket.entityID(), s.Ticket.acsURL()
	var out []check.Result
	if e := st.Inputs[InEntityID]; e == "" {
		out = append(out, fail("missing", InEntityID, "The Identifier as saved is missing.", "Paste it from Basic SAML Configuration."))
	} else if e != entity {
		out = append(out, check.Result{ID: "entity-id-differs", Field: InEntityID, Severity: check.Error,
			Message: "The Identifier saved in Entra differs from the vendor's Entity ID.",
			Fix:     "Replace it with the vendor's value exactly: " + entity, Detail: check.Diff(entity, e)})
	}
	if r := st.Inputs[InReplyURL]; r == "" {
		out = append(out, fail("missing", InReplyURL, "The Reply URL as saved is missing.", "Paste it from Basic SAML Configuration."))
	} else {
		res := check.RedirectURI(r, []string{acs})
		res.Field = InReplyURL
		out = append(out, res)
	}
	if check.Failed(out) {
		return out, nil
	}
	for _, a := range []struct{ acs, whose string }{{acs, "the vendor's"}, {LoopbackACS, "the test login's"}} {
		r, err := s.probeSAMLURL(ctx, t, entity, a.acs, a.whose)
		if err != nil {
			return out, err
		}
		out = append(out, r)
		if r.ID == "identifier-not-registered" {
			break
		}
	}
	if !check.Failed(out) {
		s.state.EntityID, s.state.ReplyURL = entity, acs
		if s.Ticket.SAML != nil {
			s.state.RelayState = s.Ticket.SAML.RelayState
		}
		s.state.Loopback = []string{LoopbackACS}
		s.state.RedirectURIs = []string{acs, LoopbackACS}
	}
	return out, nil
}
