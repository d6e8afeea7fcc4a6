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

func (s *Session) autoSAMLURLs(ctx context.Context, t *Target) ([]check.Result, error) {
	app := s.state.App
	entity, acs := s.Ticket.entityID(), s.Ticket.acsURL()
	relay := ""
	if s.Ticket.SAML != nil {
		relay = s.Ticket.SAML.RelayState
	}
	others, err := t.Directory.ApplicationsByIdentifierURI(ctx, entity)
	if err != nil {
		return nil, err
	}
	out := []check.Result{check.EntityIDUnique(entity, app.AppID, others)}
	if check.Failed(out) {
		return out, nil
	}
	if err := t.Directory.SetSAMLURLs(ctx, app, entity, acs, relay); err != nil {
		return out, err
	}
	cur, err := t.Directory.Application(ctx, app)
	if err != nil {
		return out, err
	}
	if want := withURIs(cur.RedirectURIs, acs, LoopbackACS); len(want) != len(cur.RedirectURIs) {
		if err := t.Directory.SetRedirectURIs(ctx, app, want); err != nil {
			return out, err
		}
		if cur, err = t.Directory.Application(ctx, app); err != nil {
			return out, err
		}
	}
	s.state.EntityID, s.state.ReplyURL, s.state.RelayState = entity, acs, relay
	s.state.RedirectURIs = cur.RedirectURIs
	s.state.Loopback = []string{LoopbackACS}
	r := check.RedirectURI(acs, cur.RedirectURIs)
	r.Field = InReplyURL
	out = append(out, r)
	if !containsFold(cur.IdentifierURIs, entity) {
		out = append(out, fail("identifier-missing", InEntityID, "The app's Identifier did not take the vendor's Entity ID.", "Set it by hand in Basic SAML Configuration."))
	}
	if !check.Failed(out) {
		out = append(out, ok("saml-urls-set", InEntityID, fmt.Sprintf("Set Identifier %s and Reply URL %s, with the test login's %s beside it.", entity, acs, LoopbackACS)))
	}
	return out, nil
}

func containsFold(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// probeSAMLURL turns the SAML probe's answer into a check.
func (s *Session) probeSAMLURL(ctx context.Context, t *Target, entity, acs, whose string) (check.Result, error) {
	code, err := ProbeSAML(ctx, t.client(), t.LoginBase, s.state.TenantID, entity, acs, s.e.now())
	if err != nil {
		return check.Result{}, err
	}
	switch code {
	case 0:
		return ok("saml-accepted", InReplyURL, fmt.Sprintf("Entra accepts a request from %s answered at %s.", entity, acs)), nil
	case 700016:
		return fail("identifier-not-registered", InEntityID, fmt.Sprintf("No app in the tenant has the Identifier %s (AADSTS700016).", entity),
			"Add it exactly under Basic SAML Configuration > Identifier (Entity ID), and Save."), nil
	case 50011:
		return fail("reply-url-not-registered", InReplyURL, fmt.Sprintf("Entra does not have %s (%s) among the app's Reply URLs (AADSTS50011).", acs, whose),
			"Add it exactly under Basic SAML Configuration > Reply URL, and Save."), nil
	}
	return check.Probe(code, ""), nil
}

func (s *Session) manualSAMLURLs(ctx context.Context, t *Target, st *StepState) ([]check.Result, error) {
	entity, acs := s.Ticket.entityID(), s.Ticket.acsURL()
	var out []check.Result
	if e := st.Inputs[InEntityID]; e == "" {
		out = append(out, fail("missing", InEntityID, "The Identifier as saved is missing.", "Paste it from Basic SAML Configuration."))
	} else if e != entity {
		out = append(out, check.Result{ID: "entity-id-differs", Field: InEntityID, Severity: check.Error,
			Message: "The Identifier saved in Entra differs from the vendor's Entity ID.",
			Fix:     "Replace it with the vendor's value exactly: " + entity, Detail: check.Diff(entity, e)})
	}
	if r := st.Inputs[InReplyURL]; r == "" {
		out = append(out, fail("missing", InReplyURL, "The Reply URL as saved is missing.", "Paste it from Basic SAML Configuration."))
	} else {
		res := check.RedirectURI(r, []string{acs})
		res.Field = InReplyURL
		out = append(out, res)
	}
	if check.Failed(out) {
		return out, nil
	}
	for _, a := range []struct{ acs, whose string }{{acs, "the vendor's"}, {LoopbackACS, "the test login's"}} {
		r, err := s.probeSAMLURL(ctx, t, entity, a.acs, a.whose)
		if err != nil {
			return out, err
		}
		out = append(out, r)
		if r.ID == "identifier-not-registered" {
			break
		}
	}
	if !check.Failed(out) {
		s.state.EntityID, s.state.ReplyURL = entity, acs
		if s.Ticket.SAML != nil {
			s.state.RelayState = s.Ticket.SAML.RelayState
		}
		s.state.Loopback = []string{LoopbackACS}
		s.state.RedirectURIs = []string{acs, LoopbackACS}
	}
	return out, nil
}

// CertificateSubject is the subject of the signing certificate automatic mode makes,
// the one the portal gives its own.
const CertificateSubject = "CN=Microsoft Azure Federated SSO Certificate"

func (s *Session) autoIdPMetadata(ctx context.Context, t *Target) ([]check.Result, error) {
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

func (s *Session) manualIdPMetadata(ctx context.Context, t *Target, st *StepState) ([]check.Result, error) {
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

// oneSentence makes an error a sentence.
func oneSentence(err error) string {
	m := err.Error()
	if m == "" {
		return m
	}
	m = strings.ToUpper(m[:1]) + m[1:]
	if !strings.HasSuffix(m, ".") {
		m += "."
	}
	return m
}
