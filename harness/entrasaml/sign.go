package entrasaml

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"io"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// hash is the digest a signature algorithm uses.
func (a Algorithm) hash() (crypto.Hash, error) {
	switch a {
	case RSASHA256, "":
		return crypto.SHA256, nil
	case RSASHA1:
		return crypto.SHA1, nil
	}
	return 0, fmt.Errorf("unsupported signature algorithm %q", string(a))
}

func (a Algorithm) orDefault() Algorithm {
	if a == "" {
		return RSASHA256
	}
	return a
}

// signElement signs el (which must carry an ID attribute) with an enveloped XML
// signature using exclusive c14n, and places the Signature right after el's Issuer,
// where the SAML schema requires it. Entra writes the Signature in the default
// namespace, so the signature carries no prefix.
//
// The digest is taken over a copy: goxmldsig canonicalizes the element it is given in
// place, which drops namespace declarations used only inside attribute values (the
// fed: of the metadata's xsi:type) from the document that is sent. Exclusive c14n reads
// no ancestor, so the copy's canonical form is the element's.
func signElement(el *etree.Element, kp *KeyPair, alg Algorithm) error {
	if kp == nil || kp.Key == nil || kp.Cert == nil {
		return fmt.Errorf("sign %s: no signing key", el.Tag)
	}
	ctx, err := dsig.NewSigningContext(kp.Key, [][]byte{kp.Cert.Raw})
	if err != nil {
		return fmt.Errorf("sign %s: %w", el.Tag, err)
	}
	ctx.Prefix = ""
	ctx.IdAttribute = "ID"
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(string(alg.orDefault())); err != nil {
		return fmt.Errorf("sign %s: %w", el.Tag, err)
	}
	sig, err := ctx.ConstructSignature(el.Copy(), true)
	if err != nil {
		return fmt.Errorf("sign %s: %w", el.Tag, err)
	}
	at := 0
	if iss := el.SelectElement("Issuer"); iss != nil {
		at = iss.Index() + 1
	}
	el.InsertChildAt(at, sig)
	return nil
}

// signQuery signs the octets of a redirect-binding query (SAML bindings §3.4.4.1).
// PKCS#1 v1.5 signatures are deterministic, so no randomness is needed.
func signQuery(kp *KeyPair, alg Algorithm, signed []byte) ([]byte, error) {
	h, err := alg.hash()
	if err != nil {
		return nil, err
	}
	d := h.New()
	d.Write(signed)
	return rsa.SignPKCS1v15(nil, kp.Key, h, d.Sum(nil))
}

func randOr(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}
