package entra

import "strings"

// The SAML attribute names Entra emits (ENTRA.md, ENTRA-CONSENT-SCIM-CLAIMS.md).
const (
	ClaimTenantID         = "http://schemas.microsoft.com/identity/claims/tenantid"
	ClaimObjectID         = "http://schemas.microsoft.com/identity/claims/objectidentifier"
	ClaimDisplayName      = "http://schemas.microsoft.com/identity/claims/displayname"
	ClaimIdentityProvider = "http://schemas.microsoft.com/identity/claims/identityprovider"
	ClaimAuthnMethods     = "http://schemas.microsoft.com/claims/authnmethodsreferences"
	ClaimGivenName        = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
	ClaimSurname          = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"
	ClaimEmail            = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
	ClaimName             = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
	ClaimGroups           = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
	ClaimGroupsLink       = "http://schemas.microsoft.com/claims/groups.link"
	ClaimRole             = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
)

// SAMLClaim is what Entra's portal calls a SAML attribute and what it carries.
type SAMLClaim struct {
	// Short is the name the portal's Attributes & Claims blade shows.
	Short string
	// About says what the value is, in Entra's terms.
	About string
}

// SAMLClaims are the attributes Entra emits, by full name.
var SAMLClaims = map[string]SAMLClaim{
	ClaimGivenName:        {"givenname", "The user's first name (user.givenname)."},
	ClaimSurname:          {"surname", "The user's last name (user.surname)."},
	ClaimName:             {"name", "By default the user principal name (user.userprincipalname), not a display name."},
	ClaimEmail:            {"emailaddress", "The user's mail attribute (user.mail); Entra leaves the claim out when the user has no mailbox address."},
	ClaimObjectID:         {"objectidentifier", "The user's object ID in the tenant: stable for the user's life, the safest key to link accounts."},
	ClaimTenantID:         {"tenantid", "The directory (tenant) ID that issued the response."},
	ClaimIdentityProvider: {"identityprovider", "Who authenticated the user: the tenant's issuer for members, another IdP (e.g. live.com) for guests."},
	ClaimDisplayName:      {"displayname", "The user's display name (user.displayname)."},
	ClaimGroups:           {"groups", "Groups the user belongs to, as object IDs (GUIDs) unless the group claim is set to emit names."},
	ClaimGroupsLink:       {"groups.link", "Group overage: the user is in more than 150 groups, so Entra sends a Graph link instead of the list."},
	ClaimRole:             {"role", "App roles assigned to the user for this application (Enterprise applications > Users and groups)."},
	ClaimAuthnMethods:     {"authnmethodsreferences", "How the user authenticated (password, multipleauthn for MFA, …)."},
}

// claimAliases maps a claim's short name, as a ticket or an OIDC token names it, to
// every name Entra gives the same value in a token or a SAML attribute.
var claimAliases = map[string][]string{
	"email":       {"email", "emailaddress", ClaimEmail},
	"name":        {"name", ClaimName},
	"given_name":  {"given_name", "givenname", ClaimGivenName},
	"family_name": {"family_name", "surname", ClaimSurname},
	"oid":         {"oid", "objectidentifier", ClaimObjectID},
	"groups":      {"groups", ClaimGroups},
	"upn":         {"upn", "preferred_username", ClaimName},
}

// ClaimAliases returns the names Entra gives the claim called short (any case) in an
// OIDC token or a SAML assertion, short itself first; nil for a name it does not know.
func ClaimAliases(short string) []string {
	a := claimAliases[strings.ToLower(short)]
	if a == nil {
		return nil
	}
	return append([]string(nil), a...)
}
