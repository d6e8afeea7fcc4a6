package scimserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/harness/scim/scimserver"
)

type client struct {
	t    *testing.T
	base string
}

func newServer(t *testing.T) (*scimserver.Server, *client) {
	t.Helper()
	s := scimserver.New(scimserver.Options{BearerToken: "tok", Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }})
	mux := http.NewServeMux()
	mux.Handle("/scim/", http.StripPrefix("/scim", s))
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return s, &client{t: t, base: ts.URL + "/scim"}
}

// do sends a request and returns the status and decoded body.
func (c *client) do(method, path, body string, hdr ...string) (int, map[string]any) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	return resp.StatusCode, m
}

func (c *client) create(path, body string) string {
	c.t.Helper()
	st, m := c.do("POST", path, body)
	if st != 201 {
		c.t.Fatalf("POST %s = %d %v", path, st, m)
	}
	return m["id"].(string)
}

const userBody = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"externalId":"jyoung","userName":"jyoung@contoso.example","active":true,"emails":[{"primary":true,"type":"work","value":"jyoung@contoso.example"}],"meta":{"resourceType":"User"},"name":{"familyName":"Young","givenName":"Jo"}}`

// TestEntraQuirksAccepted: what Entra documents sending, the RFC aside. [scim-build] [scim-compat]
func TestEntraQuirksAccepted(t *testing.T) {
	_, c := newServer(t)
	id := c.create("/Users", userBody)

	// Unquoted filter value, as in Entra's own walk-through.
	if st, m := c.do("GET", "/Users?filter=externalId+eq+jyoung", ""); st != 200 || m["totalResults"].(float64) != 1 {
		t.Errorf("unquoted filter = %d %v, want one user", st, m)
	}
	// Capitalised op and active as the string "False".
	if st, m := c.do("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`); st != 200 || m["active"] != false {
		t.Errorf("Replace active \"False\" = %d %v, want active false (a boolean)", st, m)
	}
	// Pathless replace keyed by paths (the flag's form).
	st, m := c.do("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"displayName":"Jo Y","name.givenName":"Joanna","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"42"}}]}`)
	if st != 200 || m["displayName"] != "Jo Y" || m["name"].(map[string]any)["givenName"] != "Joanna" ||
		m["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)["employeeNumber"] != "42" {
		t.Errorf("pathless replace = %d %v", st, m)
	}
	// Group with the ADSCIM schema, created empty; members with "$ref": null.
	gid := c.create("/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],"externalId":"g","displayName":"Sales","meta":{"resourceType":"Group"}}`)
	id2 := c.create("/Users", strings.ReplaceAll(userBody, "jyoung", "bob"))
	if st, m := c.do("PATCH", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"`+id+`"},{"$ref":null,"value":"`+id2+`"}]}]}`); st != 200 || len(m["members"].([]any)) != 2 {
		t.Fatalf("Add members = %d %v", st, m)
	}
	// Entra's default removal: path "members" and a value array.
	if st, m := c.do("PATCH", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"value":"`+id+`"}]}]}`); st != 200 || len(m["members"].([]any)) != 1 {
		t.Errorf("Remove members by value = %d %v, want one member left", st, m)
	}
	// The flag's removal: a filter in the path.
	if st, m := c.do("PATCH", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"`+id2+`\"]"}]}`); st != 200 || len(m["members"].([]any)) != 0 {
		t.Errorf("remove members[value eq] = %d %v, want none left", st, m)
	}
	if st, m := c.do("GET", "/Groups?excludedAttributes=members&filter=displayName+eq+%22sales%22", ""); st != 200 || m["totalResults"].(float64) != 1 {
		t.Errorf("group filter = %d %v", st, m)
	} else if _, has := m["Resources"].([]any)[0].(map[string]any)["members"]; has {
		t.Errorf("excludedAttributes=members still returned members")
	}
}

func TestStrictWhereTheRFCIs(t *testing.T) {
	_, c := newServer(t)
	id := c.create("/Users", userBody)
	patch := func(ops string) string {
		return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":` + ops + `}`
	}
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		scimType                 string
	}{
		{"duplicate userName (any case)", "POST", "/Users", strings.ReplaceAll(userBody, `"userName":"jyoung@`, `"userName":"JYoung@`), 409, "uniqueness"},
		{"no userName", "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]}`, 400, "invalidValue"},
		{"unknown schema", "POST", "/Users", `{"schemas":["urn:example:bogus"],"userName":"x"}`, 400, "invalidValue"},
		{"no core schema", "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"x"}`, 400, "invalidValue"},
		{"active neither true nor false", "PATCH", "/Users/" + id, patch(`[{"op":"replace","path":"active","value":"maybe"}]`), 400, "invalidValue"},
		{"unknown op", "PATCH", "/Users/" + id, patch(`[{"op":"frobnicate","path":"title","value":"x"}]`), 400, "invalidSyntax"},
		{"not a PatchOp", "PATCH", "/Users/" + id, `{"Operations":[{"op":"replace","path":"title","value":"x"}]}`, 400, "invalidSyntax"},
		{"remove without path", "PATCH", "/Users/" + id, patch(`[{"op":"remove"}]`), 400, "noTarget"},
		{"id is immutable", "PATCH", "/Users/" + id, patch(`[{"op":"replace","path":"id","value":"x"}]`), 400, "mutability"},
		{"member that is no user", "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":[{"value":"nobody"}]}`, 400, "invalidValue"},
		{"unknown id", "GET", "/Users/nobody", "", 404, ""},
		{"filter with an operator Entra never sends", "GET", "/Users?filter=userName+co+%22j%22", "", 400, "invalidFilter"},
	} {
		st, m := c.do(tc.method, tc.path, tc.body)
		if st != tc.status || (tc.scimType != "" && m["scimType"] != tc.scimType) || m["schemas"].([]any)[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
			t.Errorf("%s: %s %s = %d %v, want %d %s as a SCIM error", tc.name, tc.method, tc.path, st, m, tc.status, tc.scimType)
		}
	}
	// A failed PATCH changes nothing, even when its first operation applied.
	c.do("PATCH", "/Users/"+id, patch(`[{"op":"replace","path":"title","value":"changed"},{"op":"replace","path":"active","value":"maybe"}]`))
	if _, m := c.do("GET", "/Users/"+id, ""); m["title"] != nil {
		t.Errorf("a rejected PATCH left title = %v", m["title"])
	}
	if st, _ := c.do("GET", "/Users", "", "Authorization", "Bearer wrong"); st != 401 {
		t.Errorf("wrong token = %d, want 401", st)
	}
	if st, _ := c.do("POST", "/Users", userBody, "Content-Type", "text/plain"); st != 415 {
		t.Errorf("text/plain body = %d, want 415", st)
	}
	if st, _ := c.do("POST", "/Users", `{"x":"`+strings.Repeat("a", 1<<20)+`"}`); st != 413 {
		t.Errorf("oversized body = %d, want 413", st)
	}
}

func TestDeleteUserLeavesGroups(t *testing.T) {
	s, c := newServer(t)
	id := c.create("/Users", userBody)
	gid := c.create("/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":[{"value":"`+id+`"}]}`)
	if st, _ := c.do("DELETE", "/Users/"+id, ""); st != 204 {
		t.Fatalf("DELETE user = %d", st)
	}
	if _, m := c.do("GET", "/Groups/"+gid, ""); len(m["members"].([]any)) != 0 {
		t.Errorf("a deleted user stayed a member: %v", m["members"])
	}
	if len(s.Users()) != 0 || len(s.Groups()) != 1 {
		t.Errorf("users %d groups %d, want 0 and 1", len(s.Users()), len(s.Groups()))
	}
}

func TestListenLoopbackOnly(t *testing.T) {
	s := scimserver.New(scimserver.Options{BearerToken: "tok"})
	if _, _, err := s.Listen("0.0.0.0:0"); err == nil {
		t.Fatal("Listen(0.0.0.0:0) succeeded; want the loopback refusal")
	}
	base, closeFn, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	req, _ := http.NewRequest("GET", base+"/Users", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/scim+json" {
		t.Errorf("GET %s/Users = %d %s", base, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// FuzzPatch: any PATCH body leaves the server answering a SCIM status, never panicking,
// and a rejected PATCH changes nothing.
func FuzzPatch(f *testing.F) {
	f.Add(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`)
	f.Add(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"name.givenName":"A","emails[type eq \"work\"].value":"b"}}]}`)
	f.Add(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"emails[type eq \"work\"]"}]}`)
	f.Add(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"name","value":3}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		s := scimserver.New(scimserver.Options{BearerToken: "tok"})
		send := func(method, path, body string) *httptest.ResponseRecorder {
			req := httptest.NewRequest(method, path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer tok")
			req.Header.Set("Content-Type", "application/scim+json")
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			return w
		}
		w := send("POST", "/Users", userBody)
		var created map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &created); err != nil || w.Code != 201 {
			t.Fatalf("POST = %d %s", w.Code, w.Body)
		}
		before := send("GET", "/Users/"+created["id"].(string), "").Body.String()
		w = send("PATCH", "/Users/"+created["id"].(string), body)
		if w.Code != 200 && w.Code != 400 {
			t.Fatalf("PATCH = %d %s, want 200 or 400", w.Code, w.Body)
		}
		if w.Code == 400 {
			if after := send("GET", "/Users/"+created["id"].(string), "").Body.String(); after != before {
				t.Fatalf("a rejected PATCH changed the user:\n%s\n%s", before, after)
			}
		}
	})
}

func TestBasicAuth(t *testing.T) {
	s := scimserver.New(scimserver.Options{BasicUser: "entra", BasicPassword: "p4ss"})
	ts := httptest.NewServer(http.StripPrefix("/scim", s))
	t.Cleanup(ts.Close)
	for _, tc := range []struct {
		name       string
		set        func(*http.Request)
		want       int
		challenges string
	}{
		{"right", func(r *http.Request) { r.SetBasicAuth("entra", "p4ss") }, 200, ""},
		{"wrong password", func(r *http.Request) { r.SetBasicAuth("entra", "nope") }, 401, `Basic realm="scim", charset="UTF-8"`},
		{"wrong user", func(r *http.Request) { r.SetBasicAuth("other", "p4ss") }, 401, `Basic realm="scim", charset="UTF-8"`},
		{"empty bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer ") }, 401, `Basic realm="scim", charset="UTF-8"`},
		{"none", func(*http.Request) {}, 401, `Basic realm="scim", charset="UTF-8"`},
	} {
		req, _ := http.NewRequest("GET", ts.URL+"/scim/Users", nil)
		tc.set(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
		if got := strings.Join(resp.Header.Values("WWW-Authenticate"), "; "); got != tc.challenges {
			t.Errorf("%s: WWW-Authenticate %q, want %q", tc.name, got, tc.challenges)
		}
	}
	// Both kinds configured: either is accepted.
	both := scimserver.New(scimserver.Options{BearerToken: "tok", BasicUser: "entra", BasicPassword: "p4ss"})
	for _, set := range []func(*http.Request){
		func(r *http.Request) { r.Header.Set("Authorization", "Bearer tok") },
		func(r *http.Request) { r.SetBasicAuth("entra", "p4ss") },
	} {
		req := httptest.NewRequest("GET", "/Users", nil)
		set(req)
		rec := httptest.NewRecorder()
		both.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Errorf("bearer-and-basic server: %d for %q, want 200", rec.Code, req.Header.Get("Authorization"))
		}
	}
}
