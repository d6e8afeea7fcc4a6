package inspect

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/beevik/etree"
)

// XML-DSig algorithm identifiers this inspector accepts. SAML signatures (and Entra's)
// use exactly: exclusive c14n without comments, the enveloped-signature transform,
// RSA PKCS#1 v1.5 with SHA-256 (or SHA-1 when the admin chose it).
const (
	algExcC14N      = "http://www.w3.org/2001/10/xml-exc-c14n#"
	algEnveloped    = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
	nsExcC14N       = "http://www.w3.org/2001/10/xml-exc-c14n#"
	algRSASHA1      = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	algRSASHA256    = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	algRSASHA384    = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
	algRSASHA512    = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
	algDigestSHA1   = "http://www.w3.org/2000/09/xmldsig#sha1"
	algDigestSHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
	algDigestSHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	algDigestSHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
)

type hashAlg struct {
	name string
	hash crypto.Hash
}

// signatureMethods maps XML-DSig and redirect-binding SigAlg identifiers to RSA PKCS#1
// v1.5 hashes; the names are what reports show.
var signatureMethods = map[string]hashAlg{
	algRSASHA1:   {"rsa-sha1", crypto.SHA1},
	algRSASHA256: {"rsa-sha256", crypto.SHA256},
	algRSASHA384: {"rsa-sha384", crypto.SHA384},
	algRSASHA512: {"rsa-sha512", crypto.SHA512},
}

var digestMethods = map[string]hashAlg{
	algDigestSHA1:   {"sha1", crypto.SHA1},
	algDigestSHA256: {"sha256", crypto.SHA256},
	algDigestSHA384: {"sha384", crypto.SHA384},
	algDigestSHA512: {"sha512", crypto.SHA512},
}

// trustSet is what the user trusts, prepared once per message.
type trustSet struct {
	certs        []*x509.Certificate
	source       string // certificate or metadata
	fingerprints [][32]byte
	// parsed caches KeyInfo certificates by their base64 text: a response signed twice
	// (response and assertion) carries the same certificate twice.
	parsed map[string]*x509.Certificate
}

func newTrustSet(opts *Options) *trustSet {
	src := opts.CertSource
	if src == "" {
		src = "certificate"
	}
	return &trustSet{certs: opts.Certs, source: src, fingerprints: opts.Fingerprints, parsed: map[string]*x509.Certificate{}}
}

// given reports whether the user supplied any trust material.
func (t *trustSet) given() bool { return len(t.certs) > 0 || len(t.fingerprints) > 0 }

// describe names the trust material for findings.
func (t *trustSet) describe() string {
	var parts []string
	if n := len(t.certs); n > 0 {
		parts = append(parts, fmt.Sprintf("%d trusted certificate(s) from the %s", n, t.source))
	}
	if n := len(t.fingerprints); n > 0 {
		parts = append(parts, fmt.Sprintf("%d trusted fingerprint(s)", n))
	}
	return strings.Join(parts, " and ")
}

// keyInfoCert parses the first X509Certificate of a KeyInfo. A trusted certificate with
// the same DER is returned as is, so the common case parses nothing.
func (t *trustSet) keyInfoCert(keyInfo *etree.Element) (*x509.Certificate, error) {
	el := path(keyInfo, nsDSig, "X509Data", nsDSig, "X509Certificate")
	if el == nil {
		return nil, nil
	}
	b64 := stripSpace(text(el))
	if c, ok := t.parsed[b64]; ok {
		return c, nil
	}
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("the KeyInfo certificate is not valid base64")
	}
	for _, c := range t.certs {
		if bytes.Equal(c.Raw, der) {
			t.parsed[b64] = c
			return c, nil
		}
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("the KeyInfo certificate does not parse: %v", err)
	}
	t.parsed[b64] = c
	return c, nil
}

func (t *trustSet) fingerprintTrusted(c *x509.Certificate) bool {
	if c == nil {
		return false
	}
	sum := sha256.Sum256(c.Raw)
	for _, fp := range t.fingerprints {
		if subtle.ConstantTimeCompare(fp[:], sum[:]) == 1 {
			return true
		}
	}
	return false
}

// keyCheck is the outcome of finding a key that verifies a signature value.
type keyCheck struct {
	cert *x509.Certificate
	// trustedBy is certificate, metadata or fingerprint; empty when only the message's
	// own certificate verified the value.
	trustedBy string
	// foreign is set when the user gave trust material and the value verified only
	// with the message's own, different certificate.
	foreign bool
	err     string
}

// findKey verifies sig over signed with the trusted certificates first, then a
// KeyInfo certificate matching a trusted fingerprint, then the KeyInfo certificate alone.
func (t *trustSet) findKey(signed, sig []byte, h crypto.Hash, embedded *x509.Certificate) keyCheck {
	digest := h.New()
	digest.Write(signed)
	sum := digest.Sum(nil)
	verify := func(c *x509.Certificate) bool {
		pub, ok := c.PublicKey.(*rsa.PublicKey)
		return ok && rsa.VerifyPKCS1v15(pub, h, sum, sig) == nil
	}
	// Try the certificate the message names first when it is trusted: during an Entra
	// rollover the metadata lists two and only the active one signed.
	for pass := 0; pass < 2; pass++ {
		for _, c := range t.certs {
			if (c == embedded) == (pass == 0) && verify(c) {
				return keyCheck{cert: c, trustedBy: t.source}
			}
		}
	}
	if embedded != nil && verify(embedded) {
		if t.fingerprintTrusted(embedded) {
			return keyCheck{cert: embedded, trustedBy: "fingerprint"}
		}
		return keyCheck{cert: embedded, foreign: t.given()}
	}
	switch {
	case embedded == nil && len(t.certs) == 0:
		return keyCheck{err: "the signature names no certificate (no KeyInfo) and no trusted certificate was given to check it with"}
	case embedded == nil:
		return keyCheck{err: fmt.Sprintf("the signature value does not verify with any of the %d trusted certificate(s): the signed part was altered, or another key signed it", len(t.certs))}
	case len(t.certs) == 0:
		return keyCheck{cert: embedded, err: "the signature value does not verify with the certificate in KeyInfo: the signed part was altered, or another key signed it"}
	default:
		return keyCheck{cert: embedded, err: "the signature value verifies neither with the trusted certificate(s) nor with the certificate in KeyInfo: the signed part was altered"}
	}
}

// sigCheck is the outcome of checking the enveloped signature of one element.
type sigCheck struct {
	what    string // response, assertion, request
	present bool
	// err says why the signature is invalid; empty when it verified.
	err string
	// verified is the signed element itself once its digest matched: the tree its
	// canonical bytes were written from. Everything read from a signed message is read
	// from it, never looked up again elsewhere in the document.
	verified  *etree.Element
	key       keyCheck
	embedded  *x509.Certificate
	alg       string
	digestAlg string
}

// valid reports whether the signature verified cryptographically (with any key).
func (s *sigCheck) valid() bool { return s != nil && s.verified != nil }

// trusted reports whether it verified with a key the user trusts.
func (s *sigCheck) trusted() bool { return s.valid() && s.key.trustedBy != "" }

// verifyEnveloped checks the Signature that is a direct child of el. Only the shape
// SAML uses is accepted: one Signature, one Reference whose URI is "#" + el's own ID,
// the enveloped-signature and exclusive c14n transforms and nothing else, no Object.
// Anything else is reported invalid rather than interpreted, because every signature
// wrapping attack lives in the room a more liberal reading leaves.
func verifyEnveloped(el *etree.Element, what string, trust *trustSet) *sigCheck {
	sc := &sigCheck{what: what}
	sigs := children(el, nsDSig, "Signature")
	if len(sigs) == 0 {
		return sc
	}
	sc.present = true
	if len(sigs) > 1 {
		sc.err = fmt.Sprintf("the %s carries %d Signature elements; a signed SAML element has exactly one", what, len(sigs))
		return sc
	}
	sig := sigs[0]
	id := attr(el, "ID")
	if id == "" {
		sc.err = fmt.Sprintf("the %s has no ID attribute for its signature to reference", what)
		return sc
	}
	var signedInfo, sigValue, keyInfo *etree.Element
	for _, t := range sig.Child {
		c, ok := t.(*etree.Element)
		if !ok {
			continue
		}
		if c.NamespaceURI() != nsDSig {
			sc.err = fmt.Sprintf("the Signature contains a foreign element <%s>", c.Tag)
			return sc
		}
		var slot **etree.Element
		switch c.Tag {
		case "SignedInfo":
			slot = &signedInfo
		case "SignatureValue":
			slot = &sigValue
		case "KeyInfo":
			slot = &keyInfo
		case "Object":
			sc.err = "the Signature contains an Object element, which SAML signatures never use and signature-wrapping attacks hide content in"
			return sc
		default:
			sc.err = fmt.Sprintf("the Signature contains an unexpected <%s> element", c.Tag)
			return sc
		}
		if *slot != nil {
			sc.err = fmt.Sprintf("the Signature contains two <%s> elements", c.Tag)
			return sc
		}
		*slot = c
	}
	if signedInfo == nil || sigValue == nil {
		sc.err = "the Signature lacks SignedInfo or SignatureValue"
		return sc
	}
	if keyInfo != nil {
		c, err := trust.keyInfoCert(keyInfo)
		if err != nil && len(trust.certs) == 0 {
			sc.err = err.Error()
			return sc
		}
		sc.embedded = c
	}

	if why := exactlyOnce(signedInfo, "CanonicalizationMethod", "SignatureMethod", "Reference"); why != "" {
		sc.err = "SignedInfo " + why
		return sc
	}
	if why := exactlyOnce(child(signedInfo, nsDSig, "Reference"), "Transforms", "DigestMethod", "DigestValue"); why != "" {
		sc.err = "the Reference " + why
		return sc
	}
	c14n := child(signedInfo, nsDSig, "CanonicalizationMethod")
	if alg := attr(c14n, "Algorithm"); alg != algExcC14N {
		sc.err = fmt.Sprintf("SignedInfo is canonicalized with %q; only exclusive c14n without comments (%s) is accepted, as SAML and Entra use", alg, algExcC14N)
		return sc
	}
	// SignedInfo is canonicalized before anything authenticates it: bound its shape
	// first, so the work an unknown sender can cause stays small.
	if n := countElements(signedInfo, maxSignedInfoElements+1); n > maxSignedInfoElements {
		sc.err = fmt.Sprintf("SignedInfo holds more than %d elements; a SAML signature's has about ten", maxSignedInfoElements)
		return sc
	}
	if why := checkPrefixList(c14n); why != "" {
		sc.err = "SignedInfo's " + why
		return sc
	}
	siBytes, err := excC14N(signedInfo, nil, inclusivePrefixes(c14n))
	if err != nil {
		sc.err = "SignedInfo cannot be canonicalized: " + err.Error()
		return sc
	}
	// SignedInfo is read from the tree its canonical bytes were written from: what the
	// key signs is exactly what is read.
	si := signedInfo
	method := attr(child(si, nsDSig, "SignatureMethod"), "Algorithm")
	sm, ok := signatureMethods[method]
	if !ok {
		sc.err = fmt.Sprintf("the signature method %q is not supported (Entra signs with rsa-sha256 or rsa-sha1)", method)
		return sc
	}
	sc.alg = sm.name
	value, err := base64.StdEncoding.DecodeString(stripSpace(text(sigValue)))
	if err != nil {
		sc.err = "the SignatureValue is not valid base64"
		return sc
	}
	sc.key = trust.findKey(siBytes, value, sm.hash, sc.embedded)
	if sc.key.err != "" {
		sc.err = sc.key.err
		return sc
	}

	refs := children(si, nsDSig, "Reference")
	if len(refs) != 1 {
		sc.err = fmt.Sprintf("SignedInfo has %d References; a SAML signature has exactly one, to the element it is in", len(refs))
		return sc
	}
	ref := refs[0]
	if uri := attr(ref, "URI"); uri != "#"+id {
		sc.err = fmt.Sprintf("the signature references %q, not the %s that carries it (ID %q): a signature moved from another element", uri, what, id)
		return sc
	}
	transforms := children(child(ref, nsDSig, "Transforms"), nsDSig, "Transform")
	if len(transforms) != 2 || attr(transforms[0], "Algorithm") != algEnveloped || attr(transforms[1], "Algorithm") != algExcC14N {
		var algs []string
		for _, t := range transforms {
			algs = append(algs, attr(t, "Algorithm"))
		}
		sc.err = fmt.Sprintf("the Reference transforms are %q; only enveloped-signature followed by exclusive c14n without comments is accepted", algs)
		return sc
	}
	dm, ok := digestMethods[attr(child(ref, nsDSig, "DigestMethod"), "Algorithm")]
	if !ok {
		sc.err = fmt.Sprintf("the digest method %q is not supported", attr(child(ref, nsDSig, "DigestMethod"), "Algorithm"))
		return sc
	}
	sc.digestAlg = dm.name
	want, err := base64.StdEncoding.DecodeString(stripSpace(text(child(ref, nsDSig, "DigestValue"))))
	if err != nil || len(want) == 0 {
		sc.err = "the DigestValue is missing or not valid base64"
		return sc
	}

	if why := checkPrefixList(transforms[1]); why != "" {
		sc.err = "the Reference's " + why
		return sc
	}
	h := dm.hash.New()
	if err := writeExcC14N(h, el, sig, inclusivePrefixes(transforms[1])); err != nil {
		sc.err = fmt.Sprintf("the %s cannot be canonicalized: %v", what, err)
		return sc
	}
	if subtle.ConstantTimeCompare(h.Sum(nil), want) != 1 {
		sc.err = fmt.Sprintf("the digest of the %s does not match the signed DigestValue: its content was changed after signing", what)
		return sc
	}
	sc.verified = el
	return sc
}

// exactlyOnce checks that el's child elements are the named XML-DSig elements, each
// once: a duplicate would let two verifiers read different values from one signature.
func exactlyOnce(el *etree.Element, tags ...string) string {
	seen := make([]int, len(tags))
	for _, t := range el.Child {
		c, ok := t.(*etree.Element)
		if !ok {
			continue
		}
		i := slices.Index(tags, c.Tag)
		if i < 0 || c.NamespaceURI() != nsDSig {
			return fmt.Sprintf("contains an unexpected <%s> element", c.Tag)
		}
		seen[i]++
	}
	for i, t := range tags {
		if seen[i] != 1 {
			return fmt.Sprintf("has %d <%s> elements, not one", seen[i], t)
		}
	}
	return ""
}

// Bounds on what is canonicalized before a signature is authenticated. Entra's
// SignedInfo has 8 elements and no InclusiveNamespaces; other IdPs list a prefix or two
// (xs, xsi). Canonicalization is linear in the tree, so these bound the constant.
const (
	maxSignedInfoElements = 32
	maxInclusivePrefixes  = 16
)

// countElements counts el and its descendants, stopping once the count passes limit.
func countElements(el *etree.Element, limit int) int {
	n := 1
	for _, t := range el.Child {
		if n > limit {
			break
		}
		if c, ok := t.(*etree.Element); ok {
			n += countElements(c, limit-n)
		}
	}
	return n
}

// checkPrefixList says what is wrong with a c14n method's InclusiveNamespaces, or "".
func checkPrefixList(method *etree.Element) string {
	ins := children(method, nsExcC14N, "InclusiveNamespaces")
	if len(ins) > 1 {
		return "c14n method lists InclusiveNamespaces twice"
	}
	if n := len(strings.Fields(inclusivePrefixes(method))); n > maxInclusivePrefixes {
		return fmt.Sprintf("InclusiveNamespaces PrefixList names %d prefixes, more than the %d allowed (signers list one or two)", n, maxInclusivePrefixes)
	}
	return ""
}

func inclusivePrefixes(method *etree.Element) string {
	return attr(child(method, nsExcC14N, "InclusiveNamespaces"), "PrefixList")
}

// nsDecl reports whether a is a namespace declaration, and the prefix it declares.
func nsDecl(a etree.Attr) (string, bool) {
	switch {
	case a.Space == "xmlns":
		return a.Key, true
	case a.Space == "" && a.Key == "xmlns":
		return "", true
	}
	return "", false
}
