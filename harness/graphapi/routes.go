package graphapi

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// NonGalleryTemplateID is the application template of a custom ("non-gallery") SAML
// app, the one template the harness instantiates.
const NonGalleryTemplateID = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"

// ref is how a path addresses an entity: by id or, in key form
// (applications(appId='…')), by another key property.
type ref struct {
	prop, value string
}

// segment splits "applications(appId='x')" into its name and key.
func segment(s string) (name string, key ref, keyed bool, ok bool) {
	i := strings.IndexByte(s, '(')
	if i < 0 {
		return s, ref{}, false, true
	}
	if !strings.HasSuffix(s, ")") {
		return "", ref{}, false, false
	}
	name, inner := s[:i], s[i+1:len(s)-1]
	prop, val, found := strings.Cut(inner, "=")
	if !found {
		// applications('id') is the id in key form.
		prop, val = "id", inner
	}
	val = strings.TrimSpace(val)
	if len(val) < 2 || val[0] != '\'' || val[len(val)-1] != '\'' {
		return "", ref{}, false, false
	}
	return name, ref{strings.TrimSpace(prop), strings.ReplaceAll(val[1:len(val)-1], "''", "'")}, true, true
}

// route dispatches a call by its path under /v1.0/.
func (a *API) route(c *call) {
	path := strings.Trim(strings.TrimPrefix(c.r.URL.Path, "/v1.0/"), "/")
	segs := strings.Split(path, "/")
	name, key, keyed, ok := segment(segs[0])
	if !ok {
		c.fail(http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", segs[0]))
		return
	}
	rest := segs[1:]
	var entity *ref
	if keyed {
		entity = &key
	} else if len(rest) > 0 {
		entity = &ref{"id", rest[0]}
		rest = rest[1:]
	}
	switch name {
	case "organization":
		if entity == nil {
			c.route = "organization"
			if c.method("GET") && c.allow(permOrganization) {
				a.organization(c)
			}
			return
		}
	case "domains":
		if entity == nil {
			c.route = "domains"
			if c.method("GET") && c.allow(permDomains) {
				a.domains(c)
			}
			return
		}
	case "applications":
		if a.applications(c, entity, rest) {
			return
		}
	case "servicePrincipals":
		if a.servicePrincipals(c, entity, rest) {
			return
		}
	case "applicationTemplates":
		if entity != nil && len(rest) == 1 && rest[0] == "instantiate" {
			c.route = "applicationTemplates/{id}/instantiate"
			if c.method("POST") && c.allow(permAppWrite) {
				a.instantiate(c, entity.value)
			}
			return
		}
	case "users":
		if a.users(c, entity, rest) {
			return
		}
	case "groups":
		if a.groups(c, entity, rest) {
			return
		}
	case "auditLogs":
		if entity != nil && entity.value == "provisioning" && len(rest) == 0 {
			a.provisioningLogs(c)
			return
		}
	}
	c.fail(http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", segs[len(segs)-1]))
}

// method answers 405 unless the request uses one of methods.
func (c *call) method(methods ...string) bool {
	for _, m := range methods {
		if c.r.Method == m {
			return true
		}
	}
	c.w.Header().Set("Allow", strings.Join(methods, ", "))
	c.fail(http.StatusMethodNotAllowed, "Request_BadRequest", "Specified HTTP method is not allowed for the request uri.")
	return false
}

// noted remembers an object created through Graph, invisible to Graph until the
// propagation delay has passed.
func (a *API) noted(template string, ids ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	for _, id := range ids {
		a.created[strings.ToLower(id)] = created{at: now, visible: now.Add(a.settings.PropagationDelay), template: template}
	}
}

// visible reports whether Graph shows the object yet.
func (a *API) visible(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	cr, ok := a.created[strings.ToLower(id)]
	return !ok || !a.now().Before(cr.visible)
}

// createdInfo is what the Graph side remembers of an object it created.
func (a *API) createdInfo(id string) (at time.Time, template string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	cr := a.created[strings.ToLower(id)]
	return cr.at, cr.template
}

func (a *API) forget(ids ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, id := range ids {
		delete(a.created, strings.ToLower(id))
	}
}
