package inspect

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Test fixtures built in code: small SAML documents (the SAML checks have their own
// fixtures; here only the front door's detection matters) and JWTs signed with keys
// generated per test run.

const (
	fdTenant      = "11111111-2222-3333-4444-555555555555"
	fdOtherTenant = "99999999-8888-7777-6666-555555555555"
	fdClientID    = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	fdRequestID   = "_9f1c2a7e-4b1d-4c8e-9a55-0d1e2f3a4b5c"
)

var fdNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

const fdAuthnRequestXML = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="` + fdRequestID + `" Version="2.0" IssueInstant="2026-11-23T11:59:00Z" AssertionConsumerServiceURL="https://vendor.example/saml/acs"><saml:Issuer>https://vendor.example/saml</saml:Issuer></samlp:AuthnRequest>`

const fdResponseXML = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" IssueInstant="2026-11-23T11:59:30Z" InResponseTo="` + fdRequestID + `" Destination="https://vendor.example/saml/acs"><saml:Issuer>https://sts.windows.net/` + fdTenant + `/</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:Response>`

func fdB64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func fdDeflateRaw(t testing.TB, s string) []byte {
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

func fdDeflateB64(t testing.TB, s string) string {
	return base64.StdEncoding.EncodeToString(fdDeflateRaw(t, s))
}

// fdWrapLines breaks s into lines of n characters with CRLF, as mail and some SPs do.
func fdWrapLines(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n])
		b.WriteString("\r\n")
		s = s[n:]
	}
	b.WriteString(s)
	return b.String()
}

// fdKeys is a signing key and the JWKS that trusts it.
type fdKeys struct {
	priv *rsa.PrivateKey
	kid  string
	set  *KeySet
}

func fdNewKeys(t testing.TB) *fdKeys {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	kid := "test-kid-1"
	return &fdKeys{priv: priv, kid: kid, set: &KeySet{Keys: []jose.JSONWebKey{{Key: &priv.PublicKey, KeyID: kid, Use: "sig", Algorithm: "RS256"}}}}
}

// fdIDClaims are the claims of a v2 ID token as Entra issues it, valid at fdNow.
func fdIDClaims() map[string]any {
	return map[string]any{
		"aud":                fdClientID,
		"iss":                "https://login.microsoftonline.com/" + fdTenant + "/v2.0",
		"iat":                fdNow.Add(-5 * time.Minute).Unix(),
		"nbf":                fdNow.Add(-5 * time.Minute).Unix(),
		"exp":                fdNow.Add(55 * time.Minute).Unix(),
		"sub":                "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
		"oid":                "00000000-0000-0000-66f3-3332eca7ea81",
		"tid":                fdTenant,
		"preferred_username": "alice@contoso.com",
		"name":               "Alice Smith",
		"email":              "alice@contoso.com",
		"nonce":              "n-0S6_WzA2Mj",
		"ver":                "2.0",
		"aio":                "Df2UVXL1ix!lMCWMSOJBcFatzcGfvFGhjKv8q5g0x732dR5MB5BisvGQO7YWByjd8iQDLq!eGbIDakyp5mnOrcdqHeYSnltepQmRp6AIZ8jY",
	}
}

// signRS256 signs claims with go-jose, as Entra would.
func (k *fdKeys) signRS256(t testing.TB, claims map[string]any, extraHeader map[jose.HeaderKey]any) string {
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

// fdRawJWT assembles a token from a header, a payload and signature bytes, for the
// shapes a proper signer refuses to make.
func fdRawJWT(header, payload string, sig []byte) string {
	e := base64.RawURLEncoding
	return e.EncodeToString([]byte(header)) + "." + e.EncodeToString([]byte(payload)) + "." + e.EncodeToString(sig)
}

func fdJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func fdCodes(r *Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Code)
	}
	return out
}

func fdFinding(r *Report, code string) *Finding {
	for i := range r.Findings {
		if r.Findings[i].Code == code {
			return &r.Findings[i]
		}
	}
	return nil
}
