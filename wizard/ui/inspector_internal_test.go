package ui

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ssowizard/ssowizard/inspect"
)

var update = flag.Bool("update", false, "rewrite the markup goldens in testdata/")

var fixedNow = time.Date(2026, 11, 23, 17, 45, 0, 0, time.UTC)

// call is one call of the fake Inspect.
type call struct {
	input []byte
	opts  inspect.Options
}

// rig is the shell in a test window, with the Inspector and an Inspect that records
// what it was given and answers with report, or with d.Inspect's answer when it is set.
type rig struct {
	t       *testing.T
	app     fyne.App
	win     fyne.Window
	sh      *shell
	s       *inspector
	settled chan struct{}
	calls   chan call
	ncalls  atomic.Int32
}

func newRig(t *testing.T, d Deps, report *inspect.Report) *rig {
	t.Helper()
	r := &rig{t: t, settled: make(chan struct{}, 16), calls: make(chan call, 16)}
	r.app = test.NewTempApp(t)
	d.App = r.app
	if d.Now == nil {
		d.Now = func() time.Time { return fixedNow }
	}
	real := d.Inspect
	d.Inspect = func(in []byte, opts inspect.Options) *inspect.Report {
		r.ncalls.Add(1)
		r.calls <- call{in, opts}
		if real != nil {
			return real(in, opts)
		}
		return report
	}
	r.win = test.NewTempWindow(t, widget.NewLabel(""))
	scs := screens(d)
	scs[screenIndex(t, scs, "Inspector")].View = func(e *env) fyne.CanvasObject {
		e.settled = func() { r.settled <- struct{}{} }
		r.s = newInspector(e)
		return r.s.view()
	}
	r.sh = newShell(d, r.win, scs)
	r.win.SetContent(r.sh.content)
	r.win.Resize(fyne.NewSize(1100, 900))
	return r
}

// wait blocks until one async result has been applied.
func (r *rig) wait() {
	r.t.Helper()
	select {
	case <-r.settled:
	case <-time.After(time.Minute): // a hang guard: it takes milliseconds
		r.t.Fatal("no async result was applied within a minute")
	}
}

// inspect pastes input, presses Inspect and waits for the result.
func (r *rig) inspect(input string) call {
	r.t.Helper()
	r.s.input.SetText(input)
	test.Tap(r.s.inspectBtn)
	r.wait()
	return <-r.calls
}

// assertMarkup compares the canvas's full markup, positions and sizes included, with
// the golden testdata/name. Only a few layout goldens use it, on screens whose every
// text is fixed; the others compare what is shown (assertStructure), so a font or
// theme change rewrites only these.
func assertMarkup(t *testing.T, name string, c fyne.Canvas) {
	t.Helper()
	if *update {
		if err := os.WriteFile(filepath.Join("testdata", name), []byte(test.RenderToMarkup(c)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	test.AssertRendersToMarkup(t, name, c)
}

func TestInspectorMarkup(t *testing.T) {
	for _, tc := range []struct {
		golden string
		report *inspect.Report
	}{
		{"inspector_empty.txt", nil},
		{"inspector_accepted.xml", acceptedReport()},
		{"inspector_rejected.txt", rejectedReport()},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			r := newRig(t, Deps{Example: func() (Example, error) { return Example{Message: []byte("<samlp:Response/>")}, nil }}, tc.report)
			if tc.report != nil {
				r.inspect("PHNhbWxwOlJlc3BvbnNlIC8+")
			}
			if strings.HasSuffix(tc.golden, ".xml") {
				assertMarkup(t, tc.golden, r.win.Canvas())
			} else {
				assertStructure(t, tc.golden, r.win.Canvas())
			}
		})
	}
}

func TestInspectBuildsOptions(t *testing.T) {
	r := newRig(t, Deps{}, acceptedReport())
	fp := strings.ToUpper(certHash)
	set := map[string]string{
		fieldFingerprint: "sha256 Fingerprint=" + colons(fp),
		fieldSPEntityID:  " https://vendor.example/saml ",
		fieldACS:         "https://vendor.example/saml/acs",
		fieldClientID:    "11111111-2222-3333-4444-555555555555",
		fieldTenant:      "contoso.com",
		fieldRequestID:   "id-7f3c9a5e2b1d",
		fieldNonce:       "n-0S6_WzA2Mj",
		fieldSkew:        "2m",
		fieldCheckAt:     "2026-11-23T18:00:00Z",
	}
	for name, v := range set {
		test.Type(r.s.fields[name].entry, v)
	}
	c := r.inspect("PHNhbWxwOlJlc3BvbnNlIC8+")

	if string(c.input) != "PHNhbWxwOlJlc3BvbnNlIC8+" {
		t.Errorf("Inspect got input %q, want the pasted text", c.input)
	}
	want, _ := hex.DecodeString(certHash)
	o := c.opts
	if len(o.Fingerprints) != 1 || hex.EncodeToString(o.Fingerprints[0][:]) != hex.EncodeToString(want) {
		t.Errorf("Options.Fingerprints = %x, want [%s]", o.Fingerprints, certHash)
	}
	for _, f := range []struct{ name, got, want string }{
		{"SPEntityID", o.SPEntityID, "https://vendor.example/saml"},
		{"ACS", o.ACS, "https://vendor.example/saml/acs"},
		{"ClientID", o.ClientID, "11111111-2222-3333-4444-555555555555"},
		{"Tenant", o.Tenant, "contoso.com"},
		{"RequestID", o.RequestID, "id-7f3c9a5e2b1d"},
		{"Nonce", o.Nonce, "n-0S6_WzA2Mj"},
	} {
		if f.got != f.want {
			t.Errorf("Options.%s = %q, want %q", f.name, f.got, f.want)
		}
	}
	if o.Skew != 2*time.Minute {
		t.Errorf("Options.Skew = %v, want 2m", o.Skew)
	}
	if !o.Now.Equal(time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC)) {
		t.Errorf("Options.Now = %v, want 2026-11-23T18:00:00Z", o.Now)
	}

	// Emptying "check at" checks at the injected clock's now.
	r.s.fields[fieldCheckAt].entry.SetText("")
	if c := r.inspect("PHNhbWxwOlJlc3BvbnNlIC8+"); !c.opts.Now.Equal(fixedNow) {
		t.Errorf("Options.Now with an empty field = %v, want %v", c.opts.Now, fixedNow)
	}
}

func colons(h string) string {
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

func TestBadFieldStopsInspect(t *testing.T) {
	for _, tc := range []struct {
		field, value, want string
	}{
		{fieldFingerprint, "not-hex", `Fingerprint: "not-hex" is not hexadecimal`},
		{fieldFingerprint, "3B:5E:80:47:5E:0E:02:33:6B:1C:3D:A7:29:C5:6F:2E:6A:96:A8:2B", "SHA-1 thumbprint"},
		{fieldSkew, "5", `Clock skew: "5" is not a duration`},
		{fieldSkew, "-1m", "is negative"},
		{fieldCheckAt, "yesterday", `Check at: "yesterday" is not an RFC 3339 time`},
	} {
		t.Run(tc.field+"="+tc.value, func(t *testing.T) {
			r := newRig(t, Deps{}, acceptedReport())
			const pasted = "PHNhbWxwOlJlc3BvbnNlIC8+"
			r.s.input.SetText(pasted)
			f := r.s.fields[tc.field]
			test.Type(f.entry, tc.value)
			if !f.err.Visible() || !strings.Contains(f.err.Text, tc.want) {
				t.Errorf("typing %q: error shown = %v %q, want one containing %q", tc.value, f.err.Visible(), f.err.Text, tc.want)
			}
			test.Tap(r.s.inspectBtn)
			if n := r.ncalls.Load(); n != 0 {
				t.Errorf("Inspect was called %d times with %s=%q, want none", n, tc.field, tc.value)
			}
			if r.s.input.Text != pasted {
				t.Errorf("input after a refused Inspect = %q, want %q kept", r.s.input.Text, pasted)
			}
			if !strings.Contains(r.s.status.Text, "correct 1 field") {
				t.Errorf("status = %q, want it to say a field needs correcting", r.s.status.Text)
			}
			// Correcting the field clears its error.
			f.entry.SetText("")
			if f.err.Visible() {
				t.Errorf("error still shown after emptying the field: %q", f.err.Text)
			}
		})
	}
}

func TestEmptyInputIsNotInspected(t *testing.T) {
	r := newRig(t, Deps{}, acceptedReport())
	test.Tap(r.s.inspectBtn)
	if n := r.ncalls.Load(); n != 0 {
		t.Errorf("Inspect was called %d times on empty input", n)
	}
	if !strings.HasPrefix(r.s.status.Text, "Nothing to inspect") {
		t.Errorf("status = %q, want it to ask for input", r.s.status.Text)
	}
}

// writeCert writes a fresh self-signed certificate as PEM and returns it with its path.
func writeCert(t *testing.T) (*x509.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "Microsoft Azure Federated SSO Certificate"},
		NotBefore:    fixedNow.Add(-time.Hour),
		NotAfter:     fixedNow.Add(3 * 365 * 24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "idp.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, path
}

func TestTrustFromCertificateFile(t *testing.T) {
	r := newRig(t, Deps{}, acceptedReport())
	cert, path := writeCert(t)
	r.s.loadTrustURI(storage.NewFileURI(path))
	r.wait()
	if r.s.trustErr.Visible() {
		t.Fatalf("loading %s shows the error %q", path, r.s.trustErr.Text)
	}
	if want := "Trusted: certificate from idp.pem (1 certificate)."; r.s.trustLabel.Text != want {
		t.Errorf("trust label = %q, want %q", r.s.trustLabel.Text, want)
	}
	c := r.inspect("PHNhbWxwOlJlc3BvbnNlIC8+")
	if len(c.opts.Certs) != 1 || !c.opts.Certs[0].Equal(cert) {
		t.Fatalf("Options.Certs = %d certificates, want the one in %s", len(c.opts.Certs), path)
	}
	if c.opts.CertSource != "certificate" {
		t.Errorf("Options.CertSource = %q, want certificate", c.opts.CertSource)
	}

	// A second inspection does not add the certificate again, and Forget drops it.
	if c := r.inspect("x"); len(c.opts.Certs) != 1 {
		t.Errorf("second inspection got %d certificates, want 1", len(c.opts.Certs))
	}
	r.s.onClearTrust()
	if c := r.inspect("x"); len(c.opts.Certs) != 0 {
		t.Errorf("after Forget, Options.Certs has %d certificates, want none", len(c.opts.Certs))
	}
}

func TestTrustFileNotTrustMaterial(t *testing.T) {
	r := newRig(t, Deps{}, acceptedReport())
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.s.loadTrustURI(storage.NewFileURI(path))
	r.wait()
	if !r.s.trustErr.Visible() || !strings.HasPrefix(r.s.trustErr.Text, "Notes.txt is not usable trust material") {
		t.Errorf("trust error = %q, want a sentence naming notes.txt", r.s.trustErr.Text)
	}
}

func TestFetchError(t *testing.T) {
	const url = "https://login.microsoftonline.com/contoso.com/federationmetadata/2007-06/federationmetadata.xml"
	r := newRig(t, Deps{Fetch: func(ctx context.Context, u string) ([]byte, error) {
		if _, ok := ctx.Deadline(); !ok {
			t.Errorf("Fetch(%q) got a context without a deadline", u)
		}
		return nil, errors.New("dial tcp: lookup login.microsoftonline.com: no such host")
	}}, acceptedReport())
	r.s.trustURL.SetText(url)
	test.Tap(r.s.fetchBtn)
	r.wait()
	want := "Fetching " + url + " failed: dial tcp: lookup login.microsoftonline.com: no such host; check the address, or download the file and open it."
	if !r.s.trustErr.Visible() || r.s.trustErr.Text != want {
		t.Errorf("trust error = %q, want %q", r.s.trustErr.Text, want)
	}
	if r.s.fetchBtn.Disabled() || !r.s.cancelBtn.Disabled() {
		t.Errorf("after the fetch, Fetch disabled = %v and Cancel disabled = %v, want false and true", r.s.fetchBtn.Disabled(), r.s.cancelBtn.Disabled())
	}
}

func TestFetchCancelled(t *testing.T) {
	started := make(chan struct{})
	r := newRig(t, Deps{Fetch: func(ctx context.Context, u string) ([]byte, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	}}, acceptedReport())
	r.s.trustURL.SetText("https://idp.example/metadata.xml")
	test.Tap(r.s.fetchBtn)
	<-started
	test.Tap(r.s.cancelBtn)
	r.wait()
	if want := "Fetching https://idp.example/metadata.xml was cancelled."; r.s.trustErr.Text != want {
		t.Errorf("trust error = %q, want %q", r.s.trustErr.Text, want)
	}
}

func TestFetchUnavailable(t *testing.T) {
	r := newRig(t, Deps{}, acceptedReport())
	r.s.trustURL.SetText("https://idp.example/metadata.xml")
	test.Tap(r.s.fetchBtn)
	if want := "Fetching addresses is not available here; download the file and open it instead."; r.s.trustErr.Text != want {
		t.Errorf("trust error = %q, want %q", r.s.trustErr.Text, want)
	}
}

// copyButtonFor finds the copy button beside the label showing text.
func copyButtonFor(root fyne.CanvasObject, text string) *widget.Button {
	var found *widget.Button
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		c, ok := o.(*fyne.Container)
		if !ok || found != nil {
			return
		}
		var label bool
		var btn *widget.Button
		for _, child := range c.Objects {
			if l, ok := child.(*widget.Label); ok && l.Text == text {
				label = true
			}
			if b, ok := child.(*widget.Button); ok {
				btn = b
			}
			if bc, ok := child.(*fyne.Container); ok && len(bc.Objects) == 1 {
				if b, ok := bc.Objects[0].(*widget.Button); ok {
					btn = b
				}
			}
		}
		if label && btn != nil {
			found = btn
			return
		}
		for _, child := range c.Objects {
			walk(child)
		}
	}
	walk(root)
	return found
}

func TestCopyPutsValueOnClipboard(t *testing.T) {
	r := newRig(t, Deps{}, acceptedReport())
	r.inspect("PHNhbWxwOlJlc3BvbnNlIC8+")
	for _, v := range []string{issuer, certHash, "alice@contoso.com", tenantID} {
		b := copyButtonFor(r.s.results, v)
		if b == nil {
			t.Errorf("no copy button beside %q", v)
			continue
		}
		test.Tap(b)
		if got := r.app.Clipboard().Content(); got != v {
			t.Errorf("clipboard after copying %q = %q", v, got)
		}
	}
}

// texts lists every label and text shown under o.
func texts(o fyne.CanvasObject) []string {
	var out []string
	switch x := o.(type) {
	case *widget.Label:
		out = append(out, x.Text)
	case *canvas.Text:
		out = append(out, x.Text)
	case *fyne.Container:
		for _, c := range x.Objects {
			out = append(out, texts(c)...)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestHARSelectionSwitchesDetail(t *testing.T) {
	r := newRig(t, Deps{}, harReport())
	r.inspect(`{"log":{"entries":[]}}`)
	if r.s.harList == nil {
		t.Fatal("a HAR report shows no message list")
	}
	top := texts(r.s.results)
	if !contains(top, "HAR capture — 2 messages, 1 rejected") {
		t.Errorf("results %q lack the capture's verdict", top)
	}
	first := texts(r.s.harDetail)
	if !contains(first, "SAML AuthnRequest — OK") || contains(first, "SAML Response — rejected: 3 errors") {
		t.Errorf("detail of the first message = %q, want the AuthnRequest", first)
	}
	r.s.harList.Select(1)
	second := texts(r.s.harDetail)
	if !contains(second, "SAML Response — rejected: 3 errors") || !contains(second, "entry 7: POST https://vendor.example/saml/acs") {
		t.Errorf("detail after selecting the second message = %q, want the rejected response with its source", second)
	}
}

func TestDroppedFileIsInspected(t *testing.T) {
	r := newRig(t, Deps{}, acceptedReport())
	path := filepath.Join(t.TempDir(), "response.xml")
	const body = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	other := storage.NewFileURI(filepath.Join(t.TempDir(), "other.xml"))
	r.sh.envs[r.sh.tabs.SelectedIndex()].dropped([]fyne.URI{storage.NewFileURI(path), other})
	r.wait() // the file read
	r.wait() // the inspection
	c := <-r.calls
	if string(c.input) != body || r.s.input.Text != body {
		t.Errorf("dropped file: Inspect got %q, entry shows %q, want both %q", c.input, r.s.input.Text, body)
	}
	if want := "2 files were dropped; only response.xml is inspected."; !r.s.inputNote.Visible() || r.s.inputNote.Text != want {
		t.Errorf("note after dropping two files = %q, want %q", r.s.inputNote.Text, want)
	}
}

func TestLargeFileKeptAside(t *testing.T) {
	r := newRig(t, Deps{}, harReport())
	big := []byte(`{"log":{"entries":[],"pad":"` + strings.Repeat("a", showLimit) + `"}}`)
	r.s.setInput("capture.har", big)
	if r.s.input.Text != "" || !r.s.inputNote.Visible() {
		t.Fatalf("a %d-byte input: entry holds %d bytes, note shown %v; want it kept aside with a note", len(big), len(r.s.input.Text), r.s.inputNote.Visible())
	}
	test.Tap(r.s.inspectBtn)
	r.wait()
	if c := <-r.calls; len(c.input) != len(big) {
		t.Errorf("Inspect got %d bytes, want the whole %d-byte file", len(c.input), len(big))
	}
	// Typing replaces the file.
	test.Type(r.s.input, "eyJ")
	if r.s.fileInput != nil || r.s.inputNote.Visible() {
		t.Error("typing in the entry did not replace the file kept aside")
	}
}

func TestExampleButtonOnlyWithExample(t *testing.T) {
	for _, want := range []bool{false, true} {
		var example func() (Example, error)
		if want {
			example = testExample(t)
		}
		r := newRig(t, Deps{Example: example}, acceptedReport())
		if found := loadExampleButton(r) != nil; found != want {
			t.Errorf("Example set = %v: Load example button shown = %v", want, found)
		}
	}
}

// The fingerprint field must accept what openssl prints for a real certificate.
func TestFingerprintOfRealCertificate(t *testing.T) {
	cert, _ := writeCert(t)
	sum := sha256.Sum256(cert.Raw)
	if err := validateFingerprint("sha256 Fingerprint=" + colons(strings.ToUpper(hex.EncodeToString(sum[:])))); err != nil {
		t.Errorf("validateFingerprint(openssl form) = %v, want nil", err)
	}
}
