package idp

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// AccessToken is what VerifyAccessToken read from a token the harness issued.
type AccessToken struct {
	// Audience is aud: https://graph.microsoft.com, or an app's identifier URI or ID.
	Audience string
	// AppID is the client the token was issued to (appid).
	AppID string
	// UserID is the signed-in user's object ID; empty for an app-only token.
	UserID string
	// Scopes are the delegated permissions (scp); Roles the application permissions.
	Scopes []string
	Roles  []string
	// Claims holds every claim, as decoded JSON.
	Claims map[string]any
}

// TokenError says why VerifyAccessToken refused a token, in a sentence that can go in
// a WWW-Authenticate header or a Graph error body.
type TokenError struct{ Reason string }

// Error gives the reason as one line.
func (e *TokenError) Error() string { return "invalid access token: " + e.Reason }

// VerifyAccessToken checks an access token as a resource (Graph, or the harness's
// userinfo) must: signed RS256 by one of the harness's keys, issued by this tenant, and
// current by the harness's clock (no skew allowed beyond five minutes, as Graph). It
// does not check the audience; the caller knows which one it is.
func (p *IdP) VerifyAccessToken(token string) (*AccessToken, error) {
	c, err := p.verifyJWT(token)
	if err != nil {
		return nil, err
	}
	tid := p.store.TenantID()
	if iss, _ := c["iss"].(string); iss != "https://sts.windows.net/"+tid+"/" && iss != p.Issuer() {
		return nil, &TokenError{fmt.Sprintf("issuer %q is not this tenant's", iss)}
	}
	now := p.now()
	const skew = 5 * time.Minute
	exp, _ := c["exp"].(float64)
	nbf, _ := c["nbf"].(float64)
	if exp == 0 || now.After(time.Unix(int64(exp), 0).Add(skew)) {
		return nil, &TokenError{"the token has expired"}
	}
	if nbf != 0 && now.Add(skew).Before(time.Unix(int64(nbf), 0)) {
		return nil, &TokenError{"the token is not valid yet"}
	}
	at := &AccessToken{Claims: c}
	at.Audience, _ = c["aud"].(string)
	at.AppID, _ = c["appid"].(string)
	if typ, _ := c["idtyp"].(string); typ == "user" {
		at.UserID, _ = c["oid"].(string)
	}
	if scp, _ := c["scp"].(string); scp != "" {
		at.Scopes = strings.Fields(scp)
	}
	if roles, ok := c["roles"].([]any); ok {
		for _, r := range roles {
			if s, ok := r.(string); ok {
				at.Roles = append(at.Roles, s)
			}
		}
	}
	return at, nil
}

// verifyJWT checks the signature of a token signed by one of the IdP's keys and returns
// its claims.
func (p *IdP) verifyJWT(token string) (map[string]any, error) {
	if len(token) > 16<<10 {
		return nil, &TokenError{"the token is too long"}
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, &TokenError{"not a JWT (want three dot-separated parts)"}
	}
	enc := base64.RawURLEncoding
	hb, err1 := enc.DecodeString(parts[0])
	cb, err2 := enc.DecodeString(parts[1])
	sig, err3 := enc.DecodeString(parts[2])
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, &TokenError{"a part is not base64url"}
	}
	var hdr struct{ Alg, Kid, Nonce string }
	if err := json.Unmarshal(hb, &hdr); err != nil {
		return nil, &TokenError{"the header is not JSON"}
	}
	signedHdr := parts[0]
	if hdr.Nonce != "" {
		// A Graph token: its signature covers the header with the nonce hashed.
		var m map[string]any
		if err := json.Unmarshal(hb, &m); err != nil {
			return nil, &TokenError{"the header is not a JSON object"}
		}
		m["nonce"] = hashNonce(hdr.Nonce)
		b, err := json.Marshal(m)
		if err != nil {
			return nil, &TokenError{"the header cannot be re-encoded"}
		}
		signedHdr = enc.EncodeToString(b)
	}
	if hdr.Alg != "RS256" {
		return nil, &TokenError{fmt.Sprintf("algorithm %q, want RS256", hdr.Alg)}
	}
	var key *rsa.PublicKey
	for _, k := range p.keys {
		if k.ID == hdr.Kid {
			key = &k.Key.PublicKey
		}
	}
	if key == nil {
		return nil, &TokenError{fmt.Sprintf("kid %q is not a key of this harness", hdr.Kid)}
	}
	sum := sha256.Sum256([]byte(signedHdr + "." + parts[1]))
	if rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig) != nil {
		return nil, &TokenError{"the signature does not verify"}
	}
	var c map[string]any
	if err := json.Unmarshal(cb, &c); err != nil {
		return nil, &TokenError{"the payload is not a JSON object"}
	}
	return c, nil
}

// userinfo is Entra's OIDC userinfo endpoint (which Entra serves on Graph's host): the
// user's claims for a Graph access token.
func (p *IdP) userinfo(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="", error="invalid_token", error_description="no bearer token"`)
		http.Error(w, "a bearer access token for Microsoft Graph is required", http.StatusUnauthorized)
		return
	}
	at, err := p.VerifyAccessToken(strings.TrimSpace(tok))
	if err == nil && at.Audience != GraphResource && at.Audience != GraphAppID {
		err = &TokenError{"the audience is not Microsoft Graph"}
	}
	if err == nil && at.UserID == "" {
		err = &TokenError{"an app-only token has no user"}
	}
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+strings.ReplaceAll(err.Error(), `"`, "'")+`"`)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	u, ok := p.store.UserByID(at.UserID)
	if !ok {
		http.Error(w, "the user no longer exists", http.StatusUnauthorized)
		return
	}
	// As Graph's userinfo: the names need the profile scope, the e-mail the email
	// scope; the token's scp says which were granted.
	info := map[string]any{"sub": p.store.Sub(u.ID, at.AppID)}
	if slices.Contains(at.Scopes, "profile") {
		info["name"], info["family_name"], info["given_name"] = u.DisplayName, u.Surname, u.GivenName
		info["picture"] = GraphResource + "/v1.0/me/photo/$value"
	}
	if u.Mail != "" && slices.Contains(at.Scopes, "email") && !p.faultsFor(at.AppID).noEmail {
		info["email"] = u.Mail
	}
	writeJSON(w, http.StatusOK, info)
}
