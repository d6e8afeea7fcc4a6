package scimserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ssowizard/ssowizard/entra"
	"github.com/ssowizard/ssowizard/harness/scim/scimattr"
)

// store is one resource type's collection; the server's mutex is held.
type store struct {
	s    *Server
	m    map[string]map[string]any
	kind string // "User" or "Group"
	base string // the SCIM base URL, for meta.location
}

func (st *store) coreURN() string {
	if st.kind == "User" {
		return urnUser
	}
	return urnGroup
}

// allowedSchemas are the URNs a resource may list: its core schema, the enterprise
// extension for users, and for groups the Microsoft ADSCIM schema Entra sends on POST
// /Groups. [scim-build] "Create Group"
func (st *store) allowedSchema(u string) bool {
	switch {
	case strings.EqualFold(u, st.coreURN()):
		return true
	case st.kind == "User":
		return strings.EqualFold(u, urnEnterprise)
	}
	return strings.EqualFold(u, urnADSCIMGroup)
}

func (st *store) path() string { return "/" + st.kind + "s" }

// uniqueKey is the attribute that must be unique: userName (case-insensitive, RFC 7643
// §4.1.1 "uniqueness server") or the group displayName Entra requires unique. [scim-build]
func (st *store) uniqueKey() string {
	if st.kind == "User" {
		return "userName"
	}
	return "displayName"
}

func (st *store) list(q url.Values) (int, any, error) {
	var conds []scimattr.Cond
	if f := q.Get("filter"); f != "" {
		c, err := scimattr.ParseFilter(f)
		if err != nil {
			return 0, nil, errf(http.StatusBadRequest, "invalidFilter", "%v", err)
		}
		conds = c
	}
	var paths []scimattr.Path
	for _, c := range conds {
		p, err := scimattr.ParsePath(c.Attr)
		if err != nil {
			return 0, nil, errf(http.StatusBadRequest, "invalidFilter", "%v", err)
		}
		paths = append(paths, p)
	}
	start, count := 1, maxPage
	if v := q.Get("startIndex"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, nil, errf(http.StatusBadRequest, "invalidValue", "startIndex %q is not a number", v)
		}
		if n > 1 {
			start = n
		}
	}
	if v := q.Get("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, nil, errf(http.StatusBadRequest, "invalidValue", "count %q is not a number", v)
		}
		count = min(max(n, 0), maxPage)
	}
	var hits []map[string]any
	for _, id := range sortedIDs(st.m) {
		r := st.m[id]
		ok := true
		for i, c := range conds {
			v, found := scimattr.Get(r, paths[i])
			// id and externalId are caseExact (RFC 7643 §3.1); other strings here are not.
			exact := strings.EqualFold(paths[i].Attr, "id") || strings.EqualFold(paths[i].Attr, "externalId")
			if !found || !(exact && scimattr.Text(v) == c.Value || !exact && strings.EqualFold(scimattr.Text(v), c.Value)) {
				ok = false
				break
			}
		}
		if ok {
			hits = append(hits, st.render(r, q))
		}
	}
	total := len(hits)
	page := []map[string]any{}
	if start-1 < total {
		page = hits[start-1 : min(total, start-1+count)]
	}
	return http.StatusOK, map[string]any{
		"schemas": []string{urnListResponse}, "totalResults": total,
		"startIndex": start, "itemsPerPage": len(page), "Resources": page,
	}, nil
}

// render applies excludedAttributes (only "members" is honoured, the one Entra sends).
func (st *store) render(r map[string]any, q url.Values) map[string]any {
	out := clone(r)
	for _, a := range strings.Split(q.Get("excludedAttributes"), ",") {
		if strings.EqualFold(strings.TrimSpace(a), "members") {
			delete(out, "members")
		}
	}
	return out
}

func (st *store) get(id string, q url.Values) (int, any, error) {
	r, ok := st.m[id]
	if !ok {
		return 0, nil, errf(http.StatusNotFound, "", "%s %s not found", st.kind, id)
	}
	return http.StatusOK, st.render(r, q), nil
}

func decodeObject(body []byte) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return nil, errf(http.StatusBadRequest, "invalidSyntax", "the body is not a JSON object")
	}
	return m, nil
}

func (st *store) create(body []byte) (map[string]any, error) {
	in, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	delete(in, "id")
	delete(in, "meta")
	id, err := entra.NewGUID(st.s.rnd)
	if err != nil {
		return nil, err
	}
	in["id"] = id
	if err := st.validate(in, ""); err != nil {
		return nil, err
	}
	now := st.s.now().UTC().Format(time.RFC3339)
	in["meta"] = map[string]any{"resourceType": st.kind, "created": now, "lastModified": now,
		"location": st.base + st.path() + "/" + escapePathSegment(id)}
	if st.kind == "Group" {
		if _, ok := in["members"]; !ok {
			in["members"] = []any{}
		}
	}
	st.m[id] = in
	return in, nil
}

// validate checks a resource as it would be stored: schemas, the unique key, active,
// and group members that refer to users here. self is the resource's own id.
func (st *store) validate(r map[string]any, self string) error {
	schemas, ok := r["schemas"].([]any)
	if !ok || len(schemas) == 0 {
		return errf(http.StatusBadRequest, "invalidValue", "schemas must list %s", st.coreURN())
	}
	hasCore := false
	for _, s := range schemas {
		u, _ := s.(string)
		if !st.allowedSchema(u) {
			return errf(http.StatusBadRequest, "invalidValue", "schema %q is not one this server knows", u)
		}
		hasCore = hasCore || strings.EqualFold(u, st.coreURN())
	}
	if !hasCore {
		return errf(http.StatusBadRequest, "invalidValue", "schemas must list %s", st.coreURN())
	}
	key := st.uniqueKey()
	v, k, ok := scimattr.Lookup(r, key)
	s, isStr := v.(string)
	if !ok || !isStr || strings.TrimSpace(s) == "" {
		return errf(http.StatusBadRequest, "invalidValue", "%s is required", key)
	}
	if k != key {
		delete(r, k)
		r[key] = s
	}
	for id, other := range st.m {
		if id != self && strings.EqualFold(scimattr.Text(other[key]), s) {
			return errf(http.StatusConflict, "uniqueness", "a %s with %s %q exists", strings.ToLower(st.kind), key, s)
		}
	}
	if st.kind == "User" {
		if err := normaliseActive(r); err != nil {
			return err
		}
	} else if err := st.validateMembers(r); err != nil {
		return err
	}
	return nil
}

// normaliseActive stores active as a boolean, accepting the "True"/"False" strings
// Entra sends by default. [scim-compat] "Requests made to disable users"
func normaliseActive(r map[string]any) error {
	v, k, ok := scimattr.Lookup(r, "active")
	if !ok || v == nil {
		return nil
	}
	delete(r, k)
	switch t := v.(type) {
	case bool:
		r["active"] = t
	case string:
		b, err := strconv.ParseBool(strings.ToLower(t))
		if err != nil || (strings.ToLower(t) != "true" && strings.ToLower(t) != "false") {
			return errf(http.StatusBadRequest, "invalidValue", "active must be true or false, not %q", t)
		}
		r["active"] = b
	default:
		return errf(http.StatusBadRequest, "invalidValue", "active must be a boolean")
	}
	return nil
}

// validateMembers keeps members as [{value, $ref?, display?}] of existing users,
// without duplicates; Entra's "$ref": null is dropped.
func (st *store) validateMembers(r map[string]any) error {
	v, k, ok := scimattr.Lookup(r, "members")
	if !ok || v == nil {
		return nil
	}
	list, isList := v.([]any)
	if !isList {
		return errf(http.StatusBadRequest, "invalidValue", "members must be a list")
	}
	seen := map[string]bool{}
	out := []any{}
	for _, m := range list {
		obj, isObj := m.(map[string]any)
		if !isObj {
			return errf(http.StatusBadRequest, "invalidValue", "each member must be an object with a value")
		}
		id, _ := obj["value"].(string)
		if id == "" {
			return errf(http.StatusBadRequest, "invalidValue", "a member has no value (the user's id)")
		}
		if _, exists := st.s.users[id]; !exists {
			return errf(http.StatusBadRequest, "invalidValue", "member %q is not a user here", id)
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		if ref, has := obj["$ref"]; has && ref == nil {
			delete(obj, "$ref")
		}
		out = append(out, obj)
	}
	delete(r, k)
	r["members"] = out
	return nil
}

func (st *store) put(id string, body []byte) (int, any, error) {
	old, ok := st.m[id]
	if !ok {
		return 0, nil, errf(http.StatusNotFound, "", "%s %s not found", st.kind, id)
	}
	in, err := decodeObject(body)
	if err != nil {
		return 0, nil, err
	}
	in["id"] = id
	in["meta"] = old["meta"]
	if err := st.validate(in, id); err != nil {
		return 0, nil, err
	}
	st.touch(in)
	st.m[id] = in
	return http.StatusOK, clone(in), nil
}

func (st *store) touch(r map[string]any) {
	if meta, ok := r["meta"].(map[string]any); ok {
		meta["lastModified"] = st.s.now().UTC().Format(time.RFC3339)
	}
}

func (st *store) delete(id string) (int, any, error) {
	if _, ok := st.m[id]; !ok {
		return 0, nil, errf(http.StatusNotFound, "", "%s %s not found", st.kind, id)
	}
	delete(st.m, id)
	if st.kind == "User" {
		for _, g := range st.s.groups {
			_ = scimattr.Remove(g, scimattr.Path{Attr: "members", Filter: &scimattr.Cond{Attr: "value", Value: id}})
		}
	}
	return http.StatusNoContent, nil, nil
}

// patch applies an RFC 7644 §3.5.2 PatchOp to a copy of the resource and stores it
// only if every operation applies and the result validates. Op names match
// case-insensitively because Entra sends "Add", "Replace" and "Remove". [scim-build]
func (st *store) patch(id string, body []byte) (int, any, error) {
	old, ok := st.m[id]
	if !ok {
		return 0, nil, errf(http.StatusNotFound, "", "%s %s not found", st.kind, id)
	}
	var req struct {
		Schemas    []string `json:"schemas"`
		Operations []struct {
			Op    string          `json:"op"`
			Path  string          `json:"path"`
			Value json.RawMessage `json:"value"`
		} `json:"Operations"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return 0, nil, errf(http.StatusBadRequest, "invalidSyntax", "the body is not a PatchOp: %v", err)
	}
	if len(req.Schemas) != 1 || req.Schemas[0] != urnPatchOp {
		return 0, nil, errf(http.StatusBadRequest, "invalidSyntax", "schemas must be [%q]", urnPatchOp)
	}
	if len(req.Operations) == 0 {
		return 0, nil, errf(http.StatusBadRequest, "invalidSyntax", "Operations is empty")
	}
	r := clone(old)
	for i, o := range req.Operations {
		var val any
		if len(o.Value) > 0 {
			if err := json.Unmarshal(o.Value, &val); err != nil {
				return 0, nil, errf(http.StatusBadRequest, "invalidSyntax", "operation %d: bad value", i+1)
			}
		}
		if err := st.apply(r, strings.ToLower(o.Op), o.Path, val, len(o.Value) > 0); err != nil {
			return 0, nil, errf(http.StatusBadRequest, scimTypeOf(err), "operation %d (%s %s): %v", i+1, o.Op, o.Path, err)
		}
	}
	if err := immutable(old, r); err != nil {
		return 0, nil, err
	}
	if err := st.validate(r, id); err != nil {
		return 0, nil, err
	}
	st.touch(r)
	st.m[id] = r
	return http.StatusOK, clone(r), nil
}

type typedErr struct {
	scimType string
	msg      string
}

func (e typedErr) Error() string { return e.msg }

func scimTypeOf(err error) string {
	if t, ok := err.(typedErr); ok {
		return t.scimType
	}
	return "invalidValue"
}

func immutable(old, r map[string]any) error {
	if scimattr.Text(r["id"]) != scimattr.Text(old["id"]) {
		return errf(http.StatusBadRequest, "mutability", "id cannot change")
	}
	return nil
}

func (st *store) apply(r map[string]any, op, path string, val any, hasValue bool) error {
	switch op {
	case "add", "replace":
	case "remove":
		if path == "" {
			// RFC 7644 §3.5.2.2: remove needs a path, except Entra's default removal of
			// members carries the value array with path "members" (handled below).
			return typedErr{"noTarget", "remove needs a path"}
		}
	default:
		return typedErr{"invalidSyntax", fmt.Sprintf("unknown op %q", op)}
	}
	if !hasValue && op != "remove" {
		return typedErr{"invalidValue", op + " needs a value"}
	}
	if path == "" {
		// No path: the value is an object of attributes to add or replace. Entra's
		// compliant mode keys it by paths ("name.givenName", an extension URN with its
		// attribute). [scim-compat] "Requests to replace multiple attributes"
		obj, ok := val.(map[string]any)
		if !ok {
			return typedErr{"invalidValue", "an operation without a path needs an object value"}
		}
		for k, v := range obj {
			if k == "schemas" || k == "id" || k == "meta" {
				continue
			}
			if strings.EqualFold(k, urnEnterprise) {
				if ext, isObj := v.(map[string]any); isObj {
					for ek, ev := range ext {
						if err := st.apply(r, op, urnEnterprise+":"+ek, ev, true); err != nil {
							return err
						}
					}
					continue
				}
			}
			if err := st.apply(r, op, k, v, true); err != nil {
				return err
			}
		}
		return nil
	}
	p, err := scimattr.ParsePath(path)
	if err != nil {
		return typedErr{"invalidPath", err.Error()}
	}
	if p.URN != "" && !(st.kind == "User" && strings.EqualFold(p.URN, urnEnterprise)) {
		return typedErr{"invalidPath", fmt.Sprintf("schema %q is not one this server knows", p.URN)}
	}
	if strings.EqualFold(p.Attr, "id") || strings.EqualFold(p.Attr, "meta") || strings.EqualFold(p.Attr, "schemas") {
		return typedErr{"mutability", p.Attr + " cannot be changed by PATCH"}
	}
	multi := strings.EqualFold(p.Attr, "members") || strings.EqualFold(p.Attr, "emails") ||
		strings.EqualFold(p.Attr, "phoneNumbers") || strings.EqualFold(p.Attr, "addresses") || strings.EqualFold(p.Attr, "roles")
	switch op {
	case "remove":
		if p.Filter == nil && p.Sub == "" && multi && hasValue {
			// Entra's default member removal: path "members" with the members to
			// remove as the value. [scim-compat] "Requests to remove a group member"
			list, ok := val.([]any)
			if !ok {
				return typedErr{"invalidValue", "remove with a value needs a list of {value}"}
			}
			for _, m := range list {
				obj, _ := m.(map[string]any)
				id := scimattr.Text(obj["value"])
				if obj == nil || id == "" {
					return typedErr{"invalidValue", "each element to remove needs a value"}
				}
				scimattr.Remove(r, scimattr.Path{URN: p.URN, Attr: p.Attr, Filter: &scimattr.Cond{Attr: "value", Value: id}})
			}
			return nil
		}
		scimattr.Remove(r, p)
		return nil
	case "add":
		if multi && p.Filter == nil && p.Sub == "" {
			// RFC 7644 §3.5.2.1: add to a multi-valued attribute appends.
			cur, _ := scimattr.Get(r, p)
			list, _ := cur.([]any)
			add, ok := val.([]any)
			if !ok {
				add = []any{val}
			}
			return scimattr.Set(r, p, append(list, add...))
		}
	}
	if multi && p.Filter == nil && p.Sub == "" {
		if _, ok := val.([]any); !ok {
			return typedErr{"invalidValue", p.Attr + " is multi-valued; replace it with a list"}
		}
	}
	return scimattr.Set(r, p, val)
}

func sortedIDs(m map[string]map[string]any) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	// Creation order would need a counter; id order is stable and enough for paging.
	sort.Strings(ids)
	return ids
}
