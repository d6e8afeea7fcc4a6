package inspect

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// XML-Enc algorithms met in SAML: Entra encrypts the content with AES-256 and the key
// with RSA-OAEP; the others are accepted for SPs testing other IdPs.
const (
	encAES128CBC  = "http://www.w3.org/2001/04/xmlenc#aes128-cbc"
	encAES192CBC  = "http://www.w3.org/2001/04/xmlenc#aes192-cbc"
	encAES256CBC  = "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
	encAES128GCM  = "http://www.w3.org/2009/xmlenc11#aes128-gcm"
	encAES192GCM  = "http://www.w3.org/2009/xmlenc11#aes192-gcm"
	encAES256GCM  = "http://www.w3.org/2009/xmlenc11#aes256-gcm"
	encRSA15      = "http://www.w3.org/2001/04/xmlenc#rsa-1_5"
	encRSAOAEP    = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
	encRSAOAEP11  = "http://www.w3.org/2009/xmlenc11#rsa-oaep"
	nsXMLEnc11    = "http://www.w3.org/2009/xmlenc11#"
	mgfPrefix11   = "http://www.w3.org/2009/xmlenc11#mgf1"
	fixEncryption = "Entra admin center > Enterprise applications > your app > Token encryption"
)

var encDigests = map[string]crypto.Hash{
	algDigestSHA1:   crypto.SHA1,
	algDigestSHA256: crypto.SHA256,
	algDigestSHA384: crypto.SHA384,
	algDigestSHA512: crypto.SHA512,
	// Not a standard identifier, but crewjam/saml (and SPs built on it) write it.
	"http://www.w3.org/2000/09/xmldsig#sha256": crypto.SHA256,
}

var mgfHashes = map[string]crypto.Hash{
	mgfPrefix11 + "sha1":   crypto.SHA1,
	mgfPrefix11 + "sha224": crypto.SHA224,
	mgfPrefix11 + "sha256": crypto.SHA256,
	mgfPrefix11 + "sha384": crypto.SHA384,
	mgfPrefix11 + "sha512": crypto.SHA512,
}

// decryptAssertion decrypts an EncryptedAssertion with opts.SPKey and checks the inner
// assertion's own signature. ok is false when there is nothing to read (no key, or
// decryption failed); the reason is already a finding.
func decryptAssertion(r *Report, enc *etree.Element, opts *Options, trust *trustSet) (*etree.Element, *sigCheck, bool) {
	if opts.SPKey == nil {
		r.add(CodeEncryptedNoKey, SeverityWarning,
			"The assertion is encrypted and no SP private key was given, so its subject, claims and signature cannot be checked.",
			"Pass the SP's private key (--sp-key): the one whose certificate was uploaded in "+fixEncryption+".")
		return nil, nil, false
	}
	fail := func(why string) (*etree.Element, *sigCheck, bool) {
		r.add(CodeDecryptFailed, SeverityError, "The encrypted assertion could not be decrypted: "+why+".",
			"Check that the key given is the private key of the certificate uploaded in "+fixEncryption+" (the SP's encryption certificate), not the signing key.")
		return nil, nil, false
	}
	rsaKey, ok := opts.SPKey.(*rsa.PrivateKey)
	if !ok {
		return fail(fmt.Sprintf("the SP key is a %T; XML encryption in SAML uses RSA keys", opts.SPKey))
	}
	plain, err := decryptXMLEnc(enc, rsaKey)
	if err != nil {
		return fail(err.Error())
	}
	if len(plain) > opts.maxBytes() {
		return fail(fmt.Sprintf("the plaintext is %d bytes, over the %d-byte limit", len(plain), opts.maxBytes()))
	}
	d, err := parseXML(trimBOM(plain))
	if err != nil {
		var se *xmlSafetyError
		if errors.As(err, &se) && se.code != CodeInputMalformed {
			r.add(se.code, SeverityError, "Inside the encrypted assertion: "+se.msg, safetyFix(se.code))
			return nil, nil, false
		}
		return fail("the plaintext is not well-formed XML: " + err.Error())
	}
	root := d.Root()
	if !is(root, nsAssertion, "Assertion") && root.Tag == "Assertion" && root.NamespaceURI() == "" {
		// The assertion uses a prefix declared on the Response around it (saml:Assertion
		// with xmlns:saml on the Response). Only then are the outer declarations added:
		// added needlessly, one named in an InclusiveNamespaces list would change the
		// canonical form the IdP signed.
		for p := enc; p != nil; p = p.Parent() {
			for _, a := range p.Attr {
				if prefix, isDecl := nsDecl(a); isDecl && !declares(root, prefix) {
					root.CreateAttr(a.FullKey(), a.Value)
				}
			}
		}
	}
	if !is(root, nsAssertion, "Assertion") {
		return fail(fmt.Sprintf("the plaintext is a <%s>, not an Assertion", root.Tag))
	}
	if why := wrappingEvidence(root); len(why) > 0 {
		r.add(CodeSignatureWrapped, SeverityError,
			"The decrypted assertion has the shape of a signature wrapping attack: "+strings.Join(why, "; ")+". No claims are reported from it.",
			"Treat the message as forged.")
		return nil, nil, false
	}
	return root, verifyEnveloped(root, "assertion", trust), true
}

func declares(el *etree.Element, prefix string) bool {
	for _, a := range el.Attr {
		if p, ok := nsDecl(a); ok && p == prefix {
			return true
		}
	}
	return false
}

// decryptXMLEnc decrypts an EncryptedAssertion's EncryptedData. The content key comes
// from an EncryptedKey inside EncryptedData's KeyInfo (Entra's layout) or beside the
// EncryptedData (some other IdPs).
func decryptXMLEnc(enc *etree.Element, key *rsa.PrivateKey) ([]byte, error) {
	ed := child(enc, nsXMLEnc, "EncryptedData")
	if ed == nil {
		return nil, errors.New("there is no EncryptedData element")
	}
	ek := path(ed, nsDSig, "KeyInfo", nsXMLEnc, "EncryptedKey")
	if ek == nil {
		ek = child(enc, nsXMLEnc, "EncryptedKey")
	}
	if ek == nil {
		return nil, errors.New("there is no EncryptedKey holding the content key")
	}
	cek, err := decryptKey(ek, key)
	if err != nil {
		return nil, err
	}
	ct, err := cipherValue(ed)
	if err != nil {
		return nil, err
	}
	alg := attr(child(ed, nsXMLEnc, "EncryptionMethod"), "Algorithm")
	var keySize int
	gcm := false
	switch alg {
	case encAES128CBC:
		keySize = 16
	case encAES192CBC:
		keySize = 24
	case encAES256CBC:
		keySize = 32
	case encAES128GCM:
		keySize, gcm = 16, true
	case encAES192GCM:
		keySize, gcm = 24, true
	case encAES256GCM:
		keySize, gcm = 32, true
	default:
		return nil, fmt.Errorf("the content encryption %q is not supported", alg)
	}
	if len(cek) != keySize {
		return nil, fmt.Errorf("the decrypted content key is %d bytes, but %s needs %d: the key given is probably not the one the IdP encrypted for", len(cek), alg, keySize)
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	if gcm {
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		if len(ct) < aead.NonceSize()+aead.Overhead() {
			return nil, errors.New("the ciphertext is too short for AES-GCM")
		}
		plain, err := aead.Open(nil, ct[:aead.NonceSize()], ct[aead.NonceSize():], nil)
		if err != nil {
			return nil, errors.New("AES-GCM authentication failed: wrong key or altered ciphertext")
		}
		return plain, nil
	}
	bs := block.BlockSize()
	if len(ct) < 2*bs || len(ct)%bs != 0 {
		return nil, errors.New("the ciphertext length is not a whole number of AES blocks")
	}
	plain := make([]byte, len(ct)-bs)
	cipher.NewCBCDecrypter(block, ct[:bs]).CryptBlocks(plain, ct[bs:])
	// XML-Enc padding: the last byte gives the pad length; the other pad bytes are arbitrary.
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > bs {
		return nil, errors.New("the AES-CBC padding is invalid: wrong key or altered ciphertext")
	}
	return plain[:len(plain)-pad], nil
}

// decryptKey unwraps the content key of an EncryptedKey with the SP's RSA key.
func decryptKey(ek *etree.Element, key *rsa.PrivateKey) ([]byte, error) {
	method := child(ek, nsXMLEnc, "EncryptionMethod")
	ct, err := cipherValue(ek)
	if err != nil {
		return nil, err
	}
	alg := attr(method, "Algorithm")
	switch alg {
	case encRSA15:
		k, err := rsa.DecryptPKCS1v15(nil, key, ct)
		if err != nil {
			return nil, errors.New("RSA-1_5 key transport failed: the key given is not the one the IdP encrypted for")
		}
		return k, nil
	case encRSAOAEP, encRSAOAEP11:
		h := crypto.SHA1
		if dm := child(method, nsDSig, "DigestMethod"); dm != nil {
			var ok bool
			if h, ok = encDigests[attr(dm, "Algorithm")]; !ok {
				return nil, fmt.Errorf("the key transport digest %q is not supported", attr(dm, "Algorithm"))
			}
		}
		mgf := crypto.SHA1
		if m := child(method, nsXMLEnc11, "MGF"); m != nil && alg == encRSAOAEP11 {
			var ok bool
			if mgf, ok = mgfHashes[attr(m, "Algorithm")]; !ok {
				return nil, fmt.Errorf("the mask generation function %q is not supported", attr(m, "Algorithm"))
			}
		}
		k, err := key.Decrypt(nil, ct, &rsa.OAEPOptions{Hash: h, MGFHash: mgf})
		if err != nil && alg == encRSAOAEP && mgf != h {
			// Some implementations (crewjam/saml among them) use the digest for MGF1 too.
			k, err = key.Decrypt(nil, ct, &rsa.OAEPOptions{Hash: h, MGFHash: h})
		}
		if err != nil {
			return nil, errors.New("RSA-OAEP key transport failed: the key given is not the one the IdP encrypted for")
		}
		return k, nil
	}
	return nil, fmt.Errorf("the key transport %q is not supported", alg)
}

func cipherValue(el *etree.Element) ([]byte, error) {
	cv := path(el, nsXMLEnc, "CipherData", nsXMLEnc, "CipherValue")
	if cv == nil {
		return nil, fmt.Errorf("<%s> has no CipherData/CipherValue", el.Tag)
	}
	b, err := base64.StdEncoding.DecodeString(stripSpace(text(cv)))
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("the CipherValue of <%s> is not valid base64", el.Tag)
	}
	return b, nil
}
