package sp

import (
	"regexp"
	"strings"

	"github.com/ssowizard/ssowizard/entra"
	"github.com/ssowizard/ssowizard/inspect"
)

// claimMap indexes a report's claims by name and by friendly name.
func claimMap(rep *inspect.Report) map[string][]string {
	m := map[string][]string{}
	for _, c := range rep.Claims {
		m[c.Name] = c.Values
		if c.Friendly != "" {
			m[c.Friendly] = c.Values
		}
	}
	return m
}

// first returns the first value of the first named claim present.
func first(m map[string][]string, names ...string) string {
	for _, n := range names {
		if v := m[n]; len(v) > 0 && v[0] != "" {
			return v[0]
		}
	}
	return ""
}

// upnDomain adds a finding when the user's UPN is outside the domain the vendor expects:
// a vendor that maps users by email domain (SSO domain enforcement, JIT) then turns the
// user away or makes a second account.
func upnDomain(rep *inspect.Report, upn, want string) {
	want = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(want), "@"))
	if want == "" || upn == "" {
		return
	}
	_, got, ok := strings.Cut(strings.ToLower(upn), "@")
	if !ok || got == want || strings.HasSuffix(got, "."+want) {
		return
	}
	msg := "The user's UPN " + upn + " is in domain " + got + ", not " + want + ", the domain the vendor expects."
	fix := "In Users > the user > Edit properties, set the UPN suffix to " + want + " (a verified domain), or tell the vendor to accept " + got + "."
	switch {
	case strings.Contains(upn, "#EXT#"):
		msg += " It is a guest's UPN (#EXT#): the account belongs to another organisation, and its domain cannot be changed here."
		fix = "Have the vendor accept this guest by its email (the emailaddress claim), or give the person a member account in " + want + "."
	case strings.HasSuffix(got, ".onmicrosoft.com"):
		msg += " An *.onmicrosoft.com UPN means the user was created without the custom domain."
	}
	addFinding(rep, CodeUPNDomainMismatch, inspect.SeverityWarning, msg, fix)
}

// emailLike matches an address closely enough to tell it from a GUID or an opaque ID.
var emailLike = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// nameIDFinding adds a finding when the SAML NameID is not the user's email address:
// most vendors key accounts on it as an email.
func nameIDFinding(rep *inspect.Report) {
	if rep.Subject == nil || rep.Subject.NameID == "" {
		return
	}
	nameID := rep.Subject.NameID
	claims := claimMap(rep)
	mail := first(claims, entra.ClaimEmail, "emailaddress", "email")
	if mail == "" && !rep.Has(inspect.CodeEmailMissing) {
		// The inspector accepts an email-shaped NameID in place of the claim; a vendor
		// that reads the emailaddress attribute (JIT provisioning, invitations) does not.
		addFinding(rep, inspect.CodeEmailMissing, inspect.SeverityWarning,
			"The assertion has no emailaddress attribute (the user's mail is empty); the NameID "+nameID+" is the UPN, which may not be a mailbox, and vendors that read the email attribute get nothing.",
			"Set the user's Email (mail) in Users > the user > Edit properties, or in Attributes & Claims source emailaddress from user.userprincipalname.")
	}
	switch {
	case !emailLike.MatchString(nameID):
		addFinding(rep, CodeNameIDNotEmail, inspect.SeverityWarning,
			"The NameID "+nameID+" is not an email address; a vendor that identifies users by email will not find the account.",
			"In Enterprise applications > your app > Single sign-on > Attributes & Claims, set Unique User Identifier (Name ID) to user.mail or user.userprincipalname with format Email address.")
	case mail != "" && !strings.EqualFold(mail, nameID):
		addFinding(rep, CodeNameIDNotEmail, inspect.SeverityWarning,
			"The NameID "+nameID+" is not the user's email address "+mail+" (it is likely the UPN); a vendor matching accounts by email sees a different user.",
			"In Attributes & Claims, set the Unique User Identifier (Name ID) source to user.mail, or have the vendor match on the UPN.")
	}
}

// signatureValue matches the content of a SignatureValue element, any prefix.
var signatureValue = regexp.MustCompile(`(<(?:[A-Za-z0-9_]+:)?SignatureValue\b[^>]*>)[^<]*(</)`)

// redactSAML empties the signature values of a base64 SAMLResponse: the result reads the
// same but cannot be replayed. Input that is not base64 is replaced whole.
func redactSAML(b64 string) string {
	x, err := decodeB64(b64)
	if err != nil {
		return "REDACTED"
	}
	return signatureValue.ReplaceAllString(string(x), "${1}REDACTED${2}")
}
