package inspect

import "testing"

// BenchmarkInspectSAMLSigned measures the decode-and-verify path on an Entra-shaped,
// assertion-signed response of about 8 KB checked against a trusted certificate. The
// product target is at least 5,000 responses a second on one core (200 µs each).
func BenchmarkInspectSAMLSigned(b *testing.B) {
	keys(b)
	doc := buildResponse(b, respSpec{padAttrs: 45})
	if len(doc) < 7500 || len(doc) > 9000 {
		b.Fatalf("benchmark response is %d bytes, want about 8 KB", len(doc))
	}
	opts := trusting()
	if r := inspectSAML(doc, nil, opts); r.Signature.Status != SigValid || !r.ClaimsSigned {
		b.Fatalf("benchmark response does not verify: %+v %v", r.Signature, codes(r))
	}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		inspectSAML(doc, nil, opts).finish()
	}
}
