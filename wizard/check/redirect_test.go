package check_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ssowizard/ssowizard/wizard/check"
)

func TestRedirectURI(t *testing.T) {
	registered := []string{"https://vendor.example/callback", "http://127.0.0.1/callback", "https://vendor.example/Auth/Return?tenant=1"}
	for _, tc := range []struct {
		in         string
		registered []string
		want
	}{
		{"https://vendor.example/callback", registered, want{id: "redirect-uri", severity: check.OK, field: "redirect_uri", message: []string{"exactly"}}},
		{"http://127.0.0.1:53817/callback", registered, want{id: "redirect-uri", severity: check.OK, message: []string{"http://127.0.0.1/callback", "port"}}},
		{"", registered, want{id: "redirect-uri-empty", severity: check.Error}},
		{"https://vendor.example/callback", nil, want{id: "redirect-uri-none-registered", severity: check.Error, message: []string{"AADSTS500113"}}},
		{"https://vendor.example/callback/", registered, want{id: "redirect-uri-mismatch", severity: check.Error,
			message: []string{"https://vendor.example/callback ", "trailing slash (one too many)", "AADSTS50011"}, detail: []string{"https://vendor.example/callback{+/+}"}}},
		{"https://vendor.example/", []string{"https://vendor.example"}, want{id: "redirect-uri-mismatch", severity: check.Error, message: []string{"trailing slash (one too many)"}}},
		{"https://vendor.example/Auth/Return/?tenant=1", registered, want{id: "redirect-uri-mismatch", severity: check.Error, message: []string{"trailing slash"}}},
		{"https://vendor.example/auth/return?tenant=1", registered, want{id: "redirect-uri-mismatch", severity: check.Error, message: []string{"in letter case,"}}},
		{"http://vendor.example/callback", registered, want{id: "redirect-uri-mismatch", severity: check.Error,
			message: []string{"scheme (http instead of https)"}, detail: []string{"http[-s-]://vendor.example/callback"}}},
		{"https://Vendor.example/callback", registered, want{id: "redirect-uri-mismatch", severity: check.Error, message: []string{"letter case"}}},
		{"https://vendor.example.com/callback", registered, want{id: "redirect-uri-mismatch", severity: check.Error, message: []string{"host (vendor.example.com instead of vendor.example)"}}},
		{"https://vendor.example:8443/callback", registered, want{id: "redirect-uri-mismatch", severity: check.Error, message: []string{"port (:8443 instead of none)"}}},
		{"https://localhost:8443/cb", []string{"https://localhost/cb"}, want{id: "redirect-uri-mismatch", severity: check.Error, message: []string{"port"}}},
		{"https://vendor.example/callbacks", registered, want{id: "redirect-uri-mismatch", severity: check.Error, message: []string{"in path,"}}},
		{"https://vendor.example/Auth/Return?tenant=2", registered, want{id: "redirect-uri-mismatch", severity: check.Error,
			message: []string{"https://vendor.example/Auth/Return?tenant=1", "query"}}},
		{"https://vendor.example/callback\n", registered, want{id: "redirect-uri-mismatch", severity: check.Error,
			message: []string{"whitespace"}, detail: []string{"{+<newline>+}"}}},
		{" https://vendor.example/callback", registered, want{id: "redirect-uri-mismatch", severity: check.Error, message: []string{"whitespace"}, detail: []string{"{+<space>+}https"}}},
		{"http://vendor.example/callback/", registered, want{id: "redirect-uri-mismatch", severity: check.Error,
			message: []string{"scheme (http instead of https) and trailing slash (one too many)"}}},
		{"http://localhost/callback", registered, want{id: "redirect-uri-mismatch", severity: check.Error,
			message: []string{"http://127.0.0.1/callback", "host (localhost instead of 127.0.0.1)"}}},
		{"vendor.example/callback", registered, want{id: "redirect-uri-mismatch", severity: check.Error, message: []string{"other characters"}}},
	} {
		tc.check(t, fmt.Sprintf("RedirectURI(%q)", tc.in), check.RedirectURI(tc.in, tc.registered))
	}
}

func TestReplyURL(t *testing.T) {
	for _, tc := range []struct {
		in string
		want
	}{
		{"https://vendor.example/saml/acs", want{id: "reply-url", severity: check.OK, field: "reply_url"}},
		{"https://vendor.example/saml/acs?tenant=contoso", want{id: "reply-url", severity: check.OK}},
		{"http://127.0.0.1:8080/saml/acs", want{id: "reply-url", severity: check.OK}},
		{"http://localhost/saml/acs", want{id: "reply-url", severity: check.OK}},
		{"", want{id: "reply-url-empty", severity: check.Error}},
		{"https://vendor.example/saml/acs ", want{id: "reply-url-whitespace", severity: check.Error}},
		{"https://vendor.example/" + strings.Repeat("a", 240), want{id: "reply-url-too-long", severity: check.Error, message: []string{"263 characters", "256"}}},
		{"https://*.vendor.example/acs", want{id: "reply-url-wildcard", severity: check.Error}},
		{"https://vendor.example/acs#done", want{id: "reply-url-fragment", severity: check.Error}},
		{"https://vendor.example/acs;jsessionid=1", want{id: "reply-url-characters", severity: check.Error}},
		{"/saml/acs", want{id: "reply-url-not-absolute", severity: check.Error}},
		{"vendor.example/saml/acs", want{id: "reply-url-not-absolute", severity: check.Error}},
		{"http://vendor.example/saml/acs", want{id: "reply-url-http", severity: check.Error, fix: []string{"https://vendor.example/saml/acs"}}},
		{"javascript:alert(1)", want{id: "reply-url-characters", severity: check.Error}},
		{"ftp://vendor.example/acs", want{id: "reply-url-scheme", severity: check.Error, message: []string{"ftp"}}},
	} {
		tc.check(t, fmt.Sprintf("ReplyURL(%q)", tc.in), check.ReplyURL(tc.in))
	}
}
