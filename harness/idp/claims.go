package idp

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"slices"
	"time"

	"github.com/ssowizard/ssowizard/harness/tenant"
)

// grant is what an authorization code, a refresh token or an approved device code
// entitles its client to.
type grant struct {
	clientID    string
	redirectURI string
	userID      string
	scope       string // as requested, echoed in the token response
	scopes      *scopeSet
	nonce       string
	challenge   string
	method      string
	authTime    time.Time
	expires     time.Time
	used        bool
	family      string // codes and the refresh tokens they yield; revoked together
}

// claims is a JWT payload; a map keeps optional claims absent rather than empty.
type claims map[string]any

// opaque returns one of Entra's opaque internal claims (aio, rh, uti): random, of the
// shape Entra uses, meaningless to clients.
func opaque(n int) string { return randomID(n) }

// groupClaims adds the groups claim, or its overage indicator, per the app's setting.
func (p *IdP) groupClaims(c claims, appID string, u *tenant.User, f faults) {
	gc, err := p.store.GroupsClaim(appID, u.ID, tenant.JWT)
	if err != nil || !gc.Emit && !f.groupsOverage {
		return
	}
	if gc.Overage || f.groupsOverage {
		c["_claim_names"] = map[string]string{"groups": "src1"}
		c["_claim_sources"] = map[string]map[string]string{"src1": {
			"endpoint": "https://graph.microsoft.com/v1.0/users/" + u.ID + "/getMemberObjects",
		}}
		return
	}
	if len(gc.IDs) > 0 {
		c["groups"] = gc.IDs
	}
}

// wantsEmail: the email scope, the app's email optional claim, or a guest (Entra gives
// guests their email by default). A user without mail gets none.
func wantsEmail(s *scopeSet, app *tenant.App, u *tenant.User, f faults) bool {
	if u.Mail == "" || f.noEmail {
		return false
	}
	return s.email || slices.Contains(app.OptionalClaims, "email") || u.Guest
}

// preferredUsername is the sign-in name: a guest's own address, a member's UPN.
func preferredUsername(u *tenant.User) string {
	if u.Guest && u.Mail != "" {
		return u.Mail
	}
	return u.UPN
}

// asSeen is the user as the app's tokens describe them: under the guest-user scenario,
// a member appears as a guest from a personal Microsoft account.
func asSeen(u *tenant.User, f faults) *tenant.User {
	if !f.guestUser || u.Guest {
		return u
	}
	g := *u
	g.Guest = true
	return &g
}

// idToken builds the ID token for the user and app: v2.0, or for the v1 endpoints v1.0
// (the sts.windows.net issuer, upn, unique_name and amr, names always present).
func (p *IdP) idToken(app *tenant.App, u *tenant.User, g *grant, now time.Time, v1 bool) (string, error) {
	tid := p.store.TenantID()
	f := p.faultsFor(app.AppID)
	u = asSeen(u, f)
	now = f.tokenTime(now)
	c := claims{
		"aud": app.AppID,
		"iss": p.Issuer(),
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
		"aio": opaque(96),
		"rh":  "1.A" + opaque(48),
		"sub": p.store.Sub(u.ID, app.AppID),
		"tid": tid,
		"uti": opaque(16),
		"ver": "2.0",
	}
	if g.nonce != "" {
		c["nonce"] = g.nonce
	}
	if g.scopes.profile {
		c["name"] = u.DisplayName
		c["oid"] = u.ID
		c["preferred_username"] = preferredUsername(u)
	}
	if wantsEmail(g.scopes, app, u, f) {
		c["email"] = u.Mail
	}
	if idp := u.IdentityProvider(); idp != "" {
		c["idp"] = idp
	}
	p.groupClaims(c, app.AppID, u, f)
	if v1 {
		c["iss"], c["ver"] = V1Issuer(tid), "1.0"
		c["amr"] = []string{"pwd"}
		c["name"], c["oid"] = u.DisplayName, u.ID
		c["family_name"], c["given_name"] = u.Surname, u.GivenName
		c["unique_name"] = preferredUsername(u)
		if u.IdentityProvider() == "" {
			c["upn"] = u.UPN
		}
		delete(c, "preferred_username")
	}
	return p.signJWT(c, false)
}

// accessToken builds a delegated v1.0 access token for the resource the scopes name, as
// Entra issues to resources that accept its default token version.
func (p *IdP) accessToken(client *tenant.App, u *tenant.User, s *scopeSet, appidacr string, now time.Time) (string, time.Time, error) {
	tid := p.store.TenantID()
	f := p.faultsFor(client.AppID)
	u = asSeen(u, f)
	exp := now.Add(tokenLifetime) // expires_in counts from the real now
	now = f.tokenTime(now)
	subjectApp := s.resourceApp
	if s.graph {
		subjectApp = GraphAppID
	}
	c := claims{
		"aud":             s.resource,
		"iss":             "https://sts.windows.net/" + tid + "/",
		"iat":             now.Unix(),
		"nbf":             now.Unix(),
		"exp":             exp.Unix(),
		"acr":             "1",
		"aio":             opaque(96),
		"amr":             []string{"pwd"},
		"appid":           client.AppID,
		"appidacr":        appidacr,
		"app_displayname": client.DisplayName,
		"family_name":     u.Surname,
		"given_name":      u.GivenName,
		"name":            u.DisplayName,
		"oid":             u.ID,
		"rh":              "1.A" + opaque(48),
		"scp":             s.delegatedScp(),
		"sub":             p.store.Sub(u.ID, subjectApp),
		"tid":             tid,
		"unique_name":     preferredUsername(u),
		"upn":             u.UPN,
		"uti":             opaque(16),
		"ver":             "1.0",
		"idtyp":           "user",
	}
	if idp := u.IdentityProvider(); idp != "" {
		c["idp"] = idp
		delete(c, "upn") // guests have no upn claim, only unique_name
	}
	if !s.graph && s.resourceApp == client.AppID {
		p.groupClaims(c, client.AppID, u, f)
	}
	tok, err := p.signAccessToken(c, s.graph)
	return tok, exp, err
}

// appToken builds an app-only v1.0 access token (client credentials): the client's
// service principal is the subject, and roles are the application permissions granted.
func (p *IdP) appToken(client *tenant.App, s *scopeSet, now time.Time) (string, time.Time, error) {
	tid := p.store.TenantID()
	exp := now.Add(tokenLifetime)
	now = p.faultsFor(client.AppID).tokenTime(now)
	sp := client.ServicePrincipalID
	c := claims{
		"aud":             s.resource,
		"iss":             "https://sts.windows.net/" + tid + "/",
		"iat":             now.Unix(),
		"nbf":             now.Unix(),
		"exp":             exp.Unix(),
		"aio":             opaque(64),
		"appid":           client.AppID,
		"appidacr":        "1",
		"app_displayname": client.DisplayName,
		"idp":             "https://sts.windows.net/" + tid + "/",
		"idtyp":           "app",
		"oid":             sp,
		"rh":              "1.A" + opaque(48),
		"sub":             sp,
		"tid":             tid,
		"uti":             opaque(16),
		"ver":             "1.0",
	}
	if s.graph && len(client.GraphPermissions) > 0 {
		c["roles"] = slices.Clone(client.GraphPermissions)
	}
	tok, err := p.signAccessToken(c, s.graph)
	return tok, exp, err
}

// clientInfo is the client_info MSAL asks for: the user's home object and tenant IDs.
func clientInfo(oid, tid string) string {
	b, _ := json.Marshal(map[string]string{"uid": oid, "utid": tid})
	return base64.RawURLEncoding.EncodeToString(b)
}

// signAccessToken signs an access token as Entra signs it for its audience. A token for
// Microsoft Graph carries a nonce header, and the signature covers the header with the
// nonce replaced by its SHA-256 (base64url): only Graph, which knows to hash it back,
// can verify it. An API that wrongly validates Graph tokens fails here as on Entra.
func (p *IdP) signAccessToken(c claims, graph bool) (string, error) {
	if !graph {
		return p.signJWT(c, true)
	}
	return p.signJWTHeader(c, true, randomID(32))
}

// hashNonce is what the signature of a Graph token covers in place of its nonce.
func hashNonce(nonce string) string {
	sum := sha256.Sum256([]byte(nonce))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
