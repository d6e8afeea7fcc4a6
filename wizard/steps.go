package wizard

import (
	"fmt"
	"net/url"
	"strings"
)

// StepName names a step of the setup.
type StepName string

// The steps. OIDC: registration → redirect-uri → client-secret → domain → assignments →
// test → enable. SAML: enterprise-app → saml-urls → idp-metadata → domain → assignments
// → test → enable.
const (
	StepRegistration  StepName = "registration"
	StepRedirectURI   StepName = "redirect-uri"
	StepClientSecret  StepName = "client-secret"
	StepEnterpriseApp StepName = "enterprise-app"
	StepSAMLURLs      StepName = "saml-urls"
	StepIdPMetadata   StepName = "idp-metadata"
	StepDomain        StepName = "domain"
	StepAssignments   StepName = "assignments"
	StepTest          StepName = "test"
	StepEnable        StepName = "enable"
)

// Steps lists the steps of a protocol in order.
func Steps(p Protocol) []StepName {
	if p == SAML {
		return []StepName{StepEnterpriseApp, StepSAMLURLs, StepIdPMetadata, StepDomain, StepAssignments, StepTest, StepEnable}
	}
	return []StepName{StepRegistration, StepRedirectURI, StepClientSecret, StepDomain, StepAssignments, StepTest, StepEnable}
}

// Title is the step's name for people.
func (n StepName) Title() string {
	switch n {
	case StepRegistration:
		return "App registration"
	case StepRedirectURI:
		return "Redirect URI"
	case StepClientSecret:
		return "Client secret"
	case StepEnterpriseApp:
		return "Enterprise application"
	case StepSAMLURLs:
		return "SAML URLs"
	case StepIdPMetadata:
		return "IdP metadata"
	case StepDomain:
		return "Domain"
	case StepAssignments:
		return "Users and groups"
	case StepTest:
		return "Test login"
	case StepEnable:
		return "Enable"
	}
	return string(n)
}

// Status is where a step stands.
type Status string

// Step statuses.
const (
	NotStarted Status = "not_started"
	InProgress Status = "in_progress"
	Verified   Status = "verified"
	Failed     Status = "failed"
)

// Mode is how the steps are carried out.
type Mode string

// Modes: automatic through Graph, or by hand with checks of what was pasted.
const (
	Auto   Mode = "auto"
	Manual Mode = "manual"
)

// Loopback reply URLs the test login listens on; Entra ignores their port (RFC 8252).
const (
	LoopbackRedirectURI = "http://127.0.0.1/callback"
	LoopbackACS         = "http://127.0.0.1/saml/acs"
)

// Input keys of the steps (answers files use the same names).
const (
	InAppName            = "app_name"
	InClientID           = "client_id"
	InAppID              = "app_id"
	InTenantID           = "tenant_id"
	InRedirectURI        = "redirect_uri"
	InClientSecret       = "client_secret" // never stored: kept by the secret keeper
	InSecretExpires      = "secret_expires"
	InEntityID           = "entity_id"
	InReplyURL           = "reply_url"
	InMetadataURL        = "metadata_url"
	InMetadataXML        = "metadata_xml"
	InFingerprint        = "fingerprint"
	InIssuer             = "issuer"
	InDomains            = "domains"
	InPrincipals         = "principals"
	InAssignmentRequired = "assignment_required"
	InTestUser           = "test_user"
	InLoginMethods       = "login_methods"
	InDefaultRole        = "default_role"
	InAutoMembership     = "auto_membership"
	InJIT                = "jit"
	InEnforceDomain      = "enforce_domain"
	InBreakGlassAck      = "break_glass_ack"
	InOverride           = "override"
	InRemoveLoopback     = "remove_loopback"
)

// Instructions tell the admin how to do a step by hand.
type Instructions struct {
	// Text is what to click in the Entra admin center, one paragraph per line.
	Text []string
	// Blade opens the right place in the Entra admin center.
	Blade string
	// Copy are the values to paste into Entra, in the order the text uses them.
	Copy []CopyValue
	// Inputs are what the admin pastes back for the wizard to check.
	Inputs []Input
}

// CopyValue is one value the admin copies into Entra.
type CopyValue struct {
	Label, Value string
}

// Input is a value the step takes.
type Input struct {
	Key, Label, Hint string
	Secret, Optional bool
}

const entraPortal = "https://entra.microsoft.com/"

func blade(path string) string { return entraPortal + "#view/" + path }

func appBlade(section, appID string) string {
	if appID == "" {
		return blade("Microsoft_AAD_RegisteredApps/ApplicationsListBlade")
	}
	return blade("Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/" + section + "/appId/" + url.PathEscape(appID))
}

func enterpriseBlade(section string, app App) string {
	if app.ServicePrincipalID == "" || app.AppID == "" {
		return blade("Microsoft_AAD_IAM/StartboardApplicationsMenuBlade/~/AppAppsPreview")
	}
	return blade("Microsoft_AAD_IAM/ManagedAppMenuBlade/~/" + section + "/objectId/" + url.PathEscape(app.ServicePrincipalID) + "/appId/" + url.PathEscape(app.AppID))
}

// Instructions returns the manual instructions of a step, with this session's values.
func (s *Session) Instructions(step StepName) Instructions {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, st := s.Ticket, s.state
	name := t.DisplayName()
	switch step {
	case StepRegistration:
		return Instructions{
			Blade: blade("Microsoft_AAD_RegisteredApps/CreateApplicationBlade/quickStartType~/null/isMSAApp~/false"),
			Text: []string{
				"In the Microsoft Entra admin center, go to Identity > Applications > App registrations and choose New registration.",
				fmt.Sprintf("Name it %q, choose \"Accounts in this organizational directory only (Single tenant)\", and leave the redirect URI for the next step.", name),
				"Choose Register, then copy the Application (client) ID and the Directory (tenant) ID from the Overview page, not the Object ID.",
			},
			Copy:   []CopyValue{{"Name", name}},
			Inputs: []Input{{Key: InClientID, Label: "Application (client) ID", Hint: "a GUID from the Overview page"}, {Key: InTenantID, Label: "Directory (tenant) ID", Hint: "a GUID from the Overview page"}},
		}
	case StepRedirectURI:
		return Instructions{
			Blade: appBlade("Authentication", st.App.AppID),
			Text: []string{
				"Open the app's Authentication page and choose Add a platform > Web.",
				"Add the vendor's redirect URI exactly as below, then add the test login's loopback URI as a second Web redirect URI, and Save.",
				"Paste back the vendor's redirect URI as it now reads in Entra, so the wizard can compare it character by character.",
			},
			Copy:   []CopyValue{{"Vendor redirect URI", t.redirectURI()}, {"Test login redirect URI", LoopbackRedirectURI}},
			Inputs: []Input{{Key: InRedirectURI, Label: "Redirect URI as registered"}},
		}
	case StepClientSecret:
		return Instructions{
			Blade: appBlade("Credentials", st.App.AppID),
			Text: []string{
				"Open Certificates & secrets > Client secrets and choose New client secret; 24 months is the longest the portal recommends.",
				"Copy the Value column at once (Entra shows it only now), not the Secret ID next to it.",
				"Paste the value here; it goes to this computer's keyring, never to the wizard's database or logs.",
			},
			Copy: []CopyValue{{"Description", "ssowizard " + t.Vendor}},
			Inputs: []Input{{Key: InClientSecret, Label: "Client secret value", Secret: true, Hint: "40 characters, like abc8Q~…"},
				{Key: InSecretExpires, Label: "Expires (YYYY-MM-DD)", Optional: true}},
		}
	case StepEnterpriseApp:
		return Instructions{
			Blade: blade("Microsoft_AAD_IAM/AppGalleryBlade"),
			Text: []string{
				"In the Microsoft Entra admin center, go to Identity > Applications > Enterprise applications and choose New application.",
				fmt.Sprintf("Choose Create your own application, name it %q, pick \"Integrate any other application you don't find in the gallery (Non-gallery)\" and Create.", name),
				"From the app's Overview page copy the Application ID, and the Directory (tenant) ID from the tenant's Overview.",
			},
			Copy:   []CopyValue{{"Name", name}},
			Inputs: []Input{{Key: InAppID, Label: "Application ID"}, {Key: InTenantID, Label: "Directory (tenant) ID"}},
		}
	case StepSAMLURLs:
		c := []CopyValue{{"Identifier (Entity ID)", t.entityID()}, {"Reply URL (ACS)", t.acsURL()}, {"Test login Reply URL", LoopbackACS}}
		if t.SAML != nil && t.SAML.RelayState != "" {
			c = append(c, CopyValue{"Relay State", t.SAML.RelayState})
		}
		if t.SAML != nil && t.SAML.SignOnURL != "" {
			c = append(c, CopyValue{"Sign on URL", t.SAML.SignOnURL})
		}
		return Instructions{
			Blade: enterpriseBlade("SignOn", st.App),
			Text: []string{
				"Open the enterprise app's Single sign-on page, choose SAML, and Edit the Basic SAML Configuration.",
				"Add the Identifier and the Reply URL below; add the test login's Reply URL as a second Reply URL (keep the vendor's as default), and Save.",
				"Paste back the Identifier and the Reply URL as Entra now shows them.",
			},
			Copy:   c,
			Inputs: []Input{{Key: InEntityID, Label: "Identifier (Entity ID) as saved"}, {Key: InReplyURL, Label: "Reply URL as saved"}},
		}
	case StepIdPMetadata:
		return Instructions{
			Blade: enterpriseBlade("SignOn", st.App),
			Text: []string{
				"On the Single sign-on page, section SAML Certificates: make sure a certificate is Active.",
				"Copy the App Federation Metadata Url (best: the vendor then follows certificate rollovers), or download Federation Metadata XML, or note the certificate's thumbprint and the Microsoft Entra Identifier.",
			},
			Copy: []CopyValue{{"App Federation Metadata Url", metadataURL(st.loginBase(), st.TenantID, st.App.AppID)}},
			Inputs: []Input{{Key: InMetadataURL, Label: "App Federation Metadata Url", Optional: true},
				{Key: InMetadataXML, Label: "Federation Metadata XML", Optional: true},
				{Key: InFingerprint, Label: "Certificate thumbprint", Optional: true},
				{Key: InIssuer, Label: "Microsoft Entra Identifier", Optional: true}},
		}
	case StepDomain:
		return Instructions{
			Blade: blade("Microsoft_AAD_IAM/DomainsManagementMenuBlade/~/CustomDomainNames"),
			Text: []string{
				"Give the e-mail domain(s) your users sign in with; the vendor sends users of these domains to Entra.",
				"Each must be a custom domain verified in Entra (Identity > Settings > Domain names), not the tenant's .onmicrosoft.com domain.",
			},
			Inputs: []Input{{Key: InDomains, Label: "Domains", Hint: "contoso.com, contoso.co.uk"}},
		}
	case StepAssignments:
		return Instructions{
			Blade: enterpriseBlade("Users", st.App),
			Text: []string{
				"Open the enterprise app's Users and groups page and Add user/group for everyone who should reach " + t.Vendor + ".",
				"Assign groups that contain the users directly: Entra does not honour nested groups for app assignment.",
				"Under Properties, \"Assignment required?\" = Yes keeps everyone else out.",
			},
			Inputs: []Input{{Key: InPrincipals, Label: "Users and groups assigned", Hint: "names or e-mail addresses, comma separated"},
				{Key: InAssignmentRequired, Label: "Assignment required (yes/no)"}},
		}
	case StepTest:
		return Instructions{
			Text: []string{
				"The wizard opens your browser at Entra's sign-in page as the vendor would; sign in as a user assigned to the app.",
				"When the browser comes back, the wizard checks the answer as the vendor will and explains every claim and finding.",
			},
			Inputs: []Input{{Key: InTestUser, Label: "Test user", Optional: true}},
		}
	case StepEnable:
		return Instructions{
			Text: []string{
				"Choose how " + t.Vendor + " lets users sign in once SSO is on. Start with both password and SSO until everyone has signed in by SSO once.",
				"Keep one administrator who can sign in with a password (a break-glass account), so an Entra problem cannot lock everyone out.",
			},
			Inputs: []Input{{Key: InLoginMethods, Label: "Login methods (password, sso, both)"}, {Key: InDefaultRole, Label: "Default role", Optional: true},
				{Key: InAutoMembership, Label: "Auto-membership (on/off)", Optional: true}, {Key: InJIT, Label: "Just-in-time provisioning (on/off)", Optional: true},
				{Key: InEnforceDomain, Label: "Enforce SSO for the domains (on/off)", Optional: true},
				{Key: InBreakGlassAck, Label: "Break-glass administrator kept (yes)", Optional: true},
				{Key: InOverride, Label: "Enable without a passing test: reason", Optional: true},
				{Key: InRemoveLoopback, Label: "Remove the test login's loopback URL (yes/no)", Optional: true}},
		}
	}
	return Instructions{}
}

func (t *Ticket) redirectURI() string {
	if t.OIDC == nil {
		return ""
	}
	return t.OIDC.RedirectURI
}

func (t *Ticket) entityID() string {
	if t.SAML == nil {
		return ""
	}
	return t.SAML.EntityID
}

func (t *Ticket) acsURL() string {
	if t.SAML == nil {
		return ""
	}
	return t.SAML.ACSURL
}

// metadataURL is the App Federation Metadata Url of an app.
func metadataURL(base, tenant, appID string) string {
	if tenant == "" {
		tenant = "{tenant-id}"
	}
	u := strings.TrimRight(base, "/") + "/" + url.PathEscape(tenant) + "/federationmetadata/2007-06/federationmetadata.xml"
	if appID != "" {
		u += "?appid=" + url.QueryEscape(appID)
	}
	return u
}
