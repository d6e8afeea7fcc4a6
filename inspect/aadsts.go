package inspect

import (
	"regexp"
	"strings"
)

// aadstsEntry is what the project knows about one AADSTS code: what Entra means by it
// and what the administrator changes, naming the blade and the field.
type aadstsEntry struct {
	meaning string
	fix     string
}

// aadstsCodes covers the codes met while setting up SSO (ENTRA.md). Meanings quote
// Entra's own words where they are known.
var aadstsCodes = map[string]aadstsEntry{
	"50011": {
		"The redirect URI (OIDC) or reply URL / ACS URL (SAML) sent in the request does not match any registered for the application.",
		"In Entra admin center > App registrations > your app > Authentication, add the exact URI (scheme, host, path, case and trailing slash must match); for SAML, Enterprise applications > your app > Single sign-on > Basic SAML Configuration > Reply URL.",
	},
	"500113": {
		"No reply address is registered for the application.",
		"In App registrations > your app > Authentication, add a platform and its redirect URI (or the Reply URL in Basic SAML Configuration).",
	},
	"900971": {
		"No reply address was provided in the request.",
		"Send redirect_uri in the request, or register exactly one redirect URI for the app.",
	},
	"700016": {
		"The application (client ID, or SAML Issuer / Entity ID) was not found in the directory: wrong tenant, wrong client ID, or an Entity ID that matches no app's Identifier.",
		"Check the Application (client) ID on App registrations > Overview and the tenant in the URL; for SAML, make the AuthnRequest Issuer equal the Identifier (Entity ID) in Basic SAML Configuration.",
	},
	"700038": {
		"The client ID sent is not a valid application identifier.",
		"Copy the Application (client) ID from App registrations > your app > Overview; it is a GUID.",
	},
	"90002": {
		"The tenant named in the URL (tenant ID or domain) was not found.",
		"Use the Directory (tenant) ID from Entra admin center > Overview, or a verified domain from Settings > Domain names.",
	},
	"7000215": {
		"Invalid client secret provided: the value sent is not a current secret of the app; often the Secret ID was pasted instead of the secret Value.",
		"In App registrations > your app > Certificates & secrets, create a new client secret and copy its Value column (shown once), not the Secret ID.",
	},
	"7000222": {
		"The client secret keys of the app are expired.",
		"In App registrations > your app > Certificates & secrets, add a new client secret, update the vendor, then delete the expired one.",
	},
	"7000218": {
		"The token request carries neither client_secret nor client_assertion.",
		"Send the client secret (or a certificate assertion) in the token request.",
	},
	"50105": {
		"The app requires assignment and the signed-in user is not assigned, directly or through a group they are a direct member of (nested groups are not honoured).",
		"In Enterprise applications > your app > Users and groups, assign the user or a group they are directly in; or set Properties > Assignment required to No.",
	},
	"65001": {
		"The user or administrator has not consented to the permissions the application asks for.",
		"In App registrations > your app > API permissions, choose Grant admin consent, or open the admin consent URL as a Global or Cloud Application Administrator.",
	},
	"50020": {
		"The account signing in comes from another identity provider and does not exist in this tenant.",
		"Invite the user as a guest (Users > New user > Invite external user), or sign in to the tenant the account belongs to.",
	},
	"50034": {
		"The user account does not exist in the directory.",
		"Check the user name, or create the user in Users > All users.",
	},
	"50126": {
		"Invalid username or password.",
		"Check the credentials; reset the password in Users > the user > Reset password if needed.",
	},
	"50058": {
		"A silent sign-in was requested but no user is signed in.",
		"Sign in interactively (drop prompt=none).",
	},
	"53003": {
		"Access was blocked by a Conditional Access policy.",
		"In Protection > Conditional Access, open the sign-in log entry to see which policy applied and adjust it or its exclusions.",
	},
	"54005": {
		"The authorization code was already redeemed.",
		"Redeem each authorization code once; start a new sign-in for a new code.",
	},
	"70003": {
		"The app requested an unsupported grant type.",
		"Use a grant type the endpoint supports (authorization_code, refresh_token, client_credentials, device_code).",
	},
	"500011": {
		"The resource principal named in the request was not found in the tenant.",
		"Grant consent for the resource, or check the resource / scope URI in the request.",
	},
	"75011": {
		"The authentication method the user signed in with does not match the RequestedAuthnContext the SAML request asked for.",
		"Remove RequestedAuthnContext from the AuthnRequest (or set ForceAuthn so the user signs in again with the method asked for).",
	},
	"750054": {
		"SAMLRequest or SAMLResponse must be present as query string parameters for the HTTP-Redirect binding.",
		"Send the AuthnRequest with the HTTP-Redirect binding (deflated, base64, in the query) or POST it with the HTTP-POST binding.",
	},
	"75005": {
		"The SAML request is not valid.",
		"Check the AuthnRequest with `ssowizard inspect`: it must be well-formed, deflated for HTTP-Redirect, and carry ID, Version and IssueInstant.",
	},
	"75016": {
		"The NameIDPolicy Format in the SAML request is not supported.",
		"Ask for persistent, emailAddress, unspecified or transient in NameIDPolicy Format, or omit it.",
	},
	"76021": {
		"The application requires signed SAML requests and the request is not signed.",
		"Sign the AuthnRequest with the certificate uploaded under Single sign-on > Verification certificates, or turn off Require verification certificates.",
	},
	"76026": {
		"The IssueInstant of the SAML request is too old (expired).",
		"Check the service provider's clock and send a fresh AuthnRequest.",
	},
	"501241": {
		"The attribute chosen as the NameID source is missing on the user.",
		"In Single sign-on > Attributes & Claims, choose another source for Unique User Identifier (Name ID), or fill the attribute on the user.",
	},
	"75006": {
		"An error occurred while processing the SAML message.",
		"Inspect the request with `ssowizard inspect` and compare it with Entra's AuthnRequest rules.",
	},
	"90011": {
		"The request is missing a required parameter or has one with a bad value.",
		"Check the request parameters against what the endpoint expects.",
	},
}

var aadstsPattern = regexp.MustCompile(`AADSTS(\d{4,7})`)

// ExplainAADSTS finds the first AADSTS code in text (an error_description, a SAML
// StatusMessage, or the code itself as "AADSTS50011" or "50011") and explains it.
// It returns nil when text carries no AADSTS code. Unknown codes are still returned,
// with a meaning that says so, because the code alone is worth a support search.
func ExplainAADSTS(text string) *AADSTS {
	code := ""
	if m := aadstsPattern.FindStringSubmatch(text); m != nil {
		code = m[1]
	} else if t := strings.TrimSpace(text); len(t) >= 4 && len(t) <= 7 && strings.Trim(t, "0123456789") == "" {
		code = t
	}
	if code == "" {
		return nil
	}
	e, ok := aadstsCodes[code]
	if !ok {
		return &AADSTS{
			Code:    "AADSTS" + code,
			Meaning: "An Entra error code this tool has no explanation for; the message text says more.",
			Fix:     "Look the code up at https://login.microsoftonline.com/error?code=" + code + ".",
		}
	}
	return &AADSTS{Code: "AADSTS" + code, Meaning: e.meaning, Fix: e.fix}
}
