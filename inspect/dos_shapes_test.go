package inspect

import (
	"fmt"
	"strings"
)

// The worst shapes an unauthenticated sender can give the parser and the verifier,
// each a function of a size n so that tests can compare the work at n and 2n.

// shapeC14NPrefixes is issue 14's canonicalization hang: a Signature declaring k
// prefixes, an InclusiveNamespaces PrefixList naming them all, and e empty elements in
// SignedInfo, which is canonicalized before its signature value is checked.
func shapeC14NPrefixes(k, e int) []byte {
	var decls, list strings.Builder
	for i := range k {
		fmt.Fprintf(&decls, ` xmlns:p%d="urn:%d"`, i, i)
		fmt.Fprintf(&list, "p%d ", i)
	}
	return []byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r" Version="2.0">` +
		`<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"` + decls.String() + `><ds:SignedInfo>` +
		`<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#">` +
		`<ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="` + list.String() + `"/></ds:CanonicalizationMethod>` +
		`<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256">` + strings.Repeat("<x/>", e) + `</ds:SignatureMethod>` +
		`<ds:Reference URI="#_r"><ds:Transforms/><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>AA==</ds:DigestValue></ds:Reference>` +
		`</ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature></samlp:Response>`)
}

// shapeManyAttributes is issue 14's quadratic parse: one element with n distinct attributes.
func shapeManyAttributes(n int) []byte {
	var b strings.Builder
	b.WriteString(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"`)
	for i := range n {
		fmt.Fprintf(&b, ` a%d="v"`, i)
	}
	b.WriteString(`/>`)
	return []byte(b.String())
}

// shapeManyNamespaces declares n prefixes on the root, then nests e elements each
// using a prefix: every element resolves a prefix through all declarations in scope.
func shapeManyNamespaces(n, e int) []byte {
	var b strings.Builder
	b.WriteString(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"`)
	for i := range n {
		fmt.Fprintf(&b, ` xmlns:p%d="urn:%d"`, i, i)
	}
	b.WriteString(`>`)
	for i := range e {
		fmt.Fprintf(&b, `<p0:Assertion p%d:a="v"/>`, i%n)
	}
	b.WriteString(`</samlp:Response>`)
	return []byte(b.String())
}
