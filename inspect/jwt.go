package inspect

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Entra facts about JWTs (ENTRA.md).
const (
	graphResourceAppID     = "00000003-0000-0000-c000-000000000000"
	personalAccountsTenant = "9188040d-6c67-4c5b-b112-36a304b66dad"
)

// jwtClaimAbout explains the claims Entra puts in ID and access tokens.
var jwtClaimAbout = map[string]string{
	"aud":                "Audience: for an ID token the application (client) ID; for an access token the resource (API) it is meant for.",
	"iss":                "Issuer: https://login.microsoftonline.com/{tenant-id}/v2.0 for v2 tokens, https://sts.windows.net/{tenant-id}/ for v1.",
	"iat":                "Issued at (seconds since 1970, UTC).",
	"nbf":                "Not before: the token is not valid before this time (seconds since 1970, UTC).",
	"exp":                "Expires: the token is not valid from this time on (seconds since 1970, UTC).",
	"sub":                "Subject: the user's identifier, pairwise per application (the same user has a different sub in each app); use oid to identify the user across apps.",
	"oid":                "Object ID of the user in the tenant: stable across applications; with tid the key to use for the account.",
	"tid":                "Tenant ID: the directory the user signed in to.",
	"preferred_username": "The sign-in name (usually the UPN), v2 tokens only; it can change and is not verified: never key accounts on it.",
	"unique_name":        "The sign-in name in v1 tokens (the v2 equivalent is preferred_username); display only.",
	"upn":                "User principal name (an optional claim); it can change when the user is renamed.",
	"name":               "The user's display name; display only.",
	"email":              "The user's email (the mail attribute): only present with the email optional claim or the email scope (present by default for guests).",
	"idp":                "Identity provider that authenticated a guest user; " + personalAccountsTenant + " is personal Microsoft accounts.",
	"roles":              "App roles assigned to the user (or, in app-only tokens, to the calling application).",
	"groups":             "Object IDs (GUIDs) of the groups the user is in, when the app's groupMembershipClaims asks for them.",
	"hasgroups":          "Present instead of groups in the implicit flow when the user is in too many groups for the URL: call Graph to get them.",
	"_claim_names":       "Group overage: the groups claim was replaced because the user is in more groups than fit in the token (200 in a JWT).",
	"_claim_sources":     "Where to fetch the claims listed in _claim_names (a Graph getMemberObjects endpoint).",
	"nonce":              "The nonce the app sent in the authorize request; the app must check it to stop token replay.",
	"ver":                "Token version: 1.0 or 2.0, following the endpoint (and, for access tokens, the API's accessTokenAcceptedVersion).",
	"aio":                "Opaque internal claim Entra uses to reuse tokens; ignore it.",
	"rh":                 "Opaque internal claim Entra uses to revalidate tokens; ignore it.",
	"uti":                "Token identifier (opaque, unique per token); ignore it.",
	"azp":                "Authorized party: the client ID of the app that requested the token (v2 access tokens).",
	"azpacr":             "How the client authenticated: 0 public client, 1 client secret, 2 certificate.",
	"appid":              "Application ID of the client that requested the token (v1 access tokens).",
	"appidacr":           "How the client authenticated (v1): 0 public client, 1 client secret, 2 certificate.",
	"scp":                "Delegated permissions (scopes) granted to the app for this user; only in access tokens.",
	"amr":                "Authentication methods used (pwd, mfa, rsa, …).",
	"acr":                "Authentication context class (v1): 0 means the user did not meet ISO/IEC 29115 requirements.",
	"at_hash":            "Hash of the access token issued with this ID token (implicit and hybrid flows).",
	"c_hash":             "Hash of the authorization code issued with this ID token (hybrid flow).",
	"sid":                "Session ID, used for front-channel sign-out.",
	"login_hint":         "An opaque hint to sign the same user in again (login_hint parameter).",
	"given_name":         "The user's first name (optional claim, or profile in v1).",
	"family_name":        "The user's last name (optional claim, or profile in v1).",
	"ipaddr":             "IP address the user signed in from.",
	"wids":               "Directory role template IDs of the user (e.g. Global Administrator); optional claim.",
	"xms_tcdt":           "When the tenant was created (opaque Entra claim).",
	"auth_time":          "When the user last authenticated (seconds since 1970, UTC).",
	"jti":                "Token identifier.",
}

// jwtParts is a compact JWS split and decoded, before any trust.
type jwtParts struct {
	rawHeader, rawPayload, rawSig string
	header                        map[string]any
	claims                        []jwtMember
	sig                           []byte
}

type jwtMember struct {
	name  string
	value json.RawMessage
}

// inspectJWT decodes a compact JWS (or recognises a JWE) and checks it against opts.
// Nothing in the token is trusted before its signature is verified, and the token's
// header never chooses the verification algorithm.
func inspectJWT(tok string, in *InputInfo, opts *Options) *Report {
	r := &Report{Kind: KindJWT, Input: in}
	parts := strings.Split(tok, ".")
	if len(parts) == 5 {
		return inspectJWE(r, parts)
	}
	if len(parts) != 3 {
		r.add(CodeInputMalformed, SeverityError, "A JWT has three parts separated by dots; this one has "+strconv.Itoa(len(parts))+".", "Copy the whole token.")
		return r
	}
	p, err := splitJWT(parts)
	if err != nil {
		r.add(CodeInputMalformed, SeverityError, err.Error(), "Copy the whole token, with no line breaks or quotes.")
		return r
	}
	r.Header = p.header
	r.Pretty = prettyJWT(p)
	c := jwtClaimMap(p.claims)
	describeJWTClaims(r, p.claims)
	seen := map[string]bool{}
	for _, cl := range p.claims {
		if seen[cl.name] {
			r.add(CodeDuplicateClaim, SeverityError, "The claim "+cl.name+" appears more than once; parsers disagree on which one counts, a classic way to smuggle a value past a check.", "Reject the token.")
		}
		seen[cl.name] = true
	}

	accessWhy := accessTokenEvidence(p.header, c)
	access := accessWhy != ""
	checkJWTSignature(r, p, c, opts)
	checkJWTTimes(r, c, opts)
	checkJWTAudience(r, c, accessWhy, opts)
	checkJWTIssuer(r, c, opts)
	checkJWTContent(r, c, access, opts)
	return r
}

func inspectJWE(r *Report, parts []string) *Report {
	var h map[string]any
	if raw, err := base64.RawURLEncoding.DecodeString(parts[0]); err == nil {
		_ = json.Unmarshal(raw, &h)
	}
	r.Header = h
	alg, _ := h["alg"].(string)
	enc, _ := h["enc"].(string)
	r.add(CodeJWTEncrypted, SeverityError,
		fmt.Sprintf("The token is encrypted (JWE, alg %q, enc %q): its claims cannot be read or checked without the private key of the application it was encrypted for.", alg, enc),
		"Inspect the token after the application decrypts it, or turn off token encryption for the app (App registrations > your app > Token encryption) while testing.")
	return r
}

// splitJWT decodes the three parts of a compact JWS, keeping the claims in the order
// they appear so duplicates can be seen.
func splitJWT(parts []string) (*jwtParts, error) {
	p := &jwtParts{rawHeader: parts[0], rawPayload: parts[1], rawSig: parts[2]}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, fmt.Errorf("the JWT header is not base64url: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(hb))
	dec.UseNumber()
	if err := dec.Decode(&p.header); err != nil || p.header == nil {
		return nil, fmt.Errorf("the JWT header is not a JSON object")
	}
	pb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("the JWT payload is not base64url: %v", err)
	}
	p.claims, err = jsonMembers(pb)
	if err != nil {
		return nil, fmt.Errorf("the JWT payload is not a JSON object: %v", err)
	}
	p.sig, err = base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, fmt.Errorf("the JWT signature is not base64url: %v", err)
	}
	return p, nil
}

// jsonMembers reads a JSON object's members in order, duplicates included.
func jsonMembers(b []byte) ([]jwtMember, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("it does not start with {")
	}
	var out []jwtMember
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("a member name is not a string")
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, jwtMember{name: name, value: v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("there is data after the object")
	}
	return out, nil
}

// jwtClaimMap indexes claims by name; for a duplicate the last wins, as in most parsers
// (the duplicate itself is reported as an error).
func jwtClaimMap(cs []jwtMember) map[string]json.RawMessage {
	m := make(map[string]json.RawMessage, len(cs))
	for _, c := range cs {
		m[c.name] = c.value
	}
	return m
}

// jwtClaimValues stringifies a claim: arrays give one value per element, objects their
// compact JSON, numbers their literal text.
func jwtClaimValues(raw json.RawMessage) []string {
	var arr []json.RawMessage
	if len(raw) > 0 && raw[0] == '[' && json.Unmarshal(raw, &arr) == nil {
		out := make([]string, 0, len(arr))
		for _, e := range arr {
			out = append(out, jwtScalar(e))
		}
		return out
	}
	return []string{jwtScalar(raw)}
}

func jwtScalar(raw json.RawMessage) string {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) == nil {
		return buf.String()
	}
	return string(raw)
}

func jwtClaim(c map[string]json.RawMessage, name string) string {
	raw, ok := c[name]
	if !ok {
		return ""
	}
	v := jwtClaimValues(raw)
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// jwtTime reads a NumericDate claim.
func jwtTime(c map[string]json.RawMessage, name string) (time.Time, bool) {
	raw, ok := c[name]
	if !ok {
		return time.Time{}, false
	}
	f, err := strconv.ParseFloat(strings.Trim(string(raw), `" `), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e11 {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0).UTC(), true
}

func describeJWTClaims(r *Report, cs []jwtMember) {
	c := jwtClaimMap(cs)
	for _, cl := range cs {
		r.Claims = append(r.Claims, Claim{Name: cl.name, Friendly: cl.name, Values: jwtClaimValues(cl.value), About: jwtClaimAbout[cl.name]})
	}
	r.Issuer = jwtClaim(c, "iss")
	if sub := jwtClaim(c, "sub"); sub != "" {
		r.Subject = &Subject{NameID: sub}
	}
	if raw, ok := c["aud"]; ok {
		r.Audiences = jwtClaimValues(raw)
	}
	if t, ok := jwtTime(c, "nbf"); ok {
		r.NotBefore = t.Format(time.RFC3339)
	}
	if t, ok := jwtTime(c, "exp"); ok {
		r.NotOnOrAfter = t.Format(time.RFC3339)
	}
	if t, ok := jwtTime(c, "iat"); ok {
		r.IssueInstant = t.Format(time.RFC3339)
	}
	if t, ok := jwtTime(c, "auth_time"); ok {
		r.AuthnInstant = t.Format(time.RFC3339)
	}
	r.ID = jwtClaim(c, "jti")
	if r.ID == "" {
		r.ID = jwtClaim(c, "uti")
	}
	r.SessionIndex = jwtClaim(c, "sid")
}

// accessTokenEvidence names what marks the token as an access token, or "" for an ID
// token: only access tokens carry scp, appid, idtyp or the at+jwt type, and an ID
// token's audience is always the client ID (a GUID), never an API URI such as api://….
func accessTokenEvidence(h map[string]any, c map[string]json.RawMessage) string {
	if typ, _ := h["typ"].(string); strings.EqualFold(typ, "at+jwt") {
		return "the at+jwt type"
	}
	for _, name := range []string{"scp", "appid", "idtyp"} {
		if _, ok := c[name]; ok {
			return "the " + name + " claim"
		}
	}
	for _, a := range jwtClaimValues(c["aud"]) {
		if strings.Contains(a, "://") || isGraphAudience([]string{a}) {
			return "the API audience " + a
		}
	}
	return ""
}

func isGraphAudience(aud []string) bool {
	for _, a := range aud {
		if strings.EqualFold(a, graphResourceAppID) || strings.EqualFold(strings.TrimSuffix(a, "/"), "https://graph.microsoft.com") {
			return true
		}
	}
	return false
}

// entraKeysURL is where an issuer's signing keys are published: {authority}/discovery/v2.0/keys,
// the authority being the v2 issuer without /v2.0 (which also fits the local harness).
func entraKeysURL(iss string) string {
	if tid := entraTenantFromIssuer(iss); tid != "" {
		return "https://login.microsoftonline.com/" + tid + "/discovery/v2.0/keys"
	}
	if authority, ok := strings.CutSuffix(iss, "/v2.0"); ok && strings.HasPrefix(authority, "https://") {
		return authority + "/discovery/v2.0/keys"
	}
	return "{authority}/discovery/v2.0/keys"
}

func checkJWTSignature(r *Report, p *jwtParts, c map[string]json.RawMessage, opts *Options) {
	alg, _ := p.header["alg"].(string)
	kid, _ := p.header["kid"].(string)
	sig := &Signature{Status: SigAbsent, Signed: []string{}, Algorithm: alg, KeyID: kid}
	r.Signature = sig
	if alg == "" || strings.EqualFold(alg, "none") || len(p.sig) == 0 {
		r.add(CodeJWTAlgNone, SeverityError,
			"The token is not signed (alg "+strconv.Quote(alg)+"): anyone could have written it. Entra always signs its tokens with RS256.",
			"Reject the token; an app that accepts it lets anyone sign in as anyone.")
		return
	}
	if alg != "RS256" {
		sig.Status = SigInvalid
		r.add(CodeJWTAlgUnexpected, SeverityError,
			"The token is signed with "+alg+", but Entra signs ID tokens with RS256 only; a token with another algorithm did not come from Entra (with HS256 it may be forged with the public key as the HMAC secret).",
			"Reject the token, and make the app accept RS256 only instead of the algorithm the token's header names.")
		return
	}
	if _, ok := p.header["crit"]; ok {
		// RFC 7515 4.1.11: a recipient that does not understand every extension crit
		// lists must reject the token. This inspector understands none, and Entra
		// never sends crit.
		sig.Status = SigInvalid
		r.add(CodeJWTCritical, SeverityError,
			"The token's header lists critical extensions (crit "+fmt.Sprint(p.header["crit"])+") that must be understood to validate it; none is understood here and Entra never sends crit, so the token must be rejected (RFC 7515 section 4.1.11).",
			"Reject the token: it did not come from Entra.")
		return
	}
	if _, ok := p.header["nonce"]; ok {
		// Graph access tokens are signed over a hash of the header nonce, not the nonce
		// itself: only Graph can verify them. The signature stays unchecked, and an
		// unchecked signature never passes, whatever the header says.
		sig.Status = SigUntrusted
		if !isGraphAudience(jwtClaimValues(c["aud"])) {
			r.add(CodeSignatureInvalid, SeverityError,
				"The header carries a nonce, which only Microsoft Graph's access tokens carry (it makes their signature checkable by Graph alone), yet the token's audience is not Graph: no Entra token has this shape, and its signature cannot be verified.",
				"Reject the token.")
		} else {
			r.add(CodeSignatureUnchecked, SeverityWarning,
				"The header carries a nonce, as Microsoft Graph's access tokens do: only Graph can verify their signature, so nothing in this token is verified.",
				"Inspect the id_token instead; only Graph can check a Graph access token.")
		}
		return
	}
	if opts.Keys == nil || len(opts.Keys.Keys) == 0 {
		sig.Status = SigUntrusted
		r.add(CodeKeyUntrusted, SeverityWarning,
			"The signature was not checked because no signing keys were given.",
			"Pass the tenant's keys with --jwks "+entraKeysURL(jwtClaim(c, "iss"))+".")
		return
	}
	signed := []byte(p.rawHeader + "." + p.rawPayload)
	digest := sha256.Sum256(signed)
	candidates := opts.Keys.Lookup(kid)
	if len(candidates) == 0 {
		sig.Status = SigUntrusted
		r.add(CodeUnknownKey, SeverityError,
			"The token was signed with key "+strconv.Quote(kid)+", which is not among the keys given: either it comes from another tenant or IdP, or the keys are out of date (Entra rolls its keys).",
			"Fetch the current keys again from "+entraKeysURL(jwtClaim(c, "iss"))+" and check the token's issuer.")
		return
	}
	tried := 0
	for _, k := range candidates {
		pub := jwkRSAPublic(k)
		if pub == nil || (k.Use != "" && k.Use != "sig") || (k.Algorithm != "" && k.Algorithm != "RS256") {
			continue
		}
		tried++
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], p.sig) == nil {
			sig.Status = SigValid
			sig.Signed = []string{"token"}
			sig.TrustedBy = "jwks"
			if sig.KeyID == "" {
				sig.KeyID = k.KeyID
			}
			if len(k.Certificates) > 0 {
				sig.CertSHA256 = certSHA256(k.Certificates[0])
				sig.CertSHA1 = certSHA1(k.Certificates[0])
				sig.CertSubject = k.Certificates[0].Subject.String()
				sig.CertNotAfter = k.Certificates[0].NotAfter.UTC().Format(time.RFC3339)
			}
			r.ClaimsSigned = true
			return
		}
	}
	sig.Status = SigInvalid
	if tried == 0 {
		r.add(CodeUnknownKey, SeverityError,
			"No RSA signing key matching the token's key ID "+strconv.Quote(kid)+" was given, so the RS256 signature cannot be checked.",
			"Pass the tenant's JWKS from "+entraKeysURL(jwtClaim(c, "iss"))+".")
		return
	}
	r.add(CodeSignatureInvalid, SeverityError,
		"The RS256 signature does not verify with the key "+strconv.Quote(kid)+": the token was altered or signed by someone else.",
		"Reject the token; if it came straight from Entra, check it was not re-encoded (whitespace, line breaks) on the way.")
}

// jwkRSAPublic returns the RSA public key of a JWK, or nil for any other kind: the key,
// not the token, decides the algorithm family.
func jwkRSAPublic(k jose.JSONWebKey) *rsa.PublicKey {
	switch key := k.Key.(type) {
	case *rsa.PublicKey:
		return key
	case *rsa.PrivateKey:
		return &key.PublicKey
	}
	return nil
}

func checkJWTTimes(r *Report, c map[string]json.RawMessage, opts *Options) {
	// exp is required in ID tokens (OIDC Core 2) and Entra puts it in every token; a
	// token without a readable one would be valid forever, so it is refused.
	exp, hasExp := jwtTime(c, "exp")
	if !hasExp {
		what := "has no exp claim"
		if _, ok := c["exp"]; ok {
			what = "has an exp claim that is not a number of seconds (" + jwtScalar(c["exp"]) + ")"
		}
		r.add(CodeExpired, SeverityError, "The token "+what+", so it would never expire; Entra's tokens always carry a numeric exp.", "Reject tokens without a numeric expiry.")
	}
	nbf, hasNbf := jwtTime(c, "nbf")
	if _, ok := c["nbf"]; ok && !hasNbf {
		r.add(CodeNotYetValid, SeverityError, "The token's nbf claim is not a number of seconds ("+jwtScalar(c["nbf"])+"), so when it becomes valid cannot be read.", "Reject the token.")
	}
	if opts.Now.IsZero() {
		r.add(CodeTimeNotChecked, SeverityWarning, "No current time was given, so expiry was not checked.", "Pass --now, or let the tool use the clock.")
		r.unverified(whyNoTime)
		return
	}
	now := opts.Now
	if hasExp && !now.Before(exp.Add(opts.Skew)) {
		r.add(CodeExpired, SeverityError,
			fmt.Sprintf("The token expired at %s, %s before the time of the check (%s).", exp.Format(time.RFC3339), now.Sub(exp).Round(time.Second), now.UTC().Format(time.RFC3339)),
			"Get a fresh token; if it was just issued, check the clock of the machine that checks it.")
	}
	if hasNbf && now.Add(opts.Skew).Before(nbf) {
		r.add(CodeNotYetValid, SeverityError,
			fmt.Sprintf("The token is not valid before %s, %s after the time of the check (%s): the checking machine's clock is behind.", nbf.Format(time.RFC3339), nbf.Sub(now).Round(time.Second), now.UTC().Format(time.RFC3339)),
			"Synchronise the clock of the app's server (NTP), or allow a few minutes of clock skew.")
	}
}

// checkJWTAudience checks the token is an ID token for the app (OIDC Core 3.1.3.7):
// the client ID is its one audience, and azp, when present, is the client ID too.
func checkJWTAudience(r *Report, c map[string]json.RawMessage, accessWhy string, opts *Options) {
	access := accessWhy != ""
	aud := jwtClaimValues(c["aud"])
	if isGraphAudience(aud) {
		r.add(CodeAccessTokenNotForYou, SeverityError,
			"This is an access token for Microsoft Graph, not an ID token for the app: only Graph can validate it (its header carries a nonce that makes the signature unverifiable by anyone else).",
			"Validate the id_token to sign the user in; use this token only to call Graph. For an API of your own, request a scope of that API (api://{client-id}/…).")
		return
	}
	if access && (opts.ClientID != "" || opts.Nonce != "") {
		// Checked as a sign-in (a client ID or nonce was given): an access token is no
		// proof of one, even when its audience is the app's own API, because any client
		// the API trusts can obtain one for any user who consented.
		r.add(CodeAccessTokenNotForYou, SeverityError,
			"This is an access token (audience "+strings.Join(aud, ", ")+"), not an ID token: an app must not accept it as proof of sign-in, and it carries no nonce to tie it to this sign-in.",
			"Validate the id_token to sign the user in; use the access token only to call the API it is for.")
		return
	}
	if access {
		r.add(CodeAccessTokenNotForYou, SeverityInfo,
			"This is an access token (it carries "+accessWhy+"), not an ID token: it authorises calls to an API and proves nothing about a sign-in to the app.",
			"To check a sign-in, inspect the id_token the app received.")
	}
	if opts.ClientID == "" {
		r.notChecked("audience: no client ID was given (--client-id)")
		return
	}
	matches := func(a string) bool {
		return strings.EqualFold(a, opts.ClientID) || (access && strings.EqualFold(a, "api://"+opts.ClientID))
	}
	switch {
	case len(aud) == 0:
		r.add(CodeClientIDMismatch, SeverityError, "The token has no audience (aud), so nothing says which application it was issued to.", "Reject the token.")
		return
	case len(aud) > 1:
		// OIDC Core 3.1.3.7: reject an ID token listing audiences the client does not
		// trust. Entra's ID tokens carry exactly one; a list is someone else's token.
		r.add(CodeClientIDMismatch, SeverityError,
			"The token names "+strconv.Itoa(len(aud))+" audiences ("+strings.Join(aud, ", ")+"); Entra's ID tokens name exactly one, the client ID, and a client must refuse audiences it does not trust (OIDC Core 3.1.3.7).",
			"Reject the token.")
		return
	case !matches(aud[0]):
		r.add(CodeClientIDMismatch, SeverityError,
			"The token's audience is "+aud[0]+", not the client ID "+opts.ClientID+": it was issued to another application.",
			"Check the Application (client) ID in App registrations > your app > Overview against the one the app is configured with.")
		return
	}
	if raw, ok := c["azp"]; ok && !strings.EqualFold(jwtScalar(raw), opts.ClientID) {
		r.add(CodeClientIDMismatch, SeverityError,
			"The token's authorized party (azp) is "+jwtScalar(raw)+", not the client ID "+opts.ClientID+": another application requested it (OIDC Core 3.1.3.7).",
			"Reject the token.")
	}
}

func checkJWTIssuer(r *Report, c map[string]json.RawMessage, opts *Options) {
	iss := jwtClaim(c, "iss")
	tid := strings.ToLower(jwtClaim(c, "tid"))
	ver := jwtClaim(c, "ver")
	issTenant := entraTenantFromIssuer(iss)
	switch {
	case strings.HasPrefix(iss, "https://sts.windows.net/"):
		r.add(CodeTokenVersion, SeverityInfo,
			"This is a v1.0 token (issuer https://sts.windows.net/{tenant}/): the token version follows the endpoint used (/oauth2/authorize gives v1, /oauth2/v2.0/authorize gives v2); v1 tokens carry unique_name instead of preferred_username.",
			"Use the v2.0 endpoints and the issuer https://login.microsoftonline.com/{tenant}/v2.0 unless the app expects v1.")
		if ver == "2.0" {
			r.add(CodeTokenVersion, SeverityWarning, "The token says ver 2.0 but has the v1 issuer shape.", "Check which endpoint issued it.")
		}
	case strings.HasPrefix(iss, "https://login.microsoftonline.com/") && strings.HasSuffix(iss, "/v2.0"):
		r.add(CodeTokenVersion, SeverityInfo,
			"This is a v2.0 token (issuer https://login.microsoftonline.com/{tenant}/v2.0), as the /oauth2/v2.0 endpoints issue.", "")
		if ver == "1.0" {
			r.add(CodeTokenVersion, SeverityWarning, "The token says ver 1.0 but has the v2 issuer shape.", "Check which endpoint issued it.")
		}
	}
	if issTenant != "" && tid != "" && issTenant != tid {
		r.add(CodeIssuerMismatch, SeverityError, "The issuer names tenant "+issTenant+" but the tid claim says "+tid+".", "Reject the token.")
	}
	if want := expectedIssuer(opts, tid); want != "" && iss != want {
		r.add(CodeIssuerMismatch, SeverityError,
			"The token's issuer is "+strconv.Quote(iss)+", but the discovery document declares "+strconv.Quote(want)+".",
			"Check the authority (tenant) the app is configured with; a v1 issuer means the v1 endpoint was used.")
	}
	if opts.Tenant == "" {
		if expectedIssuer(opts, tid) == "" {
			// Entra signs every tenant's tokens with the same keys: without a tenant the
			// signature proves only that some Entra tenant issued the token.
			r.notChecked("tenant: no tenant was given (--tenant), and Entra's signing keys are shared by all tenants")
		}
		return
	}
	want := strings.ToLower(opts.Tenant)
	if !isGUID(want) {
		r.add(CodeTenantMismatch, SeverityWarning,
			"The expected tenant "+opts.Tenant+" is a domain name; the token names tenants by ID, so the tenant was not compared.",
			"Pass --tenant with the Directory (tenant) ID from Entra admin center > Overview.")
		r.unverified("the expected tenant " + opts.Tenant + " is a domain name and could not be compared with the token's tenant ID")
		return
	}
	if tid == "" && issTenant == "" {
		// Entra's keys are shared by all tenants, so the tenant named in the token is
		// the only thing binding it to the expected one.
		r.add(CodeTenantMismatch, SeverityError,
			"The token names no tenant (no tid claim, and the issuer "+strconv.Quote(iss)+" holds no tenant ID), so it cannot be tied to the expected tenant "+want+"; Entra signs every tenant's tokens with the same keys.",
			"Reject the token; Entra's tokens always carry tid.")
	}
	if tid != "" && tid != want {
		r.add(CodeTenantMismatch, SeverityError,
			"The token comes from tenant "+tid+", not the expected tenant "+want+".",
			"Sign in through the expected tenant's authority (https://login.microsoftonline.com/"+want+"/v2.0), or check the tenant ID the app is configured with.")
	}
	if issTenant != "" && issTenant != want {
		r.add(CodeIssuerMismatch, SeverityError,
			"The issuer "+iss+" names tenant "+issTenant+", not the expected tenant "+want+".",
			"Use the authority https://login.microsoftonline.com/"+want+"/v2.0 and accept only its issuer.")
	}
}

// expectedIssuer is the issuer the discovery document declared, with the common
// endpoint's {tenantid} template filled from the token's tid. Options.IdPEntityID is
// not used: it comes from SAML metadata, whose entity ID (https://sts.windows.net/…/)
// is not the issuer of v2 tokens.
func expectedIssuer(opts *Options, tid string) string {
	if opts.Keys == nil {
		return ""
	}
	want := opts.Keys.Issuer
	if strings.Contains(want, "{tenantid}") {
		if tid == "" {
			return ""
		}
		want = strings.ReplaceAll(want, "{tenantid}", tid)
	}
	return want
}

func checkJWTContent(r *Report, c map[string]json.RawMessage, access bool, opts *Options) {
	if opts.Nonce == "" && !access {
		r.notChecked("nonce: no nonce was given (--nonce), so replay of an older ID token was not ruled out")
	}
	if opts.Nonce != "" && !access {
		got, ok := c["nonce"]
		switch {
		case !ok:
			r.add(CodeNonceMismatch, SeverityError, "The ID token carries no nonce, but the sign-in sent one: it does not answer this sign-in.",
				"Send the nonce in the authorize request and reject ID tokens without it.")
		case jwtScalar(got) != opts.Nonce:
			r.add(CodeNonceMismatch, SeverityError,
				"The ID token's nonce "+strconv.Quote(jwtScalar(got))+" is not the one the sign-in sent ("+strconv.Quote(opts.Nonce)+"): it answers another sign-in, or is replayed.",
				"Start a new sign-in; make the app keep the nonce per sign-in (in the session) and compare it.")
		}
	}
	idp := jwtClaim(c, "idp")
	home := idp == jwtClaim(c, "iss") || (entraTenantFromIssuer(idp) != "" && entraTenantFromIssuer(idp) == strings.ToLower(jwtClaim(c, "tid")))
	if idp != "" && !home {
		who := idp
		if idp == personalAccountsTenant || strings.Contains(idp, personalAccountsTenant) {
			who = "a personal Microsoft account (" + idp + ")"
		}
		r.add(CodeGuestUser, SeverityInfo,
			"The user is a guest, authenticated by "+who+": their UPN in this tenant has the #EXT# form, so key the account on oid, not on a name.",
			"")
	}
	if !access {
		if _, ok := c["email"]; !ok {
			r.add(CodeEmailMissing, SeverityWarning,
				"The ID token has no email claim; Entra sends it only when asked.",
				"In App registrations > your app > Token configuration > Add optional claim > ID > email, or request the email scope.")
		}
	}
	_, overage := c["_claim_names"]
	if overage {
		var names map[string]any
		if json.Unmarshal(c["_claim_names"], &names) == nil {
			_, overage = names["groups"]
		}
	}
	if overage || jwtClaim(c, "hasgroups") == "true" {
		r.add(CodeGroupsOverage, SeverityWarning,
			"The user is in more groups than fit in the token (200 in a JWT), so Entra left the groups claim out and points to Graph instead.",
			"Resolve the groups with Graph (POST /users/{oid}/getMemberObjects), or in Token configuration choose \"Groups assigned to the application\" and assign the groups the app needs.")
	}
	if raw, ok := c["groups"]; ok {
		vals := jwtClaimValues(raw)
		guids := 0
		for _, v := range vals {
			if isGUID(v) {
				guids++
			}
		}
		if guids > 0 && guids == len(vals) {
			r.add(CodeGroupsObjectIDs, SeverityInfo,
				"The groups claim holds "+plural(guids, "group object ID")+" (GUIDs), not names: an app that provisions groups from it creates groups named by GUIDs.",
				"Map the object IDs to roles in the app, or emit app roles instead (App registrations > your app > App roles); cloud-only groups cannot be emitted by name.")
		}
	}
}

// prettyJWT shows header and payload as indented JSON for people.
func prettyJWT(p *jwtParts) string {
	var b strings.Builder
	for i, part := range []string{p.rawHeader, p.rawPayload} {
		raw, _ := base64.RawURLEncoding.DecodeString(part)
		var buf bytes.Buffer
		if json.Indent(&buf, raw, "", "  ") != nil {
			buf.Reset()
			buf.Write(raw)
		}
		if i > 0 {
			b.WriteString("\n.\n")
		}
		b.Write(buf.Bytes())
	}
	return b.String()
}
