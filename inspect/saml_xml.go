package inspect

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/beevik/etree"
	validator "github.com/mattermost/xml-roundtrip-validator"
)

// XML namespaces of the SAML 2.0, XML-DSig and XML-Enc specifications.
const (
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsMetadata  = "urn:oasis:names:tc:SAML:2.0:metadata"
	nsDSig      = "http://www.w3.org/2000/09/xmldsig#"
	nsXMLEnc    = "http://www.w3.org/2001/04/xmlenc#"
)

// xmlSafetyError is why a document was refused before any tree was built.
type xmlSafetyError struct {
	code string
	msg  string
}

func (e *xmlSafetyError) Error() string { return e.msg }

// parseXML reads a document in one streaming pass and builds its tree as it goes,
// refusing what a SAML message never needs and attackers use: a DOCTYPE (entity
// expansion, XXE), nesting deeper than MaxXMLDepth, duplicate attributes (a parser
// would silently keep one), names that are not namespace-well-formed, and constructs
// that encoding/xml does not round-trip (CVE-2020-29509/29510/29511: a name that
// changes namespace between verification and reading). No tree exists for a refused
// document. The tokens come from xmlTokenizer, which yields what encoding/xml would,
// or refuses.
func parseXML(doc []byte) (*etree.Document, error) {
	d, _, err := buildTreeCounted(newXMLTokenizer(doc))
	return d, err
}

// Bounds on attributes, namespace declarations included. Entra's elements carry at
// most 8 and all the open elements together fewer than 30; metadata is no different.
// Resolving a prefix (etree's NamespaceURI) reads the attributes of every open element,
// so the second bound keeps each resolution cheap however large the document.
const (
	maxElementAttrs = 64
	maxOpenAttrs    = 128
)

func buildTree(src tokenSource) (*etree.Document, error) {
	d, _, err := buildTreeCounted(src)
	return d, err
}

// buildTreeCounted builds the tree and counts its work: a unit per token, per attribute
// comparison (the duplicate check and etree's CreateAttr each compare an attribute with
// those before it), and per attribute in scope at each element (what resolving its
// prefix later reads). Tests hold the count linear in the size of the document.
func buildTreeCounted(src tokenSource) (*etree.Document, int, error) {
	work := 0
	d, err := buildTreeWork(src, &work)
	return d, work, err
}

func buildTreeWork(src tokenSource, work *int) (*etree.Document, error) {
	d := etree.NewDocument()
	var stack []string  // raw names of the open elements
	var openAttrs []int // attributes on each open element
	inScope := 0        // their sum
	cur := &d.Element
	roots := 0
	rt := roundTripper{cache: roundTripOK}
	var t xmlToken
	for {
		err := src.next(&t)
		if err == io.EOF {
			break
		}
		if err == errDirective {
			return nil, &xmlSafetyError{CodeXMLDoctype, "The XML carries a DOCTYPE or other <!…> declaration, which no SAML message needs; it was refused without parsing because it is how entity-expansion (billion laughs) and external-entity (XXE) attacks are delivered."}
		}
		if err != nil {
			return nil, &xmlSafetyError{CodeInputMalformed, "The XML is not well-formed: " + strings.TrimPrefix(err.Error(), "xml: ") + "."}
		}
		*work++
		switch t.kind {
		case tokStart:
			if len(stack) == 0 {
				roots++
				if roots > 1 {
					return nil, &xmlSafetyError{CodeInputMalformed, "The XML has more than one root element."}
				}
			}
			stack = append(stack, t.raw)
			if len(stack) > MaxXMLDepth {
				return nil, &xmlSafetyError{CodeXMLTooDeep, fmt.Sprintf("The XML nests elements more than %d deep (Entra's responses nest 7 deep); refused as a resource-exhaustion attempt.", MaxXMLDepth)}
			}
			if !qname(t.name) {
				return nil, &xmlSafetyError{CodeInputMalformed, fmt.Sprintf("The element name <%s> is not a valid namespaced XML name.", t.raw)}
			}
			if len(t.attrs) > maxElementAttrs {
				return nil, &xmlSafetyError{CodeXMLTooManyAttrs, fmt.Sprintf("The element <%s> carries %d attributes, more than the %d allowed (Entra's carry at most 8); refused as a resource-exhaustion attempt.", t.raw, len(t.attrs), maxElementAttrs)}
			}
			*work += inScope + len(t.attrs)*len(t.attrs)
			inScope += len(t.attrs)
			openAttrs = append(openAttrs, len(t.attrs))
			if inScope > maxOpenAttrs {
				return nil, &xmlSafetyError{CodeXMLTooManyAttrs, fmt.Sprintf("The element <%s> and the elements around it carry more than %d attributes and namespace declarations together (Entra's fewer than 30); refused as a resource-exhaustion attempt.", t.raw, maxOpenAttrs)}
			}
			// Pairwise, as etree's CreateAttr below also is: at most maxElementAttrs²/2
			// comparisons for an element that takes several hundred bytes to write.
			for i, a := range t.attrs {
				if !qname(a.Name) {
					return nil, &xmlSafetyError{CodeInputMalformed, fmt.Sprintf("The attribute name %q on <%s> is not a valid namespaced XML name; such names are read differently by different parsers, so the document is refused.", a.raw, t.raw)}
				}
				for _, b := range t.attrs[:i] {
					if a.Name == b.Name {
						return nil, &xmlSafetyError{CodeInputMalformed, fmt.Sprintf("The element <%s> repeats the attribute %s; a parser would keep only one of them, so the document is refused.", t.raw, a.raw)}
					}
				}
			}
			if tokNamespaced(&t) {
				if err := rt.check(&t); err != nil {
					return nil, err
				}
			}
			el := cur.CreateElement(t.raw)
			for _, a := range t.attrs {
				el.CreateAttr(a.raw, a.Value)
			}
			cur = el
		case tokEnd:
			if len(stack) == 0 || stack[len(stack)-1] != t.raw {
				return nil, &xmlSafetyError{CodeInputMalformed, fmt.Sprintf("The XML is not well-formed: </%s> does not close the open element.", t.raw)}
			}
			// No round-trip check: the name equals the start tag's, already checked.
			stack = stack[:len(stack)-1]
			inScope -= openAttrs[len(openAttrs)-1]
			openAttrs = openAttrs[:len(openAttrs)-1]
			cur = cur.Parent()
		case tokText:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t.data)) > 0 {
					return nil, &xmlSafetyError{CodeInputMalformed, "The XML has text outside its root element."}
				}
				continue
			}
			s := string(t.data)
			cur.CreateText(s).SetData(s) // SetData marks whitespace-only text for Indent
		case tokComment, tokProcInst:
			if err := rt.check(&t); err != nil {
				return nil, err
			}
			if len(stack) > 0 {
				if t.kind == tokComment {
					cur.CreateComment(string(t.data))
				} else {
					cur.CreateProcInst(t.target, string(t.data))
				}
			}
		}
	}
	if len(stack) != 0 {
		return nil, &xmlSafetyError{CodeInputMalformed, fmt.Sprintf("The XML ends before <%s> is closed (truncated input?).", stack[len(stack)-1])}
	}
	if roots == 0 {
		return nil, &xmlSafetyError{CodeInputMalformed, "The input holds no XML element."}
	}
	return d, nil
}

// tokNamespaced is namespaced for a token from a tokenSource, which parseXML has.
func tokNamespaced(t *xmlToken) bool {
	if t.name.Space != "" || !plainName(t.name.Local) {
		return true
	}
	for _, a := range t.attrs {
		if a.Name.Space != "" || a.Name.Local == "xmlns" || !plainName(a.Name.Local) {
			return true
		}
	}
	return false
}

// xmlTokenOf is t as the encoding/xml token it stands for, sharing no memory with it.
func xmlTokenOf(t *xmlToken) xml.Token {
	switch t.kind {
	case tokStart:
		s := xml.StartElement{Name: t.name, Attr: make([]xml.Attr, len(t.attrs))}
		for i, a := range t.attrs {
			s.Attr[i] = a.Attr
		}
		return s
	case tokEnd:
		return xml.EndElement{Name: t.name}
	case tokText:
		return xml.CharData(bytes.Clone(t.data))
	case tokComment:
		return xml.Comment(bytes.Clone(t.data))
	case tokProcInst:
		return xml.ProcInst{Target: t.target, Inst: bytes.Clone(t.data)}
	}
	return nil
}

// namespaced reports whether a start tag involves namespaces at all (a prefix or a
// declaration) or names beyond plain ASCII. Only such tags get the round-trip check:
// the instabilities it guards against all come from encoding/xml translating prefixes
// and declarations, and a tag of plain unprefixed names passes through the encoder
// untouched. The check costs an encoder and a decoder per distinct tag; skipping the
// plain ones halves the cost of parsing an Entra response.
func namespaced(t xml.StartElement) bool {
	tok := xmlToken{kind: tokStart, name: t.Name}
	for _, a := range t.Attr {
		tok.attrs = append(tok.attrs, xmlAttr{Attr: a})
	}
	return tokNamespaced(&tok)
}

func plainName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// skeleton is a start tag with its attribute values blanked, except namespace
// declarations. Round-trip instability lives in names and namespace bindings;
// values cannot mutate because the strict decoder has already refused invalid UTF-8
// and illegal characters. Blanking lets one check cover every <AttributeValue>.
func skeleton(t xml.StartElement) xml.StartElement {
	s := xml.StartElement{Name: t.Name, Attr: make([]xml.Attr, len(t.Attr))}
	for i, a := range t.Attr {
		s.Attr[i] = xml.Attr{Name: a.Name}
		if isNSDecl(a.Name) {
			s.Attr[i].Value = a.Value
		}
	}
	return s
}

// roundTripOK holds the keys of tokens that passed the round-trip check, for the whole
// process: the check is a pure function of the key (see appendTokenKey), so a pass
// holds for every later document. Real SAML messages use a few hundred distinct tags
// at most; the bound only stops a stream of distinct hostile tags from growing memory,
// and past it checks simply run every time.
var roundTripOK = newPassCache(4096, 1024)

// passCache is a bounded, concurrency-safe set of keys: it stops adding when full and
// never evicts, so a key once in stays in.
type passCache struct {
	mu      sync.RWMutex
	m       map[string]struct{}
	max     int
	keySize int // longer keys (long comments) are not kept
}

func newPassCache(max, keySize int) *passCache {
	return &passCache{m: make(map[string]struct{}), max: max, keySize: keySize}
}

func (c *passCache) has(key []byte) bool {
	c.mu.RLock()
	_, ok := c.m[string(key)] // no allocation: the conversion is only a lookup
	c.mu.RUnlock()
	return ok
}

// add stores key unless the cache is full or key too long; it reports whether it did.
func (c *passCache) add(key []byte) bool {
	if len(key) > c.keySize {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		return false
	}
	c.m[string(key)] = struct{}{}
	return true
}

// roundTripper applies the xml-roundtrip-validator token check (the one crewjam/saml
// runs on every message) once per distinct token: the check builds an encoder and a
// decoder each time, and messages repeat the same few tags. Text is left out:
// encoding/xml escapes and unescapes character data faithfully.
type roundTripper struct {
	cache *passCache
	key   []byte
	seen  map[string]struct{} // passed in this document but not kept in cache
}

func (r *roundTripper) check(t *xmlToken) error {
	r.key = appendTokenKey(r.key[:0], t)
	if r.cache.has(r.key) {
		return nil
	}
	if _, ok := r.seen[string(r.key)]; ok {
		return nil
	}
	tok := xmlTokenOf(t)
	checked := tok
	if s, ok := tok.(xml.StartElement); ok {
		checked = skeleton(s)
	}
	if err := validator.CheckToken(checked); err != nil {
		var rt validator.XMLRoundtripError
		if errors.As(err, &rt) {
			return &xmlSafetyError{CodeInputMalformed, fmt.Sprintf("The XML contains a construct that changes meaning when re-parsed (%s); such names are used to make a signature check and the claim reader see different elements, so the document is refused.", describeToken(tok))}
		}
		return &xmlSafetyError{CodeInputMalformed, fmt.Sprintf("The XML contains a construct that cannot be re-encoded (%s), so the document is refused.", describeToken(tok))}
	}
	if !r.cache.add(r.key) {
		if r.seen == nil {
			r.seen = make(map[string]struct{})
		}
		r.seen[string(r.key)] = struct{}{}
	}
	return nil
}

// appendTokenKey appends a key that identifies what the round-trip check sees of tok:
// for a start tag its skeleton (names, and values of namespace declarations only).
// Distinct checked tokens get distinct keys, which the shared cache depends on: a kind
// byte, then every field ended by NUL, which no decoded XML name or text holds.
func appendTokenKey(b []byte, t *xmlToken) []byte {
	field := func(b []byte, s string) []byte { return append(append(b, s...), 0) }
	switch t.kind {
	case tokStart:
		b = append(b, 'S')
		b = field(b, t.name.Space)
		b = field(b, t.name.Local)
		for _, a := range t.attrs {
			b = field(b, a.Name.Space)
			b = field(b, a.Name.Local)
			if isNSDecl(a.Name) {
				b = append(b, a.Value...)
			}
			b = append(b, 0)
		}
	case tokComment:
		b = append(b, 'C')
		b = append(b, t.data...)
	case tokProcInst:
		b = append(b, 'P')
		b = field(b, t.target)
		b = append(b, t.data...)
	}
	return b
}

func isNSDecl(n xml.Name) bool {
	return n.Space == "xmlns" || (n.Space == "" && n.Local == "xmlns")
}

func describeToken(tok xml.Token) string {
	switch t := tok.(type) {
	case xml.StartElement:
		return "element <" + rawName(t.Name) + ">"
	case xml.EndElement:
		return "end tag </" + rawName(t.Name) + ">"
	case xml.ProcInst:
		return "processing instruction <?" + t.Target + "?>"
	case xml.Comment:
		return "a comment"
	}
	return "a token"
}

// qname reports whether a raw name is an NCName or prefix:NCName. encoding/xml
// accepts names such as "x:" or "a:b:c" that namespace-aware parsers read otherwise.
func qname(n xml.Name) bool {
	return n.Local != "" && !strings.Contains(n.Local, ":") && !strings.Contains(n.Space, ":")
}

func rawName(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// is reports whether el is the element ns:tag, namespace resolved.
func is(el *etree.Element, ns, tag string) bool {
	return el != nil && el.Tag == tag && el.NamespaceURI() == ns
}

// children returns el's direct child elements named ns:tag.
func children(el *etree.Element, ns, tag string) []*etree.Element {
	if el == nil {
		return nil
	}
	var out []*etree.Element
	for _, t := range el.Child {
		if c, ok := t.(*etree.Element); ok && is(c, ns, tag) {
			out = append(out, c)
		}
	}
	return out
}

// child returns el's first direct child element named ns:tag, or nil.
func child(el *etree.Element, ns, tag string) *etree.Element {
	if el == nil {
		return nil
	}
	for _, t := range el.Child {
		if c, ok := t.(*etree.Element); ok && is(c, ns, tag) {
			return c
		}
	}
	return nil
}

// path follows a chain of direct children, each "ns tag" pair in turn.
func path(el *etree.Element, steps ...string) *etree.Element {
	for i := 0; i+1 < len(steps) && el != nil; i += 2 {
		el = child(el, steps[i], steps[i+1])
	}
	return el
}

// text returns all the character data directly inside el, concatenated: what
// canonicalization signs. etree's Text() returns only the first text node, which is
// exactly the truncation a comment-injection attack (alice@evil.com<!---->.contoso.com)
// relies on.
func text(el *etree.Element) string {
	if el == nil {
		return ""
	}
	// One text node, the usual case, is returned as it is, without a copy.
	n, first := 0, ""
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok {
			if n == 0 {
				first = cd.Data
			}
			n++
		}
	}
	if n <= 1 {
		return first
	}
	var b strings.Builder
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok {
			b.WriteString(cd.Data)
		}
	}
	return b.String()
}

// trimmedText is text without surrounding white space, for values where white space
// is only layout (issuers, audiences, status messages). Identity values (NameID,
// attribute values) keep theirs: it is part of what was signed.
func trimmedText(el *etree.Element) string { return strings.TrimSpace(text(el)) }

// splitText reports whether el's text is interrupted by a comment or split into
// several text nodes: harmless for canonicalization, fatal for a reader that takes the
// first node.
func splitText(el *etree.Element) bool {
	nodes := 0
	for _, t := range el.Child {
		switch t.(type) {
		case *etree.Comment:
			return true
		case *etree.CharData:
			nodes++
		}
	}
	return nodes > 1
}

func attr(el *etree.Element, name string) string {
	if el == nil {
		return ""
	}
	for _, a := range el.Attr {
		if a.Space == "" && a.Key == name {
			return a.Value
		}
	}
	return ""
}

// describePath names an element by its ancestry, for findings: "Response/Extensions/Assertion".
func describePath(el *etree.Element) string {
	var parts []string
	for e := el; e != nil && e.Tag != ""; e = e.Parent() {
		parts = append([]string{e.Tag}, parts...)
	}
	return strings.Join(parts, "/")
}

// prettyXML renders the tree indented for people. It writes from the tree directly,
// leaving it untouched: etree's Indent rewrites the tree's whitespace and costs as much
// as the signature check. Elements holding only text stay on one line; mixed content
// (a comment inside a NameID) is shown as it is. size is the document's length, to
// size the output once.
func prettyXML(d *etree.Document, size int) string {
	var b strings.Builder
	b.Grow(size + size/2 + 256)
	for _, t := range d.Child {
		switch t := t.(type) {
		case *etree.Element:
			prettyElement(&b, t, 0)
		case *etree.ProcInst:
			b.WriteString("<?")
			b.WriteString(t.Target)
			b.WriteByte(' ')
			b.WriteString(t.Inst)
			b.WriteString("?>\n")
		}
	}
	return b.String()
}

func prettyElement(b *strings.Builder, el *etree.Element, depth int) {
	for range depth {
		b.WriteString("  ")
	}
	writeStartTag(b, el)
	hasElem, hasText := false, false
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.Element:
			hasElem = true
		case *etree.CharData:
			hasText = hasText || !t.IsWhitespace()
		case *etree.Comment:
			hasText = true
		}
	}
	switch {
	case len(el.Child) == 0 || (!hasElem && !hasText):
		b.WriteString("/>\n")
		return
	case !hasElem || hasText:
		b.WriteByte('>')
		for _, t := range el.Child {
			writeInline(b, t)
		}
	default:
		b.WriteString(">\n")
		for _, t := range el.Child {
			if c, ok := t.(*etree.Element); ok {
				prettyElement(b, c, depth+1)
			}
		}
		for range depth {
			b.WriteString("  ")
		}
	}
	writeEndTag(b, el)
	b.WriteByte('\n')
}

// writeStartTag writes "<name attrs", without the closing bracket.
func writeStartTag(b *strings.Builder, el *etree.Element) {
	b.WriteByte('<')
	writePrefixed(b, el.Space, el.Tag)
	for _, a := range el.Attr {
		b.WriteByte(' ')
		writePrefixed(b, a.Space, a.Key)
		b.WriteString(`="`)
		escape(b, a.Value, true)
		b.WriteByte('"')
	}
}

func writeEndTag(b *strings.Builder, el *etree.Element) {
	b.WriteString("</")
	writePrefixed(b, el.Space, el.Tag)
	b.WriteByte('>')
}

func writePrefixed(b *strings.Builder, prefix, local string) {
	if prefix != "" {
		b.WriteString(prefix)
		b.WriteByte(':')
	}
	b.WriteString(local)
}

// writeInline writes a token as it is, for content kept on one line.
func writeInline(b *strings.Builder, t etree.Token) {
	switch t := t.(type) {
	case *etree.CharData:
		escape(b, t.Data, false)
	case *etree.Comment:
		b.WriteString("<!--")
		b.WriteString(t.Data)
		b.WriteString("-->")
	case *etree.Element:
		writeStartTag(b, t)
		b.WriteByte('>')
		for _, c := range t.Child {
			writeInline(b, c)
		}
		writeEndTag(b, t)
	}
}

var prettySpecial = byteSet("&<>\"\n\t\r")

// escape writes s as XML text or, with attr, as an attribute value.
func escape(b *strings.Builder, s string, attr bool) {
	i := 0
	for i < len(s) && !prettySpecial[s[i]] {
		i++
	}
	if i == len(s) {
		b.WriteString(s)
		return
	}
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case attr && r == '"':
			b.WriteString("&quot;")
		case attr && r == '\n':
			b.WriteString("&#xA;")
		case attr && r == '\t':
			b.WriteString("&#x9;")
		case r == '\r':
			b.WriteString("&#xD;")
		default:
			b.WriteRune(r)
		}
	}
}
