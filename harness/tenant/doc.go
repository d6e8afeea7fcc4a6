// Package tenant is the model of an Entra tenant that the local Entra (the harness's
// login side and Graph side) runs on: domains, users, groups, app registrations with
// their secrets, SAML settings, service principals and assignments; the tenant file that
// stores it; a seeded demo tenant; and the rules Entra applies that depend on the
// tenant alone — client secret checks, redirect URI matching, assignment (with nested
// groups not honoured), the groups claim and its overage, pairwise subject identifiers.
//
// # The tenant file
//
// The format is DESIGN.md's, read strictly: a field the format does not know, a value of
// the wrong type, or a file that contradicts itself is refused with a *FieldError naming
// the JSON path of the bad field, such as
//
//	users[2].groups[0]: group "…" is not defined in groups
//	apps[0].saml.sign: "sometimes" is not one of assertion, response, both
//
// Missing IDs (tenant, users, groups, apps, secrets, certificates, service principals)
// are generated as random GUIDs, GUIDs and domain names are lower-cased, and these
// defaults apply: saml.sign "assertion", saml.algorithm "sha256", saml.name_id "upn",
// group_claims "none", sign_in_audience "AzureADMyOrg", a group's type "security", a
// user's display_name from given_name and surname (else the UPN's name part), a
// secret's hint from its value. Save writes all of these out, in the order of the
// file's own lists.
//
// Rules checked: GUIDs are canonical 8-4-4-4-12 hex; object IDs (users, groups, app
// objects, service principals) are unique in the tenant, app IDs among apps; exactly
// one domain is initial (a verified *.onmicrosoft.com name) and exactly one is default
// (verified); a UPN's domain is a verified domain of the tenant; UPNs and mails are
// unique ignoring case; a guest has a mail; every group a user or group names is
// defined, and group nesting has no cycle; redirect URIs are absolute https URLs (http
// only for localhost and 127.0.0.1), without wildcard or fragment, at most 256
// characters; identifier URIs are unique across the tenant; a secret has a value whose
// first three characters are its hint, and an end after its start; times are RFC3339;
// enumerations hold one of their values; assignments name a user or group of the
// tenant; optional claims are ones Entra offers; scenarios are known names.
//
// Additions to DESIGN.md's format, all optional:
//
//	tenant:  pairwise_key (base64url key for pairwise `sub`, generated and kept),
//	         scenarios (names of faults applied to every app)
//	user:    home_tenant_id (a guest's home tenant; empty for a guest = personal
//	         Microsoft account), immutable_id (onPremisesImmutableId), disabled,
//	         admin (may grant admin consent)
//	group:   type (security | microsoft365 | distribution; the groups claim "security"
//	         counts only security groups), groups (the groups this group is directly
//	         in: nesting)
//	app:     object_id, service_principal_id (generated on load; an app added through
//	         Store.AddApp has none until EnsureServicePrincipal), sign_in_audience,
//	         preferred_sso_mode (saml | oidc | password | notSupported),
//	         consent_required and consent_granted (AADSTS65001 until granted),
//	         scenarios (faults applied to this app), graph_permissions (Graph
//	         application permissions granted: the roles of app-only Graph tokens)
//	secret:  hint, display_name, start
//	saml:    logout_url (the SP's single logout URL), require_signed_requests
//	         (AADSTS76021; needs verification_cert, the SP's PEM request signing
//	         certificate), encryption_cert (the SP's PEM
//	         certificate; assertions are then encrypted), certificates (token signing
//	         certificates: key_id, display_name, start, end, active, thumbprint; the key
//	         pairs live in the harness's state directory under their key_id; exactly
//	         one is active when any are listed)
//
// # The demo tenant
//
// Demo(now) is "Contoso Demo" (DemoTenantID), with the initial domain
// contosodemo.onmicrosoft.com and the default domain contoso.example, and one app,
// "Vendor SSO (demo)" (DemoAppID), set up for OIDC and SAML: redirect URIs
// https://vendor.example/callback and http://127.0.0.1/callback, reply URLs
// https://vendor.example/saml/acs and http://127.0.0.1/saml/acs, identifier
// https://vendor.example/saml, one secret valid two years from the day of now, SAML
// signing of the assertion with SHA-256 and the UPN as NameID, security groups in
// tokens, the email optional claim, and assignment required (group "Vendor Users" and
// Carol are assigned). Its users:
//
//	alice@contoso.example   Demo.Alice.2026  in Vendor Users: signs in to the app
//	bob@contoso.example     Demo.Bob.2026    not assigned: AADSTS50105
//	carol@fabrikam.example  Demo.Carol.2026  guest from another tenant (UPN
//	                                         carol_fabrikam.example#EXT#@contosodemo.onmicrosoft.com),
//	                                         assigned directly
//	dave@contoso.example    Demo.Dave.2026   in Vendor Users, has no mail
//	erin@contoso.example    Demo.Erin.2026   in Vendor Users and 210 more groups: groups overage
//	frank@contoso.example   Demo.Frank.2026  only in Vendor Contractors, which is nested in
//	                                         Vendor Users: AADSTS50105, nesting not honoured
//	admin@contoso.example   Demo.Admin.2026  not assigned; an administrator who can grant
//	                                         admin consent
//
// # Concurrency
//
// A Store serves one tenant to many goroutines. Changes are validated on a copy and
// published whole, so the login side never sees a half-made change, and a refused change
// leaves no trace.
package tenant
