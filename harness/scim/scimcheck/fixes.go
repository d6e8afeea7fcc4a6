package scimcheck

import (
	"errors"
	"net/http"

	"github.com/ssowizard/ssowizard/harness/scim/scimclient"
)

// The fixes name what Entra sends, per Microsoft's SCIM guide [scim-build]
// https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups
// and its compatibility page [scim-compat]
// https://learn.microsoft.com/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility

const flagHint = "or have customers append ?" + scimclient.CompliantFlag + " to the Tenant URL in Entra so it sends the RFC form"

func fixTestConnection(err error) string {
	var se *scimclient.Error
	if errors.As(err, &se) {
		switch {
		case se.Kind == scimclient.KindStatus && se.Status == http.StatusNotFound:
			return "answer a filter query that matches nothing with 200 and an empty ListResponse, not 404; Entra's Test Connection and every lookup rely on it"
		case se.Kind == scimclient.KindUnexpected:
			return "apply the filter: answer GET /Users?filter=userName eq \"value\" with only the users whose userName equals the value"
		case se.Kind == scimclient.KindNotSCIM:
			return "answer filter queries with a ListResponse (schemas, totalResults, Resources; RFC 7644 §3.4.2)"
		case se.Kind == scimclient.KindStatus:
			return "support GET /Users?filter=userName eq \"value\" (the eq operator and a quoted value), answering 200 with a ListResponse"
		}
	}
	return ""
}

// fixFor names the change that makes a failed step work with Entra in mode. err may
// be nil when the request succeeded but the endpoint did not do what it said.
func fixFor(step string, mode scimclient.Mode, err error) string {
	var se *scimclient.Error
	isStatus := errors.As(err, &se) && se.Kind == scimclient.KindStatus
	compliant := mode == scimclient.ModeCompliant
	switch step {
	case stepCreateUser:
		if isStatus && se.Status == http.StatusConflict {
			return "a user with this userName already exists; answer 409 only for a real conflict, and make the filter find existing users so Entra updates instead of creating"
		}
		return "accept Entra's POST /Users: schemas with the core User and enterprise extension URNs, meta.resourceType, userName, active, externalId, name, displayName and emails [{primary, type, value}]; answer 201 with the user and its id"
	case stepUpdateUser:
		if compliant {
			return "accept a PATCH replace without a path whose value object is keyed by attribute paths (\"name.givenName\", \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department\"; RFC 7644 §3.5.2.3), and add/replace with paths such as emails[type eq \"work\"].value"
		}
		return "accept PATCH ops named \"Add\" and \"Replace\" in any case, one operation per attribute with paths such as name.givenName, emails[type eq \"work\"].value and urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department, " + flagHint
	case stepDisableUser:
		if compliant {
			return "accept {\"op\":\"replace\",\"path\":\"active\",\"value\":false} and store active as false"
		}
		return "accept {\"op\":\"Replace\",\"path\":\"active\",\"value\":\"False\"} (a capitalised op and active as the string \"False\") and store active as false, " + flagHint
	case stepCreateGroup:
		return "accept Entra's POST /Groups: schemas with the core Group URN and http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group, externalId, displayName and no members; answer 201 with the group and its id"
	case stepAddMembers:
		if compliant {
			return "accept {\"op\":\"add\",\"path\":\"members\",\"value\":[{\"$ref\":null,\"value\":\"<user id>\"}]} and add those users to the group"
		}
		return "accept {\"op\":\"Add\",\"path\":\"members\",\"value\":[{\"$ref\":null,\"value\":\"<user id>\"}]} (capitalised op, a null $ref) and add those users to the group, " + flagHint
	case stepRemoveMember:
		if compliant {
			return "accept {\"op\":\"remove\",\"path\":\"members[value eq \\\"<user id>\\\"]\"} (RFC 7644 §3.5.2.2) and remove only that member"
		}
		return "accept {\"op\":\"Remove\",\"path\":\"members\",\"value\":[{\"value\":\"<user id>\"}]} and remove only the listed members (not all of them), " + flagHint
	}
	return ""
}
