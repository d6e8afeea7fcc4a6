package entrasaml

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/beevik/etree"
)

// Entra's fixed validity, as real responses show it: the Conditions start 5 minutes
// before the issue instant (so an SP clock a little behind still accepts them) and end
// 60 minutes after it, and the bearer confirmation ends with them.
const (
	NotBeforeBackdate  = 5 * time.Minute
	ConditionsLifetime = 60 * time.Minute
)

// User is the signed-in user as Entra describes them in claims.
type User struct {
	ObjectID          string
	UserPrincipalName string
	// Mail is the emailaddress claim; when empty the claim is left out, as Entra does
	// for a user with no mail attribute.
	Mail        string
	GivenName   string
	Surname     string
	DisplayName string
	// IdentityProvider defaults to the tenant's issuer (a member user); guests from a
	// Microsoft account show "live.com", other tenants their own issuer.
	IdentityProvider string
	// Groups are group object IDs; they are emitted only when non-empty.
	Groups []string
	// Roles are app role values, emitted as the role claim.
	Roles []string
	// AuthnMethods default to password.
	AuthnMethods []string
}

// Attribute is a SAML attribute with its values.
type Attribute struct {
	Name   string
	Values []string
}

// Status is a non-success SAML status, as Entra returns a failed sign-in to the SP.
type Status struct {
	// Code is the top-level status (StatusRequester, StatusResponder).
	Code string
	// SubCode is the nested status code, if any.
	SubCode string
	// Message is the StatusMessage, in Entra's form "AADSTSnnnnn: text".
	Message string
}

// ResponseOptions describes one Response. TenantID, Now and, for a success, Signer
// are required; the rest default to Entra's behaviour.
type ResponseOptions struct {
	TenantID string
	// Audience is the SP's Identifier (Entity ID).
	Audience string
	// ACS is the Reply URL: the Destination and the confirmation Recipient.
	ACS string
	// InResponseTo is the AuthnRequest's ID; empty for an IdP-initiated sign-in.
	InResponseTo string

	User User
	// NameID defaults to the user principal name, in NameIDFormat (default emailAddress).
	NameID       string
	NameIDFormat string
	// GroupsOverage replaces the groups claim with groups.link, as Entra does above
	// 150 groups in a SAML token.
	GroupsOverage bool
	// Attributes are appended after Entra's own claims.
	Attributes []Attribute

	Sign      SignMode  // default SignAssertion
	Algorithm Algorithm // default RSASHA256
	Signer    *KeyPair
	// EncryptTo, when set, encrypts the (signed) assertion to this SP certificate with
	// AES-256-CBC and RSA-OAEP, as Entra's token encryption does.
	EncryptTo *x509.Certificate

	// Status, when set, makes an error Response: that status and no assertion.
	Status *Status

	Now time.Time
	// AuthnContext is the AuthnStatement's class reference; default password. After
	// multi-factor sign-in Entra sends AuthnMethodMFA.
	AuthnContext string
	// AuthnInstant is when the user signed in, which a persistent session puts long
	// before Now; zero means Now.
	AuthnInstant time.Time
	Rand         io.Reader
}

// Response is a built SAML Response.
type Response struct {
	// XML is the Response as Entra posts it, before base64.
	XML         []byte
	ID          string
	AssertionID string
}

// BuildResponse builds and signs a Response as Entra would send it.
func BuildResponse(o ResponseOptions) (*Response, error) {
	if o.TenantID == "" {
		return nil, errors.New("build response: no tenant ID")
	}
	if o.Now.IsZero() {
		return nil, errors.New("build response: Now is not set")
	}
	rnd := randOr(o.Rand)
	sign := o.Sign
	if sign == "" {
		sign = SignAssertion
	}
	if sign != SignNone && o.Signer == nil {
		return nil, errors.New("build response: no signing key")
	}
	now := o.Now.UTC()
	respID, err := NewID(rnd)
	if err != nil {
		return nil, err
	}

	doc := etree.NewDocument()
	resp := doc.CreateElement("samlp:Response")
	resp.CreateAttr("ID", respID)
	resp.CreateAttr("Version", "2.0")
	resp.CreateAttr("IssueInstant", instant(now))
	if o.ACS != "" {
		resp.CreateAttr("Destination", o.ACS)
	}
	if o.InResponseTo != "" {
		resp.CreateAttr("InResponseTo", o.InResponseTo)
	}
	resp.CreateAttr("xmlns:samlp", NSProtocol)
	iss := resp.CreateElement("Issuer")
	iss.CreateAttr("xmlns", NSAssertion)
	iss.SetText(Issuer(o.TenantID))

	st := resp.CreateElement("samlp:Status")
	out := &Response{ID: respID}
	if o.Status != nil {
		code := o.Status.Code
		if code == "" {
			code = StatusRequester
		}
		sc := st.CreateElement("samlp:StatusCode")
		sc.CreateAttr("Value", code)
		if o.Status.SubCode != "" {
			sc.CreateElement("samlp:StatusCode").CreateAttr("Value", o.Status.SubCode)
		}
		if o.Status.Message != "" {
			st.CreateElement("samlp:StatusMessage").SetText(o.Status.Message)
		}
	} else {
		st.CreateElement("samlp:StatusCode").CreateAttr("Value", StatusSuccess)
		assertion, err := buildAssertion(o, now, rnd)
		if err != nil {
			return nil, err
		}
		out.AssertionID = assertion.SelectAttrValue("ID", "")
		if sign == SignAssertion || sign == SignBoth {
			if err := signElement(assertion, o.Signer, o.Algorithm); err != nil {
				return nil, err
			}
		}
		if o.EncryptTo != nil {
			enc, err := encryptAssertion(assertion, o.EncryptTo, rnd)
			if err != nil {
				return nil, err
			}
			resp.AddChild(enc)
		} else {
			resp.AddChild(assertion)
		}
	}
	if sign == SignResponse || sign == SignBoth {
		if err := signElement(resp, o.Signer, o.Algorithm); err != nil {
			return nil, err
		}
	}
	b, err := doc.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("build response: %w", err)
	}
	out.XML = b
	return out, nil
}

func buildAssertion(o ResponseOptions, now time.Time, rnd io.Reader) (*etree.Element, error) {
	id, err := NewID(rnd)
	if err != nil {
		return nil, err
	}
	a := etree.NewElement("Assertion")
	a.CreateAttr("ID", id)
	a.CreateAttr("IssueInstant", instant(now))
	a.CreateAttr("Version", "2.0")
	a.CreateAttr("xmlns", NSAssertion)
	a.CreateElement("Issuer").SetText(Issuer(o.TenantID))

	subj := a.CreateElement("Subject")
	nameID := o.NameID
	if nameID == "" {
		nameID = o.User.UserPrincipalName
	}
	format := o.NameIDFormat
	if format == "" {
		format = NameIDEmail
	}
	nid := subj.CreateElement("NameID")
	nid.CreateAttr("Format", format)
	nid.SetText(nameID)
	sc := subj.CreateElement("SubjectConfirmation")
	sc.CreateAttr("Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer")
	scd := sc.CreateElement("SubjectConfirmationData")
	if o.InResponseTo != "" {
		scd.CreateAttr("InResponseTo", o.InResponseTo)
	}
	scd.CreateAttr("NotOnOrAfter", instant(now.Add(ConditionsLifetime)))
	if o.ACS != "" {
		scd.CreateAttr("Recipient", o.ACS)
	}

	cond := a.CreateElement("Conditions")
	cond.CreateAttr("NotBefore", instant(now.Add(-NotBeforeBackdate)))
	cond.CreateAttr("NotOnOrAfter", instant(now.Add(ConditionsLifetime)))
	if o.Audience != "" {
		cond.CreateElement("AudienceRestriction").CreateElement("Audience").SetText(o.Audience)
	}

	attrs := a.CreateElement("AttributeStatement")
	for _, at := range entraAttributes(o) {
		if len(at.Values) == 0 {
			continue
		}
		ae := attrs.CreateElement("Attribute")
		ae.CreateAttr("Name", at.Name)
		for _, v := range at.Values {
			ae.CreateElement("AttributeValue").SetText(v)
		}
	}

	authn := a.CreateElement("AuthnStatement")
	authnAt := now
	if !o.AuthnInstant.IsZero() {
		authnAt = o.AuthnInstant.UTC()
	}
	authn.CreateAttr("AuthnInstant", instant(authnAt))
	authn.CreateAttr("SessionIndex", id)
	ctxRef := o.AuthnContext
	if ctxRef == "" {
		ctxRef = AuthnContextPassword
	}
	authn.CreateElement("AuthnContext").CreateElement("AuthnContextClassRef").SetText(ctxRef)
	return a, nil
}

// entraAttributes lists the claims in the order Entra emits them. Empty values are
// dropped by the caller, so a user without mail simply has no emailaddress claim.
func entraAttributes(o ResponseOptions) []Attribute {
	u := o.User
	idp := u.IdentityProvider
	if idp == "" {
		idp = Issuer(o.TenantID)
	}
	methods := u.AuthnMethods
	if len(methods) == 0 {
		methods = []string{AuthnMethodPassword}
	}
	one := func(v string) []string {
		if v == "" {
			return nil
		}
		return []string{v}
	}
	list := []Attribute{
		{AttrTenantID, []string{o.TenantID}},
		{AttrObjectID, one(u.ObjectID)},
		{AttrDisplayName, one(u.DisplayName)},
		{AttrIdentityProvider, []string{idp}},
		{AttrAuthnMethods, methods},
	}
	if o.GroupsOverage {
		list = append(list, Attribute{AttrGroupsLink, []string{
			"https://graph.windows.net/" + o.TenantID + "/users/" + u.ObjectID + "/getMemberObjects"}})
	} else {
		list = append(list, Attribute{AttrGroups, u.Groups})
	}
	list = append(list,
		Attribute{AttrRole, u.Roles},
		Attribute{AttrGivenName, one(u.GivenName)},
		Attribute{AttrSurname, one(u.Surname)},
		Attribute{AttrEmail, one(u.Mail)},
		Attribute{AttrName, one(u.UserPrincipalName)},
	)
	return append(list, o.Attributes...)
}
