package inspect

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

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

// checkXMLSafety streams the document once, before etree builds a tree, and refuses
// what a SAML message never needs and attackers use: a DOCTYPE (entity expansion, XXE),
// nesting deeper than MaxXMLDepth, duplicate attributes (the parser would silently keep
// one), and constructs that encoding/xml does not round-trip (CVE-2020-29509/29510/
// 29511: a name that changes namespace between verification and reading).
func checkXMLSafety(doc []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	dec.Strict = true
	dec.CharsetReader = func(charset string, input io.Reader) (io.Reader, error) {
		switch strings.ToLower(charset) {
		case "utf-8", "utf8", "us-ascii", "ascii":
			return input, nil
		}
		return nil, fmt.Errorf("the document declares encoding %q; SAML messages are UTF-8", charset)
	}
	var stack []xml.Name
	roots := 0
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return &xmlSafetyError{CodeInputMalformed, "The XML is not well-formed: " + strings.TrimPrefix(err.Error(), "xml: ") + "."}
		}
		switch t := tok.(type) {
		case xml.Directive:
			return &xmlSafetyError{CodeXMLDoctype, "The XML carries a DOCTYPE or other <!…> declaration, which no SAML message needs; it was refused without parsing because it is how entity-expansion (billion laughs) and external-entity (XXE) attacks are delivered."}
		case xml.StartElement:
			if len(stack) == 0 {
				roots++
				if roots > 1 {
					return &xmlSafetyError{CodeInputMalformed, "The XML has more than one root element."}
				}
			}
			stack = append(stack, t.Name)
			if len(stack) > MaxXMLDepth {
				return &xmlSafetyError{CodeXMLTooDeep, fmt.Sprintf("The XML nests elements more than %d deep (Entra's responses nest 7 deep); refused as a resource-exhaustion attempt.", MaxXMLDepth)}
			}
			if !qname(t.Name) {
				return &xmlSafetyError{CodeInputMalformed, fmt.Sprintf("The element name <%s> is not a valid namespaced XML name.", rawName(t.Name))}
			}
			for i, a := range t.Attr {
				if !qname(a.Name) {
					return &xmlSafetyError{CodeInputMalformed, fmt.Sprintf("The attribute name %q on <%s> is not a valid namespaced XML name; such names are read differently by different parsers, so the document is refused.", rawName(a.Name), rawName(t.Name))}
				}
				for _, b := range t.Attr[:i] {
					if a.Name == b.Name {
						return &xmlSafetyError{CodeInputMalformed, fmt.Sprintf("The element <%s> repeats the attribute %s; a parser would keep only one of them, so the document is refused.", rawName(t.Name), rawName(a.Name))}
					}
				}
			}
			if err := roundTrips(tok); err != nil {
				return err
			}
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1] != t.Name {
				return &xmlSafetyError{CodeInputMalformed, fmt.Sprintf("The XML is not well-formed: </%s> does not close the open element.", rawName(t.Name))}
			}
			stack = stack[:len(stack)-1]
			if err := roundTrips(tok); err != nil {
				return err
			}
		case xml.CharData:
			if len(stack) == 0 && len(bytes.TrimSpace(t)) > 0 {
				return &xmlSafetyError{CodeInputMalformed, "The XML has text outside its root element."}
			}
		case xml.ProcInst, xml.Comment:
			if err := roundTrips(tok); err != nil {
				return err
			}
		}
	}
	if len(stack) != 0 {
		return &xmlSafetyError{CodeInputMalformed, fmt.Sprintf("The XML ends before <%s> is closed (truncated input?).", rawName(stack[len(stack)-1]))}
	}
	if roots == 0 {
		return &xmlSafetyError{CodeInputMalformed, "The input holds no XML element."}
	}
	return nil
}

// roundTrips applies the xml-roundtrip-validator token check (the one crewjam/saml runs
// on every message) to one token. Text is left out: encoding/xml escapes and unescapes
// character data faithfully, and checking it would triple the cost of the pass.
func roundTrips(tok xml.Token) error {
	if err := validator.CheckToken(tok); err != nil {
		var rt validator.XMLRoundtripError
		if errors.As(err, &rt) {
			return &xmlSafetyError{CodeInputMalformed, fmt.Sprintf("The XML contains a construct that changes meaning when re-parsed (%s); such names are used to make a signature check and the claim reader see different elements, so the document is refused.", describeToken(tok))}
		}
		return &xmlSafetyError{CodeInputMalformed, fmt.Sprintf("The XML contains a construct that cannot be re-encoded (%s), so the document is refused.", describeToken(tok))}
	}
	return nil
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

// parseXML checks a document's safety and builds its tree.
func parseXML(doc []byte) (*etree.Document, error) {
	if err := checkXMLSafety(doc); err != nil {
		return nil, err
	}
	d := etree.NewDocument()
	d.ReadSettings.MaxDepth = MaxXMLDepth + 1
	if err := d.ReadFromBytes(doc); err != nil {
		return nil, &xmlSafetyError{CodeInputMalformed, "The XML is not well-formed: " + err.Error() + "."}
	}
	if d.Root() == nil {
		return nil, &xmlSafetyError{CodeInputMalformed, "The input holds no XML element."}
	}
	return d, nil
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
	for _, c := range el.ChildElements() {
		if is(c, ns, tag) {
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
	for _, c := range el.ChildElements() {
		if is(c, ns, tag) {
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
	var b strings.Builder
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok {
			b.WriteString(cd.Data)
		}
	}
	return strings.TrimSpace(b.String())
}

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

// prettyXML indents a document for people. Callers run it last: indenting rewrites the
// whitespace of the tree, so every signature check must be done with it first.
func prettyXML(d *etree.Document) string {
	d.Indent(2)
	s, err := d.WriteToString()
	if err != nil {
		return ""
	}
	return s
}
