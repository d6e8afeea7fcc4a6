package check_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/ssowizard/ssowizard/wizard/check"
)

func TestSCIMBaseURLAndAttributes(t *testing.T) {
	for raw, want := range map[string]bool{
		"https://v.example/scim/v2":               true,
		"https://v.example/scim?aadOptscim062020": true,
		"http://127.0.0.1:9000/scim":              true,
		"http://v.example/scim":                   false,
		"https://v.example/scim?tenant=1":         false,
		"https://user:pw@v.example/scim":          false,
		"v.example/scim":                          false,
		"":                                        false,
	} {
		if r := check.SCIMBaseURL(raw); r.Failed() == want {
			t.Errorf("SCIMBaseURL(%q) = %+v", raw, r)
		} else if r.Failed() && (r.Fix == "" || strings.Count(r.Message, ". ") > 0) {
			t.Errorf("SCIMBaseURL(%q) is not one sentence with a fix: %+v", raw, r)
		}
	}
	if check.SCIMAttribute(`emails[type eq "work"].value`).Failed() || !check.SCIMAttribute(`emails[type eq`).Failed() || !check.SCIMAttribute(" ").Failed() {
		t.Error("SCIMAttribute misjudges a path")
	}
	got := check.SCIMUnmapped([]string{"userName", "name.givenName", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter"})
	if !slices.Equal(got, []string{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter"}) {
		t.Errorf("SCIMUnmapped = %v, want only costCenter, which Entra's defaults do not send", got)
	}
}

func TestSCIMTestConnectionFindsAUser(t *testing.T) {
	// An endpoint that ignores the filter and lists a user: Entra's Test Connection fails.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/scim+json")
		w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"Resources":[{"id":"1","userName":"a@b.example"}]}`))
	}))
	defer srv.Close()
	rs := check.SCIMTestConnection(context.Background(), check.SCIMEndpoint{TenantURL: srv.URL + "/scim", Token: "t"})
	if len(rs) == 0 || !rs[len(rs)-1].Failed() || !strings.Contains(rs[len(rs)-1].Message, "filter") || !strings.Contains(rs[len(rs)-1].Detail, "a@b.example") {
		t.Fatalf("results = %+v; want the verdict naming the ignored filter, with the vendor's answer", rs)
	}
	for _, r := range rs {
		if strings.Contains(r.Message+r.Detail, "Bearer") {
			t.Errorf("a result shows the credentials: %+v", r)
		}
	}
}
