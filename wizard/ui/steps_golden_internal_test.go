package ui

import (
	"testing"

	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/wizard"
)

// goldenStep is one step of a manual walk rendered in its main states: as first shown,
// failed on a classic mistake (when bad is set), and verified.
type goldenStep struct {
	step      wizard.StepName
	file      string
	bad, good map[string]string
}

// walkGoldens walks a manual setup step by step through the setup screen, typing into
// the entries and tapping Check and Next, and compares what each state shows with its
// golden. vary returns the strings that differ between runs (the harness's port) with
// their stand-ins.
func walkGoldens(t *testing.T, r *setupRig, steps []goldenStep, vary func() []string) {
	t.Helper()
	typeAll := func(in map[string]string) {
		for k, v := range in {
			r.typeIn(k, v)
		}
	}
	for i, g := range steps {
		r.shows(g.step, wizard.NotStarted)
		assertStructure(t, "setup_"+g.file+"_not_started.txt", r.win.Canvas(), vary()...)
		if g.bad != nil {
			typeAll(g.bad)
			r.tap(r.sc.runBtn)
			r.shows(g.step, wizard.Failed)
			if !r.sc.nextBtn.Disabled() {
				t.Errorf("%s: Next is enabled on a failed step", g.step)
			}
			assertStructure(t, "setup_"+g.file+"_failed.txt", r.win.Canvas(), vary()...)
		}
		typeAll(g.good)
		r.tap(r.sc.runBtn)
		r.shows(g.step, wizard.Verified)
		assertStructure(t, "setup_"+g.file+"_verified.txt", r.win.Canvas(), vary()...)
		if i < len(steps)-1 {
			r.tap(r.sc.nextBtn)
		}
	}
}

// TestSetupMarkupEveryOIDCStep renders every manual OIDC step before the test login
// not started, failed on the mistake admins make there, and verified. The client
// secret step's own goldens are TestSetupMarkupSecretStep's; the test step's result and
// the enable step's are TestSetupMarkupTestAndEnable's.
func TestSetupMarkupEveryOIDCStep(t *testing.T) {
	f := newWizFixture(t)
	s := f.session(t)
	r := newSetupRig(t, s, f.target())
	vary := func() []string { return []string{f.srv.BaseURL, "https://harness.test"} }
	walkGoldens(t, r, []goldenStep{
		{step: wizard.StepRegistration, file: "oidc_registration",
			// The Directory (tenant) ID pasted where the Application (client) ID goes.
			bad:  map[string]string{wizard.InClientID: tenant.DemoTenantID, wizard.InTenantID: tenant.DemoTenantID},
			good: map[string]string{wizard.InClientID: tenant.DemoAppID}},
		{step: wizard.StepRedirectURI, file: "oidc_redirect_uri",
			// The trailing slash Entra compares exactly.
			bad:  map[string]string{wizard.InRedirectURI: tenant.DemoRedirectURI + "/"},
			good: map[string]string{wizard.InRedirectURI: tenant.DemoRedirectURI}},
	}, vary)
	r.tap(r.sc.nextBtn)
	value, _ := f.demoSecret(t)
	r.typeIn(wizard.InClientSecret, value)
	r.typeIn(wizard.InSecretExpires, "2027-11-23")
	r.tap(r.sc.runBtn)
	r.shows(wizard.StepClientSecret, wizard.Verified)
	r.tap(r.sc.nextBtn)
	walkGoldens(t, r, []goldenStep{
		{step: wizard.StepDomain, file: "oidc_domain",
			// A domain the tenant has not verified.
			bad:  map[string]string{wizard.InDomains: "vendor-customer.example"},
			good: map[string]string{wizard.InDomains: tenant.DemoDomain}},
		{step: wizard.StepAssignments, file: "oidc_assignments",
			// Assignment required, and nobody assigned.
			bad:  map[string]string{wizard.InPrincipals: "", wizard.InAssignmentRequired: "yes"},
			good: map[string]string{wizard.InPrincipals: "Vendor Users"}},
	}, vary)
	r.tap(r.sc.nextBtn)
	r.shows(wizard.StepTest, wizard.NotStarted)
	assertStructure(t, "setup_oidc_test_not_started.txt", r.win.Canvas(), vary()...)
}

// TestSetupMarkupEverySAMLStep renders the SAML path's steps before the test login.
func TestSetupMarkupEverySAMLStep(t *testing.T) {
	f := newWizFixture(t)
	s, err := f.engine.Create(testCtx(t), wizard.NewSession{Ticket: demoVendorTicket(t), Protocol: wizard.SAML, Target: "harness", Mode: wizard.Manual})
	if err != nil {
		t.Fatal(err)
	}
	r := newSetupRig(t, s, f.target())
	mdURL := f.srv.BaseURL + "/" + tenant.DemoTenantID + "/federationmetadata/2007-06/federationmetadata.xml?appid=" + tenant.DemoAppID
	// The signing certificate is testdata's (seedSAMLKey): its thumbprint is the same
	// in every run and stays in the goldens.
	vary := func() []string { return []string{f.srv.BaseURL, "https://harness.test"} }
	walkGoldens(t, r, []goldenStep{
		{step: wizard.StepEnterpriseApp, file: "saml_enterprise_app",
			// The tenant ID pasted with the portal's braces and cut short.
			bad:  map[string]string{wizard.InAppID: tenant.DemoAppID, wizard.InTenantID: "{" + tenant.DemoTenantID},
			good: map[string]string{wizard.InTenantID: tenant.DemoTenantID}},
		{step: wizard.StepSAMLURLs, file: "saml_urls",
			// http for https in the Identifier.
			bad:  map[string]string{wizard.InEntityID: "http" + tenant.DemoEntityID[len("https"):], wizard.InReplyURL: tenant.DemoReplyURL},
			good: map[string]string{wizard.InEntityID: tenant.DemoEntityID}},
		{step: wizard.StepIdPMetadata, file: "saml_idp_metadata",
			// A fingerprint that is no certificate's, with the v2.0 issuer for the SAML one.
			bad:  map[string]string{wizard.InFingerprint: "00", wizard.InIssuer: "https://login.microsoftonline.com/" + tenant.DemoTenantID + "/v2.0"},
			good: map[string]string{wizard.InFingerprint: "", wizard.InIssuer: "", wizard.InMetadataURL: mdURL}},
		{step: wizard.StepDomain, file: "saml_domain",
			good: map[string]string{wizard.InDomains: tenant.DemoDomain}},
		{step: wizard.StepAssignments, file: "saml_assignments",
			good: map[string]string{wizard.InPrincipals: "Vendor Users", wizard.InAssignmentRequired: "yes"}},
	}, vary)
	r.tap(r.sc.nextBtn)
	r.shows(wizard.StepTest, wizard.NotStarted)
	assertStructure(t, "setup_saml_test_not_started.txt", r.win.Canvas(), vary()...)
}

// TestSetupMarkupAutoStep renders an automatic step: the button does it through Graph.
func TestSetupMarkupAutoStep(t *testing.T) {
	f := newWizFixture(t)
	s, err := f.engine.Create(testCtx(t), wizard.NewSession{Ticket: demoVendorTicket(t), Protocol: wizard.OIDC, Target: "harness", Mode: wizard.Auto})
	if err != nil {
		t.Fatal(err)
	}
	r := newSetupRig(t, s, f.target())
	r.shows(wizard.StepRegistration, wizard.NotStarted)
	if r.sc.runBtn.Text != "Do it for me" {
		t.Errorf("the automatic step's button says %q", r.sc.runBtn.Text)
	}
	assertStructure(t, "setup_auto_registration_not_started.txt", r.win.Canvas(), f.srv.BaseURL, "https://harness.test")
}
