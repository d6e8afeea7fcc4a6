package idp

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The v1 endpoints (/{tenant}/oauth2/authorize, /oauth2/token, /.well-known/…) are the
// v2 machinery with v1's request and answer shapes: a resource parameter instead of
// scopes, and string-valued lifetimes, expires_on and resource in the token response.

type v1Key struct{}

// isV1 reports whether the request came in by a v1 endpoint.
func isV1(r *http.Request) bool { v, _ := r.Context().Value(v1Key{}).(bool); return v }

func markV1(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), v1Key{}, true))
}

// v1Scope is the v2 scope a v1 request stands for: the resource's static permissions
// (/.default), and the OpenID and refresh scopes v1 always grants.
func v1Scope(resource string) string {
	s := "openid profile email offline_access"
	if resource = strings.TrimSpace(resource); resource != "" {
		s += " " + strings.TrimSuffix(resource, "/") + "/.default"
	}
	return s
}

// authorizeV1 is /{tenant}/oauth2/authorize: resource= names the API and scope is
// ignored, as v1 ignores it.
func (p *IdP) authorizeV1(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, r, errInvalidRequest(900144, "The request could not be read as a form."))
		return
	}
	r.Form.Set("scope", v1Scope(r.Form.Get("resource")))
	r.Form.Del("resource")
	p.authorize(w, markV1(r))
}

// tokenV1 is /{tenant}/oauth2/token. A resource parameter becomes the grant's scope;
// the authorization code keeps the resource it was issued for.
func (p *IdP) tokenV1(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		p.writeJSONError(w, r, errInvalidRequest(900144, "The request body must be application/x-www-form-urlencoded and at most 64 KiB."))
		return
	}
	f := r.PostForm
	if res := f.Get("resource"); res != "" {
		switch f.Get("grant_type") {
		case "client_credentials":
			f.Set("scope", strings.TrimSuffix(res, "/")+"/.default")
		case "refresh_token":
			f.Set("scope", v1Scope(res))
		}
	} else if f.Get("grant_type") == "client_credentials" {
		p.writeJSONError(w, r, errMissingParam("resource"))
		return
	}
	p.token(w, markV1(r))
}

// tokenResponseV1 is Entra's v1 token response: lifetimes and instants as strings.
type tokenResponseV1 struct {
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope,omitempty"`
	ExpiresIn    string `json:"expires_in"`
	ExtExpiresIn string `json:"ext_expires_in"`
	ExpiresOn    string `json:"expires_on"`
	NotBefore    string `json:"not_before"`
	Resource     string `json:"resource"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
}

// writeTokens answers a token request in the shape of the endpoint it came in by.
func (p *IdP) writeTokens(w http.ResponseWriter, r *http.Request, resp tokenResponse, resource string, now time.Time) {
	if !isV1(r) {
		writeJSON(w, http.StatusOK, resp)
		return
	}
	v1 := tokenResponseV1{
		TokenType:    resp.TokenType,
		Scope:        resp.Scope,
		ExpiresIn:    strconv.FormatInt(resp.ExpiresIn, 10),
		ExtExpiresIn: strconv.FormatInt(resp.ExtExpiresIn, 10),
		ExpiresOn:    strconv.FormatInt(now.Unix()+resp.ExpiresIn, 10),
		NotBefore:    strconv.FormatInt(now.Unix(), 10),
		Resource:     resource,
		AccessToken:  resp.AccessToken,
		RefreshToken: resp.RefreshToken,
		IDToken:      resp.IDToken,
	}
	writeJSON(w, http.StatusOK, v1)
}
