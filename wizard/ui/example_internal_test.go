package ui

import (
	"crypto/x509"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ssowizard/ssowizard/harness/entrasaml"
	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/inspect"
)

// testExample makes examples as the composition root does, signed with the demo key of
// testdata/keys (valid on fixedNow's day) so no key is generated and nothing is random
// that matters: a response at fixedNow, the metadata publishing its certificate.
func testExample(t *testing.T) func() (Example, error) {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "keys", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	kp, err := entrasaml.ParseKeyPair(read("demo-saml-signing.pem"), read("demo-saml-signing-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	md, err := entrasaml.BuildMetadata(entrasaml.MetadataOptions{TenantID: tenant.DemoTenantID, Certs: []*x509.Certificate{kp.Cert}})
	if err != nil {
		t.Fatal(err)
	}
	return func() (Example, error) {
		r, err := entrasaml.BuildResponse(entrasaml.ResponseOptions{
			TenantID: tenant.DemoTenantID,
			Audience: tenant.DemoEntityID,
			ACS:      tenant.DemoReplyURL,
			User: entrasaml.User{
				ObjectID:          "3f2b8e1a-6c4d-4b7e-9a12-5d8c0e6f7a31",
				UserPrincipalName: "alice@" + tenant.DemoDomain,
				Mail:              "alice@" + tenant.DemoDomain,
				DisplayName:       "Alice Smith",
			},
			Signer: kp,
			Now:    fixedNow,
		})
		if err != nil {
			return Example{}, err
		}
		return Example{Message: []byte(base64.StdEncoding.EncodeToString(r.XML)), Metadata: md,
			SPEntityID: tenant.DemoEntityID, ACS: tenant.DemoReplyURL}, nil
	}
}

// loadExampleButton is the Inspector's "Load example" button; nil when it is not shown.
func loadExampleButton(r *rig) *widget.Button {
	for _, o := range test.LaidOutObjects(r.win.Content()) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Load example" {
			return b
		}
	}
	return nil
}

// "Load example" trusts the example's certificate and sets what it was made for, so the
// real inspector verifies it and the window says OK in the success colour; "Forget"
// clears that trust like any other, and the same input is then not verified.
func TestLoadExampleIsVerifiedUntilForgotten(t *testing.T) {
	reports := make(chan *inspect.Report, 4)
	r := newRig(t, Deps{Example: testExample(t), Inspect: func(in []byte, opts inspect.Options) *inspect.Report {
		rep := inspect.Inspect(in, opts)
		reports <- rep
		return rep
	}}, nil)
	b := loadExampleButton(r)
	if b == nil {
		t.Fatal("no Load example button")
	}
	test.Tap(b)
	r.wait() // the example is made
	r.wait() // and inspected
	c := <-r.calls
	rep := <-reports
	if !rep.OK() || rep.Verdict != inspect.VerdictOK || len(rep.Findings) != 0 {
		t.Fatalf("Load example: verdict %q, OK() = %v, unverified %q, findings %+v; want a verified OK with no finding", rep.Verdict, rep.OK(), rep.Unverified, rep.Findings)
	}
	if rep.Signature == nil || rep.Signature.TrustedBy != "metadata" {
		t.Errorf("Load example: signature %+v, want one trusted by the example's metadata", rep.Signature)
	}
	if c.opts.SPEntityID != tenant.DemoEntityID || c.opts.ACS != tenant.DemoReplyURL {
		t.Errorf("Load example expected SP Entity ID %q and ACS %q, want the example's %q and %q", c.opts.SPEntityID, c.opts.ACS, tenant.DemoEntityID, tenant.DemoReplyURL)
	}
	if got := texts(r.s.results); len(got) == 0 || got[0] != "SAML Response — OK" {
		t.Errorf("Load example: results begin %q, want the banner \"SAML Response — OK\"", got)
	}
	if got := r.s.trustLabel.Text; !strings.Contains(got, "the demo tenant's example certificate") {
		t.Errorf("trust after Load example = %q, want it to name the demo tenant's example certificate", got)
	}

	// Loading it again does not list the certificate twice.
	test.Tap(b)
	r.wait()
	r.wait()
	<-r.calls
	<-reports
	if n := strings.Count(r.s.trustLabel.Text, "example certificate"); n != 1 {
		t.Errorf("trust after a second Load example = %q, names the example certificate %d times, want once", r.s.trustLabel.Text, n)
	}

	for _, o := range test.LaidOutObjects(r.win.Content()) {
		if fb, ok := o.(*widget.Button); ok && fb.Text == "Forget" {
			test.Tap(fb)
		}
	}
	if strings.Contains(r.s.trustLabel.Text, "example") {
		t.Errorf("trust after Forget = %q, still names the example", r.s.trustLabel.Text)
	}
	test.Tap(r.s.inspectBtn)
	r.wait()
	<-r.calls
	rep = <-reports
	if rep.OK() || rep.Verdict != inspect.VerdictUnverified {
		t.Fatalf("after Forget: verdict %q, OK() = %v, want not verified", rep.Verdict, rep.OK())
	}
	if got := texts(r.s.results); len(got) == 0 || !strings.Contains(got[0], "not verified") {
		t.Errorf("after Forget: results begin %q, want a not-verified banner", got)
	}
}

// A failing example maker says so in a sentence and leaves the input and trust alone.
func TestLoadExampleFailureSaysWhy(t *testing.T) {
	r := newRig(t, Deps{Example: func() (Example, error) { return Example{}, os.ErrPermission }}, acceptedReport())
	r.s.input.SetText("kept")
	test.Tap(loadExampleButton(r))
	r.wait()
	if want := "The example could not be made: permission denied."; r.s.status.Text != want {
		t.Errorf("status = %q, want %q", r.s.status.Text, want)
	}
	if r.s.input.Text != "kept" || r.s.exampleTrusted || r.ncalls.Load() != 0 {
		t.Errorf("a failed example changed the input (%q), the trust (%v) or inspected (%d calls)", r.s.input.Text, r.s.exampleTrusted, r.ncalls.Load())
	}
}
