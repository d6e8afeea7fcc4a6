package inspect

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"
)

// tokKind is the kind of token an xmlTokenizer produced.
type tokKind uint8

const (
	tokStart tokKind = iota + 1
	tokEnd
	tokText
	tokComment
	tokProcInst
)

// xmlToken is one token, in the fields its kind uses. data and attrs are only valid
// until the next token is read.
type xmlToken struct {
	kind   tokKind
	name   xml.Name // start and end tags
	raw    string   // the name as written, prefix:local
	attrs  []xmlAttr
	data   []byte // text, comment, processing instruction
	target string // processing instruction
}

// xmlAttr is an attribute with its name as written, which etree wants.
type xmlAttr struct {
	xml.Attr
	raw string
}

// tokenSource yields a document's tokens the way encoding/xml's RawToken does: names
// not namespace-resolved, the end of an empty element as its own token, and io.EOF
// after the last token.
type tokenSource interface {
	next(t *xmlToken) error
}

// errDirective is returned for <!DOCTYPE and every other <! declaration.
var errDirective = errors.New("xml: directive")

// xmlTokenizer is a strict XML 1.0 tokenizer over a whole document in memory. It
// produces exactly the tokens encoding/xml's Decoder (Strict, RawToken) produces and
// refuses everything it does not handle exactly, a superset of what encoding/xml
// refuses (FuzzTokenizerMatchesEncodingXML holds it to that): names outside ASCII or
// not namespace-well-formed, a missing space between attributes, <! declarations,
// entities other than the five predefined ones, character references to characters
// XML forbids, invalid UTF-8 or forbidden characters anywhere (encoding/xml does not
// check comments and processing instructions), an XML declaration anywhere but at
// the very start or declaring other than version 1.0 in UTF-8 or ASCII, and an
// unterminated anything. Like encoding/xml, and unlike XML's attribute-value
// normalisation, it leaves tabs and newlines in attribute values as they are: the tree
// must be the one every encoding/xml-based verifier (goxmldsig, crewjam/saml) builds.
// It works on the bytes directly: encoding/xml reads each byte through an interface
// call and costs more than the signature check.
type xmlTokenizer struct {
	doc      []byte
	pos      int
	closing  bool // the previous start tag was empty: its end tag comes next
	closeRaw string
	closeN   xml.Name
	buf      []byte // unescaped text
}

func newXMLTokenizer(doc []byte) *xmlTokenizer {
	return &xmlTokenizer{doc: doc}
}

// internedNames holds element and attribute names for the whole process: SAML
// messages use the same hundred or so, so steady-state parsing allocates none. Like
// roundTripOK it stops adding when full, which only a stream of made-up names fills.
var internedNames = struct {
	sync.RWMutex
	m map[string]string
}{m: make(map[string]string)}

const (
	internMax     = 4096
	internNameMax = 64
)

func internName(b []byte) string {
	internedNames.RLock()
	s, ok := internedNames.m[string(b)]
	internedNames.RUnlock()
	if ok {
		return s
	}
	s = string(b)
	if len(b) <= internNameMax {
		internedNames.Lock()
		if len(internedNames.m) < internMax {
			internedNames.m[s] = s
		}
		internedNames.Unlock()
	}
	return s
}

// syntaxError builds the error encoding/xml would, with the line of the offset.
func (z *xmlTokenizer) syntaxError(at int, msg string) error {
	if at > len(z.doc) {
		at = len(z.doc)
	}
	return &xml.SyntaxError{Msg: msg, Line: 1 + bytes.Count(z.doc[:at], []byte{'\n'})}
}

func (z *xmlTokenizer) eof() error { return z.syntaxError(len(z.doc), "unexpected EOF") }

func (z *xmlTokenizer) next(t *xmlToken) error {
	t.attrs = t.attrs[:0]
	t.data = nil
	if z.closing {
		z.closing = false
		t.kind, t.raw, t.name = tokEnd, z.closeRaw, z.closeN
		return nil
	}
	doc, p := z.doc, z.pos
	if p >= len(doc) {
		return io.EOF
	}
	if doc[p] != '<' {
		end := bytes.IndexByte(doc[p:], '<')
		if end < 0 {
			end = len(doc)
		} else {
			end += p
		}
		data, err := z.text(p, end, 0)
		if err != nil {
			return err
		}
		z.pos = end
		t.kind, t.data = tokText, data
		return nil
	}
	if p+1 >= len(doc) {
		return z.eof()
	}
	switch doc[p+1] {
	case '/':
		raw, name, q, err := z.qname(p + 2)
		if err != nil {
			return err
		}
		q = z.space(q)
		if q >= len(doc) {
			return z.eof()
		}
		if doc[q] != '>' {
			return z.syntaxError(q, "invalid characters between </"+name.Local+" and >")
		}
		z.pos = q + 1
		t.kind, t.raw, t.name = tokEnd, raw, name
		return nil
	case '?':
		return z.procInst(t, p)
	case '!':
		return z.bang(t, p)
	}
	return z.startTag(t, p)
}

func (z *xmlTokenizer) startTag(t *xmlToken, p int) error {
	doc := z.doc
	raw, name, q, err := z.qname(p + 1)
	if err != nil {
		return err
	}
	t.kind, t.raw, t.name = tokStart, raw, name
	for {
		spaced := q
		q = z.space(q)
		if q >= len(doc) {
			return z.eof()
		}
		switch doc[q] {
		case '/':
			if q+1 >= len(doc) {
				return z.eof()
			}
			if doc[q+1] != '>' {
				return z.syntaxError(q, "expected /> in element")
			}
			z.pos = q + 2
			z.closing, z.closeRaw, z.closeN = true, raw, name
			return nil
		case '>':
			z.pos = q + 1
			return nil
		}
		if q == spaced {
			return z.syntaxError(q, "expected white space before an attribute in <"+raw+">")
		}
		var a xmlAttr
		a.raw, a.Name, q, err = z.qname(q)
		if err != nil {
			return err
		}
		q = z.space(q)
		if q >= len(doc) {
			return z.eof()
		}
		if doc[q] != '=' {
			return z.syntaxError(q, "attribute name without = in element")
		}
		q = z.space(q + 1)
		if q >= len(doc) {
			return z.eof()
		}
		quote := doc[q]
		if quote != '"' && quote != '\'' {
			return z.syntaxError(q, "unquoted or missing attribute value in element")
		}
		end := bytes.IndexByte(doc[q+1:], quote)
		if end < 0 {
			return z.eof()
		}
		end += q + 1
		v, err := z.text(q+1, end, quote)
		if err != nil {
			return err
		}
		a.Value = string(v)
		t.attrs = append(t.attrs, a)
		q = end + 1
	}
}

// bang reads what follows "<!": a comment or a CDATA section; anything else is a
// declaration, refused.
func (z *xmlTokenizer) bang(t *xmlToken, p int) error {
	doc := z.doc
	rest := doc[p+2:]
	switch {
	case bytes.HasPrefix(rest, []byte("--")):
		start := p + 4
		i := bytes.Index(doc[start:], []byte("--"))
		if i < 0 {
			return z.eof()
		}
		i += start
		if i+2 >= len(doc) {
			return z.eof()
		}
		if doc[i+2] != '>' {
			return z.syntaxError(i, `invalid sequence "--" not allowed in comments`)
		}
		if at, msg := checkChars(doc[start:i]); msg != "" {
			return z.syntaxError(start+at, msg)
		}
		z.pos = i + 3
		t.kind, t.data = tokComment, doc[start:i]
		return nil
	case bytes.HasPrefix(rest, []byte("[CDATA[")):
		start := p + 9
		i := bytes.Index(doc[start:], []byte("]]>"))
		if i < 0 {
			return z.syntaxError(len(doc), "unexpected EOF in CDATA section")
		}
		i += start
		data, err := z.cdata(start, i)
		if err != nil {
			return err
		}
		z.pos = i + 3
		t.kind, t.data = tokText, data
		return nil
	case len(rest) < 2, len(rest) < 7 && rest[0] == '[' && bytes.HasPrefix([]byte("[CDATA["), rest):
		return z.eof()
	case rest[0] == '-':
		return z.syntaxError(p, "invalid sequence <!- not part of <!--")
	case rest[0] == '[':
		return z.syntaxError(p, "invalid <![ sequence")
	}
	return errDirective
}

func (z *xmlTokenizer) procInst(t *xmlToken, p int) error {
	doc := z.doc
	q := p + 2
	for q < len(doc) && nameByte(doc[q], q > p+2) {
		q++
	}
	if q == p+2 || q >= len(doc) || doc[q] >= utf8.RuneSelf {
		if q >= len(doc) {
			return z.eof()
		}
		return z.syntaxError(q, "expected target name after <?")
	}
	target := string(doc[p+2 : q])
	if strings.EqualFold(target, "xml") && (target != "xml" || p != 0) {
		return z.syntaxError(p, "the XML declaration <?"+target+" is only allowed, in lower case, at the very start of the document")
	}
	start := q
	if !bytes.HasPrefix(doc[q:], []byte("?>")) {
		start = z.space(q)
		if start == q {
			return z.syntaxError(q, "expected white space after <?"+target)
		}
	}
	i := bytes.Index(doc[start:], []byte("?>"))
	if i < 0 {
		return z.eof()
	}
	i += start
	data := doc[start:i]
	if at, msg := checkChars(data); msg != "" {
		return z.syntaxError(start+at, msg)
	}
	if target == "xml" {
		if err := checkDeclaration(string(data)); err != nil {
			return err
		}
	}
	z.pos = i + 2
	t.kind, t.target, t.data = tokProcInst, target, data
	return nil
}

// checkDeclaration reads an XML declaration strictly: version 1.0, then optionally
// an encoding SAML messages can be in and standalone, in that order.
func checkDeclaration(s string) error {
	bad := errors.New("xml: the XML declaration <?xml " + s + "?> is not version=\"1.0\" with an optional encoding and standalone")
	pseudo := func(s, name string) (value, rest string, ok bool) {
		if !strings.HasPrefix(s, name) {
			return "", s, false
		}
		s = strings.TrimLeft(s[len(name):], " \t\r\n")
		if !strings.HasPrefix(s, "=") {
			return "", s, false
		}
		s = strings.TrimLeft(s[1:], " \t\r\n")
		if s == "" || (s[0] != '"' && s[0] != '\'') {
			return "", s, false
		}
		end := strings.IndexByte(s[1:], s[0])
		if end < 0 {
			return "", s, false
		}
		return s[1 : 1+end], s[end+2:], true
	}
	v, rest, ok := pseudo(s, "version")
	if !ok || v != "1.0" {
		return bad
	}
	spaced := func(r string) (string, bool) {
		t := strings.TrimLeft(r, " \t\r\n")
		return t, len(t) < len(r)
	}
	r, sp := spaced(rest)
	if sp && strings.HasPrefix(r, "encoding") {
		enc, rest2, ok := pseudo(r, "encoding")
		if !ok {
			return bad
		}
		switch strings.ToLower(enc) {
		case "utf-8", "utf8", "us-ascii", "ascii":
		default:
			return fmt.Errorf("xml: opening charset %q: the document declares encoding %q; SAML messages are UTF-8", enc, enc)
		}
		rest = rest2
		r, sp = spaced(rest)
	}
	if sp && strings.HasPrefix(r, "standalone") {
		st, rest2, ok := pseudo(r, "standalone")
		if !ok || (st != "yes" && st != "no") {
			return bad
		}
		r, _ = spaced(rest2)
	}
	if r != "" {
		return bad
	}
	return nil
}

// space skips XML white space from q.
func (z *xmlTokenizer) space(q int) int {
	for q < len(z.doc) {
		switch z.doc[q] {
		case ' ', '\t', '\r', '\n':
			q++
		default:
			return q
		}
	}
	return q
}

// nameByte reports whether c may appear in an ASCII XML name, first or later.
func nameByte(c byte, later bool) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == ':' ||
		later && ('0' <= c && c <= '9' || c == '.' || c == '-')
}

// qname reads an element or attribute name at q: an NCName or prefix:NCName in ASCII.
// encoding/xml accepts more (any colons, names outside ASCII) that parsers disagree on.
func (z *xmlTokenizer) qname(q int) (raw string, name xml.Name, end int, err error) {
	doc := z.doc
	start, colon := q, -1
	for q < len(doc) {
		c := doc[q]
		if c == ':' {
			if colon >= 0 || q == start {
				return "", name, q, z.syntaxError(q, "invalid XML name: a name has at most one colon, between a prefix and a local name")
			}
			colon = q
			q++
			continue
		}
		first := q == start || q == colon+1
		if !nameByte(c, !first) || c == ':' {
			break
		}
		q++
	}
	switch {
	case q >= len(doc):
		return "", name, q, z.eof()
	case q == start:
		return "", name, q, z.syntaxError(q, "expected element or attribute name")
	case doc[q] >= utf8.RuneSelf:
		return "", name, q, z.syntaxError(q, "invalid XML name: names outside ASCII are not accepted")
	case colon == q-1:
		return "", name, q, z.syntaxError(q, "invalid XML name: the local name after the colon is missing or does not start with a letter or _")
	}
	s := internName(doc[start:q])
	if colon < 0 {
		return s, xml.Name{Local: s}, q, nil
	}
	i := colon - start
	return s, xml.Name{Space: s[:i], Local: s[i+1:]}, q, nil
}

// textClass marks the bytes text scanning must look at: markup, references, line
// ends, quotes, control characters and the start of multi-byte characters.
var textClass = func() (c [256]bool) {
	for i := 0; i < 0x20; i++ {
		c[i] = true
	}
	c['\t'], c['\n'] = false, false
	for _, b := range []byte("&]\r<\"'") {
		c[b] = true
	}
	for i := 0x80; i < 0x100; i++ {
		c[i] = true
	}
	return c
}()

// text unescapes doc[from:to], character data (quote 0) or an attribute value,
// exactly as encoding/xml does: the five predefined entities and character
// references, \r\n and \r read as \n, "]]>" refused in character data, "<" refused in
// a value. It returns doc's own bytes when nothing needs changing.
func (z *xmlTokenizer) text(from, to int, quote byte) ([]byte, error) {
	doc := z.doc
	out := z.buf[:0]
	copied := false
	run := from // start of bytes not yet copied to out
	for i := from; i < to; {
		c := doc[i]
		if !textClass[c] {
			i++
			continue
		}
		switch {
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(doc[i:to])
			if r == utf8.RuneError && n == 1 {
				return nil, z.syntaxError(i, "invalid UTF-8")
			}
			if !xmlChar(r) {
				return nil, z.syntaxError(i, fmt.Sprintf("illegal character code %U", r))
			}
			i += n
		case c == '"' || c == '\'':
			i++ // the closing quote is at to; the other quote is text
		case c == ']':
			if quote == 0 && i+2 < len(doc) && doc[i+1] == ']' && doc[i+2] == '>' {
				return nil, z.syntaxError(i, "unescaped ]]> not in CDATA section")
			}
			i++
		case c == '<':
			return nil, z.syntaxError(i, "unescaped < inside quoted string")
		case c == '\r':
			out = append(out, doc[run:i]...)
			copied = true
			out = append(out, '\n')
			i++
			if i < to && doc[i] == '\n' {
				i++
			}
			run = i
		case c == '&':
			out = append(out, doc[run:i]...)
			copied = true
			var n int
			var err error
			out, n, err = z.entity(out, i, to)
			if err != nil {
				return nil, err
			}
			i += n
			run = i
		default:
			return nil, z.syntaxError(i, fmt.Sprintf("illegal character code %U", rune(c)))
		}
	}
	if !copied {
		return doc[from:to], nil
	}
	out = append(out, doc[run:to]...)
	z.buf = out
	return out, nil
}

// entity appends the character the reference at doc[i] (an "&") stands for, and
// returns how many bytes it took.
func (z *xmlTokenizer) entity(out []byte, i, to int) ([]byte, int, error) {
	doc := z.doc[:to]
	ref := doc[i+1:]
	for _, e := range [...]struct {
		name string
		r    byte
	}{{"lt;", '<'}, {"gt;", '>'}, {"amp;", '&'}, {"apos;", '\''}, {"quot;", '"'}} {
		if bytes.HasPrefix(ref, []byte(e.name)) {
			return append(out, e.r), 1 + len(e.name), nil
		}
	}
	bad := func() ([]byte, int, error) {
		end := bytes.IndexByte(ref, ';')
		if end < 0 || end > 16 {
			end = min(len(ref), 16)
		}
		return nil, 0, z.syntaxError(i, "invalid character entity &"+string(ref[:end])+";")
	}
	if len(ref) == 0 || ref[0] != '#' {
		return bad()
	}
	j, base := 1, rune(10)
	if len(ref) > 1 && ref[1] == 'x' {
		j, base = 2, 16
	}
	digits := j
	var r rune
	for ; j < len(ref); j++ {
		c := ref[j]
		var d rune
		switch {
		case '0' <= c && c <= '9':
			d = rune(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			d = rune(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			d = rune(c-'A') + 10
		default:
			d = -1
		}
		if d < 0 {
			break
		}
		r = r*base + d
		if r > utf8.MaxRune {
			return bad()
		}
	}
	if j == digits || j >= len(ref) || ref[j] != ';' || !xmlChar(r) {
		return bad()
	}
	return utf8.AppendRune(out, r), 1 + j + 1, nil
}

// cdata returns a CDATA section's text with line ends normalised, checked as
// encoding/xml checks it.
func (z *xmlTokenizer) cdata(from, to int) ([]byte, error) {
	data := z.doc[from:to]
	if at, msg := checkChars(data); msg != "" {
		return nil, z.syntaxError(from+at, msg)
	}
	if bytes.IndexByte(data, '\r') < 0 {
		return data, nil
	}
	out := z.buf[:0]
	for i := 0; i < len(data); i++ {
		switch {
		case data[i] != '\r':
			out = append(out, data[i])
		case i+1 < len(data) && data[i+1] == '\n':
		default:
			out = append(out, '\n')
		}
	}
	z.buf = out
	return out, nil
}

// checkChars finds the first byte of b that is not valid UTF-8 or not an XML character.
func checkChars(b []byte) (int, string) {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return i, fmt.Sprintf("illegal character code %U", rune(c))
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i, "invalid UTF-8"
		}
		if !xmlChar(r) {
			return i, fmt.Sprintf("illegal character code %U", r)
		}
		i += n
	}
	return 0, ""
}

// xmlChar is XML 1.0's Char production (as encoding/xml's isInCharacterRange).
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
