package inspect

import (
	"encoding/xml"
	"testing"
)

func TestPassCacheBounds(t *testing.T) {
	c := newPassCache(2, 4)
	for _, tc := range []struct {
		key  string
		want bool
	}{
		{"a", true},
		{"toolong", false}, // over the key size: never kept
		{"b", true},
		{"c", false}, // full: stops adding
		{"a", false}, // already there; the map does not grow
	} {
		if got := c.add([]byte(tc.key)); got != tc.want {
			t.Errorf("add(%q) = %v, want %v", tc.key, got, tc.want)
		}
	}
	for key, want := range map[string]bool{"a": true, "b": true, "c": false, "toolong": false} {
		if got := c.has([]byte(key)); got != want {
			t.Errorf("has(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestRoundTripperCachesOnlyPasses(t *testing.T) {
	r := roundTripper{cache: newPassCache(1, 1024)}
	// The encoder refuses a comment holding "--": the check fails, and must fail
	// again, never be remembered as passed.
	bad := xml.Comment("a--b")
	for i := 0; i < 2; i++ {
		if err := r.check(bad); err == nil {
			t.Fatalf("check(%q) #%d = nil, want an error", bad, i+1)
		}
	}
	if r.cache.has(appendTokenKey(nil, bad)) || len(r.seen) != 0 {
		t.Fatalf("check(%q) failed but was remembered", bad)
	}
	ok1 := xml.StartElement{Name: xml.Name{Space: "samlp", Local: "Response"}, Attr: []xml.Attr{{Name: xml.Name{Space: "xmlns", Local: "samlp"}, Value: nsProtocol}}}
	ok2 := xml.ProcInst{Target: "pi", Inst: []byte("x")}
	for _, tok := range []xml.Token{ok1, ok2, ok1, ok2} {
		if err := r.check(tok); err != nil {
			t.Fatalf("check(%#v) = %v, want nil", tok, err)
		}
	}
	if !r.cache.has(appendTokenKey(nil, ok1)) {
		t.Errorf("check(%#v) passed but is not cached", ok1)
	}
	// The cache holds one key: the second token is remembered for this document only.
	if _, ok := r.seen[string(appendTokenKey(nil, ok2))]; !ok || r.cache.has(appendTokenKey(nil, ok2)) {
		t.Errorf("check(%#v) with a full cache: seen %v, want it kept per document only", ok2, r.seen)
	}
}

// A shared cache is only sound if tokens the check sees differently never share a key.
func TestTokenKeyDistinguishesTokens(t *testing.T) {
	decl := func(p, v string) xml.Attr { return xml.Attr{Name: xml.Name{Space: "xmlns", Local: p}, Value: v} }
	el := func(attrs ...xml.Attr) xml.StartElement {
		return xml.StartElement{Name: xml.Name{Local: "a"}, Attr: attrs}
	}
	pairs := [][2]xml.Token{
		{el(decl("a", "x y:z=w")), el(decl("a", "x"), xml.Attr{Name: xml.Name{Space: "y", Local: "z"}, Value: "w"})},
		{el(decl("a", "u")), el(decl("a", "v"))},
		{el(xml.Attr{Name: xml.Name{Local: "xmlns"}, Value: "u"}), el(xml.Attr{Name: xml.Name{Local: "xmlns"}, Value: "v"})},
		{xml.StartElement{Name: xml.Name{Space: "a", Local: "b"}}, xml.StartElement{Name: xml.Name{Local: "a:b"}}},
		{xml.Comment("x"), xml.ProcInst{Target: "x"}},
		{xml.ProcInst{Target: "a", Inst: []byte("b c")}, xml.ProcInst{Target: "a b", Inst: []byte("c")}},
	}
	for _, p := range pairs {
		if string(appendTokenKey(nil, p[0])) == string(appendTokenKey(nil, p[1])) {
			t.Errorf("appendTokenKey(%#v) = appendTokenKey(%#v) = %q, want distinct keys", p[0], p[1], appendTokenKey(nil, p[0]))
		}
	}
	// Values other than namespace declarations are not checked, so they share a key.
	a := el(xml.Attr{Name: xml.Name{Local: "ID"}, Value: "_1"})
	b := el(xml.Attr{Name: xml.Name{Local: "ID"}, Value: "_2"})
	if string(appendTokenKey(nil, a)) != string(appendTokenKey(nil, b)) {
		t.Errorf("appendTokenKey differs for tags differing only in a plain attribute value")
	}
}
