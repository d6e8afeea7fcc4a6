package ui

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ssowizard/ssowizard/inspect"
)

func TestVerdictLine(t *testing.T) {
	warned := acceptedReport()
	warned.Verdict = "warning"
	warned.Findings = []inspect.Finding{{Code: inspect.CodeNameIDTransient, Severity: inspect.SeverityWarning, Message: "m"}}
	oneErr := rejectedReport()
	oneErr.Findings = append(oneErr.Findings[:1], inspect.Finding{Code: inspect.CodeWeakAlgorithm, Severity: inspect.SeverityWarning, Message: "m"})
	jwt := &inspect.Report{Kind: inspect.KindJWT, Verdict: "ok", Findings: []inspect.Finding{{Code: "x", Severity: inspect.SeverityInfo}}}
	for _, tc := range []struct {
		r    *inspect.Report
		want string
	}{
		{acceptedReport(), "SAML Response — OK"},
		{warned, "SAML Response — OK with 1 warning"},
		{rejectedReport(), "SAML Response — rejected: 3 errors"},
		{oneErr, "SAML Response — rejected: 1 error, 1 warning"},
		{jwt, "JWT — OK"},
		{harReport(), "HAR capture — 2 messages, 1 rejected"},
		{&inspect.Report{Kind: "", Verdict: "error", Findings: []inspect.Finding{{Severity: inspect.SeverityError}}}, "Unrecognised input — rejected: 1 error"},
	} {
		if got := tc.r.Headline(); got != tc.want {
			t.Errorf("Headline(%s, %d findings) = %q, want %q", tc.r.Kind, len(tc.r.Findings), got, tc.want)
		}
	}
}

func TestParseSkew(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{"", 0, ""},
		{" 90s ", 90 * time.Second, ""},
		{"5m", 5 * time.Minute, ""},
		{"5", 0, `clock skew: "5" is not a duration`},
		{"-2m", 0, "is negative"},
		{"48h", 0, "more than a day"},
	} {
		got, err := parseSkew(tc.in)
		if tc.wantErr == "" && (err != nil || got != tc.want) {
			t.Errorf("parseSkew(%q) = %v, %v, want %v", tc.in, got, err, tc.want)
		}
		if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("parseSkew(%q) = %v, %v, want an error containing %q", tc.in, got, err, tc.wantErr)
		}
	}
}

func TestBuildOptionsKeepsTrustAndReportsEveryBadField(t *testing.T) {
	trust := inspect.Options{CertSource: "metadata", IdPEntityID: issuer}
	now := func() time.Time { return fixedNow }
	opts, errs := buildOptions(trust, expectations{SPEntityID: "https://vendor.example/saml", Fingerprint: certHash}, now)
	if errs != nil {
		t.Fatalf("buildOptions = %v, want no errors", errs)
	}
	if opts.CertSource != "metadata" || opts.IdPEntityID != issuer || !opts.Now.Equal(fixedNow) || len(opts.Fingerprints) != 1 {
		t.Errorf("buildOptions = %+v, want the trust kept, now and one fingerprint", opts)
	}
	if len(trust.Fingerprints) != 0 {
		t.Errorf("buildOptions added %d fingerprints to the caller's trust", len(trust.Fingerprints))
	}
	_, errs = buildOptions(trust, expectations{Fingerprint: "zz", Skew: "x", CheckAt: "noon"}, now)
	for _, f := range []string{fieldFingerprint, fieldSkew, fieldCheckAt} {
		if errs[f] == nil {
			t.Errorf("buildOptions with a bad %s: errors %v lack it", f, errs)
		}
	}
}

func TestSummaryRows(t *testing.T) {
	rows := summaryRows(acceptedReport())
	got := map[string]string{}
	for _, r := range rows {
		got[r.Label] = r.Value
	}
	for label, want := range map[string]string{
		"Issuer":              issuer,
		"Destination":         "https://vendor.example/saml/acs",
		"In response to":      "id-7f3c9a5e2b1d",
		"Status":              "urn:oasis:names:tc:SAML:2.0:status:Success",
		"Subject NameID":      "alice@contoso.com",
		"NameID format":       "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
		"Audiences":           "https://vendor.example/saml",
		"Valid from":          "2026-11-23T17:40:12.345Z",
		"Valid until":         "2026-11-23T18:50:12.345Z",
		"Signature":           "valid",
		"Signed":              "assertion",
		"Certificate SHA-256": certHash,
		"Certificate expires": "2029-11-23T17:00:00Z",
		"Trusted by":          "metadata",
	} {
		if got[label] != want {
			t.Errorf("summaryRows: %s = %q, want %q", label, got[label], want)
		}
	}
	if _, ok := got["AADSTS"]; ok {
		t.Error("summaryRows shows an AADSTS row for a successful response")
	}

	failed := &inspect.Report{Kind: inspect.KindSAMLResponse, Status: &inspect.Status{
		Code: "urn:oasis:names:tc:SAML:2.0:status:Requester", Message: "AADSTS50105: …",
		AADSTS: &inspect.AADSTS{Code: "AADSTS50105", Meaning: "The user is not assigned to the app.", Fix: "Assign the user or a group."}}}
	for _, r := range summaryRows(failed) {
		if r.Label == "AADSTS" && r.Value != "AADSTS50105: The user is not assigned to the app. Fix: Assign the user or a group." {
			t.Errorf("summaryRows: AADSTS = %q", r.Value)
		}
	}
}

func TestClaimRows(t *testing.T) {
	rows := claimRows(&inspect.Report{Claims: []inspect.Claim{
		{Name: "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups", Friendly: "groups", Values: []string{"a", "b"}},
		{Name: "email", Friendly: "email", Values: []string{"alice@contoso.com"}},
	}})
	want := []claimRow{
		{Friendly: "groups", Name: "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups", Values: "a\nb"},
		{Friendly: "email", Values: "alice@contoso.com"},
	}
	if len(rows) != len(want) || rows[0] != want[0] || rows[1] != want[1] {
		t.Errorf("claimRows = %+v, want %+v", rows, want)
	}
}

func TestReadBounded(t *testing.T) {
	b, err := readBounded(strings.NewReader("abc"), "a.txt")
	if err != nil || string(b) != "abc" {
		t.Errorf("readBounded(abc) = %q, %v", b, err)
	}
	_, err = readBounded(io.LimitReader(zeros{}, maxInputBytes+1), "huge.har")
	if err == nil || !strings.HasPrefix(sentence(err), "Huge.har is larger than 64 MiB") {
		t.Errorf("readBounded(64 MiB + 1) = %v, want a sentence saying it is too large", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestSentence(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"clock skew: bad", "Clock skew: bad."},
		{"done.", "Done."},
		{"été", "Été."},
	} {
		if got := sentence(errors.New(tc.in)); got != tc.want {
			t.Errorf("sentence(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseTrustFollowsDiscovery(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	const jwksURI = "https://login.microsoftonline.com/" + tenantID + "/discovery/v2.0/keys"
	disc := []byte(`{"issuer":"https://login.microsoftonline.com/` + tenantID + `/v2.0","jwks_uri":"` + jwksURI + `"}`)
	var fetched []string
	fetch := func(_ context.Context, u string) ([]byte, error) {
		fetched = append(fetched, u)
		return jwks, nil
	}
	l, err := parseTrust(context.Background(), "openid-configuration", disc, fetch)
	if err != nil {
		t.Fatalf("parseTrust(discovery) = %v", err)
	}
	if len(fetched) != 1 || fetched[0] != jwksURI {
		t.Errorf("parseTrust fetched %q, want [%s]", fetched, jwksURI)
	}
	if l.opts.Keys == nil || len(l.opts.Keys.Keys) != 1 || l.opts.Keys.Issuer != "https://login.microsoftonline.com/"+tenantID+"/v2.0" {
		t.Errorf("parseTrust(discovery) keys = %+v, want one key with the discovery issuer", l.opts.Keys)
	}
	if l.note != "discovery from openid-configuration (1 key)" {
		t.Errorf("parseTrust note = %q", l.note)
	}

	if _, err := parseTrust(context.Background(), "openid-configuration", disc, nil); err == nil || !strings.Contains(err.Error(), "open its JWKS") {
		t.Errorf("parseTrust(discovery, no fetch) = %v, want a refusal naming the JWKS", err)
	}

	var merged inspect.Options
	mergeTrust(&merged, l.opts)
	mergeTrust(&merged, l.opts)
	if len(merged.Keys.Keys) != 2 {
		t.Errorf("mergeTrust twice gave %d keys, want 2", len(merged.Keys.Keys))
	}
}
