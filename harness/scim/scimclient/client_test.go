package scimclient_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ssowizard/ssowizard/harness/scim/scimclient"
	"github.com/ssowizard/ssowizard/harness/scim/scimserver"
)

// zeros is a randomness source that makes every GUID the same.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func newReceiver(t *testing.T) (*scimserver.Server, string) {
	t.Helper()
	s := scimserver.New(scimserver.Options{BearerToken: "tok", Rand: zeros{}})
	mux := http.NewServeMux()
	mux.Handle("/scim/", http.StripPrefix("/scim", s))
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return s, ts.URL + "/scim"
}

func TestParseTenantURL(t *testing.T) {
	for _, tc := range []struct {
		in, base string
		mode     scimclient.Mode
		err      string
	}{
		{in: "https://api.example.com/scim/v2/", base: "https://api.example.com/scim/v2", mode: scimclient.ModeEntraDefault},
		{in: "https://api.example.com/scim?aadOptscim062020", base: "https://api.example.com/scim", mode: scimclient.ModeCompliant},
		{in: "https://api.example.com/scim?AzureAdScimPatch2017", base: "https://api.example.com/scim", mode: scimclient.ModeEntraDefault},
		{in: "http://127.0.0.1:8080/scim", base: "http://127.0.0.1:8080/scim", mode: scimclient.ModeEntraDefault},
		{in: "http://localhost/scim", base: "http://localhost/scim", mode: scimclient.ModeEntraDefault},
		{in: "http://scim.example.com/scim", err: "plain http"},
		{in: "https://api.example.com/scim?token=x", err: "query parameter"},
		{in: "https://u:p@api.example.com/scim", err: "credentials"},
		{in: "api.example.com/scim", err: "not an absolute"},
		{in: "", err: "empty"},
	} {
		u, mode, err := scimclient.ParseTenantURL(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseTenantURL(%q) error = %v, want one mentioning %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || u.String() != tc.base || mode != tc.mode {
			t.Errorf("ParseTenantURL(%q) = %v, %v, %v; want %s, %v", tc.in, u, mode, err, tc.base, tc.mode)
		}
	}
}

// TestRequestShapes pins the bodies Entra sends in each mode to the documented forms
// ([scim-compat] "Flags to alter the SCIM behavior", [scim-build] request examples).
func TestRequestShapes(t *testing.T) {
	for _, tc := range []struct {
		mode                         string
		update, disable, add, remove string
	}{
		{
			mode:    "",
			update:  `{"Operations":[{"op":"Add","path":"title","value":"Engineer"},{"op":"Replace","path":"displayName","value":"Alice Jones"},{"op":"Replace","path":"emails[type eq \"work\"].value","value":"alice.jones@contoso.example"},{"op":"Replace","path":"name.familyName","value":"Jones"}],"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`,
			disable: `{"Operations":[{"op":"Replace","path":"active","value":"False"}],"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`,
			add:     `{"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"00000000-0000-4000-8000-000000000000"}]}],"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`,
			remove:  `{"Operations":[{"op":"Remove","path":"members","value":[{"value":"00000000-0000-4000-8000-000000000000"}]}],"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`,
		},
		{
			mode:    "?aadOptscim062020",
			update:  `{"Operations":[{"op":"add","path":"title","value":"Engineer"},{"op":"replace","path":"emails[type eq \"work\"].value","value":"alice.jones@contoso.example"},{"op":"replace","value":{"displayName":"Alice Jones","name.familyName":"Jones"}}],"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`,
			disable: `{"Operations":[{"op":"replace","path":"active","value":false}],"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`,
			add:     `{"Operations":[{"op":"add","path":"members","value":[{"$ref":null,"value":"00000000-0000-4000-8000-000000000000"}]}],"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`,
			remove:  `{"Operations":[{"op":"remove","path":"members[value eq \"00000000-0000-4000-8000-000000000000\"]"}],"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`,
		},
	} {
		t.Run("mode"+tc.mode, func(t *testing.T) {
			s, base := newReceiver(t)
			c, err := scimclient.New(scimclient.Config{TenantURL: base + tc.mode, Auth: scimclient.Auth{BearerToken: "tok"}, Rand: zeros{}})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if err := c.TestConnection(ctx); err != nil {
				t.Fatalf("TestConnection: %v", err)
			}
			u := scimclient.User{UserPrincipalName: "alice@contoso.example", MailNickname: "alice", Mail: "alice@contoso.example",
				GivenName: "Alice", Surname: "Smith", DisplayName: "Alice Smith"}
			res, err := c.ProvisionUser(ctx, u)
			if err != nil || res.Action != scimclient.ActionCreate {
				t.Fatalf("ProvisionUser = %+v, %v; want a create", res, err)
			}
			u.Surname, u.DisplayName, u.Mail, u.JobTitle = "Jones", "Alice Jones", "alice.jones@contoso.example", "Engineer"
			if res, err := c.ProvisionUser(ctx, u); err != nil || res.Action != scimclient.ActionUpdate {
				t.Fatalf("ProvisionUser(changed) = %+v, %v; want an update", res, err)
			}
			if res, err := c.ProvisionUser(ctx, u); err != nil || res.Action != scimclient.ActionNone {
				t.Fatalf("ProvisionUser(same) = %+v, %v; want nothing sent", res, err)
			}
			if err := c.DisableUser(ctx, res.ID); err != nil {
				t.Fatalf("DisableUser: %v", err)
			}
			g, err := c.ProvisionGroup(ctx, scimclient.Group{ObjectID: "g1", DisplayName: "Sales"}, []string{res.ID})
			if err != nil || g.Action != scimclient.ActionCreate {
				t.Fatalf("ProvisionGroup = %+v, %v", g, err)
			}
			if err := c.RemoveMembers(ctx, g.ID, []string{res.ID}); err != nil {
				t.Fatalf("RemoveMembers: %v", err)
			}
			if err := c.DeleteGroup(ctx, g.ID); err != nil {
				t.Fatalf("DeleteGroup: %v", err)
			}
			if err := c.DeleteUser(ctx, res.ID); err != nil {
				t.Fatalf("DeleteUser: %v", err)
			}
			var lines []string
			for _, r := range s.Requests() {
				lines = append(lines, r.Method+" "+r.Path+"?"+r.Query+" "+r.Body)
			}
			want := []string{
				`GET /Users?filter=userName+eq+%2200000000-0000-4000-8000-000000000000%22 `,
				`GET /Users?filter=userName+eq+%22alice%40contoso.example%22 `,
				`POST /Users? {"active":true,"displayName":"Alice Smith","emails":[{"primary":true,"type":"work","value":"alice@contoso.example"}],"externalId":"alice","meta":{"resourceType":"User"},"name":{"familyName":"Smith","givenName":"Alice"},"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"alice@contoso.example"}`,
				`GET /Users?filter=userName+eq+%22alice%40contoso.example%22 `,
				`PATCH /Users/00000000-0000-4000-8000-000000000000? ` + tc.update,
				`GET /Users?filter=userName+eq+%22alice%40contoso.example%22 `,
				`PATCH /Users/00000000-0000-4000-8000-000000000000? ` + tc.disable,
				`GET /Groups?excludedAttributes=members&filter=displayName+eq+%22Sales%22 `,
				`POST /Groups? {"displayName":"Sales","externalId":"g1","meta":{"resourceType":"Group"},"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"]}`,
				`PATCH /Groups/00000000-0000-4000-8000-000000000000? ` + tc.add,
				`PATCH /Groups/00000000-0000-4000-8000-000000000000? ` + tc.remove,
				`DELETE /Groups/00000000-0000-4000-8000-000000000000? `,
				`DELETE /Users/00000000-0000-4000-8000-000000000000? `,
			}
			if len(lines) != len(want) {
				t.Fatalf("%d requests, want %d:\n%s", len(lines), len(want), strings.Join(lines, "\n"))
			}
			for i := range want {
				if lines[i] != want[i] {
					t.Errorf("request %d:\n got %s\nwant %s", i+1, lines[i], want[i])
				}
			}
		})
	}
}

func TestFailuresAreTyped(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		kind    scimclient.ErrorKind
		msg     string
	}{
		{"401", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) }, scimclient.KindUnauthorized, "refused the credentials (HTTP 401)"},
		{"html", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html></html>"))
		}, scimclient.KindNotSCIM, "did not answer as a SCIM service"},
		{"json but not a list", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"users":[]}`))
		}, scimclient.KindNotSCIM, "ListResponse"},
		{"too large", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/scim+json")
			w.Write([]byte(`{"x":"` + strings.Repeat("a", 2<<20) + `"}`))
		}, scimclient.KindTooLarge, "size limit"},
		{"404 filter", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/scim+json")
			w.WriteHeader(404)
			w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404","detail":"no such user"}`))
		}, scimclient.KindStatus, "answered HTTP 404: no such user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := httptest.NewServer(tc.handler)
			defer ts.Close()
			var logged []scimclient.Exchange
			c, err := scimclient.New(scimclient.Config{TenantURL: ts.URL + "/scim", Auth: scimclient.Auth{BearerToken: "secret-token"},
				Log: func(ex scimclient.Exchange) { logged = append(logged, ex) }})
			if err != nil {
				t.Fatal(err)
			}
			err = c.TestConnection(context.Background())
			var se *scimclient.Error
			if !errors.As(err, &se) || se.Kind != tc.kind || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("TestConnection() = %v, want kind %d mentioning %q", err, tc.kind, tc.msg)
			}
			if len(logged) != 1 || len(logged[0].ResponseBody) > scimclient.DefaultMaxBody {
				t.Errorf("logged %d exchanges (body %d bytes), want 1 bounded", len(logged), len(logged[0].ResponseBody))
			}
			for _, ex := range logged {
				if strings.Contains(ex.URL+ex.RequestBody+ex.ResponseBody, "secret-token") {
					t.Errorf("the token reached the log: %+v", ex)
				}
			}
		})
	}
}
