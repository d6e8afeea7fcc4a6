package inspect

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/beevik/etree"
)

// tok is the tokenizer's form of an encoding/xml token.
func tok(x xml.Token) *xmlToken {
	t := &xmlToken{}
	switch x := x.(type) {
	case xml.StartElement:
		t.kind, t.name, t.raw = tokStart, x.Name, rawName(x.Name)
		for _, a := range x.Attr {
			t.attrs = append(t.attrs, xmlAttr{Attr: a, raw: rawName(a.Name)})
		}
	case xml.EndElement:
		t.kind, t.name, t.raw = tokEnd, x.Name, rawName(x.Name)
	case xml.CharData:
		t.kind, t.data = tokText, x
	case xml.Comment:
		t.kind, t.data = tokComment, x
	case xml.ProcInst:
		t.kind, t.target, t.data = tokProcInst, x.Target, x.Inst
	}
	return t
}

func tokKey(x xml.Token) string { return string(appendTokenKey(nil, tok(x))) }

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
		if err := r.check(tok(bad)); err == nil {
			t.Fatalf("check(%q) #%d = nil, want an error", bad, i+1)
		}
	}
	if r.cache.has([]byte(tokKey(bad))) || len(r.seen) != 0 {
		t.Fatalf("check(%q) failed but was remembered", bad)
	}
	ok1 := xml.StartElement{Name: xml.Name{Space: "samlp", Local: "Response"}, Attr: []xml.Attr{{Name: xml.Name{Space: "xmlns", Local: "samlp"}, Value: nsProtocol}}}
	ok2 := xml.ProcInst{Target: "pi", Inst: []byte("x")}
	for _, x := range []xml.Token{ok1, ok2, ok1, ok2} {
		if err := r.check(tok(x)); err != nil {
			t.Fatalf("check(%#v) = %v, want nil", x, err)
		}
	}
	if !r.cache.has([]byte(tokKey(ok1))) {
		t.Errorf("check(%#v) passed but is not cached", ok1)
	}
	// The cache holds one key: the second token is remembered for this document only.
	if _, ok := r.seen[tokKey(ok2)]; !ok || r.cache.has([]byte(tokKey(ok2))) {
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
		if tokKey(p[0]) == tokKey(p[1]) {
			t.Errorf("appendTokenKey(%#v) = appendTokenKey(%#v) = %q, want distinct keys", p[0], p[1], tokKey(p[0]))
		}
	}
	// Values other than namespace declarations are not checked, so they share a key.
	a := el(xml.Attr{Name: xml.Name{Local: "ID"}, Value: "_1"})
	b := el(xml.Attr{Name: xml.Name{Local: "ID"}, Value: "_2"})
	if tokKey(a) != tokKey(b) {
		t.Errorf("appendTokenKey differs for tags differing only in a plain attribute value")
	}
}

// xmlDecoderSource reads tokens with encoding/xml, for comparison in tests.
type xmlDecoderSource struct {
	dec *xml.Decoder
}

func newXMLDecoderSource(doc []byte) *xmlDecoderSource {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	dec.Strict = true
	dec.CharsetReader = func(charset string, input io.Reader) (io.Reader, error) {
		switch strings.ToLower(charset) {
		case "utf-8", "utf8", "us-ascii", "ascii":
			return input, nil
		}
		return nil, fmt.Errorf("the document declares encoding %q; SAML messages are UTF-8", charset)
	}
	return &xmlDecoderSource{dec: dec}
}

func (s *xmlDecoderSource) next(t *xmlToken) error {
	tok, err := s.dec.RawToken()
	if err != nil {
		return err
	}
	t.attrs = t.attrs[:0]
	t.data = nil
	switch tk := tok.(type) {
	case xml.StartElement:
		t.kind, t.name, t.raw = tokStart, tk.Name, rawName(tk.Name)
		for _, a := range tk.Attr {
			t.attrs = append(t.attrs, xmlAttr{Attr: a, raw: rawName(a.Name)})
		}
	case xml.EndElement:
		t.kind, t.name, t.raw = tokEnd, tk.Name, rawName(tk.Name)
	case xml.CharData:
		t.kind, t.data = tokText, tk
	case xml.Comment:
		t.kind, t.data = tokComment, tk
	case xml.ProcInst:
		t.kind, t.target, t.data = tokProcInst, tk.Target, tk.Inst
	case xml.Directive:
		return errDirective
	}
	return nil
}

// tokenizerSeeds returns the decoded XML of every fixture case, the SAML documents
// the package's tests build, and documents aimed at the corners where a hand-written
// tokenizer could part from encoding/xml.
func tokenizerSeeds(t testing.TB) [][]byte {
	keys(t)
	var seeds [][]byte
	add := func(b []byte) {
		seeds = append(seeds, b)
		if out, _, err := decodeLayers(b, 1<<20); err == nil && !bytes.Equal(out, b) {
			seeds = append(seeds, out)
		}
	}
	files, err := filepath.Glob("testdata/cases/*/input*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixture inputs: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		add(b)
		// Redirect-binding URLs carry the message in a query parameter.
		if u, err := url.Parse(strings.TrimSpace(string(b))); err == nil {
			for _, k := range []string{"SAMLRequest", "SAMLResponse"} {
				if v := u.Query().Get(k); v != "" {
					add([]byte(v))
				}
			}
		}
	}
	for _, s := range []string{fdResponseXML, fdAuthnRequestXML, authnRequestXML(reqSpec{}), metadataXML(idpKey.cert, idpNext.cert)} {
		seeds = append(seeds, []byte(s))
	}
	seeds = append(seeds,
		buildResponse(t, respSpec{padAttrs: 45}),
		buildResponse(t, respSpec{sign: "both"}),
	)
	for _, s := range nastyXML {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

// nastyXML are documents at the edges of the grammar, accepted or not.
var nastyXML = []string{
	"<a>x\r\ny\rz\r\r\n</a>",
	"<a b='1\r\n2\r3\t4\n5'/>",
	"<a><![CDATA[x<y&z]]]]><![CDATA[>\r\n]]></a>",
	"<a><![CDATA[]]></a>",
	"<a><![CDATA[x]]</a>",
	"<a><![CDAT[x]]></a>",
	"<a>&lt;&gt;&amp;&apos;&quot;&#65;&#x41;&#x1F600;&#0065;&#x0000041;</a>",
	"<a>&#0;</a>", "<a>&#xD800;</a>", "<a>&#xFFFE;</a>", "<a>&#x110000;</a>", "<a>&#X41;</a>", "<a>&#;</a>", "<a>&#x;</a>",
	"<a>&#65</a>", "<a>&nbsp;</a>", "<a>&lt</a>", "<a>&lt:x;</a>", "<a b='&#13;&#10;&#9;'/>",
	"<a>]]></a>", "<a>]]&gt;</a>", "<a b=']]>'/>", "<a>]&#93;></a>",
	"<a><!-- c --><!----><!-- - --></a>", "<a><!-- a -- b --></a>", "<a><!-- a ---></a>", "<a><!---></a>", "<a><!-x--></a>",
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?><a/>",
	"<?xml version='1.0' encoding='us-ascii' standalone='yes'?>\n<a/>",
	"<?xml version=\"1.1\"?><a/>", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>", "<?xml encoding=\"UTF-8\"?><a/>",
	"<?xml version = \"1.0\" encoding = \"latin1\" ?><a/>",
	"\ufeff<?xml version=\"1.0\"?><a/>", "\ufeff<a/>", " <?xml version=\"1.0\"?><a/>", "<a/><?xml version=\"1.0\"?>",
	"<a><?pi data?><?pi?><?pi ?><?pi-x a?b?></a>", "<a><?XML x?></a>", "<a><?pi\r\n x\r\n?></a>", "<a><?a:b c?></a>",
	"<!DOCTYPE a [<!ENTITY b \"c\">]><a>&b;</a>", "<a><!ELEMENT a ANY></a>",
	"<x:a xmlns:x='u' x:b='1' b='2'><x:c/></x:a>", "<a xmlns='u' xmlns:x='v'><x:b xmlns:x='w'/></a>",
	"<a:b:c/>", "<:a/>", "<a:/>", "<a :b='1'/>", "<a b:='1'/>", "<a xmlns:='u'/>", "<a x:1='2'/>", "<1a/>", "<a-b.c_d/>",
	"<a b='1'c='2'/>", "<a b=1/>", "<a b/>", "<a b='1' b='2'/>", "<a b='x<y'/>", "<a b=\"'\" c='\"'/>",
	"<a></b>", "<a>", "<a><b></a></b>", "</a>", "<a/><b/>", "<a/>x", "x<a/>", " \n<a/>\n ", "<a/ >", "<a / >", "</a >", "<a></a >",
	"<a>\x00</a>", "<a>\x7f\u0085\ufffd\U0010FFFF</a>", "<a>\xff</a>", "<a>\xed\xa0\x80</a>", "<a b='\xc3'/>", "<a><!--\x01--></a>",
	"<aé/>", "<a b\u00e9='1'/>", "<a\t\r\nb\n=\r'1'\n/>", "", "<", "<a", "<a b", "<a b=", "<a b='", "<!", "<!-", "<![", "<?", "<?a", "<?a b",
	"<a>x&</a>", "<a>x&amp</a>",
}

// tokensOf reads every token of doc from src, in encoding/xml's own types.
func tokensOf(src tokenSource) ([]xml.Token, error) {
	var out []xml.Token
	var t xmlToken
	for {
		err := src.next(&t)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, xmlTokenOf(&t))
	}
}

// tokenString renders a token exactly, for comparison and messages.
func tokenString(x xml.Token) string {
	switch x := x.(type) {
	case xml.StartElement:
		s := fmt.Sprintf("<%q:%q", x.Name.Space, x.Name.Local)
		for _, a := range x.Attr {
			s += fmt.Sprintf(" %q:%q=%q", a.Name.Space, a.Name.Local, a.Value)
		}
		return s + ">"
	case xml.EndElement:
		return fmt.Sprintf("</%q:%q>", x.Name.Space, x.Name.Local)
	case xml.CharData:
		return fmt.Sprintf("text %q", []byte(x))
	case xml.Comment:
		return fmt.Sprintf("comment %q", []byte(x))
	case xml.ProcInst:
		return fmt.Sprintf("pi %q %q", x.Target, x.Inst)
	case xml.Directive:
		return fmt.Sprintf("directive %q", []byte(x))
	}
	return fmt.Sprintf("%T", x)
}

// compareTokenizers holds xmlTokenizer to encoding/xml on doc: whatever it accepts,
// encoding/xml accepts with the same tokens; it may refuse more, never less. The
// trees parseXML builds from either source must agree in the same way.
func compareTokenizers(t *testing.T, doc []byte) {
	ours, oursErr := tokensOf(newXMLTokenizer(doc))
	std, stdErr := tokensOf(newXMLDecoderSource(doc))
	if oursErr == nil {
		if stdErr != nil {
			t.Fatalf("tokenizer accepts %q, encoding/xml refuses it: %v", doc, stdErr)
		}
		n := max(len(ours), len(std))
		for i := range n {
			var a, b string
			if i < len(ours) {
				a = tokenString(ours[i])
			}
			if i < len(std) {
				b = tokenString(std[i])
			}
			if a != b {
				t.Fatalf("tokenizer on %q: token %d is %s, encoding/xml's is %s", doc, i, a, b)
			}
		}
	}
	d1, err1 := parseXML(doc)
	d2, err2 := buildTree(newXMLDecoderSource(doc))
	if err1 == nil && err2 != nil {
		t.Fatalf("parseXML(%q) accepts, with encoding/xml it refuses: %v", doc, err2)
	}
	if err1 == nil {
		if a, b := prettyXML(d1, len(doc)), prettyXML(d2, len(doc)); a != b {
			t.Fatalf("parseXML(%q) builds\n%s\nwith encoding/xml\n%s", doc, a, b)
		}
		if a, _ := excC14N(d1.Root(), nil, ""); !bytes.Equal(a, mustC14N(t, d2)) {
			t.Fatalf("parseXML(%q) canonicalizes to %q, with encoding/xml to %q", doc, a, mustC14N(t, d2))
		}
	}
}

func mustC14N(t *testing.T, d *etree.Document) []byte {
	b, _ := excC14N(d.Root(), nil, "")
	return b
}

func TestTokenizerMatchesEncodingXMLOnSeeds(t *testing.T) {
	for _, doc := range tokenizerSeeds(t) {
		compareTokenizers(t, doc)
	}
}

// FuzzTokenizerMatchesEncodingXML is the proof that xmlTokenizer can stand in for
// encoding/xml: on any input it accepts, encoding/xml yields the identical tokens.
func FuzzTokenizerMatchesEncodingXML(f *testing.F) {
	for _, doc := range tokenizerSeeds(f) {
		f.Add(doc)
	}
	f.Fuzz(compareTokenizers)
}

// The tokenizer must refuse, with the right finding, what the safety rules refuse.
func TestTokenizerRefusals(t *testing.T) {
	for _, tc := range []struct {
		doc, code string
	}{
		{`<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>`, CodeXMLDoctype},
		{`<a><!ENTITY b "c"></a>`, CodeXMLDoctype},
		{`<a>&b;</a>`, CodeInputMalformed},
		{`<a>&#xD800;</a>`, CodeInputMalformed},
		{`<a><!-- a -- b --></a>`, CodeInputMalformed},
		{"<a><!--\x01--></a>", CodeInputMalformed},
		{`<aé/>`, CodeInputMalformed},
		{`<a b='1'c='2'/>`, CodeInputMalformed},
		{`<a b='1' b='2'/>`, CodeInputMalformed},
		{`<a:b:c/>`, CodeInputMalformed},
		{`<a/><?xml version="1.0"?>`, CodeInputMalformed},
		{`<?xml version="1.0" encoding="ISO-8859-1"?><a/>`, CodeInputMalformed},
		{`<a></b>`, CodeInputMalformed},
		{`<a>`, CodeInputMalformed},
		{`<a/>x`, CodeInputMalformed},
		{"<a>\xff</a>", CodeInputMalformed},
	} {
		_, err := parseXML([]byte(tc.doc))
		var se *xmlSafetyError
		if !errors.As(err, &se) || se.code != tc.code {
			t.Errorf("parseXML(%q) = %v, want a %s refusal", tc.doc, err, tc.code)
		}
	}
}

// xmlPieces are the fragments TestTokenizerMatchesEncodingXMLRandom builds documents
// from: short documents of them reach corners that mutating 8 KB responses seldom does.
var xmlPieces = []string{
	"<a", "<b", "<x:a", "</a>", "</b>", "</x:a>", ">", "/>", " ", "\t", "\r", "\n", "\r\n", "=", "'", `"`,
	" b='1'", ` x:b="2"`, " xmlns:x='u'", ` xmlns="v"`, "b", ":", "x:", "-", ".", "1", "é", "\xff", "\x00", "\x01",
	"&", "&lt;", "&amp;", "&quot;", "&apos;", "&gt;", "&#65;", "&#x41;", "&#xD800;", "&#0;", "&#", ";", "x", "]]>", "]", "]]",
	"<!--", "-->", "--", "-", "<![CDATA[", "<!DOCTYPE a>", "<!", "<?", "?>", "<?pi ", "<?xml version='1.0'?>", "<?xml ", "\ufeff",
	"<a>", "<b/>", "text", "\u00e9", "\U0001F600", "\ufffe", "<", "/",
}

func TestTokenizerMatchesEncodingXMLRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 50000
	if testing.Short() {
		n = 5000
	}
	accepted := 0
	var b []byte
	for range n {
		b = b[:0]
		for range 1 + rng.IntN(12) {
			b = append(b, xmlPieces[rng.IntN(len(xmlPieces))]...)
		}
		compareTokenizers(t, b)
		if _, err := tokensOf(newXMLTokenizer(b)); err == nil {
			accepted++
		}
	}
	// The comparison only means something if many documents are accepted.
	if accepted < n/20 {
		t.Errorf("the tokenizer accepted %d of %d random documents, want at least %d", accepted, n, n/20)
	}
	t.Logf("%d of %d random documents accepted", accepted, n)
}

// The name and round-trip caches are shared by every parse: under -race this shows
// concurrent parses, adding and reading at once, are safe.
func TestParseXMLConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				doc := fmt.Sprintf(`<p%d:a xmlns:p%d="urn:x" b%d="1"><!--c%d--><?pi%d x?><c/></p%d:a>`, g, g, i, i, i, g)
				if _, err := parseXML([]byte(doc)); err != nil {
					errs <- fmt.Errorf("parseXML(%q) = %v", doc, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
