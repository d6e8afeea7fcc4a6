package idp

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ssowizard/ssowizard/harness/tenant"
)

// Microsoft Graph as a resource.
const (
	GraphResource = "https://graph.microsoft.com"
	GraphAppID    = "00000003-0000-0000-c000-000000000000"
)

// scopeSet is a parsed scope parameter: the OpenID Connect scopes and the one resource
// the others address, as Entra allows one resource per request.
type scopeSet struct {
	openid, profile, email, offline bool
	// resource is the audience as requested (https://graph.microsoft.com, api://…, or an
	// app ID); graph tells Microsoft Graph from an app of the tenant (resourceApp).
	resource    string
	graph       bool
	resourceApp string
	names       []string // the resource's scopes without their prefix; ".default" kept
}

func (s *scopeSet) isDefault() bool { return slices.Contains(s.names, ".default") }

// parseScopes reads a scope parameter. Scopes without a resource prefix are Graph's, as
// Entra reads them. appOnly demands the client credentials form, {resource}/.default.
func (p *IdP) parseScopes(scope string, appOnly bool) (*scopeSet, *aadError) {
	s := &scopeSet{}
	for _, sc := range strings.Fields(scope) {
		switch sc {
		case "openid":
			s.openid = true
			continue
		case "profile":
			s.profile = true
			continue
		case "email":
			s.email = true
			continue
		case "offline_access":
			s.offline = true
			continue
		}
		resource, name := GraphResource, sc
		if i := strings.LastIndex(sc, "/"); i >= 0 {
			resource, name = sc[:i], sc[i+1:]
		}
		if name == "" || resource == "" {
			return nil, errInvalidScope(70011, fmt.Sprintf("The provided value for the input parameter 'scope' is not valid. The scope %s is not valid.", sc))
		}
		if s.resource != "" && !sameResource(s.resource, resource) {
			return nil, errInvalidScope(28000, "Provided value for the input parameter scope is not valid because it contains more than one resource. Scope "+scope+" is not valid.")
		}
		s.resource = resource
		if !slices.Contains(s.names, name) {
			s.names = append(s.names, name)
		}
	}
	if appOnly {
		// The OpenID Connect scopes are ignored, as Entra ignores them: MSAL adds openid,
		// profile and offline_access to every request, client credentials included.
		if s.resource == "" || len(s.names) != 1 || s.names[0] != ".default" {
			return nil, errInvalidScope(1002012, fmt.Sprintf("The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", scope))
		}
	}
	if s.resource == "" {
		// An OpenID-only request still yields an access token, for Graph's userinfo.
		s.resource, s.names = GraphResource, []string{"User.Read"}
	}
	switch strings.ToLower(strings.TrimSuffix(s.resource, "/")) {
	case GraphResource, GraphAppID, "https://graph.microsoft.com/v1.0":
		s.graph = true
		return s, nil
	}
	app, ok := p.resourceApp(s.resource)
	if !ok {
		return nil, &aadError{400, "invalid_resource", 500011, fmt.Sprintf("The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.", s.resource, p.store.TenantID())}
	}
	s.resourceApp = app.AppID
	return s, nil
}

func sameResource(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "/"), strings.TrimSuffix(b, "/"))
}

// resourceApp finds the tenant app a resource names: by identifier URI (api://…) or by
// application ID.
func (p *IdP) resourceApp(resource string) (tenant.App, bool) {
	if a, ok := p.store.AppByIdentifierURI(resource); ok {
		return a, true
	}
	if a, ok := p.store.AppByIdentifierURI(strings.TrimSuffix(resource, "/")); ok {
		return a, true
	}
	return p.store.AppByID(resource)
}

// delegatedScp is the scp claim of a delegated access token. With .default the
// consented permissions stand in; the tenant does not model delegated grants, so they
// are Graph's User.Read and an API's user_impersonation, the portal's defaults.
func (s *scopeSet) delegatedScp() string {
	var out []string
	for _, n := range s.names {
		if n == ".default" {
			if s.graph {
				n = "User.Read"
			} else {
				n = "user_impersonation"
			}
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if s.graph {
		for _, o := range []struct {
			on   bool
			name string
		}{{s.openid, "openid"}, {s.profile, "profile"}, {s.email, "email"}} {
			if o.on && !slices.Contains(out, o.name) {
				out = append(out, o.name)
			}
		}
	}
	return strings.Join(out, " ")
}
