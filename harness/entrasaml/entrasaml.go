// Package entrasaml builds SAML 2.0 messages exactly as Microsoft Entra ID shapes them:
// login Responses (signed on the assertion, the response or both, optionally encrypted),
// error Responses carrying AADSTS text, the AuthnRequests and LogoutRequests an SP sends
// to Entra (with the HTTP-Redirect encoding and its query signature), and Entra's
// federation metadata.
//
// It serves two callers: the inspector's fixture generator, which needs byte-stable output
// (time comes from Now and randomness from Rand, both injected), and the harness IdP, which
// needs faithful output at the real time. Nothing here reads files or the clock on its own.
package entrasaml

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/ssowizard/ssowizard/entra"
)

// XML namespaces of the messages built here.
const (
	NSAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	NSProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	NSMetadata  = "urn:oasis:names:tc:SAML:2.0:metadata"
	NSDSig      = "http://www.w3.org/2000/09/xmldsig#"
	NSXMLEnc    = "http://www.w3.org/2001/04/xmlenc#"
)

// NameID formats Entra emits or accepts in a NameIDPolicy.
const (
	NameIDEmail       = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	NameIDPersistent  = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	NameIDTransient   = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
	NameIDUnspecified = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
)

// Status codes of a SAML Response.
const (
	StatusSuccess            = "urn:oasis:names:tc:SAML:2.0:status:Success"
	StatusRequester          = "urn:oasis:names:tc:SAML:2.0:status:Requester"
	StatusResponder          = "urn:oasis:names:tc:SAML:2.0:status:Responder"
	StatusRequestDenied      = "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"
	StatusRequestUnsupported = "urn:oasis:names:tc:SAML:2.0:status:RequestUnsupported"
	StatusAuthnFailed        = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"
	// Second-level codes Entra nests under Requester or Responder.
	StatusInvalidNameIDPolicy = "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy"
	StatusNoAuthnContext      = "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"
	StatusNoPassive           = "urn:oasis:names:tc:SAML:2.0:status:NoPassive"
)

// Bindings named in metadata and requests.
const (
	BindingRedirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
	BindingPOST     = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
)

// AuthnContextPassword is the class reference Entra puts in AuthnStatement after a
// password sign-in.
const AuthnContextPassword = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"

// Authentication method references Entra lists in authnmethodsreferences.
const (
	AuthnMethodPassword = "http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password"
	AuthnMethodMFA      = "http://schemas.microsoft.com/claims/multipleauthn"
)

// Algorithm is a signature algorithm Entra offers for SAML.
type Algorithm string

// Signature algorithms: RSA-SHA256 is Entra's default, RSA-SHA1 the legacy option.
const (
	RSASHA256 Algorithm = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	RSASHA1   Algorithm = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
)

// SignMode is what Entra signs in a Response ("SAML Signing Option" in the portal).
type SignMode string

// Signing options. SignAssertion is Entra's default.
const (
	SignAssertion SignMode = "assertion"
	SignResponse  SignMode = "response"
	SignBoth      SignMode = "both"
	SignNone      SignMode = "none"
)

// LoginEndpoint is the SAML SSO and SLO endpoint of a tenant.
func LoginEndpoint(tenantID string) string {
	return entra.LoginBase + "/" + tenantID + "/saml2"
}

// KeyPair is an RSA signing (or decryption) key with its certificate.
type KeyPair struct {
	Key  *rsa.PrivateKey
	Cert *x509.Certificate
}

// ParseKeyPair reads a PEM certificate and a PEM private key (PKCS#1 or PKCS#8, RSA).
func ParseKeyPair(certPEM, keyPEM []byte) (*KeyPair, error) {
	cb, _ := pem.Decode(certPEM)
	if cb == nil || cb.Type != "CERTIFICATE" {
		return nil, errors.New("parse key pair: no PEM CERTIFICATE block")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse key pair: %w", err)
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return nil, errors.New("parse key pair: no PEM private key block")
	}
	var key *rsa.PrivateKey
	switch kb.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(kb.Bytes)
	case "PRIVATE KEY":
		var k any
		k, err = x509.ParsePKCS8PrivateKey(kb.Bytes)
		if err == nil {
			var ok bool
			if key, ok = k.(*rsa.PrivateKey); !ok {
				return nil, fmt.Errorf("parse key pair: key is %T, want RSA", k)
			}
		}
	default:
		return nil, fmt.Errorf("parse key pair: unexpected PEM block %q", kb.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("parse key pair: %w", err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, errors.New("parse key pair: the key does not belong to the certificate")
	}
	return &KeyPair{Key: key, Cert: cert}, nil
}

// GenerateKeyPair makes a 2048-bit RSA key and a self-signed certificate for it, as
// Entra makes its SAML signing certificates (subject "CN=Microsoft Azure Federated SSO
// Certificate" by default, 3 years). rnd supplies the serial number; Go's RSA key
// generation draws from the system source regardless.
func GenerateKeyPair(rnd io.Reader, commonName string, notBefore, notAfter time.Time) (*KeyPair, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	if commonName == "" {
		commonName = "Microsoft Azure Federated SSO Certificate"
	}
	key, err := rsa.GenerateKey(rnd, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	serial, err := rand.Int(rnd, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("generate serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             notBefore.UTC(),
		NotAfter:              notAfter.UTC(),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rnd, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("create certificate: %w", err)
	}
	return &KeyPair{Key: key, Cert: cert}, nil
}

// CertPEM is the certificate in PEM form.
func (kp *KeyPair) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: kp.Cert.Raw})
}

// KeyPEM is the private key in PKCS#8 PEM form.
func (kp *KeyPair) KeyPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(kp.Key)
	if err != nil {
		return nil, fmt.Errorf("marshal key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// NewID returns an identifier shaped as Entra's: an underscore and a GUID, so it never
// starts with a digit as xs:ID requires.
func NewID(rnd io.Reader) (string, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	g, err := entra.NewGUID(rnd)
	if err != nil {
		return "", err
	}
	return "_" + g, nil
}

// instant formats a time as Entra does in SAML: UTC with milliseconds.
func instant(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
