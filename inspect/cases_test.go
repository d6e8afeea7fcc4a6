package inspect_test

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/inspect"
	"github.com/ssowizard/ssowizard/inspect/internal/fixtures"
)

var update = flag.Bool("update", false, "rewrite testdata/cases/*/expected.json from the inspector's output")

// interopEnv names a directory of cases produced live by an independent implementation
// (`make interop`); they are checked like the committed ones, without goldens.
const interopEnv = "SSOWIZARD_INTEROP_DIR"

// TestCases runs the inspector on every fixture directory: it must say what the case
// definition expects (params.json), and its whole report must match the golden.
func TestCases(t *testing.T) {
	dir := filepath.Join("testdata", "cases")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		cd := filepath.Join(dir, e.Name())
		t.Run(e.Name(), func(t *testing.T) {
			r := runCase(t, cd, nil)
			checkGolden(t, cd, e.Name(), r)
		})
	}
	if n < 40 {
		t.Errorf("found %d cases in %s, want at least 40", n, dir)
	}
}

// TestInteropCases checks cases written live by interop/samlify-idp.js.
func TestInteropCases(t *testing.T) {
	for _, cd := range interopDirs(t) {
		t.Run(filepath.Base(cd), func(t *testing.T) { runCase(t, cd, nil) })
	}
}

// interopDirs lists the case directories named by SSOWIZARD_INTEROP_DIR: that directory
// itself when it is a case, else its subdirectories. The test is skipped without it.
func interopDirs(t *testing.T) []string {
	t.Helper()
	dir := os.Getenv(interopEnv)
	if dir == "" {
		t.Skip(interopEnv + " is not set (make interop sets it)")
	}
	if _, err := os.Stat(filepath.Join(dir, "params.json")); err == nil {
		return []string{dir}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, filepath.Join(dir, e.Name()))
		}
	}
	if len(dirs) == 0 {
		t.Fatalf("%s=%s holds no case", interopEnv, dir)
	}
	return dirs
}

// runCase inspects one case directory (files may be overlaid from memory) and checks
// the expectations of its params.json.
func runCase(t *testing.T, caseDir string, overlay map[string][]byte) *inspect.Report {
	t.Helper()
	p, err := fixtures.ReadParams(caseDir)
	if err != nil {
		t.Fatal(err)
	}
	in, err := fixtures.InputPath(caseDir)
	if err != nil {
		t.Fatal(err)
	}
	input, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := buildOptions(caseDir, p.Options, overlay)
	if err != nil {
		t.Fatal(err)
	}
	r := inspect.Inspect(input, opts)
	if r == nil {
		t.Fatal("Inspect returned nil")
	}
	for _, msg := range checkExpect(r, p.Expect) {
		t.Error(msg)
	}
	return r
}

// buildOptions turns a case's command-line style options into inspect.Options, through
// the same parsers the command line uses.
func buildOptions(caseDir string, o fixtures.Options, overlay map[string][]byte) (inspect.Options, error) {
	read := func(name string) ([]byte, error) {
		if b, ok := overlay[name]; ok {
			return b, nil
		}
		if filepath.IsAbs(name) {
			return os.ReadFile(name)
		}
		return os.ReadFile(filepath.Join(caseDir, filepath.FromSlash(name)))
	}
	opts := inspect.Options{SPEntityID: o.SPEntityID, ACS: o.ACS, ClientID: o.ClientID, Tenant: o.Tenant,
		RequestID: o.RequestID, Nonce: o.Nonce}
	if o.Cert != "" {
		b, err := read(o.Cert)
		if err != nil {
			return opts, err
		}
		certs, err := inspect.ParseCertificates(b)
		if err != nil {
			return opts, fmt.Errorf("cert %s: %w", o.Cert, err)
		}
		opts.Certs, opts.CertSource = certs, "certificate"
	}
	if o.Metadata != "" {
		b, err := read(o.Metadata)
		if err != nil {
			return opts, err
		}
		if kind, _, err := opts.AddTrust(b); err != nil || kind != "metadata" {
			return opts, fmt.Errorf("metadata %s: kind %q, %v", o.Metadata, kind, err)
		}
	}
	if o.Fingerprint != "" {
		fp, err := inspect.ParseFingerprint(o.Fingerprint)
		if err != nil {
			return opts, err
		}
		opts.Fingerprints = append(opts.Fingerprints, fp)
	}
	if o.JWKS != "" {
		b, err := read(o.JWKS)
		if err != nil {
			return opts, err
		}
		ks, _, err := inspect.ParseKeySet(b)
		if err != nil {
			return opts, err
		}
		opts.Keys = ks
	}
	if o.Now != "" {
		now, err := time.Parse(time.RFC3339, o.Now)
		if err != nil {
			return opts, err
		}
		opts.Now = now
	}
	if o.Skew != "" {
		d, err := time.ParseDuration(o.Skew)
		if err != nil {
			return opts, err
		}
		opts.Skew = d
	}
	if o.SPKey != "" {
		b, err := read(o.SPKey)
		if err != nil {
			return opts, err
		}
		blk, _ := pem.Decode(b)
		if blk == nil {
			return opts, errors.New("sp_key: no PEM block")
		}
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return opts, fmt.Errorf("sp_key: %w", err)
		}
		opts.SPKey = k
	}
	return opts, nil
}

// checkExpect lists every way the report departs from the case definition.
func checkExpect(r *inspect.Report, e fixtures.Expect) []string {
	var bad []string
	codes := findingCodes(r)
	wantKind := e.Kind
	if wantKind == fixtures.KindNone {
		wantKind = ""
	}
	if r.Kind != wantKind {
		bad = append(bad, fmt.Sprintf("kind = %q, want %q", r.Kind, wantKind))
	}
	if e.Verdict != "" && r.Verdict != e.Verdict {
		bad = append(bad, fmt.Sprintf("verdict = %q, want %q (findings %v)", r.Verdict, e.Verdict, codes))
	}
	sig := r.Signature
	if sig == nil {
		sig = &inspect.Signature{}
	}
	if e.SignatureStatus != "" && sig.Status != e.SignatureStatus {
		bad = append(bad, fmt.Sprintf("signature.status = %q, want %q (findings %v)", sig.Status, e.SignatureStatus, codes))
	}
	for _, s := range e.Signed {
		if !slices.Contains(sig.Signed, s) {
			bad = append(bad, fmt.Sprintf("signature.signed = %v, want it to include %q", sig.Signed, s))
		}
	}
	for _, c := range e.Findings {
		if !slices.Contains(codes, c) {
			bad = append(bad, fmt.Sprintf("findings %v lack %q", codes, c))
		}
	}
	for _, c := range e.AbsentFindings {
		if slices.Contains(codes, c) {
			bad = append(bad, fmt.Sprintf("findings %v include %q, which this case must not raise", codes, c))
		}
	}
	for friendly, v := range e.Claims {
		found := false
		for _, c := range r.Claims {
			if c.Friendly == friendly && slices.Contains(c.Values, v) {
				found = true
			}
		}
		if !found {
			bad = append(bad, fmt.Sprintf("no claim %q with value %q in %s", friendly, v, claimSummary(r)))
		}
	}
	if e.NameID != "" && (r.Subject == nil || r.Subject.NameID != e.NameID) {
		got := "<no subject>"
		if r.Subject != nil {
			got = r.Subject.NameID
		}
		bad = append(bad, fmt.Sprintf("subject.name_id = %q, want %q", got, e.NameID))
	}
	for _, v := range e.AbsentValues {
		if where := findValue(r, v); where != "" {
			bad = append(bad, fmt.Sprintf("the attacker's value %q surfaces in %s", v, where))
		}
	}
	var kinds []string
	for _, m := range r.Messages {
		kinds = append(kinds, m.Kind)
	}
	for _, k := range e.Messages {
		if !slices.Contains(kinds, k) {
			bad = append(bad, fmt.Sprintf("messages have kinds %v, want one of kind %q", kinds, k))
		}
	}
	return bad
}

func findingCodes(r *inspect.Report) []string {
	var codes []string
	for _, f := range r.Findings {
		codes = append(codes, f.Code)
	}
	return codes
}

func claimSummary(r *inspect.Report) string {
	var parts []string
	for _, c := range r.Claims {
		parts = append(parts, c.Friendly+"="+strings.Join(c.Values, "|"))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// findValue says where v appears as an identity in the report (or a nested one).
func findValue(r *inspect.Report, v string) string {
	if r.Subject != nil && r.Subject.NameID == v {
		return "subject.name_id"
	}
	for _, c := range r.Claims {
		if slices.Contains(c.Values, v) {
			return "claim " + c.Friendly
		}
	}
	for i, m := range r.Messages {
		if w := findValue(m, v); w != "" {
			return fmt.Sprintf("messages[%d] %s", i, w)
		}
	}
	return ""
}

// checkGolden compares the report's JSON with expected.json; -update rewrites it, and a
// mismatch is written to testdata/failed/<case>.json for diffing.
func checkGolden(t *testing.T, caseDir, name string, r *inspect.Report) {
	t.Helper()
	// Pretty, most of each report, is the pretty-printer's output, tested once on its
	// own (TestPrettyXML, TestPrettyJWT); the goldens hold what the inspector found.
	without := *r
	without.Pretty = ""
	got, err := json.MarshalIndent(&without, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join(caseDir, "expected.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run go test ./inspect -update to create it): %v", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	failed := filepath.Join("testdata", "failed", name+".json")
	if err := os.MkdirAll(filepath.Dir(failed), 0o755); err == nil {
		_ = os.WriteFile(failed, got, 0o644)
	}
	t.Errorf("report differs from %s; got written to %s (diff them, then -update if the change is right)", golden, failed)
}
