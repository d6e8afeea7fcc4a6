package inspect_test

import (
	"crypto/x509"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/inspect"
	"github.com/ssowizard/ssowizard/inspect/internal/fixtures"
)

// FuzzInspectFixtures starts from every fixture input (Entra responses, attacks, JWTs, the HAR)
// and checks what must hold for any input: a report, never a panic; a verdict that
// matches its findings; JSON that encodes. With the seeds alone it runs as a unit test.
func FuzzInspectFixtures(f *testing.F) {
	dir := filepath.Join("testdata", "cases")
	entries, err := os.ReadDir(dir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		in, err := fixtures.InputPath(filepath.Join(dir, e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		b, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	keys, err := fixtures.LoadKeys(filepath.Join("testdata", "keys"))
	if err != nil {
		f.Fatal(err)
	}
	opts := inspect.Options{Certs: []*x509.Certificate{keys.IdP.Cert}, CertSource: "certificate", SPEntityID: fixtures.SPEntity,
		ACS: fixtures.ACS, RequestID: fixtures.RequestID, Tenant: fixtures.TenantID, ClientID: fixtures.ClientID,
		Now: fixtures.FixedNow, Skew: time.Minute, SPKey: keys.SP.Key}
	// While fuzzing, a slow input is a finding; run as a unit test on the seeds, a
	// busy machine under -race could miss any time bound, so none is asserted.
	fuzzing := flag.Lookup("test.fuzz").Value.String() != ""
	f.Fuzz(func(t *testing.T, input []byte) {
		start := time.Now()
		r := inspect.Inspect(input, opts)
		if d := time.Since(start); fuzzing && d > 10*time.Second {
			t.Fatalf("Inspect took %v on a %d-byte input", d, len(input))
		}
		if r == nil {
			t.Fatal("Inspect returned nil")
		}
		checkReportInvariants(t, r)
		if _, err := json.Marshal(r); err != nil {
			t.Fatalf("json.Marshal(report) = %v", err)
		}
	})
}

func checkReportInvariants(t *testing.T, r *inspect.Report) {
	t.Helper()
	worst := "ok"
	for _, f := range r.Findings {
		switch f.Severity {
		case inspect.SeverityError:
			worst = "error"
		case inspect.SeverityWarning:
			if worst == "ok" {
				worst = "warning"
			}
		case inspect.SeverityInfo:
		default:
			t.Errorf("finding %s has severity %q", f.Code, f.Severity)
		}
		if f.Code == "" || f.Message == "" {
			t.Errorf("finding %+v lacks a code or a message", f)
		}
	}
	rank := map[string]int{"ok": 0, "warning": 1, "unverified": 2, "error": 3}
	for _, m := range r.Messages {
		checkReportInvariants(t, m)
		if rank[m.Verdict] > rank[worst] {
			worst = m.Verdict
		}
	}
	if len(r.Unverified) > 0 && rank[worst] < rank["unverified"] {
		worst = "unverified"
	}
	if r.Verdict != worst {
		t.Errorf("verdict %q, but the worst finding says %q", r.Verdict, worst)
	}
	// Fail closed: a report that passes vouches for what it shows.
	if r.OK() {
		switch r.Kind {
		case inspect.KindSAMLResponse, inspect.KindSAMLAssertion, inspect.KindJWT:
			if !r.ClaimsSigned || r.Signature == nil || r.Signature.Status != inspect.SigValid {
				t.Errorf("verdict %q for a %s whose claims no trusted signature covers", r.Verdict, r.Kind)
			}
		}
	}
	if r.Signature != nil && r.Signature.Status == inspect.SigValid && len(r.Signature.Signed) == 0 {
		t.Error("signature valid but covers nothing")
	}
}
