package entrasaml

import (
	"errors"
	"fmt"
	"html"
	"io"
	"time"

	"github.com/beevik/etree"
)

// LogoutIssuer is the issuer Entra puts on a LogoutResponse, which differs from the
// sts.windows.net issuer of login Responses.
func LogoutIssuer(tenantID string) string {
	return "https://login.microsoftonline.com/" + tenantID + "/"
}

// LogoutResponseOptions describes Entra's answer to an SP's LogoutRequest.
type LogoutResponseOptions struct {
	TenantID string
	// Destination is the SP's single logout URL.
	Destination string
	// InResponseTo is the LogoutRequest's ID.
	InResponseTo string
	// Status defaults to Success.
	Status *Status
	// Issuer defaults to LogoutIssuer(TenantID); a local stand-in for Entra puts its
	// own origin in its place.
	Issuer string
	Now    time.Time
	Rand   io.Reader
}

// BuildLogoutResponse builds an unsigned LogoutResponse; Entra sends it by the
// HTTP-Redirect binding, where a signature would go in the query (RedirectURL).
func BuildLogoutResponse(o LogoutResponseOptions) (xml []byte, id string, err error) {
	if o.TenantID == "" || o.Now.IsZero() {
		return nil, "", errors.New("build logout response: a tenant ID and Now are needed")
	}
	if id, err = NewID(randOr(o.Rand)); err != nil {
		return nil, "", err
	}
	doc := etree.NewDocument()
	r := doc.CreateElement("samlp:LogoutResponse")
	r.CreateAttr("ID", id)
	r.CreateAttr("Version", "2.0")
	r.CreateAttr("IssueInstant", instant(o.Now))
	if o.Destination != "" {
		r.CreateAttr("Destination", o.Destination)
	}
	if o.InResponseTo != "" {
		r.CreateAttr("InResponseTo", o.InResponseTo)
	}
	r.CreateAttr("xmlns:samlp", NSProtocol)
	iss := r.CreateElement("Issuer")
	iss.CreateAttr("xmlns", NSAssertion)
	issuer := o.Issuer
	if issuer == "" {
		issuer = LogoutIssuer(o.TenantID)
	}
	iss.SetText(issuer)
	st := r.CreateElement("samlp:Status")
	code, sub, msg := StatusSuccess, "", ""
	if o.Status != nil {
		code, sub, msg = o.Status.Code, o.Status.SubCode, o.Status.Message
	}
	sc := st.CreateElement("samlp:StatusCode")
	sc.CreateAttr("Value", code)
	if sub != "" {
		sc.CreateElement("samlp:StatusCode").CreateAttr("Value", sub)
	}
	if msg != "" {
		st.CreateElement("samlp:StatusMessage").SetText(msg)
	}
	xml, err = doc.WriteToBytes()
	if err != nil {
		return nil, "", fmt.Errorf("build logout response: %w", err)
	}
	return xml, id, nil
}

// AutoPostForm is the page Entra answers a sign-in with: a form that the browser
// submits at once, POSTing the base64 SAMLResponse (and RelayState, when set) to the ACS.
func AutoPostForm(acs, samlResponse, relayState string) []byte {
	head, tail := AutoPostFormParts(acs, relayState)
	return []byte(head + html.EscapeString(samlResponse) + tail)
}

// AutoPostFormParts is AutoPostForm around the SAMLResponse value, for a caller that
// writes a base64 value (whose alphabet needs no HTML escaping) straight between them.
func AutoPostFormParts(acs, relayState string) (head, tail string) {
	head = `<html><head><title>Working...</title></head><body><form method="POST" name="hiddenform" action="` +
		html.EscapeString(acs) + `"><input type="hidden" name="SAMLResponse" value="`
	tail = `" />`
	if relayState != "" {
		tail += `<input type="hidden" name="RelayState" value="` + html.EscapeString(relayState) + `" />`
	}
	tail += `<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit" /></noscript></form>` +
		`<script language="javascript">window.setTimeout(function() {document.forms[0].submit();}, 0);</script></body></html>`
	return head, tail
}
