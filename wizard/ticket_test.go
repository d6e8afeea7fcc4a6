package wizard_test

import (
	"strings"
	"testing"

	"github.com/ssowizard/ssowizard/wizard"
)

func TestDemoTicket(t *testing.T) {
	tk := wizard.DemoTicket()
	if !tk.Allows(wizard.OIDC) || !tk.Allows(wizard.SAML) || tk.OIDC.RedirectURI == "" || tk.SAML.EntityID == "" {
		t.Fatalf("demo ticket: %+v", tk)
	}
	if tk.DisplayName() == "" {
		t.Error("the demo ticket names no app")
	}
}

func TestParseTicketRefusals(t *testing.T) {
	base := `"vendor":"V","protocols":["oidc"],"oidc":{"redirect_uri":"https://v.example/cb"}`
	for _, tc := range []struct {
		name, json, path string
	}{
		{"not JSON", `{`, ""},
		{"empty", ``, ""},
		{"unknown field", `{` + base + `,"redirect":"x"}`, "redirect"},
		{"no vendor", `{"protocols":["oidc"],"oidc":{"redirect_uri":"https://v.example/cb"}}`, "vendor"},
		{"no protocols", `{"vendor":"V"}`, "protocols"},
		{"unknown protocol", `{"vendor":"V","protocols":["ws-fed"]}`, "protocols[0]"},
		{"repeated protocol", `{` + strings.Replace(base, `["oidc"]`, `["oidc","oidc"]`, 1) + `}`, "protocols[1]"},
		{"oidc without its part", `{"vendor":"V","protocols":["oidc"]}`, "oidc"},
		{"http redirect", `{"vendor":"V","protocols":["oidc"],"oidc":{"redirect_uri":"http://v.example/cb"}}`, "oidc.redirect_uri"},
		{"saml without entity", `{"vendor":"V","protocols":["saml"],"saml":{"acs_url":"https://v.example/acs"}}`, "saml.entity_id"},
		{"bad login method", `{` + base + `,"login_methods":["magic"]}`, "login_methods[0]"},
		{"default role not a role", `{` + base + `,"roles":["A"],"default_role":"B"}`, "default_role"},
		{"http submit", `{` + base + `,"submit_url":"http://v.example/x"}`, "submit_url"},
		{"wrong type", `{"vendor":3}`, "vendor"},
		{"unknown scim field", `{` + base + `,"scim":{"base_url":"https://v.example/scim","token":"x"}}`, "scim.token"},
		{"scim without url", `{` + base + `,"scim":{}}`, "scim.base_url"},
		{"scim over http", `{` + base + `,"scim":{"base_url":"http://v.example/scim"}}`, "scim.base_url"},
		{"scim url with credentials", `{` + base + `,"scim":{"base_url":"https://u:p@v.example/scim"}}`, "scim.base_url"},
		{"scim auth", `{` + base + `,"scim":{"base_url":"https://v.example/scim","auth":"oauth"}}`, "scim.auth"},
		{"scim expiry", `{` + base + `,"scim":{"base_url":"https://v.example/scim","token_expires":"next year"}}`, "scim.token_expires"},
		{"scim attribute", `{` + base + `,"scim":{"base_url":"https://v.example/scim","required_attributes":["userName","emails[type eq"]}}`, "scim.required_attributes[1]"},
		{"scim repeated attribute", `{` + base + `,"scim":{"base_url":"https://v.example/scim","required_attributes":["userName","userName"]}}`, "scim.required_attributes[1]"},
		{"scim behaviour", `{` + base + `,"scim":{"base_url":"https://v.example/scim","behaviour":"strict"}}`, "scim.behaviour"},
		{"scim flag contradicts behaviour", `{` + base + `,"scim":{"base_url":"https://v.example/scim?aadOptscim062020","behaviour":"default"}}`, "scim.behaviour"},
		{"scim groups not a bool", `{` + base + `,"scim":{"base_url":"https://v.example/scim","groups":"yes"}}`, "scim.groups"},
		{"two values", `{` + base + `}{}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := wizard.ParseTicket([]byte(tc.json))
			if err == nil {
				t.Fatal("accepted")
			}
			var te *wizard.TicketError
			if !asTicketError(err, &te) {
				t.Fatalf("error %T %v is not a TicketError", err, err)
			}
			if te.Path != tc.path {
				t.Errorf("path %q, want %q (%v)", te.Path, tc.path, err)
			}
			if strings.Count(err.Error(), "\n") > 0 {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
	if _, err := wizard.ParseTicket([]byte("\xef\xbb\xbf{" + base + "}")); err != nil {
		t.Errorf("a ticket with a byte order mark: %v", err)
	}
}

func asTicketError(err error, te **wizard.TicketError) bool {
	e, ok := err.(*wizard.TicketError)
	*te = e
	return ok
}

func TestParseAnswers(t *testing.T) {
	a, err := wizard.ParseAnswers([]byte(`{"registration":{"client_id":"x","tenant_id":"y"},"enable":{"jit":true,"login_methods":"both"}}`), wizard.OIDC)
	if err != nil {
		t.Fatal(err)
	}
	if a[wizard.StepEnable]["jit"] != "yes" || a[wizard.StepRegistration]["client_id"] != "x" {
		t.Fatalf("answers: %v", a)
	}
	for _, bad := range []string{`[]`, `{"saml-urls":{}}`, `{"registration":{"client_secret":"x"}}`, `{"registration":{"client_id":3}}`} {
		if _, err := wizard.ParseAnswers([]byte(bad), wizard.OIDC); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestParseTicketSCIM(t *testing.T) {
	tk, err := wizard.ParseTicket([]byte(`{"vendor":"V","protocols":["saml"],"saml":{"entity_id":"https://v.example","acs_url":"https://v.example/acs"},
		"scim":{"base_url":"https://v.example/scim/v2","auth":"bearer","token_expires":"2027-12-04","required_attributes":["userName","name.givenName"],"groups":true,"behaviour":"compliant"}}`))
	if err != nil {
		t.Fatal(err)
	}
	c := tk.SCIM
	if c.AuthKind() != wizard.SCIMBearer || !c.Groups || !c.Compliant() || c.TokenEnd().Format("2006-01-02") != "2027-12-04" {
		t.Errorf("scim = %+v", c)
	}
	if got := c.TenantURL(); got != "https://v.example/scim/v2?aadOptscim062020" {
		t.Errorf("TenantURL = %q, want the base with the compliant flag", got)
	}
	tk, err = wizard.ParseTicket([]byte(`{"vendor":"V","protocols":["saml"],"saml":{"entity_id":"https://v.example","acs_url":"https://v.example/acs"},
		"scim":{"base_url":"http://127.0.0.1:8080/scim"}}`))
	if err != nil {
		t.Fatalf("a loopback http SCIM URL: %v", err)
	}
	if tk.SCIM.AuthKind() != wizard.SCIMBearer || tk.SCIM.Compliant() || tk.SCIM.TenantURL() != "http://127.0.0.1:8080/scim" || !tk.SCIM.TokenEnd().IsZero() {
		t.Errorf("defaults = %+v", tk.SCIM)
	}
}
