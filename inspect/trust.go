package inspect

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/ssowizard/ssowizard/entra"
)

// Trust material: what the user hands the inspector to say which keys they trust.
// Parsers here take bytes (callers read files and fetch URLs) and return errors
// phrased for a person: "certificate: …", "metadata: …".

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// trimBOM drops a UTF-8 byte order mark and surrounding space. Entra's app-specific
// federation metadata has been seen starting with a BOM.
func trimBOM(b []byte) []byte {
	return bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(b), utf8BOM))
}

// ParseCertificates reads one or more X.509 certificates given as PEM (any number of
// CERTIFICATE blocks), DER, or the bare base64 body Entra's portal offers as
// "Certificate (Base64)" without its PEM armour.
func ParseCertificates(b []byte) ([]*x509.Certificate, error) {
	// DER first, untrimmed: its last byte may be one TrimSpace would take.
	if c, err := x509.ParseCertificate(b); err == nil {
		return []*x509.Certificate{c}, nil
	}
	b = trimBOM(b)
	if len(b) == 0 {
		return nil, errors.New("certificate: the input is empty")
	}
	if bytes.Contains(b, []byte("-----BEGIN")) {
		var certs []*x509.Certificate
		rest := b
		for {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			if block.Type != "CERTIFICATE" {
				continue
			}
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("certificate: a PEM CERTIFICATE block does not parse: %w", err)
			}
			certs = append(certs, c)
		}
		if len(certs) == 0 {
			return nil, errors.New("certificate: the PEM input holds no CERTIFICATE block (a private key or CSR is not a certificate)")
		}
		return certs, nil
	}
	if c, err := x509.ParseCertificate(b); err == nil {
		return []*x509.Certificate{c}, nil
	}
	der, err := base64.StdEncoding.DecodeString(stripSpace(string(b)))
	if err == nil {
		if c, err := x509.ParseCertificate(der); err == nil {
			return []*x509.Certificate{c}, nil
		}
	}
	return nil, errors.New("certificate: the input is neither PEM, DER nor a base64 certificate")
}

// stripSpace removes every ASCII space, tab and line break.
func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
}

// ParseFingerprint reads a SHA-256 certificate fingerprint as
// `openssl x509 -sha256 -fingerprint` prints it ("sha256 Fingerprint=AB:CD:…"),
// with or without the prefix and colons, in either case.
func ParseFingerprint(s string) ([32]byte, error) {
	var fp [32]byte
	t := strings.TrimSpace(s)
	if i := strings.LastIndex(t, "="); i >= 0 {
		t = t[i+1:]
	}
	t = strings.NewReplacer(":", "", " ", "", "-", "").Replace(t)
	raw, err := hex.DecodeString(t)
	if err != nil {
		return fp, fmt.Errorf("fingerprint: %q is not hexadecimal; give the SHA-256 fingerprint as openssl prints it", s)
	}
	switch len(raw) {
	case 32:
		copy(fp[:], raw)
		return fp, nil
	case 20:
		return fp, errors.New("fingerprint: this is a SHA-1 thumbprint (20 bytes), as the Entra portal shows; give the SHA-256 fingerprint (openssl x509 -sha256 -fingerprint -noout -in cert.pem)")
	default:
		return fp, fmt.Errorf("fingerprint: a SHA-256 fingerprint has 32 bytes, this one has %d", len(raw))
	}
}

// Fingerprints of a certificate, as lower-case hex without separators.
func certSHA256(c *x509.Certificate) string {
	s := sha256.Sum256(c.Raw)
	return hex.EncodeToString(s[:])
}

func certSHA1(c *x509.Certificate) string {
	s := sha1.Sum(c.Raw)
	return hex.EncodeToString(s[:])
}

// describeCert summarises a certificate for reports.
func describeCert(c *x509.Certificate, use string) CertInfo {
	return CertInfo{
		Use:       use,
		Subject:   c.Subject.String(),
		SHA256:    certSHA256(c),
		SHA1:      certSHA1(c),
		NotBefore: c.NotBefore.UTC().Format(time.RFC3339),
		NotAfter:  c.NotAfter.UTC().Format(time.RFC3339),
	}
}

// Metadata is the trust-relevant part of a SAML EntityDescriptor.
type Metadata struct {
	EntityID string
	// SigningCerts are every certificate usable for signing, from the IDPSSODescriptor and
	// from Entra's RoleDescriptor, without duplicates: during a rollover there are several.
	SigningCerts []*x509.Certificate
	// EncryptionCerts are certificates marked use="encryption" (an SP's metadata).
	EncryptionCerts []*x509.Certificate
	Info            MetadataInfo
}

type mdKeyDescriptor struct {
	Use   string   `xml:"use,attr"`
	Certs []string `xml:"KeyInfo>X509Data>X509Certificate"`
}

type mdEndpoint struct {
	Binding  string `xml:"Binding,attr"`
	Location string `xml:"Location,attr"`
	Index    string `xml:"index,attr"`
}

type mdRole struct {
	XMLName      xml.Name
	Keys         []mdKeyDescriptor `xml:"KeyDescriptor"`
	SSO          []mdEndpoint      `xml:"SingleSignOnService"`
	SLO          []mdEndpoint      `xml:"SingleLogoutService"`
	ACS          []mdEndpoint      `xml:"AssertionConsumerService"`
	NameIDFormat []string          `xml:"NameIDFormat"`
}

type mdEntity struct {
	XMLName    xml.Name
	EntityID   string     `xml:"entityID,attr"`
	ValidUntil string     `xml:"validUntil,attr"`
	Roles      []mdRole   `xml:",any"`
	Entities   []mdEntity `xml:"EntityDescriptor"`
}

// ParseMetadata reads SAML metadata: an EntityDescriptor, or an EntitiesDescriptor whose
// first EntityDescriptor is used. A UTF-8 BOM is tolerated; a DOCTYPE is refused.
func ParseMetadata(b []byte) (*Metadata, error) {
	b = trimBOM(b)
	if len(b) == 0 {
		return nil, errors.New("metadata: the document is empty")
	}
	if hasDoctype(b) {
		return nil, errors.New("metadata: the document carries a DOCTYPE, which SAML metadata never needs; refused to avoid entity expansion attacks")
	}
	var root mdEntity
	dec := xml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("metadata: the document is not well-formed XML: %w", err)
	}
	if root.XMLName.Local == "EntitiesDescriptor" {
		if len(root.Entities) == 0 {
			return nil, errors.New("metadata: the EntitiesDescriptor holds no EntityDescriptor")
		}
		root = root.Entities[0]
	}
	if root.XMLName.Local != "EntityDescriptor" {
		return nil, fmt.Errorf("metadata: the root element is %s, not EntityDescriptor", root.XMLName.Local)
	}
	md := &Metadata{EntityID: strings.TrimSpace(root.EntityID)}
	md.Info.EntityID = md.EntityID
	md.Info.ValidUntil = root.ValidUntil
	seen := map[string]bool{}
	var idp, sp bool
	for _, role := range root.Roles {
		switch role.XMLName.Local {
		case "IDPSSODescriptor":
			idp = true
		case "SPSSODescriptor":
			sp = true
		case "RoleDescriptor":
		default:
			continue
		}
		for _, e := range role.SSO {
			md.Info.SSOURLs = append(md.Info.SSOURLs, Endpoint(e))
		}
		for _, e := range role.SLO {
			md.Info.SLOURLs = append(md.Info.SLOURLs, Endpoint(e))
		}
		for _, e := range role.ACS {
			md.Info.ACSURLs = append(md.Info.ACSURLs, Endpoint(e))
		}
		md.Info.NameIDFormat = append(md.Info.NameIDFormat, role.NameIDFormat...)
		for _, kd := range role.Keys {
			for _, text := range kd.Certs {
				der, err := base64.StdEncoding.DecodeString(stripSpace(text))
				if err != nil {
					return nil, fmt.Errorf("metadata: an X509Certificate in %s is not base64: %w", role.XMLName.Local, err)
				}
				c, err := x509.ParseCertificate(der)
				if err != nil {
					return nil, fmt.Errorf("metadata: an X509Certificate in %s does not parse: %w", role.XMLName.Local, err)
				}
				// No use attribute means signing and encryption: the same certificate
				// listed with and without use="signing" is one signing certificate.
				class := "signing"
				if kd.Use == "encryption" {
					class = "encryption"
				}
				key := class + "/" + certSHA256(c)
				if seen[key] {
					continue
				}
				seen[key] = true
				if kd.Use == "encryption" {
					md.EncryptionCerts = append(md.EncryptionCerts, c)
				} else {
					md.SigningCerts = append(md.SigningCerts, c)
				}
				md.Info.Certificates = append(md.Info.Certificates, describeCert(c, kd.Use))
			}
		}
	}
	switch {
	case idp && sp:
		md.Info.Role = "both"
	case idp:
		md.Info.Role = "idp"
	case sp:
		md.Info.Role = "sp"
	default:
		return nil, errors.New("metadata: the EntityDescriptor has neither an IDPSSODescriptor nor an SPSSODescriptor")
	}
	if t := entraTenantFromIssuer(md.EntityID); t != "" {
		md.Info.TenantID = t
	}
	return md, nil
}

// entraTenantFromIssuer returns the tenant GUID of an Entra issuer
// (https://sts.windows.net/{tid}/ or https://login.microsoftonline.com/{tid}/v2.0), or "".
func entraTenantFromIssuer(iss string) string {
	for _, prefix := range []string{entra.STSBase, entra.LoginBase + "/"} {
		if rest, ok := strings.CutPrefix(iss, prefix); ok {
			tid, _, _ := strings.Cut(rest, "/")
			if entra.IsGUID(tid) {
				return strings.ToLower(tid)
			}
		}
	}
	return ""
}

// hasDoctype reports whether an XML document declares a DOCTYPE before its root element.
func hasDoctype(b []byte) bool {
	return bytes.Contains(b, []byte("<!DOCTYPE")) || bytes.Contains(b, []byte("<!doctype"))
}

// KeySet is a set of trusted JWT verification keys (a JWKS).
type KeySet struct {
	Keys []jose.JSONWebKey
	// Issuer is the issuer the discovery document declared, when the keys came with one.
	Issuer string
}

// Lookup returns the keys that may have signed a token with the given kid (all keys
// when kid is empty).
func (ks *KeySet) Lookup(kid string) []jose.JSONWebKey {
	if ks == nil {
		return nil
	}
	if kid == "" {
		return ks.Keys
	}
	var out []jose.JSONWebKey
	for _, k := range ks.Keys {
		if k.KeyID == kid {
			out = append(out, k)
		}
	}
	return out
}

// Discovery is the part of an OpenID Connect discovery document the inspector uses.
type Discovery struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

// ParseKeySet reads a JWKS ({"keys":[…]}). Given an OpenID Connect discovery document
// instead, it returns the document and a nil KeySet, so the caller can fetch jwks_uri.
func ParseKeySet(b []byte) (*KeySet, *Discovery, error) {
	b = trimBOM(b)
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, nil, errors.New("jwks: the input is not a JSON object")
	}
	if _, ok := probe["keys"]; ok {
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(b, &set); err != nil {
			return nil, nil, fmt.Errorf("jwks: a key does not parse: %w", err)
		}
		if len(set.Keys) == 0 {
			return nil, nil, errors.New("jwks: the key set is empty")
		}
		return &KeySet{Keys: set.Keys}, nil, nil
	}
	if _, ok := probe["jwks_uri"]; ok {
		var d Discovery
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, nil, fmt.Errorf("jwks: the discovery document does not parse: %w", err)
		}
		if d.JWKSURI == "" {
			return nil, nil, errors.New("jwks: the discovery document has an empty jwks_uri")
		}
		return nil, &d, nil
	}
	return nil, nil, errors.New("jwks: the JSON has neither \"keys\" (a JWKS) nor \"jwks_uri\" (a discovery document)")
}

// AddTrust adds trust material of any supported kind to the options, detected from its
// content: certificates (PEM, DER or base64), SAML metadata, or a JWKS. It returns the
// kind it found: "certificate", "metadata" or "jwks". Given an OpenID Connect discovery
// document it adds no key, records the document's issuer in Keys.Issuer (tokens are
// checked against it), and returns kind "discovery" with the document, so the caller
// can fetch jwks_uri and call AddTrust again with the keys.
func (o *Options) AddTrust(b []byte) (kind string, disc *Discovery, err error) {
	t := trimBOM(b)
	switch {
	case len(t) == 0:
		return "", nil, errors.New("trust: the input is empty")
	case t[0] == '{':
		ks, d, err := ParseKeySet(t)
		if err != nil {
			return "", nil, err
		}
		if d != nil {
			// Keep the issuer the discovery document declares: the keys fetched from
			// jwks_uri next carry none, and tokens are checked against it.
			if o.Keys == nil {
				o.Keys = &KeySet{}
			}
			o.Keys.Issuer = d.Issuer
			return "discovery", d, nil
		}
		if o.Keys == nil {
			o.Keys = &KeySet{}
		}
		o.Keys.Keys = append(o.Keys.Keys, ks.Keys...)
		return "jwks", nil, nil
	case t[0] == '<':
		md, err := ParseMetadata(t)
		if err != nil {
			return "", nil, err
		}
		if len(md.SigningCerts) == 0 {
			return "", nil, errors.New("metadata: the document lists no signing certificate")
		}
		o.Certs = append(o.Certs, md.SigningCerts...)
		o.CertSource = "metadata"
		if o.IdPEntityID == "" {
			o.IdPEntityID = md.EntityID
		}
		return "metadata", nil, nil
	default:
		certs, err := ParseCertificates(t)
		if err != nil {
			return "", nil, err
		}
		o.Certs = append(o.Certs, certs...)
		if o.CertSource == "" {
			o.CertSource = "certificate"
		}
		return "certificate", nil, nil
	}
}
