package entra

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Delivery is where Entra shows an AADSTS error: a set of places, since one code can
// reach a person by more than one road (a wrong tenant on the authorize endpoint is a
// page, on the token endpoint a JSON body).
type Delivery uint8

// The places Entra delivers an AADSTS error.
const (
	// AtRedirect: error, error_description and error_uri go back to the app's redirect
	// URI (query, fragment or form_post), once Entra trusts that URI.
	AtRedirect Delivery = 1 << iota
	// InTokenJSON: the JSON error body of the token endpoint (and of the device code and
	// discovery endpoints, which share its shape).
	InTokenJSON
	// OnErrorPage: Entra's own "Sorry, but we're having trouble signing you in" page,
	// when the error cannot go back to the app (its redirect URI or identity is wrong).
	OnErrorPage
	// OnSignInPage: the sign-in form itself, under the user name or password.
	OnSignInPage
	// InSAMLStatus: the StatusMessage of a SAML error Response posted to the app's ACS.
	InSAMLStatus
)

var deliveryNames = []string{"authorize redirect", "token endpoint JSON", "Entra's error page", "sign-in page", "SAML StatusMessage"}

// String names the places, joined by " or ".
func (d Delivery) String() string {
	var out []string
	for i, n := range deliveryNames {
		if d&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return "nowhere"
	}
	return strings.Join(out, " or ")
}

// AADSTS is what the project knows of one Entra error code.
type AADSTS struct {
	// Code is the number: 50011 for AADSTS50011.
	Code int
	// Error is the OAuth error field Entra sends with it (invalid_request, …).
	Error string
	// Status is the HTTP status of a JSON or page answer carrying it.
	Status int
	// Text is Entra's own message, without the "AADSTSnnnn: " prefix and the trace
	// line: a fmt format whose verbs stand for the names Entra fills in (Message). Empty
	// where the project has not captured it.
	Text string
	// Meaning says what Entra means, in a sentence for an administrator.
	Meaning string
	// Fix says what the administrator changes, naming the blade and the field.
	Fix string
	// SignIn, when set, is the clause for a failed sign-in of this tool itself (after
	// "sign-in failed (AADSTSn): "): lower case, with {client} and {tenant} standing for
	// the client ID and the tenant.
	SignIn string
	// Hint, when set, is the sentence Entra's sign-in page shows a person above the
	// AADSTS line when it refuses what they typed.
	Hint string
	// Delivery is where Entra shows the code.
	Delivery Delivery
}

// Message is Entra's text with the names filled in, in the order of Text's verbs.
func (a AADSTS) Message(names ...any) string { return fmt.Sprintf(a.Text, names...) }

// UnknownMeaning is what the project says of a code the catalogue does not hold.
const UnknownMeaning = "An Entra error code this tool has no explanation for; the message text says more."

// Lookup finds the catalogue entry of a code.
func Lookup(code int) (AADSTS, bool) {
	a, ok := catalogue[code]
	return a, ok
}

// Codes lists the catalogue's codes in increasing order.
func Codes() []int {
	out := make([]int, 0, len(catalogue))
	for c := range catalogue {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// codePattern is an AADSTS code in running text: Entra's numbers have 4 to 7 digits.
var codePattern = regexp.MustCompile(`AADSTS(\d{4,7})`)

// FindCode returns the digits of the first AADSTS code in text ("50011" for
// "… AADSTS50011: …"), or "" when text carries none.
func FindCode(text string) string {
	if m := codePattern.FindStringSubmatch(text); m != nil {
		return m[1]
	}
	return ""
}

// CodeIn returns the first AADSTS code in text as a number, or 0.
func CodeIn(text string) int {
	n, _ := strconv.Atoi(FindCode(text))
	return n
}

// catalogue covers the codes met while setting up SSO (ENTRA.md) and those the harness
// emits. Meanings quote Entra's own words where they are known.
var catalogue = func() map[int]AADSTS {
	m := make(map[int]AADSTS, len(entries))
	for _, e := range entries {
		if _, dup := m[e.Code]; dup {
			panic(fmt.Sprintf("entra: AADSTS%d is in the catalogue twice", e.Code))
		}
		m[e.Code] = e
	}
	return m
}()

const (
	bad          = 400
	unauthorized = 401
	serverError  = 500
)

var entries = []AADSTS{
	// The tenant and the application.
	{Code: 90002, Error: "invalid_tenant", Status: bad, Delivery: OnErrorPage | InTokenJSON,
		Text:    "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.",
		Meaning: "The tenant named in the URL (tenant ID or domain) was not found.",
		Fix:     "Use the Directory (tenant) ID from Entra admin center > Overview, or a verified domain from Settings > Domain names.",
		SignIn:  "tenant {tenant} does not exist: check the tenant ID or domain"},
	{Code: 700016, Error: "unauthorized_client", Status: bad, Delivery: OnErrorPage | InTokenJSON,
		Text:    "Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
		Meaning: "The application (client ID, or SAML Issuer / Entity ID) was not found in the directory: wrong tenant, wrong client ID, or an Entity ID that matches no app's Identifier.",
		Fix:     "Check the Application (client) ID on App registrations > Overview and the tenant in the URL; for SAML, make the AuthnRequest Issuer equal the Identifier (Entity ID) in Basic SAML Configuration.",
		SignIn:  "no application with client ID {client} exists in tenant {tenant}: check the Application (client) ID and the tenant"},
	{Code: 700038, Error: "invalid_request", Status: bad, Delivery: OnErrorPage | InTokenJSON,
		Text:    "%s is not a valid application identifier.",
		Meaning: "The client ID sent is not a valid application identifier.",
		Fix:     "Copy the Application (client) ID from App registrations > your app > Overview; it is a GUID.",
		SignIn:  "{client} is not an application (client) ID: copy the Application (client) ID, a GUID, from the app's overview"},
	{Code: 7000229, Error: "invalid_client", Status: bad, Delivery: InTokenJSON,
		Text:    "The client application %s is missing service principal in the tenant %s.",
		Meaning: "The application has no service principal (enterprise application) in the tenant.",
		Fix:     "Create the app's enterprise application in the tenant, or grant admin consent for it, which creates one.",
		SignIn:  "the app has no service principal in tenant {tenant}: create its enterprise application, or grant admin consent, first"},
	{Code: 7000112, Error: "unauthorized_client", Status: bad, Delivery: OnErrorPage | InTokenJSON,
		Meaning: "The application is disabled in the tenant.",
		Fix:     "In Enterprise applications > your app > Properties, set Enabled for users to sign-in to Yes.",
		SignIn:  "the application is disabled in tenant {tenant}: enable it, or use another app"},

	// Redirect URIs and reply URLs.
	{Code: 50011, Error: "invalid_request", Status: bad, Delivery: OnErrorPage,
		Text:    "The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.",
		Meaning: "The redirect URI does not match the redirect URIs registered for the application: for OIDC the redirect_uri sent in the request, for SAML the reply URL / ACS URL.",
		Fix:     "In Entra admin center > App registrations > your app > Authentication, add the exact URI (scheme, host, path, case and trailing slash must match); for SAML, Enterprise applications > your app > Single sign-on > Basic SAML Configuration > Reply URL.",
		SignIn:  "the redirect URI is not registered on the app: add it under the app's Authentication page"},
	{Code: 500113, Error: "invalid_request", Status: bad, Delivery: OnErrorPage,
		Text:    "No reply address is registered for the application.",
		Meaning: "No reply address is registered for the application.",
		Fix:     "In App registrations > your app > Authentication, add a platform and its redirect URI (or the Reply URL in Basic SAML Configuration).",
		SignIn:  "the app has no redirect URI: add one under the app's Authentication page"},
	{Code: 900971, Error: "invalid_request", Status: bad, Delivery: OnErrorPage,
		Text:    "No reply address provided.",
		Meaning: "No reply address was provided in the request.",
		Fix:     "Send redirect_uri in the request, or register exactly one redirect URI for the app."},

	// Client secrets.
	{Code: 7000215, Error: "invalid_client", Status: unauthorized, Delivery: InTokenJSON,
		Text:    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.",
		Meaning: "Invalid client secret provided: the value sent is not a current secret of the app; often the Secret ID was pasted instead of the secret Value.",
		Fix:     "In App registrations > your app > Certificates & secrets, create a new client secret and copy its Value column (shown once), not the Secret ID.",
		SignIn:  "the client secret is wrong: paste the secret's Value, not its Secret ID"},
	{Code: 7000222, Error: "invalid_client", Status: unauthorized, Delivery: InTokenJSON,
		Text:    "The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.",
		Meaning: "The client secret keys of the app are expired.",
		Fix:     "In App registrations > your app > Certificates & secrets, add a new client secret, update the vendor, then delete the expired one.",
		SignIn:  "the client secret has expired: create a new secret for the app and use its Value"},
	{Code: 7000218, Error: "invalid_client", Status: unauthorized, Delivery: InTokenJSON,
		Text:    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
		Meaning: "The token request carries neither client_secret nor client_assertion.",
		Fix:     "Send the client secret (or a certificate assertion) in the token request.",
		SignIn:  "no client secret was sent: give the secret's Value"},

	// Users: who signs in, and whether they may.
	{Code: 50105, Error: "access_denied", Status: bad, Delivery: AtRedirect | InTokenJSON | OnErrorPage | InSAMLStatus,
		Text:    "Your administrator has configured the application %s ('%s') to block users unless they are specifically granted ('assigned') access to the application. The signed in user '{EmailHidden}' is blocked because they are not a direct member of a group with access, nor had access directly assigned by an administrator. Please contact your administrator to assign access to this application.",
		Meaning: "The app requires assignment and the signed-in user is not assigned, directly or through a group they are a direct member of (nested groups are not honoured).",
		Fix:     "In Enterprise applications > your app > Users and groups, assign the user or a group they are directly in; or set Properties > Assignment required to No.",
		SignIn:  "the user is not assigned to the app, which requires assignment: assign the user, or a group they are directly in"},
	{Code: 50020, Error: "invalid_grant", Status: bad, Delivery: OnSignInPage,
		Text:    "User account '%s' from identity provider '%s' does not exist in tenant '%s' and cannot access the application '%s'(%s) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Azure Active Directory user account.",
		Meaning: "The account signing in comes from another identity provider and does not exist in this tenant.",
		Fix:     "Invite the user as a guest (Users > New user > Invite external user), or sign in to the tenant the account belongs to.",
		SignIn:  "the user belongs to another tenant and is not a guest of {tenant}: invite them, or sign in to their own tenant",
		Hint:    "This account does not exist in this organization. Ask the administrator to invite it as a guest, or sign in with another account."},
	{Code: 50034, Error: "invalid_grant", Status: bad, Delivery: OnSignInPage | OnErrorPage | InTokenJSON,
		Text:    "The user account %s does not exist in the %s directory. To sign into this application, the account must be added to the directory.",
		Meaning: "The user account does not exist in the directory.",
		Fix:     "Check the user name, or create the user in Users > All users.",
		SignIn:  "that user does not exist in tenant {tenant}: check the user name",
		Hint:    "We couldn't find an account with that username. Try another, or check the spelling."},
	{Code: 50126, Error: "invalid_grant", Status: bad, Delivery: OnSignInPage,
		Text:    "Error validating credentials due to invalid username or password.",
		Meaning: "Invalid username or password.",
		Fix:     "Check the credentials; reset the password in Users > the user > Reset password if needed.",
		SignIn:  "the user name or password is wrong",
		Hint:    "Your account or password is incorrect. If you don't remember your password, ask your administrator to reset it."},
	{Code: 50057, Error: "invalid_grant", Status: bad, Delivery: OnSignInPage,
		Text:    "The user account is disabled.",
		Meaning: "The user account is disabled (accountEnabled is false).",
		Fix:     "In Users > the user > Edit properties > Settings, tick Account enabled.",
		SignIn:  "the user account is disabled: an administrator must enable it",
		Hint:    "Your account has been disabled. Contact your administrator."},
	{Code: 50058, Error: "login_required", Status: bad, Delivery: AtRedirect | InSAMLStatus,
		Text:    "A silent sign-in request was sent but no user is signed in.",
		Meaning: "A silent sign-in was requested but no user is signed in.",
		Fix:     "Sign in interactively (drop prompt=none)."},
	{Code: 53003, Error: "access_denied", Status: bad, Delivery: AtRedirect | InTokenJSON | OnErrorPage,
		Meaning: "Access was blocked by a Conditional Access policy.",
		Fix:     "In Protection > Conditional Access, open the sign-in log entry to see which policy applied and adjust it or its exclusions.",
		SignIn:  "Conditional Access blocked the sign-in: ask the tenant's administrator which policy applies"},
	{Code: 50076, Error: "invalid_grant", Status: bad, Delivery: InTokenJSON,
		Meaning: "The tenant requires multi-factor authentication, which this grant cannot perform.",
		Fix:     "Sign in interactively (device code or browser) so the user can complete MFA.",
		SignIn:  "the tenant requires multi-factor authentication: sign in with the device code or the browser"},
	{Code: 50079, Error: "interaction_required", Status: bad, Delivery: InTokenJSON,
		Meaning: "The user must register for multi-factor authentication before signing in.",
		Fix:     "Sign in once in a browser and complete the MFA registration.",
		SignIn:  "the user must register for multi-factor authentication: sign in once in a browser to set it up"},

	// Consent and resources.
	{Code: 65001, Error: "consent_required", Status: bad, Delivery: AtRedirect | InTokenJSON,
		Text:    "The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource.",
		Meaning: "The user or administrator has not consented to the permissions the application asks for.",
		Fix:     "In App registrations > your app > API permissions, choose Grant admin consent, or open the admin consent URL as a Global or Cloud Application Administrator.",
		SignIn:  "the app has not been granted consent: an administrator must grant admin consent for it"},
	{Code: 65002, Error: "invalid_grant", Status: bad, Delivery: InTokenJSON,
		Meaning: "The resource does not let this application ask for it without consent being configured.",
		Fix:     "Grant consent for the app to the resource (API permissions > Grant admin consent).",
		SignIn:  "the resource does not let this app ask for it: consent must be given for the app"},
	{Code: 500011, Error: "invalid_resource", Status: bad, Delivery: AtRedirect | InTokenJSON,
		Text:    "The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.",
		Meaning: "The resource principal named in the request was not found in the tenant.",
		Fix:     "Grant consent for the resource, or check the resource / scope URI in the request.",
		SignIn:  "the resource asked for is not in tenant {tenant}: check the scope, or grant admin consent"},
	{Code: 70011, Error: "invalid_scope", Status: bad, Delivery: AtRedirect | InTokenJSON,
		Text:    "The provided value for the input parameter 'scope' is not valid. The scope %s is not valid.",
		Meaning: "The scope asked for is not valid.",
		Fix:     "Ask for scopes the resource defines, e.g. openid profile email, or https://graph.microsoft.com/.default.",
		SignIn:  "the scope asked for is not valid: ask for https://graph.microsoft.com/.default"},
	{Code: 1002012, Error: "invalid_scope", Status: bad, Delivery: InTokenJSON,
		Text:    "The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
		Meaning: "A client credentials request must ask for a resource's /.default scope.",
		Fix:     "Ask for {resource}/.default, e.g. https://graph.microsoft.com/.default.",
		SignIn:  "an app signing in as itself must ask for a resource's /.default scope"},

	// Grants and codes.
	{Code: 54005, Error: "invalid_grant", Status: bad, Delivery: InTokenJSON,
		Text:    "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
		Meaning: "The authorization code was already redeemed.",
		Fix:     "Redeem each authorization code once; start a new sign-in for a new code.",
		SignIn:  "the authorization code was already used: sign in again"},
	{Code: 70003, Error: "unsupported_grant_type", Status: bad, Delivery: InTokenJSON,
		Text:    "The app requested an unsupported grant type '%s'.",
		Meaning: "The app requested an unsupported grant type.",
		Fix:     "Use a grant type the endpoint supports (authorization_code, refresh_token, client_credentials, device_code)."},
	{Code: 700082, Error: "invalid_grant", Status: bad, Delivery: InTokenJSON,
		Meaning: "The refresh token has expired due to inactivity.",
		Fix:     "Sign in again interactively for a new refresh token.",
		SignIn:  "the saved sign-in has expired: sign in again"},
	{Code: 70043, Error: "invalid_grant", Status: bad, Delivery: InTokenJSON,
		Meaning: "The refresh token has expired or is invalid because of Conditional Access sign-in frequency.",
		Fix:     "Sign in again interactively for a new refresh token.",
		SignIn:  "the saved sign-in has expired: sign in again"},
	{Code: 900144, Error: "invalid_request", Status: bad, Delivery: AtRedirect | InTokenJSON | OnErrorPage | OnSignInPage,
		Text:    "The request body must contain the following parameter: '%s'.",
		Meaning: "The request is missing a required parameter.",
		Fix:     "Send the parameter the message names.",
		Hint:    "Enter your email, phone, or Skype name."},
	{Code: 90011, Error: "invalid_request", Status: bad, Delivery: InTokenJSON | OnErrorPage,
		Meaning: "The request is missing a required parameter or has one with a bad value.",
		Fix:     "Check the request parameters against what the endpoint expects."},

	// SAML.
	{Code: 750054, Error: "invalid_request", Status: bad, Delivery: OnErrorPage,
		Text:    "SAMLRequest or SAMLResponse must be present as %s parameters in HTTP request for SAML %s binding.",
		Meaning: "SAMLRequest or SAMLResponse must be present as query string parameters for the HTTP-Redirect binding.",
		Fix:     "Send the AuthnRequest with the HTTP-Redirect binding (deflated, base64, in the query) or POST it with the HTTP-POST binding."},
	{Code: 75005, Error: "invalid_request", Status: bad, Delivery: OnErrorPage | InSAMLStatus,
		Text:    "The SAML request is invalid. %s",
		Meaning: "The SAML request is not valid.",
		Fix:     "Check the AuthnRequest with `ssowizard inspect`: it must be well-formed, deflated for HTTP-Redirect, and carry ID, Version and IssueInstant."},
	{Code: 7500529, Error: "invalid_request", Status: bad, Delivery: OnErrorPage,
		Text:    "The value '%s' is not a valid SAML ID. The ID must not start with a number.",
		Meaning: "The SAML request's ID starts with a digit, which xs:ID forbids.",
		Fix:     "Make the service provider start its request IDs with a letter or an underscore (e.g. \"_\" and a GUID)."},
	{Code: 75011, Error: "invalid_request", Status: bad, Delivery: InSAMLStatus,
		Text:    "Authentication method '%s' by which the user authenticated with the service doesn't match requested authentication method '%s'. Contact the %s application owner.",
		Meaning: "The authentication method the user signed in with does not match the RequestedAuthnContext the SAML request asked for.",
		Fix:     "Remove RequestedAuthnContext from the AuthnRequest (or set ForceAuthn so the user signs in again with the method asked for)."},
	{Code: 75016, Error: "invalid_request", Status: bad, Delivery: InSAMLStatus,
		Text:    "The SAML2 Authentication Request has an invalid NameIDPolicy Format '%s'. Supported formats are persistent, emailAddress, unspecified and transient.",
		Meaning: "The NameIDPolicy Format in the SAML request is not supported.",
		Fix:     "Ask for persistent, emailAddress, unspecified or transient in NameIDPolicy Format, or omit it."},
	{Code: 76021, Error: "invalid_request", Status: bad, Delivery: OnErrorPage | InSAMLStatus,
		Text:    "The request sent by the client is not signed while the application '%s' requires signed requests.",
		Meaning: "The application requires signed SAML requests and the request is not signed.",
		Fix:     "Sign the AuthnRequest with the certificate uploaded under Single sign-on > Verification certificates, or turn off Require verification certificates."},
	{Code: 76026, Error: "invalid_request", Status: bad, Delivery: InSAMLStatus,
		Text:    "The IssueInstant %s of the SAML request is expired: it is %s old. Check the clock of the service provider and send a fresh request.",
		Meaning: "The IssueInstant of the SAML request is too old (expired).",
		Fix:     "Check the service provider's clock and send a fresh AuthnRequest."},
	{Code: 501241, Error: "invalid_request", Status: bad, Delivery: InSAMLStatus,
		Text:    "The attribute %s, the source of the Name ID (Unique User Identifier) of the application '%s', is empty for the user '%s'.",
		Meaning: "The attribute chosen as the NameID source is missing on the user.",
		Fix:     "In Single sign-on > Attributes & Claims, choose another source for Unique User Identifier (Name ID), or fill the attribute on the user."},
	{Code: 75006, Error: "invalid_request", Status: bad, Delivery: OnErrorPage | InSAMLStatus,
		Meaning: "An error occurred while processing the SAML message.",
		Fix:     "Inspect the request with `ssowizard inspect` and compare it with Entra's AuthnRequest rules."},
	{Code: 90033, Error: "server_error", Status: serverError, Delivery: OnErrorPage,
		Text:    "A transient error has occurred while signing the SAML response. Please try again.",
		Meaning: "Entra hit a transient error on its side.",
		Fix:     "Try the sign-in again; if it persists, check the Entra service health."},
}
