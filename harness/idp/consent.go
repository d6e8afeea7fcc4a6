package idp

import (
	"net/http"
	"net/url"

	"github.com/ssowizard/ssowizard/harness/tenant"
)

// adminConsent is /{tenant}/v2.0/adminconsent: an administrator signs in, accepts the
// permissions for the organisation, and is sent back with admin_consent=True.
func (p *IdP) adminConsent(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req, aerr := p.clientAndRedirect(r, q.Get("client_id"), q.Get("redirect_uri"), q.Has("redirect_uri"))
	if aerr != nil {
		p.errorPage(w, r, aerr)
		return
	}
	req.kind = kindAdminConsent
	req.state = q.Get("state")
	req.scope = q.Get("scope")
	if req.scope == "" {
		req.scope = GraphResource + "/.default"
	}
	if sess := p.sessionOf(r); sess != nil && q.Get("prompt") != "login" {
		p.completeSession(w, r, req, sess)
		return
	}
	p.showLogin(w, r, req, "", http.StatusOK)
}

func (p *IdP) completeAdminConsent(w http.ResponseWriter, r *http.Request, req *authRequest, u *tenant.User) {
	if !u.Admin {
		p.redirectError(w, r, req, &aadError{http.StatusBadRequest, "access_denied", 90094,
			"The grant requires admin permission. The signed in user '" + u.UPN + "' is not an administrator who may consent for the organization."})
		return
	}
	if !req.consented {
		p.showConsent(w, r, req, u)
		return
	}
	if err := p.store.GrantConsent(req.clientID); err != nil {
		p.errorPage(w, r, errAppNotFound(http.StatusBadRequest, req.clientID, p.directoryName()))
		return
	}
	p.log.Info("admin consent granted", "client_id", req.clientID, "user", u.ID)
	v := url.Values{}
	v.Set("admin_consent", "True")
	v.Set("tenant", p.store.TenantID())
	v.Set("scope", req.scope)
	if req.state != "" {
		v.Set("state", req.state)
	}
	p.respond(w, r, req, v)
}
