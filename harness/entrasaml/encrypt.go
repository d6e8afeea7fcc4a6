package entrasaml

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"

	"github.com/beevik/etree"
)

// Algorithm identifiers of Entra's token encryption.
const (
	EncAES256CBC = "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
	EncRSAOAEP   = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
	digestSHA1   = "http://www.w3.org/2000/09/xmldsig#sha1"
)

// encryptAssertion wraps assertion in an EncryptedAssertion: the serialized assertion
// under a fresh AES-256-CBC key, that key under RSA-OAEP (MGF1, SHA-1) to the SP's
// certificate. It is written here rather than with crewjam/saml/xmlenc because that
// package draws randomness from a package global, and fixtures need it injected.
func encryptAssertion(assertion *etree.Element, spCert *x509.Certificate, rnd io.Reader) (*etree.Element, error) {
	pub, ok := spCert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("encrypt assertion: the SP certificate has no RSA key")
	}
	doc := etree.NewDocument()
	doc.SetRoot(assertion.Copy())
	plain, err := doc.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("encrypt assertion: %w", err)
	}
	key := make([]byte, 32)
	iv := make([]byte, aes.BlockSize)
	if _, err := io.ReadFull(rnd, key); err != nil {
		return nil, fmt.Errorf("encrypt assertion: %w", err)
	}
	if _, err := io.ReadFull(rnd, iv); err != nil {
		return nil, fmt.Errorf("encrypt assertion: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("encrypt assertion: %w", err)
	}
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	for i := 0; i < pad; i++ {
		plain = append(plain, byte(pad))
	}
	ct := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, plain)
	wrapped, err := rsa.EncryptOAEP(sha1.New(), rnd, pub, key, nil)
	if err != nil {
		return nil, fmt.Errorf("encrypt assertion: %w", err)
	}

	ea := etree.NewElement("EncryptedAssertion")
	ea.CreateAttr("xmlns", NSAssertion)
	ed := ea.CreateElement("xenc:EncryptedData")
	ed.CreateAttr("Type", "http://www.w3.org/2001/04/xmlenc#Element")
	ed.CreateAttr("xmlns:xenc", NSXMLEnc)
	ed.CreateElement("xenc:EncryptionMethod").CreateAttr("Algorithm", EncAES256CBC)
	ki := ed.CreateElement("KeyInfo")
	ki.CreateAttr("xmlns", NSDSig)
	ek := ki.CreateElement("e:EncryptedKey")
	ek.CreateAttr("xmlns:e", NSXMLEnc)
	em := ek.CreateElement("e:EncryptionMethod")
	em.CreateAttr("Algorithm", EncRSAOAEP)
	em.CreateElement("DigestMethod").CreateAttr("Algorithm", digestSHA1)
	ek.CreateElement("KeyInfo").CreateElement("X509Data").CreateElement("X509Certificate").
		SetText(base64.StdEncoding.EncodeToString(spCert.Raw))
	ek.CreateElement("e:CipherData").CreateElement("e:CipherValue").
		SetText(base64.StdEncoding.EncodeToString(wrapped))
	ed.CreateElement("xenc:CipherData").CreateElement("xenc:CipherValue").
		SetText(base64.StdEncoding.EncodeToString(append(iv, ct...)))
	return ea, nil
}
