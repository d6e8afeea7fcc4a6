package inspect

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// ParsePrivateKey reads a PEM private key (PKCS #1 "RSA PRIVATE KEY", PKCS #8
// "PRIVATE KEY" or SEC 1 "EC PRIVATE KEY"), such as the SP key that decrypts
// encrypted assertions. Other PEM blocks in the input (a certificate beside the key)
// are skipped.
func ParsePrivateKey(b []byte) (crypto.PrivateKey, error) {
	rest := trimBOM(b)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("private key: the input holds no PEM private key block")
		}
		switch block.Type {
		case "RSA PRIVATE KEY":
			k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("private key: the RSA PRIVATE KEY block does not parse: %w", err)
			}
			return k, nil
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("private key: the PRIVATE KEY block does not parse: %w", err)
			}
			switch k.(type) {
			case *rsa.PrivateKey, *ecdsa.PrivateKey:
				return k, nil
			}
			return nil, fmt.Errorf("private key: a %T key cannot decrypt SAML assertions", k)
		case "EC PRIVATE KEY":
			k, err := x509.ParseECPrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("private key: the EC PRIVATE KEY block does not parse: %w", err)
			}
			return k, nil
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("private key: the key is encrypted with a passphrase; decrypt it first (openssl pkey -in key.pem -out plain.pem)")
		}
	}
}
