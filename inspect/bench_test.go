package inspect_test

import (
	"crypto/x509"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/harness/entrasaml"
	"github.com/ssowizard/ssowizard/inspect"
	"github.com/ssowizard/ssowizard/inspect/internal/fixtures"
)

// BenchmarkInspectEntraResponse measures the inspector on a typical Entra login: an
// assertion-signed response of about 8 KB (a user in a few dozen groups), POST-binding
// base64, checked against a trusted certificate.
func BenchmarkInspectEntraResponse(b *testing.B) {
	keys, err := fixtures.LoadKeys(filepath.Join("testdata", "keys"))
	if err != nil {
		b.Fatal(err)
	}
	u := fixtures.Alice()
	for i := range 40 {
		u.Groups = append(u.Groups, fmt.Sprintf("5c7e3a1b-0f2d-4c22-8d33-%012d", i))
	}
	now := fixtures.FixedNow
	resp, err := entrasaml.BuildResponse(entrasaml.ResponseOptions{
		TenantID: fixtures.TenantID, Audience: fixtures.SPEntity, ACS: fixtures.ACS, InResponseTo: fixtures.RequestID,
		User: u, Signer: keys.IdP, Now: now.Add(-time.Minute), Rand: nil,
	})
	if err != nil {
		b.Fatal(err)
	}
	input := []byte(entrasaml.EncodePOST(resp.XML))
	opts := inspect.Options{Certs: []*x509.Certificate{keys.IdP.Cert}, CertSource: "certificate",
		SPEntityID: fixtures.SPEntity, ACS: fixtures.ACS, RequestID: fixtures.RequestID, Tenant: fixtures.TenantID, Now: now}
	if r := inspect.Inspect(input, opts); r.Signature == nil || r.Signature.Status != inspect.SigValid {
		b.Fatalf("benchmark input does not verify: %+v", r.Findings)
	}
	b.SetBytes(int64(len(resp.XML)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		inspect.Inspect(input, opts)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}
