package entrasaml

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"

	"github.com/beevik/etree"
	"github.com/ssowizard/ssowizard/entra"
)

// MetadataOptions describes Entra's federation metadata for a tenant (or one app).
type MetadataOptions struct {
	TenantID string
	// Certs are the signing certificates to publish, active first; during a rollover
	// Entra lists the new one beside the old.
	Certs []*x509.Certificate
	// Signer, when set, signs the EntityDescriptor as Entra does.
	Signer    *KeyPair
	Algorithm Algorithm
	// BOM prefixes the document with a UTF-8 byte order mark, as the app-specific
	// document has been served.
	BOM bool
	// Endpoint is the Location of the SSO and SLO services; empty means Entra's own,
	// LoginEndpoint(TenantID). A local stand-in for Entra serves its own origin here
	// while keeping Entra's entityID, which SPs compare with the Issuer.
	Endpoint string
	Rand     io.Reader
}

// BuildMetadata builds the federation metadata document: an EntityDescriptor with the
// WS-Federation RoleDescriptor and the IDPSSODescriptor, each carrying every signing
// certificate, and Entra's SAML endpoints.
func BuildMetadata(o MetadataOptions) ([]byte, error) {
	if o.TenantID == "" || len(o.Certs) == 0 {
		return nil, errors.New("build metadata: a tenant ID and at least one certificate are needed")
	}
	id, err := NewID(randOr(o.Rand))
	if err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="utf-8"`)
	ed := doc.CreateElement("EntityDescriptor")
	ed.CreateAttr("ID", id)
	ed.CreateAttr("entityID", entra.STSIssuer(o.TenantID))
	ed.CreateAttr("xmlns", NSMetadata)

	keys := func(parent *etree.Element) {
		for _, c := range o.Certs {
			kd := parent.CreateElement("KeyDescriptor")
			kd.CreateAttr("use", "signing")
			ki := kd.CreateElement("KeyInfo")
			ki.CreateAttr("xmlns", NSDSig)
			ki.CreateElement("X509Data").CreateElement("X509Certificate").
				SetText(base64.StdEncoding.EncodeToString(c.Raw))
		}
	}
	rd := ed.CreateElement("RoleDescriptor")
	rd.CreateAttr("xsi:type", "fed:SecurityTokenServiceType")
	rd.CreateAttr("protocolSupportEnumeration", "http://docs.oasis-open.org/wsfed/federation/200706")
	rd.CreateAttr("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")
	rd.CreateAttr("xmlns:fed", "http://docs.oasis-open.org/wsfed/federation/200706")
	keys(rd)
	for _, tag := range []string{"fed:SecurityTokenServiceEndpoint", "fed:PassiveRequestorEndpoint"} {
		ep := rd.CreateElement(tag).CreateElement("wsa:EndpointReference")
		ep.CreateAttr("xmlns:wsa", "http://www.w3.org/2005/08/addressing")
		ep.CreateElement("wsa:Address").SetText(entra.LoginBase + "/" + o.TenantID + "/wsfed")
	}

	idp := ed.CreateElement("IDPSSODescriptor")
	idp.CreateAttr("protocolSupportEnumeration", NSProtocol)
	keys(idp)
	ep := o.Endpoint
	if ep == "" {
		ep = LoginEndpoint(o.TenantID)
	}
	slo := idp.CreateElement("SingleLogoutService")
	slo.CreateAttr("Binding", BindingRedirect)
	slo.CreateAttr("Location", ep)
	for _, b := range []string{BindingRedirect, BindingPOST} {
		sso := idp.CreateElement("SingleSignOnService")
		sso.CreateAttr("Binding", b)
		sso.CreateAttr("Location", ep)
	}
	if o.Signer != nil {
		if err := signElement(ed, o.Signer, o.Algorithm); err != nil {
			return nil, err
		}
	}
	b, err := doc.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("build metadata: %w", err)
	}
	if o.BOM {
		b = append([]byte("\xef\xbb\xbf"), b...)
	}
	return b, nil
}
