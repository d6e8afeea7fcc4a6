package scimattr_test

import (
	"reflect"
	"testing"

	"github.com/ssowizard/ssowizard/harness/scim/scimattr"
)

func TestParsePath(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want scimattr.Path
		err  bool
	}{
		{in: "userName", want: scimattr.Path{Attr: "userName"}},
		{in: "name.givenName", want: scimattr.Path{Attr: "name", Sub: "givenName"}},
		{in: `emails[type eq "work"].value`, want: scimattr.Path{Attr: "emails", Filter: &scimattr.Cond{Attr: "type", Value: "work"}, Sub: "value"}},
		{in: `members[value eq "7f4bc1a3-285e-48ae-8202-5accb43efb0e"]`, want: scimattr.Path{Attr: "members", Filter: &scimattr.Cond{Attr: "value", Value: "7f4bc1a3-285e-48ae-8202-5accb43efb0e"}}},
		{in: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", want: scimattr.Path{URN: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", Attr: "employeeNumber"}},
		{in: "urn:ietf:params:scim:schemas:core:2.0:User:userName", want: scimattr.Path{Attr: "userName"}},
		{in: "", err: true},
		{in: "emails[type eq \"work\"", err: true},
		{in: "emails[type co \"w\"]", err: true},
		{in: "a b", err: true},
	} {
		got, err := scimattr.ParsePath(tc.in)
		if tc.err {
			if err == nil {
				t.Errorf("ParsePath(%q) = %+v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParsePath(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseFilter(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []scimattr.Cond
		err  bool
	}{
		{in: `userName eq "bjensen@example.com"`, want: []scimattr.Cond{{"userName", "bjensen@example.com"}}},
		{in: `externalId eq jyoung`, want: []scimattr.Cond{{"externalId", "jyoung"}}}, // Entra's documented, unquoted
		{in: `userName EQ "a \"q\" b" and active eq true`, want: []scimattr.Cond{{"userName", `a "q" b`}, {"active", "true"}}},
		{in: `displayName eq "two words"`, want: []scimattr.Cond{{"displayName", "two words"}}},
		{in: `userName sw "a"`, err: true},
		{in: `userName eq "a" or userName eq "b"`, err: true},
		{in: `userName eq "open`, err: true},
		{in: `userName eq`, err: true},
	} {
		got, err := scimattr.ParseFilter(tc.in)
		if tc.err {
			if err == nil {
				t.Errorf("ParseFilter(%q) = %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseFilter(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestSetGetRemove(t *testing.T) {
	r := map[string]any{}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	p := func(s string) scimattr.Path {
		x, err := scimattr.ParsePath(s)
		must(err)
		return x
	}
	must(scimattr.Set(r, p(`emails[type eq "work"].value`), "a@x"))
	must(scimattr.Set(r, p(`emails[type eq "work"].value`), "b@x"))
	must(scimattr.Set(r, p("Name.GivenName"), "Jo"))
	must(scimattr.Set(r, p("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"), "Sales"))
	if v, ok := scimattr.Get(r, p(`EMAILS[TYPE eq "Work"].Value`)); !ok || v != "b@x" {
		t.Errorf("Get work email = %v %v, want b@x (one element, replaced)", v, ok)
	}
	if v, _ := scimattr.Get(r, p("name.givenName")); v != "Jo" {
		t.Errorf("Get name.givenName = %v", v)
	}
	if v, _ := scimattr.Get(r, p("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department")); v != "Sales" {
		t.Errorf("Get department = %v", v)
	}
	if !scimattr.Remove(r, p(`emails[type eq "work"]`)) || len(r["emails"].([]any)) != 0 {
		t.Errorf("Remove filtered element left %v", r["emails"])
	}
}

// FuzzPaths: filters and paths come from the network; parsing and applying them never
// panics, and what parses applies.
func FuzzPaths(f *testing.F) {
	for _, s := range []string{`userName eq "a"`, `externalId eq jyoung`, `emails[type eq "work"].value`,
		`members[value eq "x"]`, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", `a eq "\u00e9" and b eq c`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = scimattr.ParseFilter(s)
		p, err := scimattr.ParsePath(s)
		if err != nil {
			return
		}
		r := map[string]any{"emails": []any{map[string]any{"type": "work", "value": "x"}, "junk"}, "name": "flat"}
		_ = scimattr.Set(r, p, "v")
		_, _ = scimattr.Get(r, p)
		scimattr.Remove(r, p)
	})
}
