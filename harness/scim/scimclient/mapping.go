package scimclient

import (
	"fmt"
	"strings"

	"github.com/ssowizard/ssowizard/harness/scim/scimattr"
)

// User is an Entra user as the provisioning service reads it (the source side).
type User struct {
	ObjectID          string
	UserPrincipalName string
	MailNickname      string
	Mail              string
	GivenName         string
	Surname           string
	DisplayName       string
	JobTitle          string
	Department        string
	EmployeeID        string
	TelephoneNumber   string
	Mobile            string
	// IsSoftDeleted is true when the user is disabled, soft-deleted or out of scope:
	// the provisioning service's own attribute that drives "active". [how-prov-works]
	IsSoftDeleted bool
}

// Group is an Entra group: its members are user object IDs.
type Group struct {
	ObjectID    string
	DisplayName string
	Members     []string
}

// Mapping is one attribute mapping, Entra attribute → SCIM attribute path.
type Mapping struct {
	Source string
	Target string
	// Matching marks the attribute Entra filters on to find an existing object
	// (matching precedence 1).
	Matching bool
}

// DefaultUserMappings are the user mappings Entra gives a new non-gallery SCIM app
// ([scim-build] "Table 4: Default user attribute mapping"). userName←userPrincipalName
// is the matching attribute, as the doc's request examples filter on userName. The
// mappings to multi-valued attributes not sent by this client (manager, addresses,
// fax, proxyAddresses) are left out; their requests follow the same forms.
var DefaultUserMappings = []Mapping{
	{Source: "userPrincipalName", Target: "userName", Matching: true},
	// Switch([IsSoftDeleted], , "False", "True", "True", "False") in the portal.
	{Source: "IsSoftDeleted", Target: "active"},
	{Source: "displayName", Target: "displayName"},
	{Source: "mail", Target: `emails[type eq "work"].value`},
	{Source: "givenName", Target: "name.givenName"},
	{Source: "surname", Target: "name.familyName"},
	{Source: "mailNickname", Target: "externalId"},
	{Source: "jobTitle", Target: "title"},
	{Source: "department", Target: URNEnterprise + ":department"},
	{Source: "employeeId", Target: URNEnterprise + ":employeeNumber"},
	{Source: "telephoneNumber", Target: `phoneNumbers[type eq "work"].value`},
	{Source: "mobile", Target: `phoneNumbers[type eq "mobile"].value`},
}

// DefaultGroupMappings are Entra's default group mappings ([scim-build] "Table 5"):
// groups are matched on displayName.
var DefaultGroupMappings = []Mapping{
	{Source: "displayName", Target: "displayName", Matching: true},
	{Source: "objectId", Target: "externalId"},
	{Source: "members", Target: "members"},
}

// sourceValue is the Entra attribute's value; ok=false when the user has none (Entra
// then sends nothing for it).
func (u User) sourceValue(attr string) (string, bool) {
	var v string
	switch strings.ToLower(attr) {
	case "objectid":
		v = u.ObjectID
	case "userprincipalname":
		v = u.UserPrincipalName
	case "mailnickname":
		v = u.MailNickname
	case "mail":
		v = u.Mail
	case "givenname":
		v = u.GivenName
	case "surname":
		v = u.Surname
	case "displayname":
		v = u.DisplayName
	case "jobtitle":
		v = u.JobTitle
	case "department":
		v = u.Department
	case "employeeid":
		v = u.EmployeeID
	case "telephonenumber":
		v = u.TelephoneNumber
	case "mobile":
		v = u.Mobile
	case "issoftdeleted":
		if u.IsSoftDeleted {
			return "True", true
		}
		return "False", true
	default:
		return "", false
	}
	return v, v != ""
}

// desired is one target attribute with its value.
type desired struct {
	path  scimattr.Path
	raw   string // the mapping's target, for messages and pathless ops
	value any    // string, or bool for active
}

// userAttributes maps u through the mappings to the SCIM values Entra wants.
func userAttributes(ms []Mapping, u User) ([]desired, error) {
	var out []desired
	for _, m := range ms {
		v, ok := u.sourceValue(m.Source)
		if !ok {
			continue
		}
		p, err := scimattr.ParsePath(m.Target)
		if err != nil {
			return nil, fmt.Errorf("mapping %s → %s: %w", m.Source, m.Target, err)
		}
		var val any = v
		if strings.EqualFold(m.Target, "active") {
			// The Switch expression turns IsSoftDeleted=True into active=False.
			val = v != "True"
		}
		out = append(out, desired{path: p, raw: m.Target, value: val})
	}
	return out, nil
}

// matching returns the mapping's matching attribute and u's value for it.
func matching(ms []Mapping, value func(string) (string, bool)) (Mapping, string, error) {
	for _, m := range ms {
		if m.Matching {
			v, ok := value(m.Source)
			if !ok {
				return m, "", fmt.Errorf("the matching attribute %s is empty, so Entra cannot look the object up", m.Source)
			}
			return m, v, nil
		}
	}
	return Mapping{}, "", fmt.Errorf("no mapping is marked as the matching attribute")
}
