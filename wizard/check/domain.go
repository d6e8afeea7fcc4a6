package check

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ssowizard/ssowizard/directory"
	"golang.org/x/net/idna"
)

// microsoftDomainSuffixes are the initial, Microsoft-provided domains of a tenant in the
// public, US government and China clouds.
var microsoftDomainSuffixes = []string{"onmicrosoft.com", "onmicrosoft.us", "onmschina.cn"}

const domainNamesBlade = entraAdminCenter + " > Settings > Domain names"

// DomainName checks a domain name given to the vendor to match users by: a bare domain (no
// scheme, path, port, @ or wildcard), well-formed labels, non-ASCII names shown in their
// ASCII (xn--) form, and not the tenant's *.onmicrosoft.com domain, which users' e-mail
// addresses do not carry.
func DomainName(name string) Result {
	const id, field = "domain", fieldDomain
	d := strings.ToLower(strings.TrimSpace(name))
	if d == "" {
		return fail(id+"-empty", field, "The domain is empty.",
			"Enter the domain your users' e-mail addresses end with, as listed in "+domainNamesBlade+".")
	}
	if r, valid := domainShape(field, d); !valid {
		return r
	}
	ascii, _ := toASCII(d) // domainShape has checked it converts
	if isMicrosoftDomain(ascii) {
		return fail(id+"-onmicrosoft", field,
			fmt.Sprintf("The domain %s is the tenant's initial Microsoft-provided domain, which your users' e-mail addresses do not use, so the vendor could match no one by it.", d),
			"Enter the verified custom domain your users' e-mail addresses end with, as listed in "+domainNamesBlade+", e.g. contoso.com rather than contoso.onmicrosoft.com.")
	}
	if ascii != d {
		return warn(id+"-idn", field,
			fmt.Sprintf("The domain %s has non-ASCII characters, and its ASCII (punycode) form is %s.", d, ascii),
			"Give the vendor the form "+domainNamesBlade+" shows, usually "+ascii+", since many systems compare only that form.")
	}
	return ok(id, field, fmt.Sprintf("The domain %s is well-formed.", d))
}

// domainShape checks the form of a lower-cased, trimmed domain name and returns the
// failing Result, or valid = true.
func domainShape(field, d string) (r Result, valid bool) {
	const id = "domain"
	alone := func(host string) string {
		if host == "" {
			return "Enter the domain alone, e.g. contoso.com."
		}
		return fmt.Sprintf("Enter the domain alone: %s.", host)
	}
	switch {
	case strings.Contains(d, "://"):
		host := ""
		if u, err := url.Parse(d); err == nil {
			host = u.Hostname()
		}
		return fail(id+"-url", field, "This is a web address, not a domain name.", alone(host)), false
	case strings.Contains(d, "@"):
		_, after, _ := strings.Cut(d, "@")
		return fail(id+"-email", field, "This is an e-mail address, not a domain name.", alone(strings.TrimSpace(after))), false
	case strings.HasPrefix(d, "*."):
		return fail(id+"-wildcard", field, "A wildcard domain is not accepted, since Entra verifies and vendors match exact domains.",
			fmt.Sprintf("Enter each domain your users' e-mail addresses use, e.g. %s.", d[2:])), false
	case strings.Contains(d, "*"):
		return fail(id+"-wildcard", field, "A wildcard domain is not accepted, since Entra verifies and vendors match exact domains.",
			"Enter each domain your users' e-mail addresses use."), false
	case strings.Contains(d, "/"):
		host, _, _ := strings.Cut(d, "/")
		return fail(id+"-path", field, "The domain has a path after it.", alone(host)), false
	case strings.Contains(d, ":"):
		host, _, _ := strings.Cut(d, ":")
		return fail(id+"-port", field, "The domain has a port after it.", alone(host)), false
	case strings.IndexFunc(d, isSpaceOrInvisible) >= 0:
		return fail(id+"-whitespace", field, "The domain has a space or an invisible character inside it.",
			"Type the domain again, e.g. contoso.com."), false
	case strings.HasSuffix(d, "."):
		return fail(id+"-format", field, "The domain ends with a dot.", alone(strings.TrimRight(d, "."))), false
	}
	ascii, err := toASCII(d)
	if err != nil {
		return fail(id+"-format", field, fmt.Sprintf("The domain %s is not a valid domain name.", d),
			"Enter the domain as listed in "+domainNamesBlade+", e.g. contoso.com.").with(err.Error()), false
	}
	if len(ascii) > 253 {
		return fail(id+"-format", field, fmt.Sprintf("The domain has %d characters, more than the 253 a domain name may have.", len(ascii)),
			"Enter the domain as listed in "+domainNamesBlade+"."), false
	}
	labels := strings.Split(ascii, ".")
	if len(labels) < 2 {
		return fail(id+"-no-dot", field, fmt.Sprintf("The name %s has no dot, so it is a host or tenant name rather than a domain.", d),
			"Enter the full domain your users' e-mail addresses end with, e.g. contoso.com."), false
	}
	for _, l := range labels {
		if msg := labelProblem(l); msg != "" {
			return fail(id+"-format", field, fmt.Sprintf("The domain %s is not a valid domain name: %s.", d, msg),
				"Enter the domain as listed in "+domainNamesBlade+", e.g. contoso.com."), false
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return fail(id+"-ip", field, "This is an IP address, not a domain name.",
			"Enter the domain your users' e-mail addresses end with, e.g. contoso.com."), false
	}
	if _, err := idna.Lookup.ToASCII(ascii); err != nil {
		return fail(id+"-format", field, fmt.Sprintf("The domain %s is not a valid domain name.", d),
			"Enter the domain as listed in "+domainNamesBlade+", e.g. contoso.com.").with(err.Error()), false
	}
	return Result{}, true
}

// toASCII is the ASCII form of a domain name: itself when it is ASCII already (so that
// labelProblem, not the IDNA library, explains a bad character), else its punycode form.
func toASCII(d string) (string, error) {
	for i := 0; i < len(d); i++ {
		if d[i] >= utf8.RuneSelf {
			return idna.Lookup.ToASCII(d)
		}
	}
	return d, nil
}

// labelProblem says what is wrong with one ASCII label, or "".
func labelProblem(l string) string {
	switch {
	case l == "":
		return "it has an empty label (two dots in a row, or a leading dot)"
	case len(l) > 63:
		return fmt.Sprintf("the label %s has more than 63 characters", l)
	case l[0] == '-' || l[len(l)-1] == '-':
		return fmt.Sprintf("the label %s starts or ends with a hyphen", l)
	}
	for _, c := range l {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			if c < unicode.MaxASCII && unicode.IsPrint(c) {
				return fmt.Sprintf("it contains %q, which a domain name cannot", string(c))
			}
			return fmt.Sprintf("it contains the character %U, which a domain name cannot", c)
		}
	}
	return ""
}

func isMicrosoftDomain(d string) bool {
	for _, s := range microsoftDomainSuffixes {
		if d == s || strings.HasSuffix(d, "."+s) {
			return true
		}
	}
	return false
}

// Domains splits a list of domains separated by commas, semicolons, spaces or line
// breaks, lower-cases them, drops duplicates (keeping the first), and checks each with
// DomainName. The Results are parallel to the names; an empty list gives no names and one
// failed Result.
func Domains(list string) ([]string, []Result) {
	fields := strings.FieldsFunc(list, func(r rune) bool {
		return r == ',' || r == ';' || unicode.IsSpace(r)
	})
	var names []string
	seen := map[string]bool{}
	for _, f := range fields {
		f = strings.ToLower(f)
		if !seen[f] {
			seen[f] = true
			names = append(names, f)
		}
	}
	if len(names) == 0 {
		return nil, []Result{DomainName("")}
	}
	results := make([]Result, len(names))
	for i, n := range names {
		results[i] = DomainName(n)
	}
	return names, results
}

// DomainInTenant checks that name is one of the tenant's domains and is verified. An
// unverified domain gets the way to verify it; a missing one the way to add it (a
// subdomain of a verified domain is verified on adding).
func DomainInTenant(name string, domains []directory.Domain) Result {
	const id, field = "domain-in-tenant", fieldDomain
	d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
	if d == "" {
		return DomainName("")
	}
	if len(domains) == 0 {
		return warn("domain-tenant-unknown", field, fmt.Sprintf("The tenant's domains are not known, so %s could not be checked against them.", d),
			"Check that "+d+" is listed as Verified in "+domainNamesBlade+".")
	}
	var verified []string
	var parent string
	for _, x := range domains {
		n := strings.TrimSuffix(strings.ToLower(x.Name), ".")
		if n == d {
			if x.Verified {
				return ok(id, field, fmt.Sprintf("The domain %s is verified in the tenant.", d))
			}
			return fail("domain-unverified", field, fmt.Sprintf("The domain %s is in the tenant but not verified.", d),
				fmt.Sprintf("In %s > %s, add the TXT record shown there at your DNS host, then choose Verify.", domainNamesBlade, d))
		}
		if x.Verified {
			verified = append(verified, n)
			if strings.HasSuffix(d, "."+n) && len(n) > len(parent) && !isMicrosoftDomain(n) {
				parent = n
			}
		}
	}
	detail := ""
	if len(verified) > 0 {
		detail = "Verified domains of the tenant: " + strings.Join(verified, ", ") + "."
	}
	if parent != "" {
		return fail("domain-not-in-tenant", field, fmt.Sprintf("The domain %s is not in the tenant, though its parent domain %s is verified.", d, parent),
			fmt.Sprintf("Add %s in %s > Add custom domain, where it is verified at once as a subdomain of %s.", d, domainNamesBlade, parent)).with(detail)
	}
	return fail("domain-not-in-tenant", field, fmt.Sprintf("The domain %s is not one of the tenant's domains.", d),
		fmt.Sprintf("Add it in %s > Add custom domain and verify it with the TXT record shown, or use one of the tenant's verified domains.", domainNamesBlade)).with(detail)
}

// DomainDiscovery judges Entra's discovery by domain (the OpenID configuration asked for
// by domain name): it must name the tenant the setup uses. discoveryErr is the error of
// the lookup, if any; text carrying AADSTS90002 means Entra knows no tenant with that
// domain.
func DomainDiscovery(name, tenantID, discoveredTenantID string, discoveryErr error) Result {
	const id, field = "domain-discovery", fieldDomain
	d := strings.ToLower(strings.TrimSpace(name))
	switch {
	case discoveryErr != nil && strings.Contains(discoveryErr.Error(), "90002"):
		return fail("domain-unknown-to-entra", field, fmt.Sprintf("Entra knows no tenant with the domain %s (AADSTS90002).", d),
			fmt.Sprintf("Check the spelling, or add and verify %s in %s.", d, domainNamesBlade)).with(discoveryErr.Error())
	case discoveryErr != nil:
		return warn(id+"-failed", field, fmt.Sprintf("Entra could not be asked which tenant the domain %s belongs to.", d),
			"Check the network connection and run the check again.").with(discoveryErr.Error())
	case strings.TrimSpace(discoveredTenantID) == "":
		return warn(id+"-failed", field, fmt.Sprintf("Entra's answer for the domain %s named no tenant.", d),
			"Run the check again, and check the domain in "+domainNamesBlade+" if it persists.")
	case tenantID == "":
		return ok(id, field, fmt.Sprintf("The domain %s belongs to tenant %s.", d, discoveredTenantID))
	case !strings.EqualFold(strings.TrimSpace(tenantID), strings.TrimSpace(discoveredTenantID)):
		return fail("domain-other-tenant", field, fmt.Sprintf("The domain %s belongs to tenant %s, not to tenant %s.", d, discoveredTenantID, tenantID),
			"Use a domain verified in the tenant you set up, or check that the tenant ID is the one your users sign in to.")
	}
	return ok(id, field, fmt.Sprintf("The domain %s belongs to the tenant %s.", d, tenantID))
}
