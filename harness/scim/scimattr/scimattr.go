// Package scimattr reads and writes SCIM attribute paths (RFC 7644 §3.5.2 "path",
// §3.4.2.2 filters) on resources held as decoded JSON, the common ground of Entra's
// SCIM client (building and comparing users) and the embedded SCIM receiver (applying
// PATCH operations and filters).
//
// Only what Entra sends is supported: a simple or dotted attribute, an extension
// attribute after its schema URN, and one "attr eq value" filter on a multi-valued
// attribute followed by an optional sub-attribute (emails[type eq "work"].value,
// members[value eq "id"]). Attribute names match case-insensitively (RFC 7643 §2.1).
package scimattr

import (
	"fmt"
	"strconv"
	"strings"
)

// Path is a parsed attribute path.
type Path struct {
	// URN is the extension schema of the attribute; empty for core attributes.
	URN  string
	Attr string
	// Filter selects elements of a multi-valued Attr; nil means the whole attribute.
	Filter *Cond
	// Sub is a sub-attribute: of Attr ("name.givenName") or of the filtered elements.
	Sub string
}

// Cond is one "attr eq value" comparison.
type Cond struct {
	Attr  string
	Value string
}

func (p Path) String() string {
	s := p.Attr
	if p.URN != "" {
		s = p.URN + ":" + s
	}
	if p.Filter != nil {
		s += fmt.Sprintf("[%s eq %q]", p.Filter.Attr, p.Filter.Value)
	}
	if p.Sub != "" {
		s += "." + p.Sub
	}
	return s
}

// coreURNs are the schemas whose attributes live at the top level of a resource.
var coreURNs = []string{"urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:core:2.0:Group"}

// ParsePath parses a PATCH path or a filter's attribute.
func ParsePath(s string) (Path, error) {
	s = strings.TrimSpace(s)
	var p Path
	if strings.HasPrefix(strings.ToLower(s), "urn:") {
		// The attribute follows the schema URN's last colon; a filter's brackets may
		// hold colons of their own, so look only before the first bracket.
		head := s
		if i := strings.IndexByte(s, '['); i >= 0 {
			head = s[:i]
		}
		i := strings.LastIndexByte(head, ':')
		if i < 0 {
			return p, fmt.Errorf("path %q has a schema URN but no attribute", s)
		}
		p.URN, s = s[:i], s[i+1:]
		for _, c := range coreURNs {
			if strings.EqualFold(p.URN, c) {
				p.URN = ""
			}
		}
	}
	if i := strings.IndexByte(s, '['); i >= 0 {
		j := strings.LastIndexByte(s, ']')
		if j < i {
			return p, fmt.Errorf("path %q has an unclosed filter", s)
		}
		conds, err := ParseFilter(s[i+1 : j])
		if err != nil {
			return p, err
		}
		if len(conds) != 1 {
			return p, fmt.Errorf("path %q: only one comparison is supported in a value filter", s)
		}
		p.Filter = &conds[0]
		rest := s[j+1:]
		if rest != "" {
			if !strings.HasPrefix(rest, ".") || len(rest) == 1 {
				return p, fmt.Errorf("path %q has text after its filter that is not a sub-attribute", s)
			}
			p.Sub = rest[1:]
		}
		s = s[:i]
	} else if i := strings.IndexByte(s, '.'); i >= 0 {
		s, p.Sub = s[:i], s[i+1:]
	}
	if !validName(s) || (p.Sub != "" && !validName(p.Sub)) {
		return p, fmt.Errorf("path %q is not a SCIM attribute path", p.String())
	}
	p.Attr = s
	return p, nil
}

// validName is RFC 7643 §2.1's ATTRNAME, plus "$ref".
func validName(s string) bool {
	if s == "$ref" {
		return true
	}
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '_' || r == '-'):
		default:
			return false
		}
	}
	return true
}

// ParseFilter parses "a eq v [and b eq w]...". Values may be quoted JSON strings or,
// as in Entra's own documented request (filter=externalId eq jyoung), bare words;
// true, false and null stay their literal text. [scim-build]
func ParseFilter(s string) ([]Cond, error) {
	var out []Cond
	rest := strings.TrimSpace(s)
	for {
		attr, r, ok := cutSpace(rest)
		if !ok {
			return nil, fmt.Errorf("filter %q: want attribute eq value", s)
		}
		op, r, ok := cutSpace(r)
		if !ok || !strings.EqualFold(op, "eq") {
			return nil, fmt.Errorf("filter %q: only the eq operator (joined by and) is supported", s)
		}
		var val string
		r = strings.TrimLeft(r, " ")
		if strings.HasPrefix(r, `"`) {
			end := closingQuote(r)
			if end < 0 {
				return nil, fmt.Errorf("filter %q has an unterminated string", s)
			}
			v, err := strconv.Unquote(r[:end+1])
			if err != nil {
				return nil, fmt.Errorf("filter %q has a bad string: %v", s, err)
			}
			val, r = v, r[end+1:]
		} else {
			val, r, _ = cutSpace(r)
			if val == "" {
				return nil, fmt.Errorf("filter %q has no value after eq", s)
			}
		}
		out = append(out, Cond{Attr: attr, Value: val})
		r = strings.TrimSpace(r)
		if r == "" {
			return out, nil
		}
		and, r2, ok := cutSpace(r)
		if !ok || !strings.EqualFold(and, "and") {
			return nil, fmt.Errorf("filter %q: only eq comparisons joined by and are supported", s)
		}
		rest = r2
	}
}

func cutSpace(s string) (head, rest string, ok bool) {
	s = strings.TrimLeft(s, " ")
	if s == "" {
		return "", "", false
	}
	i := strings.IndexByte(s, ' ')
	if i < 0 {
		return s, "", true
	}
	return s[:i], s[i+1:], true
}

func closingQuote(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// Lookup returns m's value for key, matching the key case-insensitively, and the key
// as spelled in m.
func Lookup(m map[string]any, key string) (any, string, bool) {
	if v, ok := m[key]; ok {
		return v, key, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, k, true
		}
	}
	return nil, "", false
}

// container returns the map holding p's attribute: the resource, or its extension
// object (made when create is set).
func container(res map[string]any, p Path, create bool) map[string]any {
	if p.URN == "" {
		return res
	}
	v, k, ok := Lookup(res, p.URN)
	if m, isMap := v.(map[string]any); ok && isMap {
		return m
	}
	if !create {
		return nil
	}
	if !ok {
		k = p.URN
	}
	m := map[string]any{}
	res[k] = m
	return m
}

// Matches reports whether element (a multi-valued attribute's member) satisfies c.
// Values compare case-insensitively, as SCIM's default caseExact=false allows.
func Matches(element any, c Cond) bool {
	m, ok := element.(map[string]any)
	if !ok {
		return false
	}
	v, _, ok := Lookup(m, c.Attr)
	return ok && strings.EqualFold(Text(v), c.Value)
}

// Text renders a scalar as a filter compares it: strings as they are, booleans and
// numbers as JSON literals.
func Text(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}

// Get returns the value at p: for a filtered path, the first matching element's Sub
// (or the element itself).
func Get(res map[string]any, p Path) (any, bool) {
	c := container(res, p, false)
	if c == nil {
		return nil, false
	}
	v, _, ok := Lookup(c, p.Attr)
	if !ok {
		return nil, false
	}
	if p.Filter != nil {
		list, _ := v.([]any)
		for _, el := range list {
			if Matches(el, *p.Filter) {
				if p.Sub == "" {
					return el, true
				}
				sv, _, ok := Lookup(el.(map[string]any), p.Sub)
				return sv, ok
			}
		}
		return nil, false
	}
	if p.Sub != "" {
		m, isMap := v.(map[string]any)
		if !isMap {
			return nil, false
		}
		sv, _, ok := Lookup(m, p.Sub)
		return sv, ok
	}
	return v, true
}

// Set writes v at p, making the extension object, the complex attribute or the
// filtered element ({filterAttr: filterValue}) when missing.
func Set(res map[string]any, p Path, v any) error {
	c := container(res, p, true)
	cur, key, ok := Lookup(c, p.Attr)
	if !ok {
		key = p.Attr
	}
	switch {
	case p.Filter != nil:
		list, isList := cur.([]any)
		if ok && cur != nil && !isList {
			return fmt.Errorf("%s is not multi-valued", p.Attr)
		}
		found := false
		for _, el := range list {
			if Matches(el, *p.Filter) {
				found = true
				if err := setIn(el.(map[string]any), p, v); err != nil {
					return err
				}
			}
		}
		if !found {
			el := map[string]any{p.Filter.Attr: p.Filter.Value}
			if err := setIn(el, p, v); err != nil {
				return err
			}
			list = append(list, el)
		}
		c[key] = list
	case p.Sub != "":
		m, isMap := cur.(map[string]any)
		if ok && cur != nil && !isMap {
			return fmt.Errorf("%s is not a complex attribute", p.Attr)
		}
		if m == nil {
			m = map[string]any{}
		}
		_, sk, found := Lookup(m, p.Sub)
		if !found {
			sk = p.Sub
		}
		m[sk] = v
		c[key] = m
	default:
		c[key] = v
	}
	return nil
}

func setIn(el map[string]any, p Path, v any) error {
	if p.Sub == "" {
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: a filtered element can only be replaced by an object", p.String())
		}
		for k := range el {
			delete(el, k)
		}
		for k, x := range m {
			el[k] = x
		}
		return nil
	}
	_, sk, found := Lookup(el, p.Sub)
	if !found {
		sk = p.Sub
	}
	el[sk] = v
	return nil
}

// Remove deletes the value at p: the attribute, the sub-attribute, or the matching
// elements of a multi-valued attribute (or their Sub). It reports whether anything
// was there.
func Remove(res map[string]any, p Path) bool {
	c := container(res, p, false)
	if c == nil {
		return false
	}
	cur, key, ok := Lookup(c, p.Attr)
	if !ok {
		return false
	}
	switch {
	case p.Filter != nil:
		list, _ := cur.([]any)
		kept := list[:0:0]
		hit := false
		for _, el := range list {
			if !Matches(el, *p.Filter) {
				kept = append(kept, el)
				continue
			}
			hit = true
			if p.Sub != "" {
				m := el.(map[string]any)
				if _, sk, ok := Lookup(m, p.Sub); ok {
					delete(m, sk)
				}
				kept = append(kept, m)
			}
		}
		c[key] = kept
		return hit
	case p.Sub != "":
		m, _ := cur.(map[string]any)
		_, sk, ok := Lookup(m, p.Sub)
		if ok {
			delete(m, sk)
		}
		return ok
	}
	delete(c, key)
	return true
}
