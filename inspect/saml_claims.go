package inspect

import "strings"

// Attribute names Entra emits (ENTRA.md) and what each means in Entra's terms.
const (
	claimEmail      = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
	claimGroups     = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
	claimGroupsLink = "http://schemas.microsoft.com/claims/groups.link"
	claimTenantID   = "http://schemas.microsoft.com/identity/claims/tenantid"
)

type entraClaim struct {
	friendly string
	about    string
}

var entraClaims = map[string]entraClaim{
	"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname": {"givenname", "The user's first name (user.givenname)."},
	"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname":   {"surname", "The user's last name (user.surname)."},
	"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name":      {"name", "By default the user principal name (user.userprincipalname), not a display name."},
	claimEmail: {"emailaddress", "The user's mail attribute (user.mail); Entra leaves the claim out when the user has no mailbox address."},
	"http://schemas.microsoft.com/identity/claims/objectidentifier": {"objectidentifier", "The user's object ID in the tenant: stable for the user's life, the safest key to link accounts."},
	claimTenantID: {"tenantid", "The directory (tenant) ID that issued the response."},
	"http://schemas.microsoft.com/identity/claims/identityprovider": {"identityprovider", "Who authenticated the user: the tenant's issuer for members, another IdP (e.g. live.com) for guests."},
	"http://schemas.microsoft.com/identity/claims/displayname":      {"displayname", "The user's display name (user.displayname)."},
	claimGroups:     {"groups", "Groups the user belongs to, as object IDs (GUIDs) unless the group claim is set to emit names."},
	claimGroupsLink: {"groups.link", "Group overage: the user is in more than 150 groups, so Entra sends a Graph link instead of the list."},
	"http://schemas.microsoft.com/ws/2008/06/identity/claims/role": {"role", "App roles assigned to the user for this application (Enterprise applications > Users and groups)."},
	"http://schemas.microsoft.com/claims/authnmethodsreferences":   {"authnmethodsreferences", "How the user authenticated (password, multipleauthn for MFA, …)."},
}

// friendlyName is Entra's short name for a SAML attribute: the table's, else the last
// path segment of a URI-shaped name, else the name itself.
func friendlyName(name string) (string, string) {
	if c, ok := entraClaims[name]; ok {
		return c.friendly, c.about
	}
	t := strings.TrimRight(name, "/")
	if i := strings.LastIndexAny(t, "/:"); i >= 0 && i < len(t)-1 {
		return t[i+1:], ""
	}
	return name, ""
}

// claim returns the values of the claim with the given attribute name or friendly name.
func findClaim(claims []Claim, names ...string) *Claim {
	for i := range claims {
		for _, n := range names {
			if claims[i].Name == n || claims[i].Friendly == n {
				return &claims[i]
			}
		}
	}
	return nil
}
