package inspect

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

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
	var scope *nsBinding
	var ancestors []*etree.Element
	for p := el.Parent(); p != nil; p = p.Parent() {
		ancestors = append(ancestors, p)
	}
	for i := len(ancestors) - 1; i >= 0; i-- {
		scope = declare(scope, ancestors[i])
	}
	var incl []string
	for _, p := range strings.Fields(inclusive) {
		if p == "#default" {
			p = ""
		}
		incl = append(incl, p)
	}
	c := &c14nWriter{skip: skip, inclusive: incl}
	c.buf.Grow(4096)
	if err := c.element(el, scope, nil); err != nil {
		return nil, err
	}
	return c.buf.Bytes(), nil
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
	skip      *etree.Element
	inclusive []string
}

type c14nAttr struct {
	uri, local, name, value string
}

func (c *c14nWriter) element(el *etree.Element, scope, rendered *nsBinding) error {
	scope = declare(scope, el)

	// Namespace nodes to render: those visibly utilized by the element or its
	// attributes, and those named in the InclusiveNamespaces list, unless an output
	// ancestor already rendered the same binding.
	var prefixes []string
	want := func(p string) {
		for _, q := range prefixes {
			if q == p {
				return
			}
		}
		prefixes = append(prefixes, p)
	}
	want(el.Space)
	var attrs []c14nAttr
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
			want(a.Space)
		}
		attrs = append(attrs, c14nAttr{uri: uri, local: a.Key, name: a.FullKey(), value: a.Value})
	}
	for _, p := range c.inclusive {
		if _, ok := scope.lookup(p); ok {
			want(p)
		}
	}
	sort.Strings(prefixes) // "" (the default namespace) sorts first, as c14n requires
	var decls []nsBinding
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
	sort.Slice(attrs, func(i, j int) bool {
		if attrs[i].uri != attrs[j].uri {
			return attrs[i].uri < attrs[j].uri
		}
		return attrs[i].local < attrs[j].local
	})

	b := &c.buf
	name := el.FullTag()
	b.WriteByte('<')
	b.WriteString(name)
	for _, d := range decls {
		if d.prefix == "" {
			b.WriteString(` xmlns="`)
		} else {
			b.WriteString(" xmlns:" + d.prefix + `="`)
		}
		c14nEscape(b, d.uri, true)
		b.WriteByte('"')
	}
	for _, a := range attrs {
		b.WriteString(" " + a.name + `="`)
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
		case *etree.CharData:
			c14nEscape(b, t.Data, false)
		case *etree.ProcInst:
			b.WriteString("<?" + t.Target)
			if t.Inst != "" {
				b.WriteString(" " + t.Inst)
			}
			b.WriteString("?>")
		}
	}
	b.WriteString("</" + name + ">")
	return nil
}

// c14nEscape writes text or an attribute value with the character references
// canonical XML prescribes.
func c14nEscape(b *bytes.Buffer, s string, attr bool) {
	special := "&<>\r"
	if attr {
		special = "&<\"\t\n\r"
	}
	if !strings.ContainsAny(s, special) {
		b.WriteString(s)
		return
	}
	for _, r := range s {
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
