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

// nsMap maps prefixes to namespace URIs with an undo log, so the bindings in scope at
// each element are kept in one map as the walk enters and leaves elements: a lookup
// costs the same however many prefixes an ancestor declares, which keeps
// canonicalization linear in the size of the tree.
type nsMap struct {
	m    map[string]string
	undo []nsUndo
}

type nsUndo struct {
	prefix, old string
	had         bool
}

func (n *nsMap) reset() {
	if n.m == nil || len(n.m) > 64 {
		n.m = map[string]string{}
	} else {
		clear(n.m)
	}
	n.undo = n.undo[:0]
}

func (n *nsMap) lookup(prefix string) (string, bool) {
	if uri, ok := n.m[prefix]; ok {
		return uri, true
	}
	if prefix == "xml" {
		return nsXML, true
	}
	return "", false
}

// set binds prefix to uri until restore(mark), mark being len(undo) before the set.
func (n *nsMap) set(prefix, uri string) {
	old, had := n.m[prefix]
	n.undo = append(n.undo, nsUndo{prefix, old, had})
	n.m[prefix] = uri
}

func (n *nsMap) restore(mark int) {
	for i := len(n.undo) - 1; i >= mark; i-- {
		u := n.undo[i]
		if u.had {
			n.m[u.prefix] = u.old
		} else {
			delete(n.m, u.prefix)
		}
	}
	n.undo = n.undo[:mark]
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
		c.out, c.skip, c.inclusive, c.prefixes = nil, nil, c.inclusive[:0], c.prefixes[:0]
		clear(c.inclusiveSet)
		c14nWriters.Put(c)
	}()
	c.out = w
	if err := c.run(el, skip, inclusive); err != nil {
		return err
	}
	return c.flush()
}

func (c *c14nWriter) run(el, skip *etree.Element, inclusive string) error {
	c.scope.reset()
	c.rendered.reset()
	var ancestors []*etree.Element
	for p := el.Parent(); p != nil; p = p.Parent() {
		ancestors = append(ancestors, p)
	}
	for i := len(ancestors) - 1; i >= 0; i-- {
		c.declare(ancestors[i])
	}
	if c.inclusiveSet == nil {
		c.inclusiveSet = map[string]bool{}
	}
	for _, p := range strings.Fields(inclusive) {
		if p == "#default" {
			p = ""
		}
		if !c.inclusiveSet[p] {
			c.inclusiveSet[p] = true
			c.inclusive = append(c.inclusive, p)
		}
	}
	c.skip = skip
	return c.element(el, true)
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

// declare adds the namespace declarations on el to the scope.
func (c *c14nWriter) declare(el *etree.Element) {
	for _, a := range el.Attr {
		if p, ok := nsDecl(a); ok {
			c.scope.set(p, a.Value)
			c.work++
		}
	}
}

type c14nWriter struct {
	buf       bytes.Buffer
	out       io.Writer // nil: the whole form stays in buf
	skip      *etree.Element
	inclusive []string
	// inclusiveSet holds the InclusiveNamespaces prefixes, for their lookup by name.
	inclusiveSet map[string]bool
	// scope holds the bindings in scope; rendered, those the output ancestors rendered.
	scope, rendered nsMap
	prefixes        []string // scratch for one element's namespace nodes
	// work counts lookups and attributes handled: tests hold it linear in the input.
	work int
}

// nsBinding is one namespace declaration to render.
type nsBinding struct{ prefix, uri string }

type c14nAttr struct {
	uri, space, local, value string
}

// element writes el and its subtree. apex is the element canonicalization starts at,
// where every InclusiveNamespaces prefix in scope is rendered; below it, such a prefix
// needs rendering again only where an element redeclares it, because the apex's
// descendants are all output and so inherit what it rendered.
func (c *c14nWriter) element(el *etree.Element, apex bool) error {
	scopeMark, renderedMark := len(c.scope.undo), len(c.rendered.undo)
	defer func() {
		c.scope.restore(scopeMark)
		c.rendered.restore(renderedMark)
	}()
	c.declare(el)

	// Namespace nodes to render: those visibly utilized by the element or its
	// attributes, and those named in the InclusiveNamespaces list, unless an output
	// ancestor already rendered the same binding.
	// Fixed buffers keep the usual element (a few attributes and prefixes) off the heap.
	var attrBuf [8]c14nAttr
	var declBuf [4]nsBinding
	prefixes := append(c.prefixes[:0], el.Space)
	attrs := attrBuf[:0]
	for _, a := range el.Attr {
		c.work++
		if p, isDecl := nsDecl(a); isDecl {
			if !apex && c.inclusiveSet[p] {
				prefixes = append(prefixes, p)
			}
			continue
		}
		uri := ""
		if a.Space != "" {
			var ok bool
			if uri, ok = c.scope.lookup(a.Space); !ok {
				return fmt.Errorf("the attribute %s:%s uses an undeclared prefix", a.Space, a.Key)
			}
			prefixes = append(prefixes, a.Space)
		}
		attrs = append(attrs, c14nAttr{uri: uri, space: a.Space, local: a.Key, value: a.Value})
	}
	if apex {
		for _, p := range c.inclusive {
			c.work++
			if _, ok := c.scope.lookup(p); ok {
				prefixes = append(prefixes, p)
			}
		}
	}
	slices.Sort(prefixes) // "" (the default namespace) sorts first, as c14n requires
	prefixes = slices.Compact(prefixes)
	c.prefixes = prefixes
	decls := declBuf[:0]
	for _, p := range prefixes {
		c.work++
		if p == "xml" {
			continue
		}
		uri, ok := c.scope.lookup(p)
		if !ok && p != "" {
			return fmt.Errorf("the element <%s:%s> uses an undeclared prefix", el.Space, el.Tag)
		}
		if done, _ := c.rendered.lookup(p); done == uri {
			continue // also covers an unset default namespace never rendered
		}
		decls = append(decls, nsBinding{prefix: p, uri: uri})
		c.rendered.set(p, uri)
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
			if err := c.element(t, false); err != nil {
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
