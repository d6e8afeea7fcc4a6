package wizard

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ssowizard/ssowizard/wizard/check"
)

// StepIdPMetadata makes and activates the signing certificate, or reads the metadata
// the admin gave, and records the IdP side of the connection.
const StepIdPMetadata StepName = "idp-metadata"

var idpMetadataStep = &Step{
	Name:         StepIdPMetadata,
	Title:        "IdP metadata",
	Verifies:     "The app's federation metadata is Entra's for the tenant, with an active signing certificate.",
	instructions: idpMetadataInstructions,
	auto:         (*Session).autoIdPMetadata,
	manual:       (*Session).manualIdPMetadata,
}

// idpMetadataInstructions are how to get the IdP metadata by hand.
func idpMetadataInstructions(s *Session) Instructions {
	st := s.state
	return Instructions{
		Blade: enterpriseBlade("SignOn", st.App),
		Text: []string{
			"On the Single sign-on page, section SAML Certificates: make sure a certificate is Active.",
			"Copy the App Federation Metadata Url (best: the vendor then follows certificate rollovers), or download Federation Metadata XML, or note the certificate's thumbprint and the Microsoft Entra Identifier.",
		},
		Copy: []CopyValue{{"App Federation Metadata Url", metadataURL(st.loginBase(), st.TenantID, st.App.AppID)}},
		Inputs: []Input{{Key: InMetadataURL, Label: "App Federation Metadata Url", Optional: true},
			{Key: InMetadataXML, Label: "Federation Metadata XML", Optional: true},
			{Key: InFingerprint, Label: "Certificate thumbprint", Optional: true},
			{Key: InIssuer, Label: "Microsoft Entra Identifier", Optional: true}},
	}
}

// CertificateSubject is the subject of the signing certificate automatic mode makes,
// the one the portal gives its own.
const CertificateSubject = "CN=Microsoft Azure Federated SSO Certificate"

func (s *Session) autoIdPMetadata(ctx context.Context, t *Target, _ *StepState, _ bool) ([]check.Result, error) {
	now := s.e.now()
	cert, err := t.Directory.AddTokenSigningCertificate(ctx, s.state.App, CertificateSubject, now.AddDate(3, 0, 0))
	if err != nil {
		return nil, err
	}
	if err := t.Directory.ActivateSigningCertificate(ctx, s.state.App, cert.Thumbprint); err != nil {
		return nil, err
	}
	out := []check.Result{ok("certificate-active", InFingerprint, fmt.Sprintf("Made and activated signing certificate %s, valid until %s.", cert.Thumbprint, cert.End.Format(time.DateOnly)))}
	u := metadataURL(t.LoginBase, s.state.TenantID, s.state.App.AppID)
	xmlDoc, err := FetchMetadata(ctx, t.client(), u)
	if err != nil {
		return out, err
	}
	md, rs := check.IdPMetadata(xmlDoc, s.state.TenantID, now)
	out = append(out, rs...)
	if check.Failed(rs) {
		return out, nil
	}
	out = append(out, check.FingerprintMatches(cert.Thumbprint, md.Certificates))
	s.recordMetadata(u, xmlDoc, cert.Thumbprint, md)
	return out, nil
}

func (s *Session) recordMetadata(u string, xmlDoc []byte, fp string, md check.Metadata) {
	xmlDoc = bytes.TrimPrefix(xmlDoc, []byte("\xef\xbb\xbf")) // Entra's app metadata starts with a BOM
	s.state.Metadata = &MetadataRecord{URL: u, XML: string(xmlDoc), Fingerprint: fp, Issuer: md.EntityID, SSOURL: md.SSOURL, Certificates: md.Certificates}
	for _, c := range md.Certificates {
		s.setReminders("SAML signing certificate "+c.Thumbprint, c.NotAfter)
	}
}

func (s *Session) manualIdPMetadata(ctx context.Context, t *Target, st *StepState, _ bool) ([]check.Result, error) {
	now := s.e.now()
	mdURL, mdXML := st.Inputs[InMetadataURL], st.Inputs[InMetadataXML]
	fp, issuer := st.Inputs[InFingerprint], st.Inputs[InIssuer]
	var out []check.Result
	var doc []byte
	var err error
	switch {
	case mdURL != "":
		if doc, err = FetchMetadata(ctx, t.client(), mdURL); err != nil {
			return []check.Result{fail("metadata-unreachable", InMetadataURL, oneSentence(err), "Copy the App Federation Metadata Url again from the Single sign-on page.")}, nil
		}
		if !strings.Contains(mdURL, "appid=") {
			out = append(out, warn("tenant-metadata", InMetadataURL, "This is the tenant's metadata, not the app's: it may not list the certificate this app signs with.",
				"Use the App Federation Metadata Url, which ends in ?appid=…"))
		}
	case mdXML != "":
		doc = []byte(mdXML)
		if strings.HasPrefix(mdXML, "@") {
			if doc, err = os.ReadFile(strings.TrimPrefix(mdXML, "@")); err != nil {
				return []check.Result{fail("metadata-unreadable", InMetadataXML, fmt.Sprintf("The metadata file cannot be read (%v).", err), "Download Federation Metadata XML again and give its path.")}, nil
			}
		}
	case fp != "" || issuer != "":
		norm, r := check.Fingerprint(fp)
		out = append(out, r, check.Issuer(issuer, s.state.TenantID))
		if check.Failed(out) {
			return out, nil
		}
		fp = norm
		// The test login needs the sign-on URL and certificate: the app's public
		// metadata has them, and the fingerprint must name one of its certificates.
		mdURL = metadataURL(t.LoginBase, s.state.TenantID, s.state.App.AppID)
		if doc, err = FetchMetadata(ctx, t.client(), mdURL); err != nil {
			return out, err
		}
	default:
		return []check.Result{fail("metadata-missing", InMetadataURL, "No IdP metadata was given.",
			"Give the App Federation Metadata Url, the Federation Metadata XML, or the certificate thumbprint with the Microsoft Entra Identifier.")}, nil
	}
	md, rs := check.IdPMetadata(doc, s.state.TenantID, now)
	out = append(out, rs...)
	if check.Failed(out) {
		return out, nil
	}
	if fp != "" {
		out = append(out, check.FingerprintMatches(fp, md.Certificates))
	}
	if by := s.Ticket.SAML.MetadataBy; by != "" && by != metadataKind(mdURL, mdXML, fp) && !(by == "fingerprint" && fp != "") {
		out = append(out, warn("vendor-wants-other", InMetadataURL, fmt.Sprintf("%s takes the IdP side by %s.", s.Ticket.Vendor, by), "Give the vendor that form; the wizard's export has all three."))
	}
	if !check.Failed(out) {
		s.recordMetadata(mdURL, doc, fp, md)
	}
	return out, nil
}

func metadataKind(u, x, fp string) string {
	switch {
	case u != "" && fp == "":
		return "url"
	case x != "":
		return "xml"
	}
	return "fingerprint"
}
