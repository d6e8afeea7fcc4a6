package inspect

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Test fixtures built in code: small SAML documents (the SAML checks have their own
// fixtures; here only the front door's detection matters) and JWTs signed with keys
// generated per test run.

const (
	testTenant   = "11111111-2222-3333-4444-555555555555"
	otherTenant  = "99999999-8888-7777-6666-555555555555"
	testClientID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	testRequest  = "_9f1c2a7e-4b1d-4c8e-9a55-0d1e2f3a4b5c"
)

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

const authnRequestXML = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="` + testRequest + `" Version="2.0" IssueInstant="2026-11-23T11:59:00Z" AssertionConsumerServiceURL="https://vendor.example/saml/acs"><saml:Issuer>https://vendor.example/saml</saml:Issuer></samlp:AuthnRequest>`

const responseXML = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" IssueInstant="2026-11-23T11:59:30Z" InResponseTo="` + testRequest + `" Destination="https://vendor.example/saml/acs"><saml:Issuer>https://sts.windows.net/` + testTenant + `/</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:Response>`

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func deflateRaw(t testing.TB, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func deflateB64(t testing.TB, s string) string {
	return base64.StdEncoding.EncodeToString(deflateRaw(t, s))
}

// wrapLines breaks s into lines of n characters with CRLF, as mail and some SPs do.
func wrapLines(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n])
		b.WriteString("\r\n")
		s = s[n:]
	}
	b.WriteString(s)
	return b.String()
}

// testKeys is a signing key and the JWKS that trusts it.
type testKeys struct {
	priv *rsa.PrivateKey
	kid  string
	set  *KeySet
}

func newTestKeys(t testing.TB) *testKeys {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	kid := "test-kid-1"
	return &testKeys{priv: priv, kid: kid, set: &KeySet{Keys: []jose.JSONWebKey{{Key: &priv.PublicKey, KeyID: kid, Use: "sig", Algorithm: "RS256"}}}}
}

// idClaims are the claims of a v2 ID token as Entra issues it, valid at testNow.
func idClaims() map[string]any {
	return map[string]any{
		"aud":                testClientID,
		"iss":                "https://login.microsoftonline.com/" + testTenant + "/v2.0",
		"iat":                testNow.Add(-5 * time.Minute).Unix(),
		"nbf":                testNow.Add(-5 * time.Minute).Unix(),
		"exp":                testNow.Add(55 * time.Minute).Unix(),
		"sub":                "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
		"oid":                "00000000-0000-0000-66f3-3332eca7ea81",
		"tid":                testTenant,
		"preferred_username": "alice@contoso.com",
		"name":               "Alice Smith",
		"email":              "alice@contoso.com",
		"nonce":              "n-0S6_WzA2Mj",
		"ver":                "2.0",
		"aio":                "Df2UVXL1ix!lMCWMSOJBcFatzcGfvFGhjKv8q5g0x732dR5MB5BisvGQO7YWByjd8iQDLq!eGbIDakyp5mnOrcdqHeYSnltepQmRp6AIZ8jY",
	}
}

// signRS256 signs claims with go-jose, as Entra would.
func (k *testKeys) signRS256(t testing.TB, claims map[string]any, extraHeader map[jose.HeaderKey]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	for h, v := range extraHeader {
		opts = opts.WithHeader(h, v)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.kid}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rawJWT assembles a token from a header, a payload and signature bytes, for the
// shapes a proper signer refuses to make.
func rawJWT(header, payload string, sig []byte) string {
	e := base64.RawURLEncoding
	return e.EncodeToString([]byte(header)) + "." + e.EncodeToString([]byte(payload)) + "." + e.EncodeToString(sig)
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func codes(r *Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Code)
	}
	return out
}

func finding(r *Report, code string) *Finding {
	for i := range r.Findings {
		if r.Findings[i].Code == code {
			return &r.Findings[i]
		}
	}
	return nil
}

func q(pairs ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Add(pairs[i], pairs[i+1])
	}
	return v.Encode()
}
