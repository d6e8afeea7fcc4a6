package tenant

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// Fixed facts of the demo tenant, for tests and documentation that refer to it.
const (
	DemoTenantID     = "6f1c3a2e-8d4b-4c7a-9e51-2b0d7f4a9c13"
	DemoDisplayName  = "Contoso Demo"
	DemoInitial      = "contosodemo.onmicrosoft.com"
	DemoDomain       = "contoso.example"
	DemoAppID        = "0b7e5c1d-3f2a-4e8b-a6d9-5c4e1f0a7b28"
	DemoRedirectURI  = "https://vendor.example/callback"
	DemoEntityID     = "https://vendor.example/saml"
	DemoReplyURL     = "https://vendor.example/saml/acs"
	DemoOverageCount = 210 // groups erin is in beyond the app's own, over both limits
	// DemoSetupAppID is the demo's automation app: a confidential client with the Graph
	// application permissions the wizard's setup steps need, so they can run through
	// Graph against the demo with client credentials.
	DemoSetupAppID = "5a3d9c2e-7b41-4f6a-8c2d-1e9f0b6a4d37"
)

// DemoSetupPermissions are the Graph application permissions granted to the demo's
// setup app: what the wizard's setup steps call, and no more.
var DemoSetupPermissions = []string{
	"Organization.Read.All", "Domain.Read.All", "Application.ReadWrite.All",
	"AppRoleAssignment.ReadWrite.All", "User.Read.All", "Group.Read.All",
	"Synchronization.ReadWrite.All", "AuditLog.Read.All",
}

// demoSeed makes the demo's random parts (its secret, its pairwise key) the same on
// every run.
var demoSeed = [32]byte{'s', 's', 'o', 'w', 'i', 'z', 'a', 'r', 'd', '-', 'd', 'e', 'm', 'o'}

// Demo returns the demo tenant: the same tenant, byte for byte, for the same day of now
// (its secret and signing certificate are dated from the start of that UTC day, so they
// are current whenever the demo is made). Its users and passwords are listed in the
// package documentation.
func Demo(now time.Time) *Tenant {
	rng := rand.NewChaCha8(demoSeed)
	day := now.UTC().Truncate(24 * time.Hour)

	t := &Tenant{
		TenantID:    DemoTenantID,
		DisplayName: DemoDisplayName,
		Domains: []Domain{
			{Name: DemoInitial, Initial: true, Verified: true},
			{Name: DemoDomain, Default: true, Verified: true},
		},
	}

	group := func(key, name, typ string, parents ...string) string {
		id := nameGUID("group/" + key)
		t.Groups = append(t.Groups, Group{ID: id, DisplayName: name, Type: typ, Groups: parents})
		return id
	}
	vendorUsers := group("vendor-users", "Vendor Users", GroupSecurity)
	contractors := group("vendor-contractors", "Vendor Contractors", GroupSecurity, vendorUsers)
	legal := group("legal", "Legal", GroupSecurity)
	allStaff := group("all-staff", "All Staff", GroupMicrosoft365)
	projects := make([]string, DemoOverageCount)
	for i := range projects {
		n := fmt.Sprintf("%03d", i+1)
		projects[i] = group("project-"+n, "Project "+n, GroupSecurity)
	}

	user := func(key string, u User) string {
		u.ID = nameGUID("user/" + key)
		u.DisplayName = u.GivenName + " " + u.Surname
		t.Users = append(t.Users, u)
		return u.ID
	}
	user("alice", User{UPN: "alice@" + DemoDomain, Mail: "alice@" + DemoDomain, GivenName: "Alice", Surname: "Smith",
		Password: "Demo.Alice.2026", Groups: []string{vendorUsers, legal, allStaff}})
	user("bob", User{UPN: "bob@" + DemoDomain, Mail: "bob@" + DemoDomain, GivenName: "Bob", Surname: "Jones",
		Password: "Demo.Bob.2026", Groups: []string{legal, allStaff}})
	carol := user("carol", User{UPN: "carol_fabrikam.example#EXT#@" + DemoInitial, Mail: "carol@fabrikam.example",
		GivenName: "Carol", Surname: "Guest", Password: "Demo.Carol.2026", Guest: true,
		HomeTenantID: nameGUID("tenant/fabrikam")})
	user("dave", User{UPN: "dave@" + DemoDomain, GivenName: "Dave", Surname: "Nomail",
		Password: "Demo.Dave.2026", Groups: []string{vendorUsers}})
	user("erin", User{UPN: "erin@" + DemoDomain, Mail: "erin@" + DemoDomain, GivenName: "Erin", Surname: "Many",
		Password: "Demo.Erin.2026", Groups: append([]string{vendorUsers}, projects...)})
	user("frank", User{UPN: "frank@" + DemoDomain, Mail: "frank@" + DemoDomain, GivenName: "Frank", Surname: "Nested",
		Password: "Demo.Frank.2026", Groups: []string{contractors}})
	user("admin", User{UPN: "admin@" + DemoDomain, Mail: "admin@" + DemoDomain, GivenName: "Ada", Surname: "Admin",
		Password: "Demo.Admin.2026", Groups: []string{allStaff}, Admin: true})

	// ChaCha8 never fails to read, so neither can these.
	secret, _ := NewSecret(rng, day, 24*time.Hour)
	secret.DisplayName = "demo secret"
	secret.End = day.AddDate(2, 0, 0) // the longest lifetime the portal recommends
	key := make([]byte, pairwiseKeySize)
	rng.Read(key)
	t.PairwiseKey = base64.RawURLEncoding.EncodeToString(key)
	// Drawn after the vendor app's secret and the pairwise key, so those keep the values
	// they had before the setup app existed.
	setupSecret, _ := NewSecret(rng, day, 24*time.Hour)
	setupSecret.DisplayName = "demo setup secret"
	setupSecret.End = day.AddDate(2, 0, 0)

	t.Apps = []App{{
		AppID:          DemoAppID,
		ObjectID:       nameGUID("app/vendor/object"),
		DisplayName:    "Vendor SSO (demo)",
		SignInAudience: AudienceMyOrg,
		RedirectURIs:   []string{DemoRedirectURI, "http://127.0.0.1/callback", DemoReplyURL, "http://127.0.0.1/saml/acs"},
		IdentifierURIs: []string{DemoEntityID},
		Secrets:        []Secret{secret},
		SAML: SAML{Sign: SignAssertion, Algorithm: AlgorithmSHA256, NameID: NameIDUPN, Certificates: []SigningCert{{
			KeyID:       nameGUID("app/vendor/signing-cert"),
			DisplayName: "CN=Microsoft Azure Federated SSO Certificate",
			Start:       day,
			End:         day.AddDate(3, 0, 0),
			Active:      true,
		}}},
		GroupClaims:        GroupClaimsSecurity,
		OptionalClaims:     []string{"email"},
		AssignmentRequired: true,
		Assignments:        []string{vendorUsers, carol},
		ServicePrincipalID: nameGUID("app/vendor/service-principal"),
		PreferredSSOMode:   "saml",
	}, {
		AppID:              DemoSetupAppID,
		ObjectID:           nameGUID("app/setup/object"),
		DisplayName:        "SSO Wizard Setup (demo)",
		SignInAudience:     AudienceMyOrg,
		Secrets:            []Secret{setupSecret},
		SAML:               SAML{Sign: SignAssertion, Algorithm: AlgorithmSHA256, NameID: NameIDUPN},
		GroupClaims:        GroupClaimsNone,
		ServicePrincipalID: nameGUID("app/setup/service-principal"),
		GraphPermissions:   slices.Clone(DemoSetupPermissions),
	}}
	return t
}
