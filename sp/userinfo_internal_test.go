package sp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ssowizard/ssowizard/inspect"
)

// A provider that puts the e-mail in userinfo only (the common default of certified
// providers): the login shows where each claim came from, and says the e-mail is in
// userinfo rather than reporting it missing. A userinfo answer for another subject is
// refused.
func TestUserInfoClaimSources(t *testing.T) {
	var sub = "user-1"
	mux := http.NewServeMux()
	var srv *httptest.Server
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL, "authorization_endpoint": srv.URL + "/authorize",
			"token_endpoint": srv.URL + "/token", "jwks_uri": srv.URL + "/keys", "userinfo_endpoint": srv.URL + "/userinfo"})
	})
	mux.HandleFunc("/userinfo", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer at-1" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"sub": sub, "name": "Alice", "email": "alice@example.com"})
	})
	srv = httptest.NewServer(mux)
	defer srv.Close()
	p, err := oidc.NewProvider(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	o := &OIDC{provider: p}
	newResult := func() *Result {
		rep := &inspect.Report{Claims: []inspect.Claim{{Name: "sub", Values: []string{"user-1"}}, {Name: "name", Values: []string{"Alice"}}}}
		rep.Findings = append(rep.Findings, inspect.Finding{Code: inspect.CodeEmailMissing, Severity: inspect.SeverityWarning})
		return &Result{Report: rep}
	}
	res := newResult()
	o.readUserInfo(context.Background(), res, &oauth2.Token{AccessToken: "at-1", TokenType: "Bearer"}, "user-1")
	from := map[string]string{}
	for _, c := range res.Claims {
		from[c.Name] = c.From
	}
	if from["email"] != "userinfo" || from["name"] != "id_token+userinfo" || from["sub"] != "id_token+userinfo" {
		t.Errorf("claim sources = %v", from)
	}
	if res.Report.Has(inspect.CodeEmailMissing) || !res.Report.Has(CodeEmailFromUserInfo) {
		t.Errorf("findings %+v: want email-from-userinfo instead of email-missing", res.Report.Findings)
	}

	sub = "someone-else"
	res = newResult()
	o.readUserInfo(context.Background(), res, &oauth2.Token{AccessToken: "at-1", TokenType: "Bearer"}, "user-1")
	if !res.Report.Has(CodeUserInfoFailed) || !res.Report.Has(inspect.CodeEmailMissing) || res.Claims != nil {
		t.Errorf("userinfo for another subject: findings %+v, claims %v; want it refused and unused", res.Report.Findings, res.Claims)
	}
}
