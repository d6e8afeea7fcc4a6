package graphapi

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/ssowizard/ssowizard/harness/tenant"
)

func (a *API) organization(c *call) {
	t := a.store.Snapshot()
	var verified []map[string]any
	for _, d := range t.Domains {
		if d.Verified {
			verified = append(verified, map[string]any{"capabilities": "Email, OfficeCommunicationsOnline",
				"isDefault": d.Default, "isInitial": d.Initial, "name": d.Name, "type": "Managed"})
		}
	}
	org := map[string]any{
		"id": t.TenantID, "deletedDateTime": nil, "displayName": t.DisplayName, "tenantType": "AAD",
		"businessPhones": []string{}, "city": nil, "country": nil, "countryLetterCode": nil, "createdDateTime": nil,
		"onPremisesSyncEnabled": nil, "preferredLanguage": nil, "technicalNotificationMails": []string{},
		"verifiedDomains": list(verified), "assignedPlans": []any{}, "provisionedPlans": []any{},
	}
	c.write(http.StatusOK, map[string]any{"@odata.context": odataBase + "organization", "value": []any{org}})
}

func (a *API) domains(c *call) {
	var out []map[string]any
	for _, d := range a.store.Domains() {
		out = append(out, map[string]any{
			"id": d.Name, "authenticationType": "Managed", "availabilityStatus": nil, "isAdminManaged": true,
			"isDefault": d.Default, "isInitial": d.Initial, "isRoot": true, "isVerified": d.Verified,
			"passwordNotificationWindowInDays": nil, "passwordValidityPeriodInDays": nil,
			"supportedServices": []string{"Email", "OfficeCommunicationsOnline"}, "state": nil,
		})
	}
	c.write(http.StatusOK, map[string]any{"@odata.context": odataBase + "domains", "value": list(out)})
}

var userType = entityType{
	name: "User", set: "users",
	props: []string{"id", "businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
		"officeLocation", "preferredLanguage", "surname", "userPrincipalName", "accountEnabled", "userType",
		"onPremisesImmutableId", "creationType", "externalUserState", "otherMails", "createdDateTime",
		"department", "companyName"},
	defaults: []string{"id", "businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
		"officeLocation", "preferredLanguage", "surname", "userPrincipalName"},
	search: []string{"displayName", "mail", "userPrincipalName", "givenName", "surname"},
}

func userJSON(u tenant.User) map[string]any {
	typ, creation, state := "Member", any(nil), any(nil)
	if u.Guest {
		typ, creation, state = "Guest", "Invitation", "Accepted"
	}
	return map[string]any{
		"id": u.ID, "businessPhones": []string{}, "displayName": u.DisplayName, "givenName": nullable(u.GivenName),
		"jobTitle": nil, "mail": nullable(u.Mail), "mobilePhone": nil, "officeLocation": nil, "preferredLanguage": nil,
		"surname": nullable(u.Surname), "userPrincipalName": u.UPN, "accountEnabled": !u.Disabled, "userType": typ,
		"onPremisesImmutableId": nullable(u.ImmutableID), "creationType": creation, "externalUserState": state,
		"otherMails": []string{}, "createdDateTime": nil, "department": nil, "companyName": nil,
	}
}

// users serves /users, /users/{id or UPN} and /users/{id}/getMemberObjects.
func (a *API) users(c *call, e *ref, rest []string) bool {
	switch {
	case e == nil:
		c.route = "users"
		if c.method("GET") && c.allow(permUsers) {
			var items []map[string]any
			for _, u := range a.store.Users() {
				items = append(items, userJSON(u))
			}
			c.collection(userType, items)
		}
		return true
	case len(rest) > 1 || len(rest) == 1 && rest[0] != "getMemberObjects":
		return false
	}
	u, found := a.userByRef(*e)
	if len(rest) == 1 {
		c.route = "users/{id}/getMemberObjects"
		if !c.method("POST") || !c.allow(permMemberOf) {
			return true
		}
		if !found {
			c.notFound(e.value)
			return true
		}
		a.memberObjects(c, u)
		return true
	}
	c.route = "users/{id}"
	if c.method("GET") && c.allow(permUsers) {
		if !found {
			c.notFound(e.value)
			return true
		}
		c.entity(userType, userJSON(u))
	}
	return true
}

func (a *API) userByRef(e ref) (tenant.User, bool) {
	switch {
	case strings.EqualFold(e.prop, "id") && strings.Contains(e.value, "@"):
		return a.store.UserByUPN(e.value)
	case strings.EqualFold(e.prop, "id"):
		return a.store.UserByID(e.value)
	case strings.EqualFold(e.prop, "userPrincipalName"):
		return a.store.UserByUPN(e.value)
	}
	return tenant.User{}, false
}

// memberObjects is getMemberObjects: the groups the user is in, directly or through
// nesting; the answer a client fetches on a groups overage.
func (a *API) memberObjects(c *call, u tenant.User) {
	m := c.readBody()
	if m == nil {
		return
	}
	if !c.properties(m, []string{"securityEnabledOnly"}) {
		return
	}
	var securityOnly bool
	if present, ok := c.field(m, "securityEnabledOnly", &securityOnly); !ok {
		return
	} else if !present {
		c.badRequest("The parameter 'securityEnabledOnly' is required.")
		return
	}
	ids, err := a.store.TransitiveGroups(u.ID)
	if err != nil {
		c.notFound(u.ID)
		return
	}
	out := []string{}
	for _, id := range ids {
		g, ok := a.store.GroupByID(id)
		if ok && (!securityOnly || g.Type == tenant.GroupSecurity) {
			out = append(out, id)
		}
	}
	c.write(http.StatusOK, map[string]any{"@odata.context": odataBase + "Collection(Edm.String)", "value": out})
}

var groupType = entityType{
	name: "Group", set: "groups",
	props: []string{"id", "deletedDateTime", "classification", "createdDateTime", "description", "displayName",
		"groupTypes", "mail", "mailEnabled", "mailNickname", "securityEnabled", "securityIdentifier", "visibility",
		"membershipRule", "isAssignableToRole"},
	search: []string{"displayName", "description", "mail", "mailNickname"},
}

func groupJSON(g tenant.Group) map[string]any {
	types, mailEnabled := []string{}, false
	switch g.Type {
	case tenant.GroupMicrosoft365:
		types, mailEnabled = []string{"Unified"}, true
	case tenant.GroupDistribution:
		mailEnabled = true
	}
	return map[string]any{
		"id": g.ID, "deletedDateTime": nil, "classification": nil, "createdDateTime": nil, "description": nil,
		"displayName": g.DisplayName, "groupTypes": types, "mail": nil, "mailEnabled": mailEnabled,
		"mailNickname": mailNickname(g.DisplayName), "securityEnabled": g.Type == tenant.GroupSecurity,
		"securityIdentifier": securityIdentifier(g.ID), "visibility": nil, "membershipRule": nil, "isAssignableToRole": nil,
	}
}

// mailNickname is what the portal derives from a display name: its letters and digits.
func mailNickname(name string) string {
	var b strings.Builder
	for _, r := range name {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "group"
	}
	return b.String()
}

// securityIdentifier is Entra's SID of an object: S-1-12-1- and the object ID's 16
// bytes, in GUID byte order, as four little-endian 32-bit numbers.
func securityIdentifier(id string) string {
	raw, err := hex.DecodeString(strings.ReplaceAll(id, "-", ""))
	if err != nil || len(raw) != 16 {
		return ""
	}
	// GUID byte order: the first three fields little-endian.
	b := []byte{raw[3], raw[2], raw[1], raw[0], raw[5], raw[4], raw[7], raw[6]}
	b = append(b, raw[8:]...)
	return fmt.Sprintf("S-1-12-1-%d-%d-%d-%d", binary.LittleEndian.Uint32(b[0:]), binary.LittleEndian.Uint32(b[4:]),
		binary.LittleEndian.Uint32(b[8:]), binary.LittleEndian.Uint32(b[12:]))
}

// groups serves /groups and /groups/{id}.
func (a *API) groups(c *call, e *ref, rest []string) bool {
	if len(rest) > 0 || e != nil && !strings.EqualFold(e.prop, "id") {
		return false
	}
	if e == nil {
		c.route = "groups"
		if c.method("GET") && c.allow(permGroups) {
			var items []map[string]any
			for _, g := range a.store.Groups() {
				items = append(items, groupJSON(g))
			}
			c.collection(groupType, items)
		}
		return true
	}
	c.route = "groups/{id}"
	if c.method("GET") && c.allow(permGroups) {
		g, ok := a.store.GroupByID(e.value)
		if !ok {
			c.notFound(e.value)
			return true
		}
		c.entity(groupType, groupJSON(g))
	}
	return true
}

// principal gives an assignment's principal display name and type.
func (a *API) principal(id string) (name, typ string, ok bool) {
	if u, found := a.store.UserByID(id); found {
		return u.DisplayName, "User", true
	}
	if g, found := a.store.GroupByID(id); found {
		return g.DisplayName, "Group", true
	}
	return "", "", false
}
