package check

import (
	"fmt"

	"github.com/ssowizard/ssowizard/entra"
)

// Probe interprets the answer to the client-credentials probe: a token request with the
// client ID and secret, which Entra answers before any user signs in. code is the
// AADSTS number from error_codes (0 when a token was issued); description is Entra's
// error_description, kept in Detail. The Result names the input to correct.
func Probe(code int, description string) Result {
	const id = "probe"
	secrets := appRegistrations + " > Certificates & secrets"
	var r Result
	switch code {
	case 0:
		return ok(id, "", "Entra accepted the client ID and secret and issued a token.")
	case 700016:
		r = fail(id+"-app-not-found", fieldClientID, "Entra found no application with this client ID in the tenant (AADSTS700016).",
			"Check the Application (client) ID on "+appRegistrations+" > Overview, and that the tenant ID is the tenant the app is registered in.")
	case 700038:
		r = fail(id+"-client-id-invalid", fieldClientID, "Entra says the client ID is not a valid application identifier (AADSTS700038).",
			"Copy the Application (client) ID, a GUID, from "+appRegistrations+" > Overview.")
	case 7000215:
		r = fail(id+"-secret-invalid", fieldSecret, "Entra refused the client secret as invalid (AADSTS7000215), most often because the Secret ID was pasted instead of the Value.",
			"In "+secrets+", add a new client secret and copy its Value column (shown only once), not the Secret ID.")
	case 7000222:
		r = fail(id+"-secret-expired", fieldSecret, "The app's client secret has expired (AADSTS7000222).",
			"In "+secrets+", add a new client secret, give its Value to the vendor, then delete the expired one.")
	case 7000218:
		r = fail(id+"-secret-missing", fieldSecret, "The request carried no client secret (AADSTS7000218).",
			"Enter the client secret Value from "+secrets+".")
	case 90002:
		r = fail(id+"-tenant-not-found", fieldTenantID, "Entra found no tenant with this tenant ID or domain (AADSTS90002).",
			"Copy the Directory (tenant) ID from "+entraAdminCenter+" > Overview.")
	default:
		if code < 0 {
			r = fail(id+"-failed", "", "The test token request failed without an Entra error code.",
				"Check the network connection and the tenant ID, then run the check again.")
			break
		}
		r = fail(id+"-failed", "", fmt.Sprintf("Entra refused the test token request with AADSTS%d.", code),
			"Look the code up at "+entra.ErrorLookupURL(code)+".")
		if e, ok := entra.Lookup(code); ok {
			r.Fix = e.Fix
			r.Detail = e.Meaning
		} else if code >= 1000 {
			r.Detail = entra.UnknownMeaning
		}
	}
	if description != "" {
		if r.Detail != "" {
			r.Detail += "\n"
		}
		r.Detail += description
	}
	return r
}
