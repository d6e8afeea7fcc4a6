package inspect_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

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

// harOf1000 builds a HAR of n POSTs of a signed Entra response to the ACS, each with a
// fresh ID, as a load test of a capture would record them, and the decoded responses.
func harOf1000(b *testing.B, n int) (har []byte, responses [][]byte, opts inspect.Options) {
	keys, err := fixtures.LoadKeys(filepath.Join("testdata", "keys"))
	if err != nil {
		b.Fatal(err)
	}
	now := fixtures.FixedNow
	type nv struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	var entries []any
	for i := range n {
		resp, err := entrasaml.BuildResponse(entrasaml.ResponseOptions{
			TenantID: fixtures.TenantID, Audience: fixtures.SPEntity, ACS: fixtures.ACS, InResponseTo: fixtures.RequestID,
			User: fixtures.Alice(), Signer: keys.IdP, Now: now.Add(-time.Minute), Rand: nil,
		})
		if err != nil {
			b.Fatal(err)
		}
		responses = append(responses, resp.XML)
		entries = append(entries, map[string]any{
			"startedDateTime": now.Format(time.RFC3339),
			"request": map[string]any{"method": "POST", "url": fixtures.ACS, "postData": map[string]any{
				"mimeType": "application/x-www-form-urlencoded",
				"text":     "SAMLResponse=" + url.QueryEscape(entrasaml.EncodePOST(resp.XML)) + "&RelayState=r" + fmt.Sprint(i)}},
			"response": map[string]any{"status": 302, "headers": []nv{{"Location", "https://vendor.example/app"}},
				"content": map[string]any{"mimeType": "text/html", "text": ""}},
		})
	}
	har, err = json.Marshal(map[string]any{"log": map[string]any{"version": "1.2", "entries": entries}})
	if err != nil {
		b.Fatal(err)
	}
	opts = inspect.Options{Certs: []*x509.Certificate{keys.IdP.Cert}, CertSource: "certificate",
		SPEntityID: fixtures.SPEntity, ACS: fixtures.ACS, Tenant: fixtures.TenantID, Now: now}
	return har, responses, opts
}

// peakHeap samples the live heap while f runs and returns the most it saw, in bytes,
// and the live heap before f began (what the benchmark itself holds: the HAR bytes).
func peakHeap(f func()) (peak, start uint64) {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	start = sample[0].Value.Uint64()
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(done)
	<-stopped
	return peak, start
}

// heapFigures reports the peak live heap and how far it rose above the start.
func heapFigures(b *testing.B, peak, start uint64) {
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(peak-min(start, peak))/(1<<20), "peak-over-start-MB")
}

// BenchmarkHAR1000 inspects a HAR of 1,000 signed responses (about 12 MB) and, in the
// same run, does the same with goxmldsig and etree alone (decode the HAR, base64, parse,
// verify the assertion's signature): the figures per message and the peak live heap.
func BenchmarkHAR1000(b *testing.B) {
	const n = 1000
	har, responses, opts := harOf1000(b, n)
	b.Run("inspector", func(b *testing.B) {
		r := inspect.Inspect(har, opts)
		if len(r.Messages) != n || r.Messages[0].Signature == nil || r.Messages[0].Signature.Status != inspect.SigValid {
			b.Fatalf("HAR: %d messages, first %+v", len(r.Messages), r.Messages[0].Findings)
		}
		var peak, start uint64
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			p, s := peakHeap(func() { inspect.Inspect(har, opts) })
			peak, start = max(peak, p), s
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/message")
		heapFigures(b, peak, start)
	})
	// The same HAR streamed from a file, as ssowizard inspect FILE.har reads it: each
	// report is handed on (here dropped) as soon as it is made.
	b.Run("inspector-stream", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "har1000.har")
		if p := os.Getenv("SSOWIZARD_HAR1000"); p != "" {
			path = p // keep the file, to measure the command on it
		}
		if err := os.WriteFile(path, har, 0o600); err != nil {
			b.Fatal(err)
		}
		stream := func() int {
			fh, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			defer fh.Close()
			got := 0
			top, err := inspect.InspectCapture(fh, opts, func(m *inspect.Report) error {
				if m.Signature == nil || m.Signature.Status != inspect.SigValid {
					return fmt.Errorf("message %d: %+v", got, m.Findings)
				}
				got++
				return nil
			})
			if err != nil || top.Kind != inspect.KindHAR {
				b.Fatalf("InspectCapture: %v", err)
			}
			return got
		}
		if got := stream(); got != n {
			b.Fatalf("streamed %d messages, want %d", got, n)
		}
		var peak, start uint64
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			p, s := peakHeap(func() { stream() })
			peak, start = max(peak, p), s
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/message")
		heapFigures(b, peak, start)
	})
	b.Run("goxmldsig+etree", func(b *testing.B) {
		store := &dsig.MemoryX509CertificateStore{Roots: opts.Certs}
		verify := func() {
			var h struct {
				Log struct {
					Entries []struct {
						Request struct {
							PostData struct {
								Text string `json:"text"`
							} `json:"postData"`
						} `json:"request"`
					} `json:"entries"`
				} `json:"log"`
			}
			if err := json.Unmarshal(har, &h); err != nil {
				b.Fatal(err)
			}
			for _, e := range h.Log.Entries {
				q, err := url.ParseQuery(e.Request.PostData.Text)
				if err != nil {
					b.Fatal(err)
				}
				xml, err := base64.StdEncoding.DecodeString(q.Get("SAMLResponse"))
				if err != nil {
					b.Fatal(err)
				}
				d := etree.NewDocument()
				if err := d.ReadFromBytes(xml); err != nil {
					b.Fatal(err)
				}
				ctx := dsig.NewDefaultValidationContext(store)
				ctx.Clock = dsig.NewFakeClockAt(opts.Now)
				if _, err := ctx.Validate(d.Root().FindElement("./Assertion")); err != nil {
					b.Fatal(err)
				}
			}
		}
		verify()
		if len(responses) != n {
			b.Fatal("responses lost")
		}
		var peak, start uint64
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			p, s := peakHeap(verify)
			peak, start = max(peak, p), s
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/message")
		heapFigures(b, peak, start)
	})
}
