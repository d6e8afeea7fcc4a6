package check_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ssowizard/ssowizard/directory"
	"github.com/ssowizard/ssowizard/wizard/check"
)

func TestDomainName(t *testing.T) {
	for _, tc := range []struct {
		in string
		want
	}{
		{"contoso.com", want{id: "domain", severity: check.OK, field: "domain"}},
		{" Contoso.COM ", want{id: "domain", severity: check.OK, message: []string{"contoso.com"}}},
		{"eu.sub-domain.contoso.co.uk", want{id: "domain", severity: check.OK}},
		{"xn--bcher-kva.de", want{id: "domain", severity: check.OK}},
		{"", want{id: "domain-empty", severity: check.Error}},
		{"contoso.onmicrosoft.com", want{id: "domain-onmicrosoft", severity: check.Error, message: []string{"e-mail addresses"}, fix: []string{"Domain names"}}},
		{"Contoso.mail.onmicrosoft.com", want{id: "domain-onmicrosoft", severity: check.Error}},
		{"contoso.onmicrosoft.us", want{id: "domain-onmicrosoft", severity: check.Error}},
		{"https://contoso.com/login", want{id: "domain-url", severity: check.Error, fix: []string{"contoso.com."}}},
		{"admin@contoso.com", want{id: "domain-email", severity: check.Error, fix: []string{"contoso.com."}}},
		{"contoso.com/sso", want{id: "domain-path", severity: check.Error, fix: []string{"contoso.com."}}},
		{"contoso.com:443", want{id: "domain-port", severity: check.Error, fix: []string{"contoso.com."}}},
		{"*.contoso.com", want{id: "domain-wildcard", severity: check.Error, fix: []string{"contoso.com"}}},
		{"con*so.com", want{id: "domain-wildcard", severity: check.Error}},
		{"contoso", want{id: "domain-no-dot", severity: check.Error}},
		{"contoso.com.", want{id: "domain-format", severity: check.Error, message: []string{"dot"}, fix: []string{"contoso.com."}}},
		{"con_toso.com", want{id: "domain-format", severity: check.Error, message: []string{`"_"`}}},
		{"-contoso.com", want{id: "domain-format", severity: check.Error, message: []string{"hyphen"}}},
		{"contoso..com", want{id: "domain-format", severity: check.Error, message: []string{"empty label"}}},
		{strings.Repeat("a", 64) + ".com", want{id: "domain-format", severity: check.Error, message: []string{"63"}}},
		{"conto so.com", want{id: "domain-whitespace", severity: check.Error}},
		{"contoso\u200b.com", want{id: "domain-whitespace", severity: check.Error}},
		{"192.168.1.10", want{id: "domain-ip", severity: check.Error}},
		{"bücher.de", want{id: "domain-idn", severity: check.Warning, message: []string{"xn--bcher-kva.de"}, fix: []string{"xn--bcher-kva.de"}}},
	} {
		tc.check(t, fmt.Sprintf("DomainName(%q)", tc.in), check.DomainName(tc.in))
	}
}

func TestDomains(t *testing.T) {
	for _, tc := range []struct {
		in    string
		names []string
		ids   []string
	}{
		{"contoso.com", []string{"contoso.com"}, []string{"domain"}},
		{"Contoso.com, fabrikam.com;contoso.COM\n\texample.org  ", []string{"contoso.com", "fabrikam.com", "example.org"}, []string{"domain", "domain", "domain"}},
		{"contoso.com,,contoso.onmicrosoft.com", []string{"contoso.com", "contoso.onmicrosoft.com"}, []string{"domain", "domain-onmicrosoft"}},
		{" , ;\n", nil, []string{"domain-empty"}},
		{"", nil, []string{"domain-empty"}},
	} {
		names, rs := check.Domains(tc.in)
		var ids []string
		for _, r := range rs {
			assertShape(t, r)
			ids = append(ids, r.ID)
		}
		if !slices.Equal(names, tc.names) || !slices.Equal(ids, tc.ids) {
			t.Errorf("Domains(%q) = %q, %q, want %q, %q", tc.in, names, ids, tc.names, tc.ids)
		}
	}
}

func TestDomainInTenant(t *testing.T) {
	domains := []directory.Domain{
		{Name: "contoso.onmicrosoft.com", Verified: true, Initial: true},
		{Name: "Contoso.com", Verified: true, Default: true},
		{Name: "fabrikam.com"},
	}
	for _, tc := range []struct {
		in      string
		domains []directory.Domain
		want
	}{
		{"contoso.com", domains, want{id: "domain-in-tenant", severity: check.OK, field: "domain"}},
		{"CONTOSO.com.", domains, want{id: "domain-in-tenant", severity: check.OK}},
		{"fabrikam.com", domains, want{id: "domain-unverified", severity: check.Error, fix: []string{"TXT", "Verify", "fabrikam.com"}}},
		{"eu.contoso.com", domains, want{id: "domain-not-in-tenant", severity: check.Error, message: []string{"parent domain contoso.com"}, fix: []string{"Add eu.contoso.com", "subdomain"}}},
		{"litware.com", domains, want{id: "domain-not-in-tenant", severity: check.Error, fix: []string{"Add custom domain"}, detail: []string{"contoso.onmicrosoft.com, contoso.com"}}},
		{"x.contoso.onmicrosoft.com", domains, want{id: "domain-not-in-tenant", severity: check.Error, fix: []string{"verify it"}}},
		{"contoso.com", nil, want{id: "domain-tenant-unknown", severity: check.Warning}},
		{" ", domains, want{id: "domain-empty", severity: check.Error}},
	} {
		tc.check(t, fmt.Sprintf("DomainInTenant(%q)", tc.in), check.DomainInTenant(tc.in, tc.domains))
	}
}

func TestDomainDiscovery(t *testing.T) {
	const other = "0b4f3a1c-2d5e-4f60-8a7b-9c0d1e2f3a4b"
	notFound := errors.New(`discovery: 400 {"error":"invalid_tenant","error_description":"AADSTS90002: Tenant 'litware.com' not found."}`)
	for _, tc := range []struct {
		name, domain, tid, found string
		err                      error
		want
	}{
		{"same tenant", "contoso.com", tenantID, tenantID, nil, want{id: "domain-discovery", severity: check.OK, field: "domain"}},
		{"same tenant other case", "contoso.com", strings.ToUpper(tenantID), tenantID, nil, want{id: "domain-discovery", severity: check.OK}},
		{"other tenant", "contoso.com", tenantID, other, nil, want{id: "domain-other-tenant", severity: check.Error, message: []string{other, tenantID}}},
		{"unknown domain", "litware.com", tenantID, "", notFound, want{id: "domain-unknown-to-entra", severity: check.Error, message: []string{"AADSTS90002", "litware.com"}, detail: []string{"AADSTS90002"}}},
		{"network", "contoso.com", tenantID, "", errors.New("dial tcp: i/o timeout"), want{id: "domain-discovery-failed", severity: check.Warning, detail: []string{"timeout"}}},
		{"empty answer", "contoso.com", tenantID, "", nil, want{id: "domain-discovery-failed", severity: check.Warning}},
		{"no tenant to compare", "contoso.com", "", other, nil, want{id: "domain-discovery", severity: check.OK, message: []string{other}}},
	} {
		tc.check(t, "DomainDiscovery("+tc.name+")", check.DomainDiscovery(tc.domain, tc.tid, tc.found, tc.err))
	}
}
