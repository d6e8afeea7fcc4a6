package idp_test

import (
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"
)

// samlRoundTrip is one SP-initiated login by a browser that has a session: the SP's
// AuthnRequest by redirect, the harness's signed Response, verified by the SP.
func samlRoundTrip(c *http.Client, sp *testSP) error {
	req, err := sp.sp.MakeAuthenticationRequest(sp.sp.GetSSOBindingLocation(saml.HTTPRedirectBinding), saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		return err
	}
	u, err := req.Redirect("", sp.sp)
	if err != nil {
		return err
	}
	resp, err := c.Get(u.String())
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return err
	}
	const marker = `name="SAMLResponse" value="`
	s := string(body)
	i := strings.Index(s, marker)
	if resp.StatusCode != http.StatusOK || i < 0 {
		return fmt.Errorf("no SAMLResponse form: %d %.200s", resp.StatusCode, s)
	}
	s = s[i+len(marker):]
	j := strings.IndexByte(s, '"')
	if j < 0 {
		return errors.New("unterminated SAMLResponse value")
	}
	form := url.Values{"SAMLResponse": {html.UnescapeString(s[:j])}}
	acs := httptest.NewRequest(http.MethodPost, sp.sp.AcsURL.String(), strings.NewReader(form.Encode()))
	acs.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := acs.ParseForm(); err != nil {
		return err
	}
	if _, err := sp.sp.ParseResponse(acs, []string{req.ID}); err != nil {
		if ire, ok := err.(*saml.InvalidResponseError); ok {
			err = ire.PrivateErr
		}
		return err
	}
	return nil
}

// BenchmarkSAMLLoginRoundTrip measures complete SAML logins per second on loopback:
// AuthnRequest, sign-in by the existing SSO session, a Response signed with RSA-2048
// (SHA-256, assertion), verified by crewjam's SP. SP, browser and harness share the
// machine, so the SP's verification counts against the figure.
func BenchmarkSAMLLoginRoundTrip(b *testing.B) {
	srv, _ := start(b)
	sp := newSP(b, srv, nil)
	br := newBrowser(b, srv)
	samlLogin(b, br, sp, false, alice, alicePassword) // the session every login rides
	if err := samlRoundTrip(br.c, sp); err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(4) // keep both cores busy while requests cross loopback
	b.ResetTimer()
	began := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := samlRoundTrip(br.c, sp); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(began).Seconds(), "logins/s")
}

// BenchmarkSAMLHarnessAnswer isolates the harness's share of BenchmarkSAMLLoginRoundTrip:
// the same requests and signed Responses, with the SP's work (building and deflating
// the AuthnRequest, verifying the Response) left out. The harness keeps no replay
// cache of request IDs, so one request can be sent again and again.
func BenchmarkSAMLHarnessAnswer(b *testing.B) {
	srv, _ := start(b)
	sp := newSP(b, srv, nil)
	br := newBrowser(b, srv)
	samlLogin(b, br, sp, false, alice, alicePassword)
	u, _ := sp.authnURL(b, "")
	b.SetParallelism(4)
	b.ResetTimer()
	began := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := br.c.Get(u)
			if err != nil {
				b.Error(err)
				return
			}
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `name="SAMLResponse"`) {
				b.Errorf("no SAMLResponse form: %d %.200s", resp.StatusCode, body)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(began).Seconds(), "logins/s")
}
