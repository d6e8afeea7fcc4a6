package harness

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/ssowizard/ssowizard/harness/idp"
)

// Files the harness keeps in its state directory. Keys are private to the owner.
const (
	caCertFile      = "ca.pem"
	caKeyFile       = "ca-key.pem"
	tlsCertFile     = "tls.pem"
	tlsKeyFile      = "tls-key.pem"
	signingCertFile = "token-signing.pem"
	signingKeyFile  = "token-signing-key.pem"
)

// Lifetimes of what the harness generates. A certificate is renewed once less than
// renewBefore of it is left, so a long-running harness never serves an expired one.
const (
	caLifetime      = 10 * 365 * 24 * time.Hour
	tlsLifetime     = 365 * 24 * time.Hour
	signingLifetime = 3 * 365 * 24 * time.Hour // Entra's token signing certificates
	renewBefore     = 24 * time.Hour
)

// state is the harness's long-lived key material.
type state struct {
	caCert     *x509.Certificate
	caCertPath string
	tlsCert    tls.Certificate
	signing    idp.SigningKey
}

// loadState reads the CA, the TLS certificate and the token signing key from dir,
// generating whatever is missing, unreadable as ours, or near its end.
func loadState(dir string, now time.Time, rnd io.Reader) (*state, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	st := &state{caCertPath: filepath.Join(dir, caCertFile)}

	caCert, caKey, err := loadPair(dir, caCertFile, caKeyFile, now)
	if err != nil || !caCert.IsCA {
		caKey, err = ecdsa.GenerateKey(elliptic.P256(), rnd)
		if err != nil {
			return nil, fmt.Errorf("generate CA key: %w", err)
		}
		tmpl := &x509.Certificate{
			Subject:               pkix.Name{CommonName: "ssowizard harness local CA", Organization: []string{"ssowizard"}},
			NotBefore:             now.Add(-time.Hour),
			NotAfter:              now.Add(caLifetime),
			KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
			BasicConstraintsValid: true,
			IsCA:                  true,
			MaxPathLenZero:        true,
		}
		if caCert, err = writePair(dir, caCertFile, caKeyFile, tmpl, nil, caKey, nil, rnd); err != nil {
			return nil, err
		}
	}
	st.caCert = caCert

	leaf, leafKey, err := loadPair(dir, tlsCertFile, tlsKeyFile, now)
	if err != nil || leaf.CheckSignatureFrom(caCert) != nil || !coversLoopback(leaf) {
		leafKey, err = ecdsa.GenerateKey(elliptic.P256(), rnd)
		if err != nil {
			return nil, fmt.Errorf("generate TLS key: %w", err)
		}
		tmpl := &x509.Certificate{
			Subject:     pkix.Name{CommonName: "127.0.0.1", Organization: []string{"ssowizard"}},
			NotBefore:   now.Add(-time.Hour),
			NotAfter:    now.Add(tlsLifetime),
			KeyUsage:    x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			DNSNames:    []string{"localhost"},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		}
		if leaf, err = writePair(dir, tlsCertFile, tlsKeyFile, tmpl, caCert, leafKey, caKey, rnd); err != nil {
			return nil, err
		}
	}
	st.tlsCert = tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: leafKey, Leaf: leaf}

	sigCert, sigKey, err := loadPair(dir, signingCertFile, signingKeyFile, now)
	rsaKey, isRSA := sigKey.(*rsa.PrivateKey)
	if err != nil || !isRSA || rsaKey.N.BitLen() < 2048 {
		rsaKey, err = rsa.GenerateKey(rnd, 2048)
		if err != nil {
			return nil, fmt.Errorf("generate token signing key: %w", err)
		}
		// Entra's OIDC signing certificates are self-signed with this subject.
		tmpl := &x509.Certificate{
			Subject:   pkix.Name{CommonName: "accounts.accesscontrol.windows.net"},
			NotBefore: now.Add(-time.Hour),
			NotAfter:  now.Add(signingLifetime),
			KeyUsage:  x509.KeyUsageDigitalSignature,
		}
		if sigCert, err = writePair(dir, signingCertFile, signingKeyFile, tmpl, nil, rsaKey, nil, rnd); err != nil {
			return nil, err
		}
	}
	st.signing = idp.SigningKey{ID: thumbprint(sigCert), Key: rsaKey, Cert: sigCert}
	return st, nil
}

// thumbprint is the certificate's x5t, which Entra also uses as the key's kid.
func thumbprint(c *x509.Certificate) string {
	sum := sha1.Sum(c.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func coversLoopback(c *x509.Certificate) bool {
	for _, h := range []string{"127.0.0.1", "::1", "localhost"} {
		if c.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

// loadPair reads a certificate and its key; an error means they must be made anew:
// missing, unparsable, not matching, or within renewBefore of their end.
func loadPair(dir, certFile, keyFile string, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, certFile))
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, keyFile))
	if err != nil {
		return nil, nil, err
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, nil, errors.New("not PEM")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	key, ok := k.(crypto.Signer)
	if !ok {
		return nil, nil, errors.New("key cannot sign")
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, nil, errors.New("key does not match certificate")
	}
	if now.Before(cert.NotBefore) || now.Add(renewBefore).After(cert.NotAfter) {
		return nil, nil, errors.New("certificate expired or about to")
	}
	return cert, key, nil
}

// writePair creates the certificate (self-signed when parent is nil) and writes it and
// its key, the key first and with mode 0600, each atomically.
func writePair(dir, certFile, keyFile string, tmpl, parent *x509.Certificate, key crypto.Signer, parentKey crypto.Signer, rnd io.Reader) (*x509.Certificate, error) {
	serial, err := randSerial(rnd)
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rnd, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return nil, fmt.Errorf("create certificate %s: %w", certFile, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode key %s: %w", keyFile, err)
	}
	if err := writeFileAtomic(filepath.Join(dir, keyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(filepath.Join(dir, certFile), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func randSerial(rnd io.Reader) (*big.Int, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(rnd, b); err != nil {
		return nil, fmt.Errorf("certificate serial: %w", err)
	}
	b[0] &= 0x7f
	return new(big.Int).SetBytes(b), nil
}

func writeFileAtomic(path string, data []byte, mode fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
