package inspect

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/beevik/etree"
)

const nsXML = "http://www.w3.org/XML/1998/namespace"

// nsBinding is one namespace binding in a chain, nearest first: in-scope bindings
// while walking the tree, and bindings already rendered by output ancestors.
type nsBinding struct {
	prefix, uri string
	next        *nsBinding
}

func (b *nsBinding) lookup(prefix string) (string, bool) {
	for ; b != nil; b = b.next {
		if b.prefix == prefix {
			return b.uri, true
		}
	}
	if prefix == "xml" {
		return nsXML, true
	}
	return "", false
}

// excC14N returns the Exclusive XML Canonicalization 1.0 form, without comments
// (https://www.w3.org/TR/xml-exc-c14n/), of el as it stands in its document, leaving
// out the child element skip (the enveloped Signature; nil for none). It writes
// straight from the tree: no copy, and the tree is not modified, so the element
// verified is the very element read afterwards.
func excC14N(el, skip *etree.Element, inclusive string) ([]byte, error) {
	c := &c14nWriter{}
	c.buf.Grow(4096)
	if err := c.run(el, skip, inclusive); err != nil {
		return nil, err
	}
	return c.buf.Bytes(), nil
}

// c14nFlushAt is how much canonical output writeExcC14N buffers before passing it on.
const c14nFlushAt = 4096

var c14nWriters = sync.Pool{New: func() any {
	c := &c14nWriter{}
	c.buf.Grow(2 * c14nFlushAt)
	return c
}}

// writeExcC14N writes the same canonical form as excC14N to w (a digest) in pieces, so
// a signed element is hashed without holding its whole canonical form in memory.
func writeExcC14N(w io.Writer, el, skip *etree.Element, inclusive string) error {
	c := c14nWriters.Get().(*c14nWriter)
	defer func() {
		if c.buf.Cap() > 16*c14nFlushAt {
			return // one huge text node; do not keep its buffer
		}
		c.buf.Reset()
		c.out, c.skip, c.inclusive = nil, nil, c.inclusive[:0]
		c14nWriters.Put(c)
	}()
	c.out = w
	if err := c.run(el, skip, inclusive); err != nil {
		return err
	}
	return c.flush()
}

func (c *c14nWriter) run(el, skip *etree.Element, inclusive string) error {
	var scope *nsBinding
	var ancestors []*etree.Element
	for p := el.Parent(); p != nil; p = p.Parent() {
		ancestors = append(ancestors, p)
	}
	for i := len(ancestors) - 1; i >= 0; i-- {
		scope = declare(scope, ancestors[i])
	}
	for _, p := range strings.Fields(inclusive) {
		if p == "#default" {
			p = ""
		}
		c.inclusive = append(c.inclusive, p)
	}
	c.skip = skip
	return c.element(el, scope, nil)
}

// flush passes buffered output on when writing to out.
func (c *c14nWriter) flush() error {
	if c.out == nil || c.buf.Len() == 0 {
		return nil
	}
	_, err := c.out.Write(c.buf.Bytes())
	c.buf.Reset()
	return err
}

// declare returns scope extended with the namespace declarations on el.
func declare(scope *nsBinding, el *etree.Element) *nsBinding {
	for _, a := range el.Attr {
		if p, ok := nsDecl(a); ok {
			scope = &nsBinding{prefix: p, uri: a.Value, next: scope}
		}
	}
	return scope
}

type c14nWriter struct {
	buf       bytes.Buffer
	out       io.Writer // nil: the whole form stays in buf
	skip      *etree.Element
	inclusive []string
}

type c14nAttr struct {
	uri, space, local, value string
}

func (c *c14nWriter) element(el *etree.Element, scope, rendered *nsBinding) error {
	scope = declare(scope, el)

	// Namespace nodes to render: those visibly utilized by the element or its
	// attributes, and those named in the InclusiveNamespaces list, unless an output
	// ancestor already rendered the same binding.
	// Fixed buffers keep the usual element (a few attributes and prefixes) off the heap.
	var prefixBuf [8]string
	var attrBuf [8]c14nAttr
	var declBuf [4]nsBinding
	prefixes := addUnique(prefixBuf[:0], el.Space)
	attrs := attrBuf[:0]
	for _, a := range el.Attr {
		if _, isDecl := nsDecl(a); isDecl {
			continue
		}
		uri := ""
		if a.Space != "" {
			var ok bool
			if uri, ok = scope.lookup(a.Space); !ok {
				return fmt.Errorf("the attribute %s:%s uses an undeclared prefix", a.Space, a.Key)
			}
			prefixes = addUnique(prefixes, a.Space)
		}
		attrs = append(attrs, c14nAttr{uri: uri, space: a.Space, local: a.Key, value: a.Value})
	}
	for _, p := range c.inclusive {
		if _, ok := scope.lookup(p); ok {
			prefixes = addUnique(prefixes, p)
		}
	}
	slices.Sort(prefixes) // "" (the default namespace) sorts first, as c14n requires
	decls := declBuf[:0]
	for _, p := range prefixes {
		if p == "xml" {
			continue
		}
		uri, ok := scope.lookup(p)
		if !ok && p != "" {
			return fmt.Errorf("the element <%s:%s> uses an undeclared prefix", el.Space, el.Tag)
		}
		if done, _ := rendered.lookup(p); done == uri {
			continue // also covers an unset default namespace never rendered
		}
		decls = append(decls, nsBinding{prefix: p, uri: uri})
		rendered = &nsBinding{prefix: p, uri: uri, next: rendered}
	}
	slices.SortFunc(attrs, func(a, b c14nAttr) int {
		if c := strings.Compare(a.uri, b.uri); c != 0 {
			return c
		}
		return strings.Compare(a.local, b.local)
	})

	b := &c.buf
	b.WriteByte('<')
	writeName(b, el.Space, el.Tag)
	for _, d := range decls {
		if d.prefix == "" {
			b.WriteString(` xmlns="`)
		} else {
			b.WriteString(" xmlns:")
			b.WriteString(d.prefix)
			b.WriteString(`="`)
		}
		c14nEscape(b, d.uri, true)
		b.WriteByte('"')
	}
	for _, a := range attrs {
		b.WriteByte(' ')
		writeName(b, a.space, a.local)
		b.WriteString(`="`)
		c14nEscape(b, a.value, true)
		b.WriteByte('"')
	}
	b.WriteByte('>')
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.Element:
			if t == c.skip {
				continue
			}
			if err := c.element(t, scope, rendered); err != nil {
				return err
			}
			if c.buf.Len() >= c14nFlushAt {
				if err := c.flush(); err != nil {
					return err
				}
			}
		case *etree.CharData:
			c14nEscape(b, t.Data, false)
		case *etree.ProcInst:
			b.WriteString("<?")
			b.WriteString(t.Target)
			if t.Inst != "" {
				b.WriteByte(' ')
				b.WriteString(t.Inst)
			}
			b.WriteString("?>")
		}
	}
	b.WriteString("</")
	writeName(b, el.Space, el.Tag)
	b.WriteByte('>')
	return nil
}

// addUnique appends p to list unless it is there already.
func addUnique(list []string, p string) []string {
	if slices.Contains(list, p) {
		return list
	}
	return append(list, p)
}

// writeName writes prefix:local, or local alone, without building the string.
func writeName(b *bytes.Buffer, prefix, local string) {
	if prefix != "" {
		b.WriteString(prefix)
		b.WriteByte(':')
	}
	b.WriteString(local)
}

// c14nEscape writes text or an attribute value with the character references
// canonical XML prescribes.
func c14nEscape(b *bytes.Buffer, s string, attr bool) {
	special := &c14nTextSpecial
	if attr {
		special = &c14nAttrSpecial
	}
	i := 0
	for i < len(s) && !special[s[i]] {
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
		case r == '>' && !attr:
			b.WriteString("&gt;")
		case r == '"' && attr:
			b.WriteString("&quot;")
		case r == '\t' && attr:
			b.WriteString("&#x9;")
		case r == '\n' && attr:
			b.WriteString("&#xA;")
		case r == '\r':
			b.WriteString("&#xD;")
		default:
			b.WriteRune(r)
		}
	}
}

// byteSet marks the bytes of chars, for scanning text without strings.ContainsAny's
// per-call set building.
func byteSet(chars string) (set [256]bool) {
	for i := 0; i < len(chars); i++ {
		set[chars[i]] = true
	}
	return set
}

var (
	c14nTextSpecial = byteSet("&<>\r")
	c14nAttrSpecial = byteSet("&<\"\t\n\r")
)
