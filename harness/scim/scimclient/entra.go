package scimclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/ssowizard/ssowizard/entra"
	"github.com/ssowizard/ssowizard/harness/scim/scimattr"
)

// Resource is a SCIM resource as the endpoint returned it.
type Resource map[string]any

// ID is the resource's id, or "".
func (r Resource) ID() string {
	s, _ := r["id"].(string)
	return s
}

// Action is what a provisioning call did, in the provisioning logs' words.
type Action string

const (
	ActionCreate Action = "create"
	ActionUpdate Action = "update"
	// ActionNone: the object exists and matches, nothing was sent (the provisioning
	// logs' "Skipped", RedundantExport).
	ActionNone Action = "none"
)

// Result is the outcome of provisioning one object.
type Result struct {
	Action   Action
	ID       string
	Resource Resource
}

// filterValue renders s as a SCIM filter string literal (a JSON string, RFC 7644
// §3.4.2.2), leaving <, > and & as they are.
func filterValue(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// query asks for resources whose attr equals value and returns the ListResponse's
// resources. A 404 is a failure, as Entra's validator treats it. [scim-validator]
func (c *Client) query(ctx context.Context, step, path, attr, value string, extra url.Values) ([]Resource, error) {
	q := url.Values{}
	for k, v := range extra {
		q[k] = v
	}
	q.Set("filter", attr+" eq "+filterValue(value))
	resp, err := c.do(ctx, step, http.MethodGet, path, q, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	var lr struct {
		Schemas      []string   `json:"schemas"`
		TotalResults *int       `json:"totalResults"`
		Resources    []Resource `json:"Resources"`
	}
	notList := &Error{Kind: KindNotSCIM, Step: step, Method: http.MethodGet, URL: c.base.String() + path, Status: resp.status}
	if err := json.Unmarshal(resp.body, &lr); err != nil {
		notList.Err = errors.New("a filter query answered JSON that is not a ListResponse")
		return nil, notList
	}
	if !slices.Contains(lr.Schemas, URNListResponse) || lr.TotalResults == nil {
		notList.Err = errors.New("a filter query answered without the ListResponse schema and totalResults (RFC 7644 §3.4.2)")
		return nil, notList
	}
	if *lr.TotalResults < len(lr.Resources) {
		notList.Err = fmt.Errorf("totalResults is %d but %d resources came back", *lr.TotalResults, len(lr.Resources))
		return nil, notList
	}
	return lr.Resources, nil
}

// TestConnection is the portal's Test Connection: a filter query on the matching
// attribute for a random GUID that no user has; the endpoint must answer 200 with an
// empty ListResponse. [scim-build] "Test Connection"
func (c *Client) TestConnection(ctx context.Context) error {
	const step = "test connection"
	m, _, err := matching(c.userMappings, func(string) (string, bool) { return "x", true })
	if err != nil {
		return err
	}
	guid, err := entra.NewGUID(c.rnd)
	if err != nil {
		return err
	}
	found, err := c.query(ctx, step, "/Users", m.Target, guid, nil)
	if err != nil {
		return err
	}
	if len(found) != 0 {
		return &Error{Kind: KindUnexpected, Step: step, Err: fmt.Errorf("a filter for %s eq %q, a random GUID no user has, returned %d users; the endpoint ignores or misreads filters", m.Target, guid, len(found))}
	}
	return nil
}

// FindUser is the provisioning service's lookup: GET /Users?filter=<matching> eq
// "<value>". It returns nil when no user matches; more than one match is an error, as
// Entra cannot tell which to update. [how-prov-works]
func (c *Client) FindUser(ctx context.Context, u User) (Resource, error) {
	const step = "find user"
	m, v, err := matching(c.userMappings, u.sourceValue)
	if err != nil {
		return nil, err
	}
	found, err := c.query(ctx, step, "/Users", m.Target, v, nil)
	if err != nil {
		return nil, err
	}
	return single(step, "user", m.Target, v, found)
}

func single(step, kind, attr, v string, found []Resource) (Resource, error) {
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		if found[0].ID() == "" {
			return nil, &Error{Kind: KindUnexpected, Step: step, Err: fmt.Errorf("the %s found by %s eq %q has no id", kind, attr, v)}
		}
		return found[0], nil
	}
	return nil, &Error{Kind: KindUnexpected, Step: step, Err: fmt.Errorf("%d %ss match %s eq %q; the filter must find one at most", len(found), kind, attr, v)}
}

// GetUser fetches a user by id (Entra "fetches users by id"). [scim-build]
func (c *Client) GetUser(ctx context.Context, id string) (Resource, error) {
	return c.get(ctx, "get user", "/Users/"+url.PathEscape(id), nil)
}

// GetGroup fetches a group by id, with its members unless excludeMembers.
func (c *Client) GetGroup(ctx context.Context, id string, excludeMembers bool) (Resource, error) {
	var q url.Values
	if excludeMembers {
		q = url.Values{"excludedAttributes": {"members"}}
	}
	return c.get(ctx, "get group", "/Groups/"+url.PathEscape(id), q)
}

func (c *Client) get(ctx context.Context, step, path string, q url.Values) (Resource, error) {
	resp, err := c.do(ctx, step, http.MethodGet, path, q, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	return decodeResource(step, resp)
}

func decodeResource(step string, resp *response) (Resource, error) {
	var r Resource
	if err := json.Unmarshal(resp.body, &r); err != nil || r == nil {
		return nil, &Error{Kind: KindNotSCIM, Step: step, Status: resp.status, Err: errors.New("the answer is not a JSON object")}
	}
	return r, nil
}

// ProvisionUser is one user's export in a cycle: find by the matching attribute, then
// create (POST) when absent or PATCH the attributes that differ. [how-prov-works]
func (c *Client) ProvisionUser(ctx context.Context, u User) (Result, error) {
	want, err := userAttributes(c.userMappings, u)
	if err != nil {
		return Result{}, err
	}
	found, err := c.FindUser(ctx, u)
	if err != nil {
		return Result{}, err
	}
	if found == nil {
		r, err := c.createUser(ctx, want)
		return Result{Action: ActionCreate, ID: r.ID(), Resource: r}, err
	}
	ops := c.userPatch(found, want)
	if len(ops) == 0 {
		return Result{Action: ActionNone, ID: found.ID(), Resource: found}, nil
	}
	r, err := c.patch(ctx, "update user", "/Users/"+url.PathEscape(found.ID()), ops)
	if r == nil {
		r = found
	}
	return Result{Action: ActionUpdate, ID: found.ID(), Resource: r}, err
}

// createUser POSTs the user. Entra lists the enterprise extension in schemas, sends
// active true and meta.resourceType, and marks the work email primary. [scim-build]
func (c *Client) createUser(ctx context.Context, want []desired) (Resource, error) {
	const step = "create user"
	body := map[string]any{
		"schemas": []any{URNUser, URNEnterprise},
		"meta":    map[string]any{"resourceType": "User"},
	}
	for _, d := range want {
		if err := scimattr.Set(body, d.path, d.value); err != nil {
			return nil, fmt.Errorf("%s: %w", step, err)
		}
		if strings.EqualFold(d.path.Attr, "emails") && d.path.Filter != nil && strings.EqualFold(d.path.Filter.Value, "work") {
			_ = scimattr.Set(body, scimattr.Path{Attr: "emails", Filter: d.path.Filter, Sub: "primary"}, true)
		}
	}
	resp, err := c.do(ctx, step, http.MethodPost, "/Users", nil, body, http.StatusCreated, http.StatusOK)
	if err != nil {
		return nil, err
	}
	r, err := decodeResource(step, resp)
	if err == nil && r.ID() == "" {
		err = &Error{Kind: KindUnexpected, Step: step, Err: errors.New("the created user came back without an id, so Entra cannot update or delete it later")}
	}
	return r, err
}

// op is one PATCH operation; Path and Value are omitted when empty, as Entra does.
type op struct {
	Op    string `json:"op"`
	Path  string `json:"path,omitempty"`
	Value any    `json:"value,omitempty"`
}

func (c *Client) opName(name string) string {
	if c.mode == ModeCompliant {
		return strings.ToLower(name)
	}
	return name
}

// activeValue is how the mode sends active in PATCH: the string "True"/"False" by
// default, a JSON boolean with the flag. [scim-compat] "Requests made to disable users"
func (c *Client) activeValue(v bool) any {
	if c.mode == ModeCompliant {
		return v
	}
	if v {
		return "True"
	}
	return "False"
}

// userPatch compares the endpoint's user with the wanted values and returns Entra's
// operations for the differences: by default one capitalised op per attribute ("Add"
// when the endpoint has no value, "Replace" otherwise); with the flag, lower-case ops,
// paths kept for filtered attributes and active, and every other replaced attribute in
// one operation without a path whose value is keyed by path. [scim-compat] "Requests
// to replace multiple attributes", "Requests to add a single-value string attribute"
func (c *Client) userPatch(current Resource, want []desired) []op {
	var adds, withPath []op
	pathless := map[string]any{}
	var pathlessOrder []string
	for _, d := range want {
		cur, ok := scimattr.Get(current, d.path)
		if ok && cur != nil && same(cur, d.value) {
			continue
		}
		isActive := strings.EqualFold(d.raw, "active")
		val := d.value
		if isActive {
			val = c.activeValue(d.value.(bool))
		}
		switch {
		case !ok || cur == nil:
			adds = append(adds, op{Op: c.opName("Add"), Path: d.raw, Value: val})
		case c.mode == ModeCompliant && d.path.Filter == nil && !isActive:
			pathless[d.raw] = val
			pathlessOrder = append(pathlessOrder, d.raw)
		default:
			withPath = append(withPath, op{Op: c.opName("Replace"), Path: d.raw, Value: val})
		}
	}
	ops := append(adds, withPath...)
	if len(pathlessOrder) > 0 {
		ops = append(ops, op{Op: "replace", Value: pathless})
	}
	return ops
}

// same compares an endpoint value with a wanted one: booleans by truth (an endpoint
// may hold Entra's earlier "True" string), everything else as exact text.
func same(cur, want any) bool {
	if wb, ok := want.(bool); ok {
		switch cv := cur.(type) {
		case bool:
			return cv == wb
		case string:
			return strings.EqualFold(cv, fmt.Sprint(wb))
		}
		return false
	}
	return scimattr.Text(cur) == scimattr.Text(want)
}

func (c *Client) patch(ctx context.Context, step, path string, ops []op) (Resource, error) {
	body := map[string]any{"schemas": []string{URNPatchOp}, "Operations": ops}
	resp, err := c.do(ctx, step, http.MethodPatch, path, nil, body, http.StatusOK, http.StatusNoContent)
	if err != nil {
		return nil, err
	}
	if resp.status == http.StatusNoContent || len(resp.body) == 0 {
		return nil, nil
	}
	return decodeResource(step, resp)
}

// DisableUser is what Entra sends when a user is unassigned, disabled or
// soft-deleted: a PATCH of active. [how-prov-works] [scim-compat]
func (c *Client) DisableUser(ctx context.Context, id string) error {
	_, err := c.patch(ctx, "disable user", "/Users/"+url.PathEscape(id),
		[]op{{Op: c.opName("Replace"), Path: "active", Value: c.activeValue(false)}})
	return err
}

// DeleteUser is the hard delete Entra sends 30 days after a soft delete or on a
// permanent deletion. [how-prov-works]
func (c *Client) DeleteUser(ctx context.Context, id string) error {
	_, err := c.do(ctx, "delete user", http.MethodDelete, "/Users/"+url.PathEscape(id), nil, nil, http.StatusNoContent, http.StatusOK)
	return err
}

// FindGroup is GET /Groups?excludedAttributes=members&filter=displayName eq "…".
// [scim-build] "Group operations"
func (c *Client) FindGroup(ctx context.Context, g Group) (Resource, error) {
	const step = "find group"
	m, v, err := matching(c.groupMappings, g.sourceValue)
	if err != nil {
		return nil, err
	}
	found, err := c.query(ctx, step, "/Groups", m.Target, v, url.Values{"excludedAttributes": {"members"}})
	if err != nil {
		return nil, err
	}
	return single(step, "group", m.Target, v, found)
}

func (g Group) sourceValue(attr string) (string, bool) {
	switch strings.ToLower(attr) {
	case "displayname":
		return g.DisplayName, g.DisplayName != ""
	case "objectid":
		return g.ObjectID, g.ObjectID != ""
	}
	return "", false
}

// ProvisionGroup finds the group by displayName and creates it when absent, with no
// members: Entra sends members afterwards, once the users exist, as PATCH Add.
// memberIDs are the endpoint's ids of the group's members. [scim-build] [how-prov-works]
func (c *Client) ProvisionGroup(ctx context.Context, g Group, memberIDs []string) (Result, error) {
	found, err := c.FindGroup(ctx, g)
	if err != nil {
		return Result{}, err
	}
	res := Result{Action: ActionNone}
	if found == nil {
		body := map[string]any{
			"schemas": []any{URNGroup, URNADSCIMGroup},
			"meta":    map[string]any{"resourceType": "Group"},
		}
		for _, m := range c.groupMappings {
			if strings.EqualFold(m.Target, "members") {
				continue
			}
			if v, ok := g.sourceValue(m.Source); ok {
				body[m.Target] = v
			}
		}
		resp, err := c.do(ctx, "create group", http.MethodPost, "/Groups", nil, body, http.StatusCreated, http.StatusOK)
		if err != nil {
			return Result{}, err
		}
		found, err = decodeResource("create group", resp)
		if err != nil {
			return Result{}, err
		}
		if found.ID() == "" {
			return Result{}, &Error{Kind: KindUnexpected, Step: "create group", Err: errors.New("the created group came back without an id")}
		}
		res.Action = ActionCreate
	}
	res.ID, res.Resource = found.ID(), found
	if len(memberIDs) > 0 {
		if err := c.AddMembers(ctx, found.ID(), memberIDs); err != nil {
			return res, err
		}
		if res.Action == ActionNone {
			res.Action = ActionUpdate
		}
	}
	return res, nil
}

// AddMembers is PATCH /Groups/{id} with an Add of members, each {"$ref":null,"value":id}
// as in Entra's documented request. [scim-build] "Update Group [Add Members]"
func (c *Client) AddMembers(ctx context.Context, groupID string, userIDs []string) error {
	var vals []any
	for _, id := range userIDs {
		vals = append(vals, map[string]any{"$ref": nil, "value": id})
	}
	_, err := c.patch(ctx, "add members", "/Groups/"+url.PathEscape(groupID),
		[]op{{Op: c.opName("Add"), Path: "members", Value: vals}})
	return err
}

// RemoveMembers removes members: by default one Remove with path "members" and a
// value array; with the flag one remove per member, the member chosen by a filter in
// the path and no value. [scim-compat] "Requests to remove a group member"
func (c *Client) RemoveMembers(ctx context.Context, groupID string, userIDs []string) error {
	var ops []op
	if c.mode == ModeCompliant {
		for _, id := range userIDs {
			ops = append(ops, op{Op: "remove", Path: "members[value eq " + filterValue(id) + "]"})
		}
	} else {
		var vals []any
		for _, id := range userIDs {
			vals = append(vals, map[string]any{"value": id})
		}
		ops = []op{{Op: "Remove", Path: "members", Value: vals}}
	}
	_, err := c.patch(ctx, "remove members", "/Groups/"+url.PathEscape(groupID), ops)
	return err
}

// DeleteGroup deletes a group (unassigned or deleted in Entra). [scim-build]
func (c *Client) DeleteGroup(ctx context.Context, id string) error {
	_, err := c.do(ctx, "delete group", http.MethodDelete, "/Groups/"+url.PathEscape(id), nil, nil, http.StatusNoContent, http.StatusOK)
	return err
}
