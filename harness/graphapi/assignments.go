package graphapi

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/ssowizard/ssowizard/entra"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

// assignmentID is an appRoleAssignment's ID: 43 base64url characters, as Entra's, of
// which the first 16 bytes are the principal's object ID, so the ID leads back to its
// principal. The tenant keeps assignments as principal IDs alone.
func assignmentID(spID, principalID string) string {
	p, _ := hex.DecodeString(strings.ReplaceAll(strings.ToLower(principalID), "-", ""))
	h := sha256.Sum256([]byte(strings.ToLower(spID) + "/" + strings.ToLower(principalID)))
	return base64.RawURLEncoding.EncodeToString(append(p, h[:16]...))
}

// assignmentPrincipal reads the principal back from an assignment ID of the service
// principal; false when the ID is not one of its.
func assignmentPrincipal(spID, id string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(b) != 32 {
		return "", false
	}
	x := hex.EncodeToString(b[:16])
	principal := x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
	return principal, assignmentID(spID, principal) == id
}

func (a *API) assignmentJSON(app tenant.App, principalID string) map[string]any {
	name, typ, _ := a.principal(principalID)
	return map[string]any{
		"id": assignmentID(app.ServicePrincipalID, principalID), "deletedDateTime": nil, "appRoleId": defaultAccessRole,
		"createdDateTime": nil, "principalDisplayName": name, "principalId": principalID, "principalType": typ,
		"resourceDisplayName": app.DisplayName, "resourceId": app.ServicePrincipalID,
	}
}

func assignmentType(spID string) entityType {
	return entityType{name: "AppRoleAssignment", set: "servicePrincipals('" + spID + "')/appRoleAssignedTo",
		props: []string{"id", "deletedDateTime", "appRoleId", "createdDateTime", "principalDisplayName", "principalId",
			"principalType", "resourceDisplayName", "resourceId"},
		search: []string{"principalDisplayName"}}
}

// assignments serves …/appRoleAssignedTo (rest empty) and …/appRoleAssignedTo/{id}.
func (a *API) assignments(c *call, e *ref, rest []string) bool {
	if len(rest) == 0 {
		c.route = "servicePrincipals/{id}/appRoleAssignedTo"
		if !c.method("GET", "POST") {
			return true
		}
	} else {
		c.route = "servicePrincipals/{id}/appRoleAssignedTo/{id}"
		if !c.method("GET", "DELETE") {
			return true
		}
	}
	if !c.allowMethod(permAssignRead, permAssignWrite) {
		return true
	}
	app, ok := a.spByRef(*e)
	if !ok {
		c.notFound(e.value)
		return true
	}
	typ := assignmentType(app.ServicePrincipalID)
	if len(rest) == 0 {
		if c.r.Method == "GET" {
			var items []map[string]any
			for _, p := range app.Assignments {
				items = append(items, a.assignmentJSON(app, p))
			}
			c.collection(typ, items)
		} else {
			a.assign(c, app, typ)
		}
		return true
	}
	principal, ok := assignmentPrincipal(app.ServicePrincipalID, rest[0])
	if !ok || !containsFold(app.Assignments, principal) {
		c.notFound(rest[0])
		return true
	}
	if c.r.Method == "GET" {
		c.entity(typ, a.assignmentJSON(app, principal))
		return true
	}
	if err := a.store.Unassign(app.AppID, principal); err != nil {
		c.storeError(err, "AppRoleAssignment", rest[0])
		return true
	}
	c.noContent()
	return true
}

func (a *API) assign(c *call, app tenant.App, typ entityType) {
	m := c.readBody()
	if m == nil {
		return
	}
	if !c.properties(m, assignmentDeclared) {
		return
	}
	var principalID, resourceID, roleID string
	for _, f := range []struct {
		name string
		dst  *string
	}{{"principalId", &principalID}, {"resourceId", &resourceID}, {"appRoleId", &roleID}} {
		present, ok := c.field(m, f.name, f.dst)
		if !ok {
			return
		}
		if !present || !entra.IsGUID(strings.ToLower(*f.dst)) {
			c.badRequest(fmt.Sprintf("Property '%s' is required and must be a GUID.", f.name))
			return
		}
	}
	if !strings.EqualFold(resourceID, app.ServicePrincipalID) {
		c.badRequest(fmt.Sprintf("The resourceId '%s' is not the service principal '%s' the assignment is made through.", resourceID, app.ServicePrincipalID))
		return
	}
	if roleID != defaultAccessRole {
		c.badRequest(fmt.Sprintf("Permission being assigned was not found on application '%s'. (Harness: apps have no app roles here; assign the default access role %s.)", app.AppID, defaultAccessRole))
		return
	}
	if _, _, ok := a.principal(principalID); !ok {
		c.notFound(principalID)
		return
	}
	principalID = strings.ToLower(principalID)
	if err := a.store.Assign(app.AppID, principalID); err != nil {
		if errors.Is(err, tenant.ErrExists) {
			c.badRequest("Permission being assigned already exists on the object")
			return
		}
		c.changeError(err, "AppRoleAssignment", "")
		return
	}
	out := a.assignmentJSON(app, principalID)
	out["@odata.context"] = context(typ, nil, true)
	c.created(fmt.Sprintf("%s/servicePrincipals/%s/appRoleAssignedTo/%s", c.base(), app.ServicePrincipalID, out["id"]), out)
}
