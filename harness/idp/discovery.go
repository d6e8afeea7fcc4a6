package idp

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
)

// tenantSegment resolves the {tenant} path segment as Entra routes it, or answers
// AADSTS90002 as JSON and returns false.
func (p *IdP) tenantSegment(w http.ResponseWriter, r *http.Request) (string, bool) {
	seg := r.PathValue("tenant")
	if !p.store.Resolves(seg) {
		p.writeJSONError(w, r, errTenantNotFound(seg))
		return "", false
	}
	return seg, true
}

// isAlias reports whether the tenant segment is one of the multi-tenant aliases, whose
// documents keep the alias in their URLs and a {tenantid} placeholder in the issuer.
func isAlias(seg string) bool {
	s := strings.ToLower(seg)
	return s == "common" || s == "organizations"
}

// discoveryDoc is Entra's v2.0 OpenID configuration, field for field and in its order,
// as captured from login.microsoftonline.com (testdata/entra/discovery-v2.json). It
// advertises no PKCE methods, grant types or iss response parameter: Entra does not,
// and clients read their absence.
type discoveryDoc struct {
	TokenEndpoint                string   `json:"token_endpoint"`
	TokenEndpointAuthMethods     []string `json:"token_endpoint_auth_methods_supported"`
	JWKSURI                      string   `json:"jwks_uri"`
	ResponseModes                []string `json:"response_modes_supported"`
	SubjectTypes                 []string `json:"subject_types_supported"`
	IDTokenSigningAlgs           []string `json:"id_token_signing_alg_values_supported"`
	ResponseTypes                []string `json:"response_types_supported"`
	Scopes                       []string `json:"scopes_supported"`
	Issuer                       string   `json:"issuer"`
	RequestURIParameterSupported bool     `json:"request_uri_parameter_supported"`
	UserinfoEndpoint             string   `json:"userinfo_endpoint"`
	AuthorizationEndpoint        string   `json:"authorization_endpoint"`
	DeviceAuthorizationEndpoint  string   `json:"device_authorization_endpoint"`
	HTTPLogoutSupported          bool     `json:"http_logout_supported"`
	FrontchannelLogoutSupported  bool     `json:"frontchannel_logout_supported"`
	EndSessionEndpoint           string   `json:"end_session_endpoint"`
	ClaimsSupported              []string `json:"claims_supported"`
	KerberosEndpoint             string   `json:"kerberos_endpoint"`
	TenantRegionScope            *string  `json:"tenant_region_scope"`
	CloudInstanceName            string   `json:"cloud_instance_name"`
	CloudGraphHostName           string   `json:"cloud_graph_host_name"`
	MSGraphHost                  string   `json:"msgraph_host"`
	RBACURL                      string   `json:"rbac_url"`
}

// discoveryDocV1 is Entra's v1 OpenID configuration ({tenant}/.well-known/…), whose
// issuer is the v1 token issuer https://sts.windows.net/{tid}/.
type discoveryDocV1 struct {
	TokenEndpoint               string   `json:"token_endpoint"`
	TokenEndpointAuthMethods    []string `json:"token_endpoint_auth_methods_supported"`
	JWKSURI                     string   `json:"jwks_uri"`
	ResponseModes               []string `json:"response_modes_supported"`
	SubjectTypes                []string `json:"subject_types_supported"`
	IDTokenSigningAlgs          []string `json:"id_token_signing_alg_values_supported"`
	ResponseTypes               []string `json:"response_types_supported"`
	Scopes                      []string `json:"scopes_supported"`
	Issuer                      string   `json:"issuer"`
	MicrosoftMultiRefreshToken  bool     `json:"microsoft_multi_refresh_token"`
	AuthorizationEndpoint       string   `json:"authorization_endpoint"`
	DeviceAuthorizationEndpoint string   `json:"device_authorization_endpoint"`
	HTTPLogoutSupported         bool     `json:"http_logout_supported"`
	FrontchannelLogoutSupported bool     `json:"frontchannel_logout_supported"`
	EndSessionEndpoint          string   `json:"end_session_endpoint"`
	ClaimsSupported             []string `json:"claims_supported"`
	CheckSessionIframe          string   `json:"check_session_iframe"`
	UserinfoEndpoint            string   `json:"userinfo_endpoint"`
	KerberosEndpoint            string   `json:"kerberos_endpoint"`
	TenantRegionScope           *string  `json:"tenant_region_scope"`
	CloudInstanceName           string   `json:"cloud_instance_name"`
	CloudGraphHostName          string   `json:"cloud_graph_host_name"`
	MSGraphHost                 string   `json:"msgraph_host"`
	RBACURL                     string   `json:"rbac_url"`
}

// discoverySite is what both documents share: the path segment the URLs carry, the
// tenant's region (null for an alias, as Entra answers), and the harness's host.
func (p *IdP) discoverySite(seg string) (path string, region *string, host string) {
	path = p.store.TenantID()
	if isAlias(seg) {
		path = strings.ToLower(seg)
	} else {
		ww := "WW"
		region = &ww
	}
	host = strings.TrimPrefix(strings.TrimPrefix(p.base, "https://"), "http://")
	return path, region, host
}

// discovery answers {authority}/v2.0/.well-known/openid-configuration. Asked by GUID or
// verified domain, it names the tenant's GUID everywhere, which is how a domain is
// checked against a tenant offline; asked by alias, the URLs keep the alias and the
// issuer reads https://…/{tenantid}/v2.0 literally.
func (p *IdP) discovery(w http.ResponseWriter, r *http.Request) {
	p.delay(p.faultsFor(""))
	seg, ok := p.tenantSegment(w, r)
	if !ok {
		return
	}
	path, region, host := p.discoverySite(seg)
	issuer := p.Issuer()
	if isAlias(seg) {
		issuer = p.base + "/{tenantid}/v2.0"
	}
	ep := p.base + "/" + path
	writeDocument(w, discoveryDoc{
		TokenEndpoint:               ep + "/oauth2/v2.0/token",
		TokenEndpointAuthMethods:    []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		JWKSURI:                     ep + "/discovery/v2.0/keys",
		ResponseModes:               []string{"query", "fragment", "form_post"},
		SubjectTypes:                []string{"pairwise"},
		IDTokenSigningAlgs:          []string{"RS256"},
		ResponseTypes:               []string{"code", "id_token", "code id_token", "id_token token"},
		Scopes:                      []string{"openid", "profile", "email", "offline_access"},
		Issuer:                      issuer,
		UserinfoEndpoint:            p.base + "/oidc/userinfo",
		AuthorizationEndpoint:       ep + "/oauth2/v2.0/authorize",
		DeviceAuthorizationEndpoint: ep + "/oauth2/v2.0/devicecode",
		HTTPLogoutSupported:         true,
		FrontchannelLogoutSupported: true,
		EndSessionEndpoint:          ep + "/oauth2/v2.0/logout",
		ClaimsSupported: []string{"sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
			"msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver",
			"at_hash", "c_hash", "email"},
		KerberosEndpoint:   ep + "/kerberos",
		TenantRegionScope:  region,
		CloudInstanceName:  "microsoftonline.com",
		CloudGraphHostName: host,
		MSGraphHost:        host,
		RBACURL:            "https://pas.windows.net",
	})
}

// discoveryV1 answers {authority}/.well-known/openid-configuration, the v1 document:
// v1 endpoints, the common keys, and the sts.windows.net issuer of v1 tokens.
func (p *IdP) discoveryV1(w http.ResponseWriter, r *http.Request) {
	p.delay(p.faultsFor(""))
	seg, ok := p.tenantSegment(w, r)
	if !ok {
		return
	}
	path, region, host := p.discoverySite(seg)
	issuer := V1Issuer(p.store.TenantID())
	if isAlias(seg) {
		issuer = "https://sts.windows.net/{tenantid}/"
	}
	ep := p.base + "/" + path
	writeDocument(w, discoveryDocV1{
		TokenEndpoint:               ep + "/oauth2/token",
		TokenEndpointAuthMethods:    []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		JWKSURI:                     p.base + "/common/discovery/keys",
		ResponseModes:               []string{"query", "fragment", "form_post"},
		SubjectTypes:                []string{"pairwise"},
		IDTokenSigningAlgs:          []string{"RS256"},
		ResponseTypes:               []string{"code", "id_token", "code id_token", "token id_token", "token"},
		Scopes:                      []string{"openid"},
		Issuer:                      issuer,
		MicrosoftMultiRefreshToken:  true,
		AuthorizationEndpoint:       ep + "/oauth2/authorize",
		DeviceAuthorizationEndpoint: ep + "/oauth2/devicecode",
		HTTPLogoutSupported:         true,
		FrontchannelLogoutSupported: true,
		EndSessionEndpoint:          ep + "/oauth2/logout",
		ClaimsSupported: []string{"sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
			"msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "amr", "nonce", "email", "given_name", "family_name", "nickname"},
		CheckSessionIframe: ep + "/oauth2/checksession",
		UserinfoEndpoint:   ep + "/openid/userinfo",
		KerberosEndpoint:   ep + "/kerberos",
		TenantRegionScope:  region,
		CloudInstanceName:  "microsoftonline.com",
		CloudGraphHostName: host,
		MSGraphHost:        host,
		RBACURL:            "https://pas.windows.net",
	})
}

// writeDocument answers a public JSON document with Entra's caching: a day, private.
func writeDocument(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "max-age=86400, private")
	w.Write(b)
}

// V1Issuer is the issuer of v1 tokens and of the v1 discovery document.
func V1Issuer(tenantID string) string { return "https://sts.windows.net/" + tenantID + "/" }

// keysHandler serves the JWKS. The tenant's and common's keys are the same set.
func (p *IdP) keysHandler(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.tenantSegment(w, r); !ok {
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "max-age=86400, private")
	w.Write(p.jwks)
}

type jwk struct {
	Kty    string   `json:"kty"`
	Use    string   `json:"use"`
	Kid    string   `json:"kid"`
	X5t    string   `json:"x5t"`
	N      string   `json:"n"`
	E      string   `json:"e"`
	X5c    []string `json:"x5c"`
	Issuer string   `json:"issuer,omitempty"`
}

func marshalJWKS(keys []SigningKey, issuer string) ([]byte, error) {
	set := struct {
		Keys []jwk `json:"keys"`
	}{}
	for _, k := range keys {
		if k.Key == nil || k.Cert == nil || k.ID == "" {
			return nil, fmt.Errorf("idp: signing key %q lacks its key, certificate or ID", k.ID)
		}
		pub := k.Key.PublicKey
		set.Keys = append(set.Keys, jwk{
			Kty: "RSA", Use: "sig", Kid: k.ID, X5t: k.ID,
			N:      base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			E:      base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
			X5c:    []string{base64.StdEncoding.EncodeToString(k.Cert.Raw)},
			Issuer: issuer,
		})
	}
	return json.Marshal(set)
}

// instanceDiscovery answers MSAL's /common/discovery/instance: the harness is its own
// single cloud, with no aliases but itself.
func (p *IdP) instanceDiscovery(w http.ResponseWriter, r *http.Request) {
	host := strings.TrimPrefix(strings.TrimPrefix(p.base, "https://"), "http://")
	seg := "common"
	if ae, err := url.Parse(r.URL.Query().Get("authorization_endpoint")); err == nil {
		if parts := strings.Split(strings.Trim(ae.Path, "/"), "/"); len(parts) > 0 && parts[0] != "" {
			seg = parts[0]
		}
	}
	if !p.store.Resolves(seg) {
		p.writeJSONError(w, r, errTenantNotFound(seg))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": p.base + "/" + seg + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata": []map[string]any{{
			"preferred_network": host,
			"preferred_cache":   host,
			"aliases":           []string{host},
		}},
	})
}

// signJWT encodes claims as a JWS compact token signed RS256 with the first key.
func (p *IdP) signJWT(claims any, withX5t bool) (string, error) {
	return p.signJWTHeader(claims, withX5t, "")
}

// signJWTHeader is signJWT with a Graph nonce header when nonce is set: the token
// shows the nonce, the signature covers its hash (see signAccessToken).
func (p *IdP) signJWTHeader(claims any, withX5t bool, nonce string) (string, error) {
	k := p.keys[0]
	hdr := map[string]string{"typ": "JWT", "alg": "RS256", "kid": k.ID}
	if withX5t {
		hdr["x5t"] = k.ID
	}
	if nonce != "" {
		hdr["nonce"] = hashNonce(nonce)
	}
	signedHdr, err := json.Marshal(hdr)
	if err != nil {
		return "", err
	}
	shownHdr := signedHdr
	if nonce != "" {
		hdr["nonce"] = nonce
		if shownHdr, err = json.Marshal(hdr); err != nil {
			return "", err
		}
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	payload := enc.EncodeToString(c)
	sum := sha256.Sum256([]byte(enc.EncodeToString(signedHdr) + "." + payload))
	sig, err := rsa.SignPKCS1v15(nil, k.Key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return enc.EncodeToString(shownHdr) + "." + payload + "." + enc.EncodeToString(sig), nil
}
