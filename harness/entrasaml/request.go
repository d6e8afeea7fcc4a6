package entrasaml

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// AuthnRequestOptions describes an AuthnRequest as an SP sends it to Entra.
type AuthnRequestOptions struct {
	// ID defaults to a fresh "_"+GUID. Entra rejects an ID starting with a digit.
	ID string
	// Issuer is the SP's Entity ID; it must equal one of the app's Identifiers.
	Issuer string
	// Destination defaults to nothing; Entra's endpoint is LoginEndpoint(tenant).
	Destination string
	// ACS is the AssertionConsumerServiceURL; omitted when empty.
	ACS string
	// ProtocolBinding defaults to HTTP-POST when ACS is set.
	ProtocolBinding string
	// NameIDPolicyFormat, when set, adds a NameIDPolicy with that Format.
	NameIDPolicyFormat string
	AllowCreate        *bool
	ForceAuthn         bool
	IsPassive          bool
	// AuthnContextClassRefs, when set, add a RequestedAuthnContext with Comparison
	// (default "exact", the only one Entra accepts).
	AuthnContextClassRefs []string
	Comparison            string
	// SubjectNameID adds a Subject: allowed by the schema, refused by Entra.
	SubjectNameID string

	Now  time.Time
	Rand io.Reader
}

// BuildAuthnRequest builds an unsigned AuthnRequest (Entra signs nothing on the
// request path unless the app requires it; see RedirectURL for the query signature).
func BuildAuthnRequest(o AuthnRequestOptions) (xml []byte, id string, err error) {
	doc, r, id, err := newRequest("authn request", "samlp:AuthnRequest", o.ID, o.Destination, o.Now, o.Rand)
	if err != nil {
		return nil, "", err
	}
	if o.ACS != "" {
		r.CreateAttr("AssertionConsumerServiceURL", o.ACS)
		b := o.ProtocolBinding
		if b == "" {
			b = BindingPOST
		}
		r.CreateAttr("ProtocolBinding", b)
	}
	if o.ForceAuthn {
		r.CreateAttr("ForceAuthn", "true")
	}
	if o.IsPassive {
		r.CreateAttr("IsPassive", "true")
	}
	r.CreateElement("saml:Issuer").SetText(o.Issuer)
	if o.SubjectNameID != "" {
		r.CreateElement("saml:Subject").CreateElement("saml:NameID").SetText(o.SubjectNameID)
	}
	if o.NameIDPolicyFormat != "" || o.AllowCreate != nil {
		p := r.CreateElement("samlp:NameIDPolicy")
		if o.NameIDPolicyFormat != "" {
			p.CreateAttr("Format", o.NameIDPolicyFormat)
		}
		if o.AllowCreate != nil {
			p.CreateAttr("AllowCreate", fmt.Sprint(*o.AllowCreate))
		}
	}
	if len(o.AuthnContextClassRefs) > 0 {
		rac := r.CreateElement("samlp:RequestedAuthnContext")
		cmp := o.Comparison
		if cmp == "" {
			cmp = "exact"
		}
		rac.CreateAttr("Comparison", cmp)
		for _, ref := range o.AuthnContextClassRefs {
			rac.CreateElement("saml:AuthnContextClassRef").SetText(ref)
		}
	}
	xml, err = doc.WriteToBytes()
	return xml, id, err
}

// LogoutRequestOptions describes a LogoutRequest an SP sends to Entra (redirect
// binding only).
type LogoutRequestOptions struct {
	ID           string
	Issuer       string
	Destination  string
	NameID       string
	NameIDFormat string
	SessionIndex string
	Now          time.Time
	Rand         io.Reader
}

// newRequest starts an SP's request document: the protocol element with its namespaces,
// ID (id, or a fresh Entra-shaped one), Version, IssueInstant and Destination.
func newRequest(what, element, id, destination string, now time.Time, rnd io.Reader) (*etree.Document, *etree.Element, string, error) {
	if now.IsZero() {
		return nil, nil, "", fmt.Errorf("build %s: Now is not set", what)
	}
	if id == "" {
		var err error
		if id, err = NewID(randOr(rnd)); err != nil {
			return nil, nil, "", err
		}
	}
	doc := etree.NewDocument()
	r := doc.CreateElement(element)
	r.CreateAttr("xmlns:samlp", NSProtocol)
	r.CreateAttr("xmlns:saml", NSAssertion)
	r.CreateAttr("ID", id)
	r.CreateAttr("Version", "2.0")
	r.CreateAttr("IssueInstant", instant(now))
	if destination != "" {
		r.CreateAttr("Destination", destination)
	}
	return doc, r, id, nil
}

// BuildLogoutRequest builds an unsigned LogoutRequest.
func BuildLogoutRequest(o LogoutRequestOptions) (xml []byte, id string, err error) {
	doc, r, id, err := newRequest("logout request", "samlp:LogoutRequest", o.ID, o.Destination, o.Now, o.Rand)
	if err != nil {
		return nil, "", err
	}
	r.CreateElement("saml:Issuer").SetText(o.Issuer)
	nid := r.CreateElement("saml:NameID")
	if o.NameIDFormat != "" {
		nid.CreateAttr("Format", o.NameIDFormat)
	}
	nid.SetText(o.NameID)
	if o.SessionIndex != "" {
		r.CreateElement("samlp:SessionIndex").SetText(o.SessionIndex)
	}
	xml, err = doc.WriteToBytes()
	return xml, id, err
}

// EncodePOST encodes a message for the HTTP-POST binding: plain base64.
func EncodePOST(xml []byte) string { return base64.StdEncoding.EncodeToString(xml) }

// Deflate is the HTTP-Redirect binding's encoding before URL escaping: raw DEFLATE
// (RFC 1951, no zlib header) then base64.
func Deflate(xml []byte) (string, error) {
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		return "", err
	}
	if _, err := w.Write(xml); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// RedirectURL encodes a message for the HTTP-Redirect binding: endpoint +
// param=deflate+base64 (param is SAMLRequest or SAMLResponse), RelayState if any, and,
// when signer is set, SigAlg and Signature over the query exactly as the binding
// specifies (SAML bindings §3.4.4.1: the URL-encoded parameters in that order).
func RedirectURL(endpoint, param string, xml []byte, relayState string, signer *KeyPair, alg Algorithm) (string, error) {
	v, err := Deflate(xml)
	if err != nil {
		return "", fmt.Errorf("redirect encode: %w", err)
	}
	q := param + "=" + url.QueryEscape(v)
	if relayState != "" {
		q += "&RelayState=" + url.QueryEscape(relayState)
	}
	if signer != nil {
		q += "&SigAlg=" + url.QueryEscape(string(alg.orDefault()))
		sig, err := signQuery(signer, alg, []byte(q))
		if err != nil {
			return "", fmt.Errorf("redirect sign: %w", err)
		}
		q += "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig))
	}
	sep := "?"
	if strings.Contains(endpoint, "?") {
		sep = "&"
	}
	return endpoint + sep + q, nil
}
