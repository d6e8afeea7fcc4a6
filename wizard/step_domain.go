package wizard

import (
	"context"
	"fmt"

	"github.com/ssowizard/ssowizard/wizard/check"
)

// StepDomain records the users' e-mail domains, checked against the tenant and Entra's
// discovery.
const StepDomain StepName = "domain"

var domainStep = &Step{
	Name:                StepDomain,
	Title:               "Domain",
	Verifies:            "Each domain is verified in the setup's tenant and Entra's discovery sends it there.",
	ManualInputsHeading: "Your answers",
	instructions:        domainInstructions,
	auto:                (*Session).domain,
	autoTakes:           []string{InDomains},
	manual:              (*Session).domain,
	withoutGraph:        true,
}

// domainInstructions are how to choose the domains.
func domainInstructions(*Session) Instructions {
	return Instructions{
		Blade: blade("Microsoft_AAD_IAM/DomainsManagementMenuBlade/~/CustomDomainNames"),
		Text: []string{
			"Give the e-mail domain(s) your users sign in with; the vendor sends users of these domains to Entra.",
			"Each must be a custom domain verified in Entra (Identity > Settings > Domain names), not the tenant's .onmicrosoft.com domain.",
		},
		Inputs: []Input{{Key: InDomains, Label: "Domains", Hint: "contoso.com, contoso.co.uk"}},
	}
}

func (s *Session) domain(ctx context.Context, t *Target, st *StepState, _ bool) ([]check.Result, error) {
	auto := s.Mode() == Auto
	var tenantDomains []check.Domain
	if t.Directory != nil {
		ds, err := t.Directory.Domains(ctx)
		if err != nil {
			return nil, err
		}
		tenantDomains = ds
		if st.Inputs[InDomains] == "" && auto {
			for _, d := range ds {
				if d.Default && !d.Initial && d.Verified {
					if st.Inputs == nil {
						st.Inputs = map[string]string{}
					}
					st.Inputs[InDomains] = d.Name
				}
			}
		}
	}
	list, out := check.Domains(st.Inputs[InDomains])
	if len(list) == 0 && !check.Failed(out) {
		out = append(out, fail("no-domain", InDomains, "No domain was given.", "Give the e-mail domain your users sign in with, e.g. contoso.com."))
	}
	if check.Failed(out) {
		return out, nil
	}
	for _, d := range list {
		if tenantDomains != nil {
			if r := check.DomainInTenant(d, tenantDomains); r.Failed() || r.Severity == check.Warning {
				out = append(out, r)
				if r.Failed() {
					continue
				}
			}
		}
		tid, code, err := DiscoverTenant(ctx, t.client(), t.LoginBase, d)
		var derr error
		if err != nil {
			return out, err
		}
		if code != 0 {
			derr = fmt.Errorf("AADSTS%d: the domain is not known to Entra", code)
		}
		out = append(out, check.DomainDiscovery(d, s.state.TenantID, tid, derr))
	}
	if !check.Failed(out) {
		s.state.Domains = list
	}
	return out, nil
}
