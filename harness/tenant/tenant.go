package tenant

import "time"

// Tenant is one Entra directory: the organisation, its domains, its users and groups, and
// the app registrations (each with its enterprise application, the service principal) that
// its users sign in to. Its JSON form is the tenant file.
type Tenant struct {
	TenantID    string   `json:"tenant_id"`
	DisplayName string   `json:"display_name"`
	Domains     []Domain `json:"domains"`
	Users       []User   `json:"users"`
	Groups      []Group  `json:"groups"`
	Apps        []App    `json:"apps"`
	// PairwiseKey is the base64url key (32 bytes) from which pairwise subject identifiers
	// are derived; kept in the file so `sub` survives restarts.
	PairwiseKey string `json:"pairwise_key,omitempty"`
	// Scenarios are the named faults applied to every app of the tenant.
	Scenarios []string `json:"scenarios,omitempty"`
}

// Domain is a DNS name registered in the tenant.
type Domain struct {
	Name     string `json:"name"`
	Initial  bool   `json:"initial,omitempty"`
	Default  bool   `json:"default,omitempty"`
	Verified bool   `json:"verified,omitempty"`
}

// User is a member or guest account. Groups lists the groups the user is directly a member
// of; membership through nested groups is derived, never listed.
type User struct {
	ID          string   `json:"id"`
	UPN         string   `json:"upn"`
	Mail        string   `json:"mail,omitempty"`
	GivenName   string   `json:"given_name,omitempty"`
	Surname     string   `json:"surname,omitempty"`
	DisplayName string   `json:"display_name,omitempty"`
	Password    string   `json:"password,omitempty"`
	Groups      []string `json:"groups,omitempty"`
	Guest       bool     `json:"guest,omitempty"`
	// HomeTenantID is a guest's home directory; empty for a guest means a personal
	// Microsoft account. Members have none.
	HomeTenantID string `json:"home_tenant_id,omitempty"`
	// ImmutableID is onPremisesImmutableId: the anchor of a user synchronised from
	// Active Directory, an alternative persistent NameID source.
	ImmutableID string `json:"immutable_id,omitempty"`
	// Disabled is accountEnabled=false: the account exists but cannot sign in (AADSTS50057).
	Disabled bool `json:"disabled,omitempty"`
	// Admin means the user holds a directory role that may grant tenant-wide admin
	// consent (Global Administrator or Cloud Application Administrator); only such a
	// user completes the adminconsent endpoint.
	Admin bool `json:"admin,omitempty"`
}

// Group kinds, as Entra distinguishes them for the groups claim.
const (
	GroupSecurity     = "security"     // securityEnabled, the default
	GroupMicrosoft365 = "microsoft365" // groupTypes ["Unified"], not security-enabled
	GroupDistribution = "distribution" // mail-enabled, not security-enabled
)

// Group is a directory group. Groups lists the groups this group is directly a member of,
// which is how nesting is written: Entra's assignment check does not follow it, its
// groups claim does.
type Group struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"display_name"`
	Type        string   `json:"type,omitempty"`
	Groups      []string `json:"groups,omitempty"`
}

// Sign-in audiences (signInAudience of an application).
const (
	AudienceMyOrg                 = "AzureADMyOrg"
	AudienceMultipleOrgs          = "AzureADMultipleOrgs"
	AudienceMultipleOrgsAndMSA    = "AzureADandPersonalMicrosoftAccount"
	AudiencePersonalMicrosoftOnly = "PersonalMicrosoftAccount"
)

// Group claim settings (groupMembershipClaims of an application).
const (
	GroupClaimsNone     = "none"     // "None"
	GroupClaimsSecurity = "security" // "SecurityGroup"
	GroupClaimsAll      = "all"      // "All"
)

// App is an app registration together with its service principal (enterprise
// application): what the login side needs to answer for it.
type App struct {
	AppID       string `json:"app_id"`
	ObjectID    string `json:"object_id,omitempty"`
	DisplayName string `json:"display_name"`
	// SignInAudience defaults to AzureADMyOrg.
	SignInAudience string `json:"sign_in_audience,omitempty"`
	// RedirectURIs are web.redirectUris: OIDC redirect URIs and SAML reply (ACS) URLs alike.
	RedirectURIs   []string `json:"redirect_uris,omitempty"`
	IdentifierURIs []string `json:"identifier_uris,omitempty"`
	Secrets        []Secret `json:"secrets,omitempty"`
	SAML           SAML     `json:"saml"`
	GroupClaims    string   `json:"group_claims,omitempty"`
	OptionalClaims []string `json:"optional_claims,omitempty"`
	// AssignmentRequired and Assignments belong to the service principal in Entra; they
	// live here because the tenant file keeps one object per app.
	AssignmentRequired bool     `json:"assignment_required,omitempty"`
	Assignments        []string `json:"assignments,omitempty"`
	// ServicePrincipalID is the enterprise application's object ID. An app created
	// through Graph has none until its service principal is created.
	ServicePrincipalID string `json:"service_principal_id,omitempty"`
	// PreferredSSOMode is preferredSingleSignOnMode: "", saml, oidc, password or notSupported.
	PreferredSSOMode string `json:"preferred_sso_mode,omitempty"`
	// ConsentRequired means users may not consent for themselves (AADSTS65001) until an
	// administrator grants consent, which sets ConsentGranted.
	ConsentRequired bool `json:"consent_required,omitempty"`
	ConsentGranted  bool `json:"consent_granted,omitempty"`
	// Scenarios are the named faults applied to this app only.
	Scenarios []string `json:"scenarios,omitempty"`
	// GraphPermissions are the Microsoft Graph application permissions (app roles such
	// as "User.Read.All") granted to the app by admin consent: the roles of its
	// app-only tokens for Graph.
	GraphPermissions []string `json:"graph_permissions,omitempty"`
}

// Secret is a password credential (client secret) of an app. KeyID is what the portal
// calls the "Secret ID"; Value is shown once, on creation.
type Secret struct {
	KeyID       string    `json:"key_id"`
	Value       string    `json:"value"`
	Hint        string    `json:"hint,omitempty"`
	DisplayName string    `json:"display_name,omitempty"`
	Start       time.Time `json:"start,omitzero"`
	End         time.Time `json:"end"`
}

// SAML signing options (the portal's "Signing Option").
const (
	SignAssertion = "assertion"
	SignResponse  = "response"
	SignBoth      = "both"
)

// SAML signature algorithms.
const (
	AlgorithmSHA256 = "sha256"
	AlgorithmSHA1   = "sha1"
)

// NameID sources.
const (
	NameIDUPN        = "upn"
	NameIDMail       = "mail"
	NameIDObjectID   = "objectid"
	NameIDPersistent = "persistent"
)

// SAML is the app's SAML-based sign-on configuration.
type SAML struct {
	Sign       string `json:"sign"`
	Algorithm  string `json:"algorithm"`
	NameID     string `json:"name_id"`
	RelayState string `json:"relay_state,omitempty"`
	// LogoutURL is the SP's single logout URL (the portal's "Logout Url"), where the
	// LogoutResponse to an SP's LogoutRequest goes.
	LogoutURL string `json:"logout_url,omitempty"`
	// RequireSignedRequests rejects unsigned AuthnRequests (AADSTS76021).
	RequireSignedRequests bool `json:"require_signed_requests,omitempty"`
	// VerificationCert is the SP's request signing certificate (PEM), the portal's
	// "Verification certificates": signed AuthnRequests are checked against it.
	VerificationCert string `json:"verification_cert,omitempty"`
	// EncryptionCert is the SP's certificate (PEM); when set, assertions are encrypted.
	EncryptionCert string `json:"encryption_cert,omitempty"`
	// Certificates are the token signing certificates of the service principal: the
	// active one signs, all of them are published in the federation metadata.
	Certificates []SigningCert `json:"certificates,omitempty"`
}

// SigningCert describes one SAML token signing certificate. The key pair itself is held
// by the harness (in its state directory, under KeyID); the tenant records what Graph
// shows of it.
type SigningCert struct {
	KeyID       string    `json:"key_id"`
	DisplayName string    `json:"display_name,omitempty"`
	Start       time.Time `json:"start,omitzero"`
	End         time.Time `json:"end"`
	Active      bool      `json:"active,omitempty"`
	// Thumbprint is the certificate's SHA-1 thumbprint in upper-case hex, as
	// preferredTokenSigningKeyThumbprint; empty until the harness has made the certificate.
	Thumbprint string `json:"thumbprint,omitempty"`
}
