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

// shapeC14NWithinLimits is the costliest canonicalization the limits allow: a root
// declaring maxInclusivePrefixes prefixes, all of them on the InclusiveNamespaces
// list, and n children that each redeclare one, declare another and use two more.
func shapeC14NWithinLimits(n int) (doc []byte, prefixList string) {
	var b, list strings.Builder
	b.WriteString(`<r:Root xmlns:r="urn:r"`)
	for i := range maxInclusivePrefixes {
		fmt.Fprintf(&b, ` xmlns:p%d="urn:%d"`, i, i)
		fmt.Fprintf(&list, "p%d ", i)
	}
	b.WriteString(`>`)
	for i := range n {
		fmt.Fprintf(&b, `<p%d:x xmlns:p%d="urn:other" xmlns:q="urn:q" p%d:a="1" q:b="2"/>`, i%16, (i+1)%16, (i+2)%16)
	}
	b.WriteString(`</r:Root>`)
	return []byte(b.String()), list.String()
}

// shapeParseWithinLimits is the costliest parse the limits allow: a root and a child
// carrying maxElementAttrs attributes each (so maxOpenAttrs are in scope below them),
// then n empty grandchildren named as the elements the inspector looks up by namespace.
func shapeParseWithinLimits(n int) []byte {
	attrs := func(b *strings.Builder, prefix string, k int) {
		for i := range k {
			fmt.Fprintf(b, ` %s%d="v"`, prefix, i)
		}
	}
	var b strings.Builder
	b.WriteString(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"`)
	attrs(&b, "a", maxElementAttrs-1)
	b.WriteString(`><Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion"`)
	attrs(&b, "b", maxOpenAttrs-maxElementAttrs-1)
	b.WriteString(`>`)
	for i := range n {
		if i%4 == 0 {
			b.WriteString(`<Assertion/>`)
			continue
		}
		b.WriteString(`<Signature/>`)
	}
	b.WriteString(`</Assertion></samlp:Response>`)
	return []byte(b.String())
}

// shapeWideElements is n sibling elements with maxElementAttrs attributes each: the
// attribute comparisons at their bound.
func shapeWideElements(n int) []byte {
	var b strings.Builder
	b.WriteString(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">`)
	for range n {
		b.WriteString(`<x`)
		for i := range maxElementAttrs {
			fmt.Fprintf(&b, ` a%d=""`, i)
		}
		b.WriteString(`/>`)
	}
	b.WriteString(`</samlp:Response>`)
	return []byte(b.String())
}
