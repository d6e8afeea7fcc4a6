package entra

import "strconv"

// Entra's public cloud: the hosts and well-known identifiers every Entra tenant shares.
const (
	// LoginBase is the authority host of the public cloud, without a trailing slash.
	LoginBase = "https://login.microsoftonline.com"
	// GraphBase is Microsoft Graph as a resource (the audience of its tokens).
	GraphBase = "https://graph.microsoft.com"
	// GraphV1 is the Microsoft Graph v1.0 endpoint.
	GraphV1 = GraphBase + "/v1.0"
	// GraphScope asks for a token for Microsoft Graph with the permissions already
	// granted to the app.
	GraphScope = GraphBase + "/.default"
	// GraphAppID is Microsoft Graph's application ID, the same in every tenant.
	GraphAppID = "00000003-0000-0000-c000-000000000000"
	// MSATenantID is the tenant of personal Microsoft accounts.
	MSATenantID = "9188040d-6c67-4c5b-b112-36a304b66dad"
	// STSBase is the prefix of the issuer of SAML assertions and v1.0 tokens.
	STSBase = "https://sts.windows.net/"
	// PortalBase is the Entra admin center.
	PortalBase = "https://entra.microsoft.com/"
)

// STSIssuer is the issuer Entra puts on SAML Responses and Assertions and on v1.0
// tokens for a tenant, with its trailing slash.
func STSIssuer(tenantID string) string { return STSBase + tenantID + "/" }

// ErrorLookupURL is Entra's public page that explains an AADSTS code.
func ErrorLookupURL(code int) string { return LoginBase + "/error?code=" + strconv.Itoa(code) }
