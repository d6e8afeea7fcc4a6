package inspect

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/ssowizard/ssowizard/entra"
)

func TestInspectJWT(t *testing.T) {
	keys := fdNewKeys(t)
	other := fdNewKeys(t)
	other.kid = "other-kid"

	with := func(mod func(c map[string]any)) map[string]any {
		c := fdIDClaims()
		mod(c)
		return c
	}
	pubPEM := func() []byte {
		der, err := x509.MarshalPKIXPublicKey(&keys.priv.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}()
	// The alg-confusion attack: HS256 keyed with the RSA public key, which a naive
	// verifier would use as the HMAC secret because the header says HS256.
	hsToken := func() string {
		h := `{"alg":"HS256","typ":"JWT","kid":"` + keys.kid + `"}`
		p := fdJSON(t, fdIDClaims())
		e := base64.RawURLEncoding
		in := e.EncodeToString([]byte(h)) + "." + e.EncodeToString([]byte(p))
		mac := hmac.New(sha256.New, pubPEM)
		mac.Write([]byte(in))
		return in + "." + e.EncodeToString(mac.Sum(nil))
	}()
	esToken := func() string {
		ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: ec, KeyID: keys.kid}}, nil)
		jws, _ := s.Sign([]byte(fdJSON(t, fdIDClaims())))
		out, _ := jws.CompactSerialize()
		return out
	}()
	tampered := func() string {
		tok := keys.signRS256(t, fdIDClaims(), nil)
		parts := strings.Split(tok, ".")
		parts[1] = base64.RawURLEncoding.EncodeToString([]byte(fdJSON(t, with(func(c map[string]any) { c["oid"] = "attacker" }))))
		return strings.Join(parts, ".")
	}()
	manualRS := func(payload string) string {
		h := `{"alg":"RS256","typ":"JWT","kid":"` + keys.kid + `"}`
		e := base64.RawURLEncoding
		in := e.EncodeToString([]byte(h)) + "." + e.EncodeToString([]byte(payload))
		d := sha256.Sum256([]byte(in))
		sig, err := rsa.SignPKCS1v15(rand.Reader, keys.priv, crypto.SHA256, d[:])
		if err != nil {
			t.Fatal(err)
		}
		return in + "." + e.EncodeToString(sig)
	}
	v1 := with(func(c map[string]any) {
		c["iss"] = "https://sts.windows.net/" + fdTenant + "/"
		c["ver"] = "1.0"
		c["unique_name"] = "alice@contoso.com"
		delete(c, "preferred_username")
	})
	graphAT := with(func(c map[string]any) {
		c["aud"] = "00000003-0000-0000-c000-000000000000"
		c["iss"] = "https://sts.windows.net/" + fdTenant + "/"
		c["scp"] = "openid profile User.Read email"
		c["appid"] = fdClientID
		delete(c, "nonce")
	})

	base := Options{Now: fdNow, Keys: keys.set, ClientID: fdClientID, Tenant: fdTenant, Nonce: "n-0S6_WzA2Mj"}
	noKeys := base
	noKeys.Keys = nil
	skewed := base
	skewed.Skew = 5 * time.Minute

	tests := []struct {
		name   string
		token  string
		opts   Options
		status string   // signature status
		want   []string // findings that must be present
		absent []string // findings that must be absent
	}{
		{name: "valid v2", token: keys.signRS256(t, fdIDClaims(), nil), opts: base, status: SigValid,
			want: []string{CodeTokenVersion}, absent: []string{CodeEmailMissing, CodeKeyUntrusted, CodeNonceMismatch, CodeClientIDMismatch}},
		{name: "v1 shape", token: keys.signRS256(t, v1, nil), opts: base, status: SigValid, want: []string{CodeTokenVersion}},
		{name: "alg none", token: fdRawJWT(`{"alg":"none","typ":"JWT"}`, fdJSON(t, fdIDClaims()), nil), opts: base, status: SigAbsent, want: []string{CodeJWTAlgNone}},
		{name: "unsigned RS256", token: fdRawJWT(`{"alg":"RS256","kid":"`+keys.kid+`"}`, fdJSON(t, fdIDClaims()), nil), opts: base, status: SigAbsent, want: []string{CodeJWTAlgNone}},
		{name: "HS256 keyed with the public key", token: hsToken, opts: base, status: SigInvalid, want: []string{CodeJWTAlgUnexpected}},
		{name: "ES256", token: esToken, opts: base, status: SigInvalid, want: []string{CodeJWTAlgUnexpected}},
		{name: "unknown kid", token: other.signRS256(t, fdIDClaims(), nil), opts: base, status: SigUntrusted, want: []string{CodeUnknownKey}},
		{name: "wrong key same kid", token: (&fdKeys{priv: other.priv, kid: keys.kid}).signRS256(t, fdIDClaims(), nil), opts: base, status: SigInvalid, want: []string{CodeSignatureInvalid}},
		{name: "tampered payload", token: tampered, opts: base, status: SigInvalid, want: []string{CodeSignatureInvalid}},
		{name: "no keys", token: keys.signRS256(t, fdIDClaims(), nil), opts: noKeys, status: SigUntrusted, want: []string{CodeKeyUntrusted}},
		{name: "expired", token: keys.signRS256(t, with(func(c map[string]any) { c["exp"] = fdNow.Add(-time.Minute).Unix() }), nil), opts: base, status: SigValid, want: []string{CodeExpired}},
		{name: "expired within skew", token: keys.signRS256(t, with(func(c map[string]any) { c["exp"] = fdNow.Add(-time.Minute).Unix() }), nil), opts: skewed, status: SigValid, absent: []string{CodeExpired}},
		{name: "not yet valid", token: keys.signRS256(t, with(func(c map[string]any) { c["nbf"] = fdNow.Add(10 * time.Minute).Unix() }), nil), opts: skewed, status: SigValid, want: []string{CodeNotYetValid}},
		{name: "wrong aud", token: keys.signRS256(t, with(func(c map[string]any) { c["aud"] = "ffffffff-0000-0000-0000-000000000000" }), nil), opts: base, status: SigValid, want: []string{CodeClientIDMismatch}},
		{name: "graph access token", token: keys.signRS256(t, graphAT, map[jose.HeaderKey]any{"nonce": "hashed-by-graph"}), opts: base, status: SigUntrusted, want: []string{CodeAccessTokenNotForYou}, absent: []string{CodeEmailMissing, CodeNonceMismatch, CodeSignatureInvalid}},
		{name: "access token for another api", token: keys.signRS256(t, with(func(c map[string]any) { c["aud"] = "api://other-api"; c["scp"] = "read" }), nil), opts: base, status: SigValid, want: []string{CodeAccessTokenNotForYou}, absent: []string{CodeClientIDMismatch}},
		{name: "nonce mismatch", token: keys.signRS256(t, with(func(c map[string]any) { c["nonce"] = "replayed" }), nil), opts: base, status: SigValid, want: []string{CodeNonceMismatch}},
		{name: "nonce missing", token: keys.signRS256(t, with(func(c map[string]any) { delete(c, "nonce") }), nil), opts: base, status: SigValid, want: []string{CodeNonceMismatch}},
		{name: "other tenant", token: keys.signRS256(t, with(func(c map[string]any) {
			c["tid"] = fdOtherTenant
			c["iss"] = "https://login.microsoftonline.com/" + fdOtherTenant + "/v2.0"
		}), nil), opts: base, status: SigValid, want: []string{CodeTenantMismatch, CodeIssuerMismatch}},
		{name: "iss and tid disagree", token: keys.signRS256(t, with(func(c map[string]any) { c["tid"] = fdOtherTenant }), nil), opts: Options{Now: fdNow, Keys: keys.set}, status: SigValid, want: []string{CodeIssuerMismatch}},
		{name: "SAML entity ID is not a JWT issuer", token: keys.signRS256(t, fdIDClaims(), nil), opts: Options{Now: fdNow, Keys: keys.set, IdPEntityID: "https://sts.windows.net/" + fdTenant + "/"}, status: SigValid, absent: []string{CodeIssuerMismatch}},
		{name: "email missing", token: keys.signRS256(t, with(func(c map[string]any) { delete(c, "email") }), nil), opts: base, status: SigValid, want: []string{CodeEmailMissing}},
		{name: "groups as object ids", token: keys.signRS256(t, with(func(c map[string]any) {
			c["groups"] = []string{"0d6a6e0a-1111-2222-3333-444444444444", "5e7f8a9b-1111-2222-3333-444444444444"}
		}), nil), opts: base, status: SigValid, want: []string{CodeGroupsObjectIDs}},
		{name: "groups overage", token: keys.signRS256(t, with(func(c map[string]any) {
			c["_claim_names"] = map[string]string{"groups": "src1"}
			c["_claim_sources"] = map[string]any{"src1": map[string]string{"endpoint": "https://graph.microsoft.com/v1.0/users/x/getMemberObjects"}}
		}), nil), opts: base, status: SigValid, want: []string{CodeGroupsOverage}},
		{name: "hasgroups", token: keys.signRS256(t, with(func(c map[string]any) { c["hasgroups"] = true }), nil), opts: base, status: SigValid, want: []string{CodeGroupsOverage}},
		{name: "guest from MSA", token: keys.signRS256(t, with(func(c map[string]any) { c["idp"] = entra.MSATenantID }), nil), opts: base, status: SigValid, want: []string{CodeGuestUser}},
		{name: "idp of the home tenant is no guest", token: keys.signRS256(t, with(func(c map[string]any) { c["idp"] = "https://sts.windows.net/" + fdTenant + "/" }), nil), opts: base, status: SigValid, absent: []string{CodeGuestUser}},
		{name: "duplicate claim", token: manualRS(`{"aud":"` + fdClientID + `","sub":"a","sub":"b","exp":9999999999,"nonce":"n-0S6_WzA2Mj","email":"x"}`), opts: base, status: SigValid, want: []string{CodeDuplicateClaim}},
		{name: "no time given", token: keys.signRS256(t, fdIDClaims(), nil), opts: Options{Keys: keys.set}, status: SigValid, want: []string{CodeTimeNotChecked}, absent: []string{CodeExpired, CodeNotYetValid}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Inspect([]byte(tc.token), tc.opts)
			if r.Kind != KindJWT {
				t.Fatalf("Inspect(%s).Kind = %q, want jwt (findings %v)", tc.name, r.Kind, r.Findings)
			}
			if r.Signature == nil || r.Signature.Status != tc.status {
				t.Errorf("Inspect(%s).Signature = %+v, want status %s", tc.name, r.Signature, tc.status)
			}
			for _, c := range tc.want {
				if !r.Has(c) {
					t.Errorf("Inspect(%s) findings %v, want %s", tc.name, fdCodes(r), c)
				}
			}
			for _, c := range tc.absent {
				if r.Has(c) {
					t.Errorf("Inspect(%s) findings %v, want no %s", tc.name, fdCodes(r), c)
				}
			}
			if (tc.status == SigValid) != r.ClaimsSigned {
				t.Errorf("Inspect(%s).ClaimsSigned = %v with signature %s", tc.name, r.ClaimsSigned, tc.status)
			}
		})
	}
}

func TestInspectJWTFields(t *testing.T) {
	keys := fdNewKeys(t)
	c := fdIDClaims()
	c["groups"] = []string{"0d6a6e0a-1111-2222-3333-444444444444", "5e7f8a9b-1111-2222-3333-444444444444"}
	c["amr"] = []string{"pwd", "mfa"}
	r := Inspect([]byte(keys.signRS256(t, c, nil)), Options{Now: fdNow, Keys: keys.set})
	if r.Verdict != "warning" && r.Verdict != "ok" {
		t.Errorf("Inspect(valid token).Verdict = %q, findings %v", r.Verdict, r.Findings)
	}
	if r.Subject == nil || r.Subject.NameID != c["sub"] {
		t.Errorf("Inspect(token).Subject = %+v, want sub %v", r.Subject, c["sub"])
	}
	if len(r.Audiences) != 1 || r.Audiences[0] != fdClientID {
		t.Errorf("Inspect(token).Audiences = %v, want [%s]", r.Audiences, fdClientID)
	}
	if want := fdNow.Add(55 * time.Minute).Format(time.RFC3339); r.NotOnOrAfter != want {
		t.Errorf("Inspect(token).NotOnOrAfter = %q, want %q", r.NotOnOrAfter, want)
	}
	if want := fdNow.Add(-5 * time.Minute).Format(time.RFC3339); r.NotBefore != want {
		t.Errorf("Inspect(token).NotBefore = %q, want %q", r.NotBefore, want)
	}
	if r.Header["kid"] != keys.kid || r.Header["alg"] != "RS256" {
		t.Errorf("Inspect(token).Header = %v, want kid and alg", r.Header)
	}
	if r.Signature.KeyID != keys.kid || r.Signature.TrustedBy != "jwks" || len(r.Signature.Signed) != 1 {
		t.Errorf("Inspect(token).Signature = %+v", r.Signature)
	}
	byName := map[string]Claim{}
	for _, cl := range r.Claims {
		byName[cl.Name] = cl
		if cl.Friendly != cl.Name {
			t.Errorf("claim %s friendly = %q, want the name", cl.Name, cl.Friendly)
		}
	}
	if g := byName["groups"]; len(g.Values) != 2 || g.About == "" {
		t.Errorf("groups claim = %+v, want two values and an explanation", g)
	}
	if e := byName["exp"]; len(e.Values) != 1 || e.Values[0] != strconv.FormatInt(fdNow.Add(55*time.Minute).Unix(), 10) {
		t.Errorf("exp claim = %+v, want the NumericDate as text", e)
	}
	for _, name := range []string{"aud", "iss", "iat", "nbf", "exp", "sub", "oid", "tid", "preferred_username", "name", "email", "nonce", "ver", "aio", "amr"} {
		if byName[name].About == "" {
			t.Errorf("claim %s has no About sentence", name)
		}
	}
	if len(r.Claims) != len(c) {
		t.Errorf("Inspect(token) has %d claims, want %d", len(r.Claims), len(c))
	}
	if !strings.Contains(r.Pretty, `"preferred_username": "alice@contoso.com"`) {
		t.Errorf("Inspect(token).Pretty = %q, want indented JSON", r.Pretty)
	}
}

func TestJWTKeyHintNamesTheTenantKeysURL(t *testing.T) {
	keys := fdNewKeys(t)
	r := Inspect([]byte(keys.signRS256(t, fdIDClaims(), nil)), Options{Now: fdNow})
	f := fdFinding(r, CodeKeyUntrusted)
	want := "--jwks https://login.microsoftonline.com/" + fdTenant + "/discovery/v2.0/keys"
	if f == nil || !strings.Contains(f.Fix, want) {
		t.Errorf("Inspect(token, no keys) key finding = %+v, want fix naming %q", f, want)
	}
}

func TestEntraKeysURL(t *testing.T) {
	for iss, want := range map[string]string{
		"https://login.microsoftonline.com/" + fdTenant + "/v2.0": "https://login.microsoftonline.com/" + fdTenant + "/discovery/v2.0/keys",
		"https://sts.windows.net/" + fdTenant + "/":               "https://login.microsoftonline.com/" + fdTenant + "/discovery/v2.0/keys",
		"https://127.0.0.1:8443/" + fdTenant + "/v2.0":            "https://127.0.0.1:8443/" + fdTenant + "/discovery/v2.0/keys",
		"":                 "{authority}/discovery/v2.0/keys",
		"http://evil/v2.0": "{authority}/discovery/v2.0/keys",
	} {
		if got := entraKeysURL(iss); got != want {
			t.Errorf("entraKeysURL(%q) = %q, want %q", iss, got, want)
		}
	}
}

func TestJWTIssuerFromDiscovery(t *testing.T) {
	keys := fdNewKeys(t)
	tok := keys.signRS256(t, fdIDClaims(), nil)
	for _, tc := range []struct {
		issuer string
		bad    bool
	}{
		{"https://login.microsoftonline.com/{tenantid}/v2.0", false},
		{"https://login.microsoftonline.com/" + fdTenant + "/v2.0", false},
		{"https://sts.windows.net/" + fdTenant + "/", true},
	} {
		ks := *keys.set
		ks.Issuer = tc.issuer
		r := Inspect([]byte(tok), Options{Now: fdNow, Keys: &ks})
		if r.Has(CodeIssuerMismatch) != tc.bad {
			t.Errorf("Inspect(token, discovery issuer %q) findings %v, issuer-mismatch want %v", tc.issuer, fdCodes(r), tc.bad)
		}
	}
}

func TestJWTKeyOfAnotherFamilyIsNotUsed(t *testing.T) {
	// A JWKS holding only an EC key under the token's kid must not verify an RS256 token,
	// nor be coerced into use.
	keys := fdNewKeys(t)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	set := &KeySet{Keys: []jose.JSONWebKey{{Key: &ec.PublicKey, KeyID: keys.kid}}}
	r := Inspect([]byte(keys.signRS256(t, fdIDClaims(), nil)), Options{Now: fdNow, Keys: set})
	if r.Signature.Status == SigValid || !r.Has(CodeUnknownKey) {
		t.Errorf("Inspect(RS256 token, EC key) signature %+v findings %v, want not valid and %s", r.Signature, fdCodes(r), CodeUnknownKey)
	}
}

// The JSON of a JWT report carries the stable fields DESIGN.md promises.
func TestJWTReportJSONContract(t *testing.T) {
	keys := fdNewKeys(t)
	r := Inspect([]byte(keys.signRS256(t, fdIDClaims(), nil)), Options{Now: fdNow, Keys: keys.set})
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["kind"] != "jwt" || m["issuer"] != "https://login.microsoftonline.com/"+fdTenant+"/v2.0" {
		t.Errorf("JSON kind %v issuer %v", m["kind"], m["issuer"])
	}
	if sub, _ := m["subject"].(map[string]any); sub["name_id"] != fdIDClaims()["sub"] {
		t.Errorf("JSON subject = %v", m["subject"])
	}
	for _, k := range []string{"audiences", "not_before", "not_on_or_after", "signature", "claims", "findings", "header", "input"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON has no %q: %s", k, b)
		}
	}
	if sig, _ := m["signature"].(map[string]any); sig["status"] != "valid" || sig["algorithm"] != "RS256" {
		t.Errorf("JSON signature = %v", m["signature"])
	}
	cl, _ := m["claims"].([]any)
	if len(cl) == 0 {
		t.Fatalf("JSON claims empty")
	}
	first, _ := cl[0].(map[string]any)
	for _, k := range []string{"name", "friendly", "values"} {
		if _, ok := first[k]; !ok {
			t.Errorf("JSON claim has no %q: %v", k, first)
		}
	}
}
