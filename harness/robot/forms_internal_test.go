package robot

import (
	"net/http"
	"net/url"
	"testing"
)

func TestChooseForm(t *testing.T) {
	base, _ := url.Parse("https://127.0.0.1:8443/tenant/login?x=1")
	cases := []struct {
		name     string
		body     string
		ok       bool
		action   string
		method   string
		values   string // url.Values.Encode of what is sent, before the robot fills anything
		password bool
	}{
		{"harness login page",
			`<form method="post" action="https://127.0.0.1:8443/t/login" autocomplete="off">
<input type="hidden" name="ctx" value="a&amp;b"><input type="hidden" name="canary" value="c&quot;d">
<input type="email" id="i0116" name="login" value="" autofocus required>
<input type="password" id="i0118" name="passwd" required>
<button type="submit" id="idSIButton9">Sign in</button></form>
<form method="post" action="/devicelogin"><input type="hidden" name="decline" value="1"><button class="secondary">Cancel</button></form>`,
			true, "https://127.0.0.1:8443/t/login", http.MethodPost, "canary=c%22d&ctx=a%26b&login=&passwd=", true},
		{"login form second", `<form action="/other"><input type="hidden" name="a" value="1"></form>
<form method=POST action='/t/login'><input type=password name=passwd></form>`,
			true, "https://127.0.0.1:8443/t/login", http.MethodPost, "passwd=", true},
		{"auto-post, single quotes, upper case, noscript submit",
			`<HTML><BODY onload="document.forms[0].submit()"><FORM METHOD='POST' NAME='hiddenform' ACTION='http://127.0.0.1:5000/saml/acs'>
<INPUT TYPE='hidden' NAME='RelayState' VALUE='r1'><input type="hidden" name="SAMLResponse" value="PHNhbWw+">
<noscript><p>Script is disabled.</p><input type="submit" value="Submit"></noscript></FORM></BODY></HTML>`,
			true, "http://127.0.0.1:5000/saml/acs", http.MethodPost, "RelayState=r1&SAMLResponse=PHNhbWw%2B", false},
		{"empty action is the page, get method", `<form method="get"><input name="q" value="v"></form>`,
			true, "https://127.0.0.1:8443/tenant/login?x=1", http.MethodGet, "q=v", false},
		{"relative action, fragment dropped", `<form action="../next#top"><input type="hidden" name="h" value="1"></form>`,
			true, "https://127.0.0.1:8443/next", http.MethodPost, "h=1", false},
		{"controls as a browser sends them",
			`<form action="/c"><input type="checkbox" name="keep" checked><input type="checkbox" name="no">
<input type="radio" name="r" value="a"><input type="radio" name="r" value="b" checked>
<select name="s"><option value="1">one</option><option selected>two</option></select>
<select name="f"><option value="x">x</option></select><textarea name="t">text</textarea>
<input name="off" value="1" disabled><input type="button" name="btn" value="b"><input type="reset" name="rs">
<button type="submit" name="go" value="yes">Go</button><input type="submit" name="other" value="no"></form>`,
			true, "https://127.0.0.1:8443/c", http.MethodPost, "f=x&go=yes&keep=on&r=b&s=two&t=text", false},
		{"a code to type cannot be filled", `<form action="/devicelogin"><input type="text" name="otc" required></form>`, false, "", "", "", false},
		{"no form", `<h1 id="sp-result">Test login received</h1>`, false, "", "", "", false},
		{"unclosed form", `<form action="/x"><input type="hidden" name="a" value="1">`, true, "https://127.0.0.1:8443/x", http.MethodPost, "a=1", false},
		{"form text in a comment is no form", `<!-- <form action="/x"><input name="a"></form> -->`, false, "", "", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, ok := chooseForm(tc.body, base)
			if ok != tc.ok {
				t.Fatalf("chooseForm ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if f.action.String() != tc.action || f.method != tc.method || f.values.Encode() != tc.values || f.password != tc.password {
				t.Errorf("chooseForm = %s %s %q password %v, want %s %s %q password %v",
					f.method, f.action, f.values.Encode(), f.password, tc.method, tc.action, tc.values, tc.password)
			}
		})
	}
}

func TestAllowed(t *testing.T) {
	harness, _ := url.Parse("https://login.example")
	origin := originOf(harness)
	cases := []struct {
		target string
		want   bool
	}{
		{"https://login.example/t/login", true},
		{"https://LOGIN.example:443/t/login", true},
		{"http://login.example/t/login", false}, // another scheme is another origin
		{"https://login.example:8443/", false},
		{"https://login.example.evil/", false},
		{"http://127.0.0.1:5000/callback", true},
		{"http://localhost:5000/saml/acs", true},
		{"http://[::1]:5000/callback", true},
		{"http://127.9.9.9/callback", true},
		{"https://vendor.example/callback", false},
		{"http://10.0.0.1/callback", false},
		{"http://0.0.0.0/callback", false},
		{"http://user:pw@127.0.0.1/callback", false},
		{"ftp://127.0.0.1/x", false},
		{"javascript:alert(1)", false},
	}
	for _, tc := range cases {
		u, err := url.Parse(tc.target)
		if err != nil {
			t.Fatal(err)
		}
		if got := allowed(origin, u); got != tc.want {
			t.Errorf("allowed(%s, %s) = %v, want %v", origin, tc.target, got, tc.want)
		}
	}
}

func TestAADSTS(t *testing.T) {
	cases := []struct {
		name string
		page Page
		want int
	}{
		{"error page", Page{Body: `<p class="err">AADSTS700016: Application not found.</p>`}, 700016},
		{"callback query", Page{URL: "http://127.0.0.1:1/callback?error=access_denied&error_description=AADSTS50105%3A+blocked&state=s"}, 50105},
		{"posted SAML status", Page{Body: "<h1>Test login received</h1>", delivered: 50105}, 50105},
		{"page wins over what was carried", Page{Body: "AADSTS50126: wrong", delivered: 50105}, 50126},
		{"none", Page{URL: "http://127.0.0.1:1/callback?code=AADSTS1", Body: "<h1>Test login received</h1>"}, 0},
	}
	for _, tc := range cases {
		if got := tc.page.AADSTS(); got != tc.want {
			t.Errorf("%s: AADSTS() = %d, want %d", tc.name, got, tc.want)
		}
	}
	saml := url.Values{"SAMLResponse": {"PFN0YXR1c01lc3NhZ2U+QUFEU1RTNTAxMDU6IG5vPC9TdGF0dXNNZXNzYWdlPg=="}}
	if got := carriedCode(saml); got != 50105 {
		t.Errorf("carriedCode(SAML error response) = %d, want 50105", got)
	}
}
