package inspect

import (
	"crypto/x509"
	"testing"
)

// FuzzInspectSAML feeds arbitrary documents to the inspector; it must never panic and
// must always return a report with a kind or a finding.
func FuzzInspectSAML(f *testing.F) {
	keys(f)
	f.Add(buildResponse(f, respSpec{sign: "both"}))
	f.Add([]byte(authnRequestXML(reqSpec{})))
	f.Add([]byte(metadataXML(idpKey.cert, idpNext.cert)))
	f.Add([]byte(`<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>`))
	opts := &Options{Certs: []*x509.Certificate{idpKey.cert}, Now: testNow, SPEntityID: testSPID, ACS: testACS, RequestID: testReqID, Tenant: testTenant, SPKey: spKey.key}
	f.Fuzz(func(t *testing.T, doc []byte) {
		r := inspectSAML(doc, nil, opts)
		r.finish()
		if r.Kind == "" && len(r.Findings) == 0 {
			t.Errorf("inspectSAML(%q) returned neither a kind nor a finding", doc)
		}
	})
}
