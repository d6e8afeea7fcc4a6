package tenant_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/ssowizard/ssowizard/harness/tenant"
)

// baseFile is a small valid tenant file: the refusal cases each break one thing in it.
const baseFile = `{
  "tenant_id": "11111111-1111-4111-8111-111111111111",
  "display_name": "Contoso",
  "domains": [
    {"name": "contoso.onmicrosoft.com", "initial": true, "verified": true},
    {"name": "contoso.com", "default": true, "verified": true},
    {"name": "unverified.com"}
  ],
  "users": [
    {"id": "22222222-2222-4222-8222-222222222222", "upn": "alice@contoso.com", "mail": "alice@contoso.com",
     "given_name": "Alice", "surname": "Smith", "password": "pw", "groups": ["33333333-3333-4333-8333-333333333333"]},
    {"id": "22222222-2222-4222-8222-222222222223", "upn": "bob@contoso.com", "password": "pw"},
    {"upn": "guest_fabrikam.com#EXT#@contoso.onmicrosoft.com", "mail": "guest@fabrikam.com", "guest": true}
  ],
  "groups": [
    {"id": "33333333-3333-4333-8333-333333333333", "display_name": "Legal"},
    {"id": "33333333-3333-4333-8333-333333333334", "display_name": "Paralegals", "groups": ["33333333-3333-4333-8333-333333333333"]}
  ],
  "apps": [
    {"app_id": "55555555-5555-4555-8555-555555555555", "display_name": "Vendor SSO",
     "redirect_uris": ["https://vendor.example/callback", "http://127.0.0.1/callback"],
     "identifier_uris": ["https://vendor.example/saml"],
     "secrets": [{"key_id": "66666666-6666-4666-8666-666666666666", "value": "abc8Q~abcdefghijklmnopqrstuvwxyz01234567", "end": "2030-01-01T00:00:00Z"}],
     "saml": {"sign": "assertion"},
     "optional_claims": ["email"],
     "assignment_required": true,
     "assignments": ["33333333-3333-4333-8333-333333333333"]},
    {"app_id": "77777777-7777-4777-8777-777777777777", "display_name": "Other"}
  ]
}`

// seeded gives tests reproducible IDs.
func seeded() *rand.ChaCha8 { return rand.NewChaCha8([32]byte{1}) }

func parseBase(t *testing.T) *tenant.Tenant {
	t.Helper()
	tn, err := tenant.Parse([]byte(baseFile), seeded())
	if err != nil {
		t.Fatalf("Parse(baseFile) = %v, want no error", err)
	}
	return tn
}

// remove marks a field for deletion in edit.
type removeMarker struct{}

var remove = removeMarker{}

// edit sets (or removes) the value at a dotted path such as "apps.0.saml.sign".
func edit(doc any, path string, value any) {
	parts := strings.Split(path, ".")
	cur := doc
	for i, p := range parts {
		last := i == len(parts)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				if value == any(remove) {
					delete(c, p)
				} else {
					c[p] = value
				}
				return
			}
			cur = c[p]
		case []any:
			n, err := strconv.Atoi(p)
			if err != nil {
				panic("edit: bad index " + p)
			}
			if last {
				c[n] = value
				return
			}
			cur = c[n]
		default:
			panic("edit: cannot descend into " + path)
		}
	}
}

func TestParseRefusals(t *testing.T) {
	type change struct {
		path  string
		value any
	}
	tests := []struct {
		name    string
		changes []change
		raw     string // used instead of baseFile with changes when set
		want    string
	}{
		{name: "empty", raw: " \n", want: "the file is empty; a tenant file is one JSON object"},
		{name: "syntax", raw: "{\n  \"tenant_id\": }", want: "line 2, column 16: invalid character '}' looking for beginning of value"},
		{name: "cut short", raw: `{"tenant_id": "x"`, want: "the file ends in the middle of the JSON; it is cut short"},
		{name: "two objects", raw: baseFile + "\n{}", want: "line 31, column 1: more data follows the tenant object; a tenant file holds one JSON object"},
		{name: "not an object", raw: `["x"]`, want: "want an object, got a list"},
		{name: "unknown root field", changes: []change{{"tenantid", "x"}},
			want: "tenantid: is not a field of the tenant file here (did you mean \"tenant_id\"?); the fields are tenant_id, display_name, domains, users, groups, apps, pairwise_key, scenarios"},
		{name: "unknown saml field", changes: []change{{"apps.0.saml.sgn", "x"}},
			want: "apps[0].saml.sgn: is not a field of the tenant file here (did you mean \"sign\"?); the fields are sign, algorithm, name_id, relay_state, logout_url, require_signed_requests, verification_cert, encryption_cert, certificates"},
		{name: "unknown user field", changes: []change{{"users.1.email", "bob@contoso.com"}},
			want: "users[1].email: is not a field of the tenant file here (did you mean \"mail\"?); the fields are id, upn, mail, given_name, surname, display_name, password, groups, guest, home_tenant_id, immutable_id, disabled, admin"},
		{name: "unknown field far from any", changes: []change{{"groups.0.colour", "red"}},
			want: "groups[0].colour: is not a field of the tenant file here; the fields are id, display_name, type, groups"},
		{name: "graph permission not a name", changes: []change{{"apps.0.graph_permissions", []any{"User Read"}}},
			want: `apps[0].graph_permissions[0]: "User Read" is not a permission name such as User.Read.All`},
		{name: "graph permission twice", changes: []change{{"apps.0.graph_permissions", []any{"User.Read.All", "User.Read.All"}}},
			want: `apps[0].graph_permissions[1]: "User.Read.All" is listed twice`},
		{name: "bool as string", changes: []change{{"users.0.guest", "yes"}}, want: `users[0].guest: want true or false, got the string "yes"`},
		{name: "list as string", changes: []change{{"domains", "contoso.com"}}, want: `domains: want a list, got the string "contoso.com"`},
		{name: "number for string", changes: []change{{"display_name", 5}}, want: "display_name: want a string, got the number 5"},
		{name: "object for string", changes: []change{{"apps.1.redirect_uris", []any{map[string]any{}}}}, want: "apps[1].redirect_uris[0]: want a string, got an object"},
		{name: "bad time", changes: []change{{"apps.0.secrets.0.end", "2030-01-01"}},
			want: `apps[0].secrets[0].end: "2030-01-01" is not an RFC3339 time such as "2026-01-31T12:00:00Z"`},
		{name: "time as number", changes: []change{{"apps.0.secrets.0.start", 2030}},
			want: "apps[0].secrets[0].start: want an RFC3339 time as a string, got the number 2030"},

		{name: "tenant id", changes: []change{{"tenant_id", "contoso"}}, want: `tenant_id: "contoso" is not a GUID (8-4-4-4-12 hexadecimal digits)`},
		{name: "no display name", changes: []change{{"display_name", " "}}, want: "display_name: is empty; give the tenant the organisation's name"},
		{name: "pairwise key", changes: []change{{"pairwise_key", "short"}},
			want: "pairwise_key: is not base64url (unpadded) of at least 16 bytes; leave it out to have one generated"},
		{name: "scenario", changes: []change{{"scenarios", []any{"sunny"}}},
			want: `scenarios[0]: "sunny" is not a scenario (clock-skew, expired-cert, cert-rollover, sha1, sign-response, sign-both, unsigned, groups-overage, no-email, guest-user, transient-nameid, old-session, mfa-session, consent-required, expired-secret, slow)`},

		{name: "no domains", changes: []change{{"domains", []any{}}}, want: "domains: is empty; a tenant has at least its initial *.onmicrosoft.com domain"},
		{name: "bad domain", changes: []change{{"domains.2.name", "not a domain"}}, want: `domains[2].name: "not a domain" is not a domain name`},
		{name: "duplicate domain", changes: []change{{"domains.2.name", "Contoso.COM"}}, want: `domains[2].name: "contoso.com" is listed twice`},
		{name: "two initial", changes: []change{{"domains.2.initial", true}, {"domains.2.name", "other.onmicrosoft.com"}, {"domains.2.verified", true}},
			want: "domains[2].initial: a tenant has one initial domain and domains[0] is already initial"},
		{name: "initial not onmicrosoft", changes: []change{{"domains.0.initial", false}, {"domains.1.initial", true}},
			want: `domains[1].initial: "contoso.com" cannot be the initial domain; the initial domain is the tenant's *.onmicrosoft.com name`},
		{name: "initial unverified", changes: []change{{"domains.0.verified", false}},
			want: `domains[0].verified: the initial domain is always verified; set "verified": true`},
		{name: "no initial", changes: []change{{"domains.0.initial", false}},
			want: `domains: no domain is initial; mark the *.onmicrosoft.com domain "initial": true`},
		{name: "no default", changes: []change{{"domains.1.default", false}},
			want: `domains: no domain is default; mark one verified domain "default": true`},
		{name: "two default", changes: []change{{"domains.0.default", true}},
			want: "domains[1].default: a tenant has one default domain and domains[0] is already default"},
		{name: "default unverified", changes: []change{{"domains.1.default", false}, {"domains.2.default", true}},
			want: `domains[2].default: "unverified.com" is not verified, and only a verified domain can be the default`},

		{name: "user id", changes: []change{{"users.1.id", "42"}}, want: `users[1].id: "42" is not a GUID (8-4-4-4-12 hexadecimal digits)`},
		{name: "duplicate user id", changes: []change{{"users.1.id", "22222222-2222-4222-8222-222222222222"}},
			want: `users[1].id: "22222222-2222-4222-8222-222222222222" is already the id of users[0].id; object IDs are unique in a tenant`},
		{name: "user id is a group id", changes: []change{{"users.1.id", "33333333-3333-4333-8333-333333333334"}},
			want: `users[1].id: "33333333-3333-4333-8333-333333333334" is already the id of groups[1].id; object IDs are unique in a tenant`},
		{name: "undefined group", changes: []change{{"users.2.groups", []any{"99999999-9999-4999-8999-999999999999"}}},
			want: `users[2].groups[0]: group "99999999-9999-4999-8999-999999999999" is not defined in groups`},
		{name: "group twice", changes: []change{{"users.0.groups", []any{"33333333-3333-4333-8333-333333333333", "33333333-3333-4333-8333-333333333333"}}},
			want: `users[0].groups[1]: group "33333333-3333-4333-8333-333333333333" is listed twice`},
		{name: "no upn", changes: []change{{"users.1.upn", remove}}, want: "users[1].upn: is missing; every user has a user principal name (name@domain)"},
		{name: "malformed upn", changes: []change{{"users.1.upn", "bob"}}, want: `users[1].upn: "bob" is not a user principal name (name@domain)`},
		{name: "upn domain foreign", changes: []change{{"users.1.upn", "bob@fabrikam.com"}},
			want: `users[1].upn: domain "fabrikam.com" is not a domain of this tenant; use one listed in domains`},
		{name: "upn domain unverified", changes: []change{{"users.1.upn", "bob@unverified.com"}},
			want: `users[1].upn: domain "unverified.com" is not verified, so no user can have it in their UPN`},
		{name: "duplicate upn", changes: []change{{"users.1.upn", "ALICE@contoso.com"}},
			want: `users[1].upn: "ALICE@contoso.com" is already the upn of users[0]`},
		{name: "bad mail", changes: []change{{"users.1.mail", "bob at contoso"}}, want: `users[1].mail: "bob at contoso" is not an email address`},
		{name: "duplicate mail", changes: []change{{"users.1.mail", "Alice@Contoso.com"}},
			want: `users[1].mail: "Alice@Contoso.com" is already the mail of users[0]`},
		{name: "guest without mail", changes: []change{{"users.2.mail", remove}},
			want: "users[2].mail: is missing; a guest needs the address they were invited with"},
		{name: "member with home tenant", changes: []change{{"users.1.home_tenant_id", "88888888-8888-4888-8888-888888888888"}},
			want: `users[1].home_tenant_id: only a guest has a home tenant; set "guest": true or remove it`},
		{name: "guest home tenant is this one", changes: []change{{"users.2.home_tenant_id", "11111111-1111-4111-8111-111111111111"}},
			want: "users[2].home_tenant_id: is this tenant; a guest's home tenant is another one"},
		{name: "guest home tenant not guid", changes: []change{{"users.2.home_tenant_id", "fabrikam"}},
			want: `users[2].home_tenant_id: "fabrikam" is not a GUID`},

		{name: "group without name", changes: []change{{"groups.0.display_name", ""}}, want: "groups[0].display_name: is empty; every group has a display name"},
		{name: "group type", changes: []change{{"groups.0.type", "dynamic"}}, want: `groups[0].type: "dynamic" is not one of security, microsoft365, distribution`},
		{name: "group in itself", changes: []change{{"groups.1.groups", []any{"33333333-3333-4333-8333-333333333334"}}},
			want: "groups[1].groups[0]: a group cannot be a member of itself"},
		{name: "group in undefined group", changes: []change{{"groups.1.groups", []any{"99999999-9999-4999-8999-999999999999"}}},
			want: `groups[1].groups[0]: group "99999999-9999-4999-8999-999999999999" is not defined in groups`},
		{name: "group cycle", changes: []change{{"groups.0.groups", []any{"33333333-3333-4333-8333-333333333334"}}},
			want: `groups[0].groups[0]: membership loops back on itself ("Legal" in "Paralegals" in "Legal"); nested groups cannot form a cycle`},

		{name: "app id", changes: []change{{"apps.1.app_id", "other"}}, want: `apps[1].app_id: "other" is not a GUID (8-4-4-4-12 hexadecimal digits)`},
		{name: "duplicate app id", changes: []change{{"apps.1.app_id", "55555555-5555-4555-8555-555555555555"}},
			want: `apps[1].app_id: "55555555-5555-4555-8555-555555555555" is already the app_id of apps[0]`},
		{name: "object id is a user", changes: []change{{"apps.1.object_id", "22222222-2222-4222-8222-222222222223"}},
			want: `apps[1].object_id: "22222222-2222-4222-8222-222222222223" is already the id of users[1].id; object IDs are unique in a tenant`},
		{name: "app without name", changes: []change{{"apps.1.display_name", ""}}, want: "apps[1].display_name: is empty; every app has a display name"},
		{name: "audience", changes: []change{{"apps.1.sign_in_audience", "Everyone"}},
			want: `apps[1].sign_in_audience: "Everyone" is not one of AzureADMyOrg, AzureADMultipleOrgs, AzureADandPersonalMicrosoftAccount, PersonalMicrosoftAccount`},
		{name: "http redirect", changes: []change{{"apps.0.redirect_uris.0", "http://vendor.example/callback"}},
			want: `apps[0].redirect_uris[0]: "http://vendor.example/callback" must use https (http is accepted only for localhost and 127.0.0.1)`},
		{name: "wildcard redirect", changes: []change{{"apps.0.redirect_uris.0", "https://*.vendor.example/callback"}},
			want: `apps[0].redirect_uris[0]: "https://*.vendor.example/callback" has a wildcard, which Entra does not accept in a redirect URI`},
		{name: "fragment redirect", changes: []change{{"apps.0.redirect_uris.0", "https://vendor.example/callback#x"}},
			want: `apps[0].redirect_uris[0]: "https://vendor.example/callback#x" has a fragment (#…), which a redirect URI cannot have`},
		{name: "relative redirect", changes: []change{{"apps.0.redirect_uris.0", "/callback"}},
			want: `apps[0].redirect_uris[0]: "/callback" is not an absolute URL`},
		{name: "long redirect", changes: []change{{"apps.0.redirect_uris.0", "https://vendor.example/" + strings.Repeat("a", 240)}},
			want: "apps[0].redirect_uris[0]: is 263 characters long; Entra accepts at most 256"},
		{name: "duplicate redirect", changes: []change{{"apps.0.redirect_uris.1", "https://vendor.example/callback"}},
			want: `apps[0].redirect_uris[1]: "https://vendor.example/callback" is listed twice`},
		{name: "identifier of another app", changes: []change{{"apps.1.identifier_uris", []any{"https://vendor.example/saml"}}},
			want: `apps[1].identifier_uris[0]: "https://vendor.example/saml" is already an identifier URI of apps[0].identifier_uris[0]; an identifier (Entity ID) is unique in the tenant`},
		{name: "identifier not a uri", changes: []change{{"apps.1.identifier_uris", []any{"vendor"}}},
			want: `apps[1].identifier_uris[0]: "vendor" is not a URI (such as https://vendor.example/saml, api://… or urn:…)`},
		{name: "secret key id", changes: []change{{"apps.0.secrets.0.key_id", "1"}},
			want: `apps[0].secrets[0].key_id: "1" is not a GUID (8-4-4-4-12 hexadecimal digits)`},
		{name: "secret without value", changes: []change{{"apps.0.secrets.0.value", remove}},
			want: "apps[0].secrets[0].value: is missing; a secret needs its value"},
		{name: "secret hint", changes: []change{{"apps.0.secrets.0.hint", "xyz"}},
			want: `apps[0].secrets[0].hint: "xyz" is not the first three characters of the value`},
		{name: "secret without end", changes: []change{{"apps.0.secrets.0.end", remove}},
			want: "apps[0].secrets[0].end: is missing; every secret expires (an RFC3339 time)"},
		{name: "secret ends before start", changes: []change{{"apps.0.secrets.0.start", "2031-01-01T00:00:00Z"}},
			want: "apps[0].secrets[0].end: 2030-01-01T00:00:00Z is not after the start 2031-01-01T00:00:00Z"},
		{name: "duplicate secret", changes: []change{{"apps.0.secrets", []any{
			map[string]any{"key_id": "66666666-6666-4666-8666-666666666666", "value": "one", "end": "2030-01-01T00:00:00Z"},
			map[string]any{"key_id": "66666666-6666-4666-8666-666666666666", "value": "two", "end": "2030-01-01T00:00:00Z"}}}},
			want: `apps[0].secrets[1].key_id: "66666666-6666-4666-8666-666666666666" is the key_id of another secret of this app`},
		{name: "saml sign", changes: []change{{"apps.0.saml.sign", "sometimes"}},
			want: `apps[0].saml.sign: "sometimes" is not one of assertion, response, both`},
		{name: "saml algorithm", changes: []change{{"apps.0.saml.algorithm", "md5"}},
			want: `apps[0].saml.algorithm: "md5" is not one of sha256, sha1`},
		{name: "saml name id", changes: []change{{"apps.0.saml.name_id", "email"}},
			want: `apps[0].saml.name_id: "email" is not one of upn, mail, objectid, persistent`},
		{name: "encryption cert", changes: []change{{"apps.0.saml.encryption_cert", "MIIB..."}},
			want: "apps[0].saml.encryption_cert: is not a PEM certificate (-----BEGIN CERTIFICATE-----)"},
		{name: "logout url", changes: []change{{"apps.0.saml.logout_url", "ftp://vendor.example/slo"}},
			want: `apps[0].saml.logout_url: "ftp://vendor.example/slo" must use https (http is accepted only for localhost and 127.0.0.1)`},
		{name: "verification cert", changes: []change{{"apps.0.saml.verification_cert", "MIIB..."}},
			want: "apps[0].saml.verification_cert: is not a PEM certificate (-----BEGIN CERTIFICATE-----)"},
		{name: "signed requests without a certificate", changes: []change{{"apps.0.saml.require_signed_requests", true}},
			want: "apps[0].saml.require_signed_requests: needs verification_cert, the SP's certificate that signed requests are checked against"},
		{name: "two active certs", changes: []change{{"apps.0.saml.certificates", []any{
			map[string]any{"end": "2030-01-01T00:00:00Z", "active": true},
			map[string]any{"end": "2031-01-01T00:00:00Z", "active": true}}}},
			want: "apps[0].saml.certificates[1].active: certificates[0] is already active; one certificate signs at a time"},
		{name: "no active cert", changes: []change{{"apps.0.saml.certificates", []any{map[string]any{"end": "2030-01-01T00:00:00Z"}}}},
			want: `apps[0].saml.certificates: no certificate is active; mark the one that signs "active": true`},
		{name: "thumbprint", changes: []change{{"apps.0.saml.certificates", []any{map[string]any{"end": "2030-01-01T00:00:00Z", "active": true, "thumbprint": "AB:CD"}}}},
			want: `apps[0].saml.certificates[0].thumbprint: "AB:CD" is not a SHA-1 thumbprint (40 hexadecimal digits)`},
		{name: "cert without end", changes: []change{{"apps.0.saml.certificates", []any{map[string]any{"active": true}}}},
			want: "apps[0].saml.certificates[0].end: is missing; every signing certificate expires (an RFC3339 time)"},
		{name: "group claims", changes: []change{{"apps.0.group_claims", "SecurityGroup"}},
			want: `apps[0].group_claims: "SecurityGroup" is not one of none, security, all`},
		{name: "optional claim", changes: []change{{"apps.0.optional_claims", []any{"favourite_colour"}}},
			want: `apps[0].optional_claims[0]: "favourite_colour" is not an optional claim Entra offers (acct, auth_time, ctry, email, family_name, fwd, given_name, groups, idtyp, in_corp, ipaddr, login_hint, onprem_sid, preferred_username, pwd_exp, pwd_url, sid, tenant_ctry, tenant_region_scope, upn, verified_primary_email, verified_secondary_email, vnet, xms_cc, xms_edov, xms_pdl, xms_pl, xms_tpl, ztdid)`},
		{name: "optional claim twice", changes: []change{{"apps.0.optional_claims", []any{"email", "email"}}},
			want: `apps[0].optional_claims[1]: "email" is listed twice`},
		{name: "assignment unknown", changes: []change{{"apps.0.assignments", []any{"99999999-9999-4999-8999-999999999999"}}},
			want: `apps[0].assignments[0]: "99999999-9999-4999-8999-999999999999" is neither a user nor a group of this tenant`},
		{name: "assignment twice", changes: []change{{"apps.0.assignments", []any{"33333333-3333-4333-8333-333333333333", "33333333-3333-4333-8333-333333333333"}}},
			want: `apps[0].assignments[1]: "33333333-3333-4333-8333-333333333333" is assigned twice`},
		{name: "sso mode", changes: []change{{"apps.0.preferred_sso_mode", "kerberos"}},
			want: `apps[0].preferred_sso_mode: "kerberos" is not one of saml, oidc, password, notSupported (or empty)`},
		{name: "app scenario twice", changes: []change{{"apps.1.scenarios", []any{"sha1", "sha1"}}},
			want: `apps[1].scenarios[1]: "sha1" is listed twice`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(tc.raw)
			if tc.raw == "" {
				var doc any
				if err := json.Unmarshal([]byte(baseFile), &doc); err != nil {
					t.Fatal(err)
				}
				for _, c := range tc.changes {
					edit(doc, c.path, c.value)
				}
				var err error
				if data, err = json.Marshal(doc); err != nil {
					t.Fatal(err)
				}
			}
			_, err := tenant.Parse(data, seeded())
			var ferr *tenant.FieldError
			if !errors.As(err, &ferr) {
				t.Fatalf("Parse(%s) = %v, want a *FieldError", tc.name, err)
			}
			if err.Error() != tc.want {
				t.Errorf("Parse(%s) = %q, want %q", tc.name, err.Error(), tc.want)
			}
		})
	}
}

func TestParseCompletes(t *testing.T) {
	tn := parseBase(t)
	guest := tn.Users[2]
	if !tenant.IsGUID(guest.ID) {
		t.Errorf("guest ID = %q, want a generated GUID", guest.ID)
	}
	if guest.DisplayName != "guest_fabrikam.com#EXT#" {
		t.Errorf("guest display name = %q, want the UPN's name part", guest.DisplayName)
	}
	if tn.Users[0].DisplayName != "Alice Smith" {
		t.Errorf("alice display name = %q, want %q", tn.Users[0].DisplayName, "Alice Smith")
	}
	if tn.Groups[0].Type != tenant.GroupSecurity {
		t.Errorf("group type = %q, want %q", tn.Groups[0].Type, tenant.GroupSecurity)
	}
	for i, a := range tn.Apps {
		if !tenant.IsGUID(a.ObjectID) || !tenant.IsGUID(a.ServicePrincipalID) {
			t.Errorf("apps[%d] object %q, service principal %q, want generated GUIDs", i, a.ObjectID, a.ServicePrincipalID)
		}
		if a.SAML.Sign != "assertion" || a.SAML.Algorithm != "sha256" || a.SAML.NameID != "upn" || a.GroupClaims != "none" || a.SignInAudience != "AzureADMyOrg" {
			t.Errorf("apps[%d] defaults = %+v, group claims %q, audience %q", i, a.SAML, a.GroupClaims, a.SignInAudience)
		}
	}
	if got := tn.Apps[0].Secrets[0].Hint; got != "abc" {
		t.Errorf("secret hint = %q, want %q", got, "abc")
	}
	if tn.PairwiseKey == "" {
		t.Error("pairwise key not generated")
	}
}

func TestParseNormalises(t *testing.T) {
	upper := strings.ReplaceAll(baseFile, "55555555-5555-4555-8555-555555555555", "AAAAAAAA-5555-4555-8555-555555555555")
	upper = strings.ReplaceAll(upper, `"contoso.com"`, `"Contoso.COM"`)
	tn, err := tenant.Parse(append([]byte("\uFEFF"), upper...), seeded())
	if err != nil {
		t.Fatalf("Parse(upper-case GUIDs, BOM) = %v", err)
	}
	if got := tn.Apps[0].AppID; got != "aaaaaaaa-5555-4555-8555-555555555555" {
		t.Errorf("app ID = %q, want it lower-cased", got)
	}
	if got := tn.Domains[1].Name; got != "contoso.com" {
		t.Errorf("domain = %q, want it lower-cased", got)
	}
}

func TestRoundTripIsByteStable(t *testing.T) {
	first, err := tenant.Marshal(parseBase(t))
	if err != nil {
		t.Fatalf("Marshal = %v", err)
	}
	again, err := tenant.Parse(first, nil)
	if err != nil {
		t.Fatalf("Parse(Marshal(base)) = %v", err)
	}
	second, err := tenant.Marshal(again)
	if err != nil {
		t.Fatalf("Marshal = %v", err)
	}
	if !bytes.Equal(first, second) {
		t.Errorf("Marshal(Parse(Marshal(base))) differs from Marshal(base):\n%s\n----\n%s", first, second)
	}
	if !bytes.HasSuffix(first, []byte("}\n")) || bytes.Contains(first, []byte(`\u0026`)) {
		t.Errorf("Marshal output not shaped for people:\n%s", first)
	}
}

func TestMarshalRefusesInvalid(t *testing.T) {
	tn := parseBase(t)
	tn.Apps[0].SAML.Sign = "never"
	if _, err := tenant.Marshal(tn); err == nil || !strings.Contains(err.Error(), `apps[0].saml.sign: "never"`) {
		t.Errorf("Marshal(invalid) = %v, want the sign field refused", err)
	}
}
