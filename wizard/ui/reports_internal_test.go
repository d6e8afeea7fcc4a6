package ui

import "github.com/ssowizard/ssowizard/inspect"

// Hand-built reports in the shape inspect.Inspect gives for Entra's messages.

const (
	tenantID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	issuer   = "https://sts.windows.net/" + tenantID + "/"
	certHash = "9f3c1e0b7a52d84f6e21c9a0b3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6"
)

func entraClaims() []inspect.Claim {
	return []inspect.Claim{
		{Name: "http://schemas.microsoft.com/identity/claims/tenantid", Friendly: "tenantid",
			Values: []string{tenantID}, About: "The directory (tenant) ID of the signed-in user."},
		{Name: "http://schemas.microsoft.com/identity/claims/objectidentifier", Friendly: "objectidentifier",
			Values: []string{"0d4f6a8e-5b1c-4e8a-9f2d-3c7b1a6e9d05"}, About: "The user's object ID in Entra; stable, never reassigned."},
		{Name: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", Friendly: "emailaddress",
			Values: []string{"alice@contoso.com"}, About: "The user's mail attribute; empty when the user has no mailbox."},
		{Name: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname", Friendly: "givenname",
			Values: []string{"Alice"}, About: "The user's first name."},
		{Name: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", Friendly: "name",
			Values: []string{"alice@contoso.com"}, About: "The user principal name (UPN), not the display name."},
		{Name: "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups", Friendly: "groups",
			Values: []string{"5e2a1c9b-7d4f-4b3a-8e6c-1f0d9a2b3c4d", "a8c3e5f7-2b4d-4e6f-9a1b-3c5d7e9f1a2b"},
			About:  "Object IDs of the user's security groups, not their names."},
	}
}

const prettyResponse = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_6c3a8f1e-2b7d-4e9a-a1c5-0f8e7d6c5b4a" Version="2.0" IssueInstant="2026-11-23T17:40:12.345Z" Destination="https://vendor.example/saml/acs" InResponseTo="id-7f3c9a5e2b1d">
  <Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/</Issuer>
  <samlp:Status>
    <samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>
  </samlp:Status>
  <Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion" ID="_b1e4d7a0-9c3f-4a2e-8d6b-5f1c0e9a8b7d" IssueInstant="2026-11-23T17:40:12.345Z" Version="2.0">…</Assertion>
</samlp:Response>`

func acceptedReport() *inspect.Report {
	return &inspect.Report{
		Kind:         inspect.KindSAMLResponse,
		Verdict:      "ok",
		Input:        &inspect.InputInfo{Format: "base64", Binding: "HTTP-POST", Parameter: "SAMLResponse", Size: 7421},
		ID:           "_6c3a8f1e-2b7d-4e9a-a1c5-0f8e7d6c5b4a",
		IssueInstant: "2026-11-23T17:40:12.345Z",
		Issuer:       issuer,
		Destination:  "https://vendor.example/saml/acs",
		InResponseTo: "id-7f3c9a5e2b1d",
		Status:       &inspect.Status{Code: "urn:oasis:names:tc:SAML:2.0:status:Success"},
		Subject: &inspect.Subject{
			NameID: "alice@contoso.com",
			Format: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
			Confirmation: &inspect.Confirmation{Method: "urn:oasis:names:tc:SAML:2.0:cm:bearer",
				Recipient: "https://vendor.example/saml/acs", InResponseTo: "id-7f3c9a5e2b1d",
				NotOnOrAfter: "2026-11-23T17:45:12.345Z"},
		},
		Audiences:    []string{"https://vendor.example/saml"},
		NotBefore:    "2026-11-23T17:40:12.345Z",
		NotOnOrAfter: "2026-11-23T18:50:12.345Z",
		AuthnContext: "http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password",
		Signature: &inspect.Signature{
			Status:          inspect.SigValid,
			Signed:          []string{"assertion"},
			Algorithm:       "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
			DigestAlgorithm: "http://www.w3.org/2001/04/xmlenc#sha256",
			CertSHA256:      certHash,
			CertSubject:     "CN=Microsoft Azure Federated SSO Certificate",
			CertNotAfter:    "2029-11-23T17:00:00Z",
			TrustedBy:       "metadata",
		},
		Claims:       entraClaims(),
		ClaimsSigned: true,
		Findings:     []inspect.Finding{},
		Pretty:       prettyResponse,
	}
}

func rejectedReport() *inspect.Report {
	r := acceptedReport()
	r.Verdict = "error"
	r.Audiences = []string{"https://vendor.example/other"}
	r.Signature.Status = inspect.SigInvalid
	r.Signature.Signed = []string{}
	r.Signature.TrustedBy = ""
	r.ClaimsSigned = false
	r.Findings = []inspect.Finding{
		{Code: inspect.CodeSignatureInvalid, Severity: inspect.SeverityError,
			Message: "The signature over the assertion does not verify: the signed content was changed after Entra signed it.",
			Fix:     "Check the SAMLResponse exactly as the browser posted it; do not re-encode, pretty-print or edit the XML before checking."},
		{Code: inspect.CodeAudienceMismatch, Severity: inspect.SeverityError,
			Message: "The assertion is for the audience https://vendor.example/other, not for the SP Entity ID https://vendor.example/saml.",
			Fix:     "In the enterprise app's Basic SAML Configuration, set Identifier (Entity ID) to https://vendor.example/saml."},
		{Code: inspect.CodeExpired, Severity: inspect.SeverityError,
			Message: "The assertion expired at 2026-11-23T18:50:12Z, 1h10m before the time it was checked at.",
			Fix:     "Sign in again for a fresh response; if it happens at once, correct the SP server's clock (NTP)."},
	}
	return r
}

func harReport() *inspect.Report {
	req := &inspect.Report{
		Kind:    inspect.KindSAMLAuthnRequest,
		Verdict: "ok",
		Source: &inspect.Source{Entry: 3, Method: "GET", Status: 200, Where: "request-query",
			URL: "https://login.microsoftonline.com/" + tenantID + "/saml2?SAMLRequest=fZJNT8MwDIbv"},
		ID:       "id-7f3c9a5e2b1d",
		Issuer:   "https://vendor.example/saml",
		Request:  &inspect.RequestInfo{ACSURL: "https://vendor.example/saml/acs", ProtocolBinding: "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"},
		Findings: []inspect.Finding{},
	}
	resp := rejectedReport()
	resp.Source = &inspect.Source{Entry: 7, Method: "POST", Status: 302, Where: "request-body", URL: "https://vendor.example/saml/acs"}
	return &inspect.Report{
		Kind:     inspect.KindHAR,
		Verdict:  "error",
		Findings: []inspect.Finding{},
		Messages: []*inspect.Report{req, resp},
	}
}
