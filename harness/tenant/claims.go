package tenant

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/ssowizard/ssowizard/entra"
)

// Access is the outcome of Entra's assignment check for a user signing in to an app.
type Access int

const (
	// AccessNotRequired: the app does not require assignment; every user of the tenant may sign in.
	AccessNotRequired Access = iota
	// AccessDirect: the user is assigned to the app.
	AccessDirect
	// AccessViaGroup: the user is a direct member of a group assigned to the app.
	AccessViaGroup
	// AccessNested: refused (AADSTS50105). The user reaches an assigned group only
	// through nested groups, which Entra does not honour for assignment.
	AccessNested
	// AccessDenied: refused (AADSTS50105). Nothing assigns the user.
	AccessDenied
)

var accessNames = [...]string{"not-required", "direct", "via-group", "nested-only", "denied"}

// String names the outcome as logs and JSON show it.
func (a Access) String() string {
	if int(a) < len(accessNames) {
		return accessNames[a]
	}
	return fmt.Sprintf("Access(%d)", int(a))
}

// Allowed reports whether the sign-in may proceed.
func (a Access) Allowed() bool { return a <= AccessViaGroup }

// AADSTS is the error code Entra answers a refused sign-in with, or 0.
func (a Access) AADSTS() int {
	if a.Allowed() {
		return 0
	}
	return 50105
}

// AccessCheck is the assignment check's result; Group names the assigned group the
// user is in (AccessViaGroup) or would be in if nesting counted (AccessNested).
type AccessCheck struct {
	Access Access
	Group  string
}

// CheckAccess decides whether the user may sign in to the app under its assignment
// rule: assignment not required, or the user assigned directly, or the user a direct
// member of an assigned group. Nested membership is reported as AccessNested, refused.
// The error wraps ErrNotFound for an unknown app or user.
func (s *Store) CheckAccess(appID, userID string) (AccessCheck, error) {
	v := s.view()
	a, err := v.app(appID)
	if err != nil {
		return AccessCheck{}, err
	}
	u, err := v.user(userID)
	if err != nil {
		return AccessCheck{}, err
	}
	c := v.assignment(a, u)
	if !a.AssignmentRequired {
		c.Access = AccessNotRequired
	}
	return c, nil
}

// IsAssigned reports whether the user is assigned to the app, directly or through a
// group they are directly in, whether or not the app requires assignment.
func (s *Store) IsAssigned(appID, userID string) (bool, error) {
	v := s.view()
	a, err := v.app(appID)
	if err != nil {
		return false, err
	}
	u, err := v.user(userID)
	if err != nil {
		return false, err
	}
	c := v.assignment(a, u)
	return c.Access == AccessDirect || c.Access == AccessViaGroup, nil
}

func (v *view) assignment(a *App, u *User) AccessCheck {
	assigned := map[string]bool{}
	for _, id := range a.Assignments {
		assigned[id] = true
	}
	if assigned[u.ID] {
		return AccessCheck{Access: AccessDirect}
	}
	for _, g := range u.Groups {
		if assigned[g] {
			return AccessCheck{Access: AccessViaGroup, Group: g}
		}
	}
	for _, g := range v.transitive(u.Groups) {
		if assigned[g] {
			return AccessCheck{Access: AccessNested, Group: g}
		}
	}
	return AccessCheck{Access: AccessDenied}
}

// transitive returns every group reached from the direct memberships, those included,
// in the tenant's group order.
func (v *view) transitive(direct []string) []string {
	seen := map[string]bool{}
	queue := append([]string(nil), direct...)
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if seen[id] {
			continue
		}
		seen[id] = true
		if g := v.groups[id]; g != nil {
			queue = append(queue, g.Groups...)
		}
	}
	out := make([]string, 0, len(seen))
	for _, g := range v.t.Groups {
		if seen[g.ID] {
			out = append(out, g.ID)
		}
	}
	return out
}

// TransitiveGroups returns the object IDs of every group the user is in, directly or
// through nesting (Graph's transitiveMemberOf, getMemberObjects), in tenant order.
func (s *Store) TransitiveGroups(userID string) ([]string, error) {
	v := s.view()
	u, err := v.user(userID)
	if err != nil {
		return nil, err
	}
	return v.transitive(u.Groups), nil
}

// TokenFormat selects the group limit that applies.
type TokenFormat int

const (
	// JWT: ID and access tokens.
	JWT TokenFormat = iota
	// SAMLToken: SAML assertions.
	SAMLToken
)

// Group limits: above these counts Entra leaves the group list out and emits an
// overage indicator (JWT: _claim_names/_claim_sources; SAML: the groups.link attribute).
const (
	JWTGroupLimit  = 200
	SAMLGroupLimit = 150
)

// GroupsClaim is what a token says about the user's groups.
type GroupsClaim struct {
	// Emit is false when the app does not ask for groups (group_claims "none").
	Emit bool
	// Overage replaces the list: the user is in more groups than the token may carry.
	Overage bool
	// IDs are the groups' object IDs, when emitted without overage.
	IDs []string
	// Count is how many groups qualified, whether or not they were emitted.
	Count int
}

// GroupsClaim computes the groups claim of the user's token for the app. Entra's groups
// claim, unlike its assignment check, includes groups reached through nesting; with
// group_claims "security" only security groups count, with "all" every group. Above
// JWTGroupLimit (JWT) or SAMLGroupLimit (SAML) the list gives way to the overage
// indicator.
func (s *Store) GroupsClaim(appID, userID string, format TokenFormat) (GroupsClaim, error) {
	v := s.view()
	a, err := v.app(appID)
	if err != nil {
		return GroupsClaim{}, err
	}
	u, err := v.user(userID)
	if err != nil {
		return GroupsClaim{}, err
	}
	if a.GroupClaims == GroupClaimsNone {
		return GroupsClaim{}, nil
	}
	var ids []string
	for _, id := range v.transitive(u.Groups) {
		if a.GroupClaims == GroupClaimsAll || v.groups[id].Type == GroupSecurity {
			ids = append(ids, id)
		}
	}
	limit := JWTGroupLimit
	if format == SAMLToken {
		limit = SAMLGroupLimit
	}
	c := GroupsClaim{Emit: true, Count: len(ids)}
	if len(ids) > limit {
		c.Overage = true
	} else {
		c.IDs = ids
	}
	return c, nil
}

// Sub returns the pairwise subject identifier Entra puts in `sub`: stable for one user
// and one app, different across apps, and not derivable from the object ID without the
// tenant's pairwise key. Like Entra's, it is 43 base64url characters.
func (t *Tenant) Sub(userID, appID string) string {
	key, _ := base64.RawURLEncoding.DecodeString(t.PairwiseKey)
	return pairwiseSub(key, userID, appID)
}

func pairwiseSub(key []byte, userID, appID string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.ToLower(userID) + "/" + strings.ToLower(appID)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// IdentityProvider returns the `idp` claim for the user: the issuer of the guest's home
// tenant (a personal Microsoft account's when HomeTenantID is empty), or "" for a member,
// who has none.
func (u *User) IdentityProvider() string {
	if !u.Guest {
		return ""
	}
	home := u.HomeTenantID
	if home == "" {
		home = entra.MSATenantID
	}
	return entra.STSIssuer(home)
}
