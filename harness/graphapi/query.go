package graphapi

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// entityType describes a Graph type for the query options: its entity set, its
// properties (what $select and $filter may name) and its default projection.
type entityType struct {
	name     string   // resource name in messages: User, Group, Application
	set      string   // entity set in @odata.context: users
	props    []string // every property the harness shows
	defaults []string // shown without $select; nil means all of props
	search   []string // properties $search may name
}

// pageSize is Graph's default page for directory collections; maxPage its largest $top.
const (
	pageSize = 100
	maxPage  = 999
)

// eventual reports whether the call asked for eventual consistency, which Graph's
// advanced queries ($search, $count) require.
func (c *call) eventual() bool {
	return strings.EqualFold(strings.TrimSpace(c.r.Header.Get("ConsistencyLevel")), "eventual")
}

// selection reads $select; nil means the default projection. It answers the error
// itself and reports false on a bad one.
func (c *call) selection(t entityType) ([]string, bool) {
	raw := c.r.URL.Query().Get("$select")
	if strings.TrimSpace(raw) == "" {
		return nil, true
	}
	var out []string
	for _, p := range strings.Split(raw, ",") {
		p = strings.TrimSpace(p)
		i := slices.IndexFunc(t.props, func(x string) bool { return strings.EqualFold(x, p) })
		if i < 0 {
			c.fail(http.StatusBadRequest, "BadRequest", fmt.Sprintf("Parsing OData Select and Expand failed: Could not find a property named '%s' on type 'microsoft.graph.%s'.", p, lowerFirst(t.name)))
			return nil, false
		}
		if !slices.Contains(out, t.props[i]) {
			out = append(out, t.props[i])
		}
	}
	return out, true
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// project keeps the selected properties of an entity (or its default projection).
func project(t entityType, sel []string, e map[string]any) map[string]any {
	keep := sel
	if keep == nil {
		keep = t.defaults
	}
	if keep == nil {
		return e
	}
	out := make(map[string]any, len(keep)+1)
	for _, k := range keep {
		out[k] = e[k]
	}
	return out
}

// context is the @odata.context of a collection or, with entity, of one of its members.
func context(t entityType, sel []string, entity bool) string {
	s := odataBase + t.set
	if sel != nil {
		s += "(" + strings.Join(sel, ",") + ")"
	}
	if entity {
		s += "/$entity"
	}
	return s
}

// entity answers one object with its context, honouring $select.
func (c *call) entity(t entityType, e map[string]any) {
	sel, ok := c.selection(t)
	if !ok {
		return
	}
	out := project(t, sel, e)
	out["@odata.context"] = context(t, sel, true)
	c.write(http.StatusOK, out)
}

// collection answers a list with $search, $filter, $select, $top, $count and paging.
func (c *call) collection(t entityType, items []map[string]any) {
	q := c.r.URL.Query()
	if s := q.Get("$search"); s != "" {
		if !c.eventual() {
			c.fail(http.StatusBadRequest, "Request_UnsupportedQuery", "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'")
			return
		}
		match, err := parseSearch(s, t)
		if err != nil {
			c.fail(http.StatusBadRequest, "Request_UnsupportedQuery", err.Error())
			return
		}
		items = slices.DeleteFunc(items, func(e map[string]any) bool { return !match(e) })
	}
	if f := q.Get("$filter"); f != "" {
		match, err := parseFilter(f, t)
		if err != nil {
			c.fail(http.StatusBadRequest, "Request_UnsupportedQuery", err.Error())
			return
		}
		items = slices.DeleteFunc(items, func(e map[string]any) bool { return !match(e) })
	}
	count := strings.EqualFold(q.Get("$count"), "true")
	if count && !c.eventual() {
		c.fail(http.StatusBadRequest, "Request_BadRequest", "$count is not currently supported without the header 'ConsistencyLevel: eventual'.")
		return
	}
	sel, ok := c.selection(t)
	if !ok {
		return
	}
	size := pageSize
	if top := q.Get("$top"); top != "" {
		n, err := strconv.Atoi(top)
		if err != nil || n < 1 || n > maxPage {
			c.fail(http.StatusBadRequest, "Request_BadRequest", fmt.Sprintf("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", top, maxPage))
			return
		}
		size = n
	}
	offset := 0
	if tok := q.Get("$skiptoken"); tok != "" {
		n, err := readSkipToken(tok)
		if err != nil {
			c.badRequest("Invalid $skiptoken: it is not one the harness gave.")
			return
		}
		offset = min(n, len(items))
	}
	out := map[string]any{"@odata.context": context(t, sel, false)}
	if count {
		out["@odata.count"] = len(items)
	}
	end := min(offset+size, len(items))
	page := make([]map[string]any, 0, end-offset)
	for _, e := range items[offset:end] {
		page = append(page, project(t, sel, e))
	}
	out["value"] = page
	if end < len(items) {
		next := url.Values{}
		for k, v := range q {
			if k != "$skiptoken" {
				next[k] = v
			}
		}
		next.Set("$skiptoken", skipToken(end))
		out["@odata.nextLink"] = c.base() + "/" + strings.TrimPrefix(c.r.URL.Path, "/v1.0/") + "?" + next.Encode()
	}
	c.write(http.StatusOK, out)
}

// skipToken is opaque to clients, as Graph's is; it carries the offset.
func skipToken(offset int) string {
	return "RFNwdAIAAQAAA" + base64.RawURLEncoding.EncodeToString([]byte("offset:"+strconv.Itoa(offset)))
}

func readSkipToken(tok string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, "RFNwdAIAAQAAA"))
	if err != nil {
		return 0, err
	}
	n, ok := strings.CutPrefix(string(b), "offset:")
	if !ok {
		return 0, fmt.Errorf("not a skip token")
	}
	v, err := strconv.Atoi(n)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("not a skip token")
	}
	return v, nil
}

// splitOutsideQuotes splits s on sep (compared ignoring case) where sep is not inside
// a quoted string (quote ' or ").
func splitOutsideQuotes(s, sep string, quote byte) []string {
	var parts []string
	in := false
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] == quote {
			in = !in
			continue
		}
		if !in && i+len(sep) <= len(s) && strings.EqualFold(s[i:i+len(sep)], sep) {
			parts = append(parts, s[last:i])
			last = i + len(sep)
			i += len(sep) - 1
		}
	}
	return append(parts, s[last:])
}

type matcher func(map[string]any) bool

// orAnd combines clauses: or of ands, and binding tighter, as OData reads them.
func orAnd(expr string, quote byte, clause func(string) (matcher, error)) (matcher, error) {
	var ors []matcher
	for _, o := range splitOutsideQuotes(expr, " or ", quote) {
		var ands []matcher
		for _, p := range splitOutsideQuotes(o, " and ", quote) {
			m, err := clause(strings.TrimSpace(p))
			if err != nil {
				return nil, err
			}
			ands = append(ands, m)
		}
		ors = append(ors, func(e map[string]any) bool {
			for _, m := range ands {
				if !m(e) {
					return false
				}
			}
			return true
		})
	}
	return func(e map[string]any) bool {
		for _, m := range ors {
			if m(e) {
				return true
			}
		}
		return false
	}, nil
}

var (
	startsWithRe = regexp.MustCompile(`(?i)^startswith\(\s*([A-Za-z]+)\s*,\s*'((?:[^']|'')*)'\s*\)$`)
	eqRe         = regexp.MustCompile(`(?i)^([A-Za-z]+)\s+eq\s+('((?:[^']|'')*)'|true|false|null)$`)
	inRe         = regexp.MustCompile(`(?i)^([A-Za-z]+)\s+in\s+\(\s*((?:'(?:[^']|'')*'\s*,?\s*)+)\)$`)
	inItemRe     = regexp.MustCompile(`'((?:[^']|'')*)'`)
	anyRe        = regexp.MustCompile(`(?i)^([A-Za-z]+)/any\(\s*([A-Za-z]\w*)\s*:\s*([A-Za-z]\w*)\s+eq\s+'((?:[^']|'')*)'\s*\)$`)
)

// parseFilter reads the $filter forms setup uses: prop eq 'v' (or true, false, null),
// startswith(prop,'v'), prop in ('a','b') and, on a collection of strings,
// prop/any(x:x eq 'v'), joined with and / or. String comparisons ignore case, as
// directory filters do.
func parseFilter(expr string, t entityType) (matcher, error) {
	prop := func(name string) (string, error) {
		i := slices.IndexFunc(t.props, func(x string) bool { return strings.EqualFold(x, name) })
		if i < 0 {
			return "", fmt.Errorf("Unsupported or invalid query filter clause specified for property '%s' of resource '%s'.", name, t.name)
		}
		return t.props[i], nil
	}
	unquote := func(s string) string { return strings.ReplaceAll(s, "''", "'") }
	return orAnd(expr, '\'', func(cl string) (matcher, error) {
		if m := startsWithRe.FindStringSubmatch(cl); m != nil {
			p, err := prop(m[1])
			if err != nil {
				return nil, err
			}
			v := strings.ToLower(unquote(m[2]))
			return func(e map[string]any) bool {
				s, ok := e[p].(string)
				return ok && strings.HasPrefix(strings.ToLower(s), v)
			}, nil
		}
		if m := eqRe.FindStringSubmatch(cl); m != nil {
			p, err := prop(m[1])
			if err != nil {
				return nil, err
			}
			switch lit := strings.ToLower(m[2]); lit {
			case "true", "false":
				want := lit == "true"
				return func(e map[string]any) bool { b, ok := e[p].(bool); return ok && b == want }, nil
			case "null":
				return func(e map[string]any) bool { return e[p] == nil }, nil
			}
			v := unquote(m[3])
			return func(e map[string]any) bool {
				s, ok := e[p].(string)
				return ok && strings.EqualFold(s, v)
			}, nil
		}
		if m := anyRe.FindStringSubmatch(cl); m != nil {
			p, err := prop(m[1])
			if err != nil {
				return nil, err
			}
			if m[2] != m[3] {
				return nil, fmt.Errorf("Invalid filter clause: the lambda compares '%s', which is not its variable '%s'.", m[3], m[2])
			}
			v := unquote(m[4])
			return func(e map[string]any) bool {
				l, ok := e[p].([]string) // a property that is no collection of strings matches nothing
				return ok && containsFold(l, v)
			}, nil
		}
		if m := inRe.FindStringSubmatch(cl); m != nil {
			p, err := prop(m[1])
			if err != nil {
				return nil, err
			}
			var vals []string
			for _, it := range inItemRe.FindAllStringSubmatch(m[2], -1) {
				vals = append(vals, unquote(it[1]))
			}
			return func(e map[string]any) bool {
				s, ok := e[p].(string)
				return ok && containsFold(vals, s)
			}, nil
		}
		return nil, fmt.Errorf("Unsupported Query. The harness's $filter takes prop eq 'value', startswith(prop,'value'), prop in ('a','b') and prop/any(x:x eq 'value'), joined with and / or; %q is none of these.", cl)
	})
}

var searchClauseRe = regexp.MustCompile(`^"([A-Za-z]+):([^"]*)"$`)

// parseSearch reads $search: "prop:term" clauses joined with OR / AND. A term matches
// as Graph's tokenized search does: the start of the value or of any word in it,
// ignoring case.
func parseSearch(expr string, t entityType) (matcher, error) {
	return orAnd(strings.TrimSpace(expr), '"', func(cl string) (matcher, error) {
		m := searchClauseRe.FindStringSubmatch(cl)
		if m == nil {
			return nil, fmt.Errorf("Invalid $search clause %s: write \"property:term\", quotes included, joined with OR or AND.", cl)
		}
		i := slices.IndexFunc(t.search, func(x string) bool { return strings.EqualFold(x, m[1]) })
		if i < 0 {
			return nil, fmt.Errorf("Search on property '%s' of resource '%s' is not supported; search %s.", m[1], t.name, strings.Join(t.search, ", "))
		}
		p, term := t.search[i], strings.ToLower(strings.TrimSpace(m[2]))
		return func(e map[string]any) bool {
			s, ok := e[p].(string)
			return ok && tokenPrefix(s, term)
		}, nil
	})
}

func tokenPrefix(value, term string) bool {
	v := strings.ToLower(value)
	if strings.HasPrefix(v, term) {
		return true
	}
	for _, w := range strings.FieldsFunc(v, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if strings.HasPrefix(w, term) {
			return true
		}
	}
	return false
}
