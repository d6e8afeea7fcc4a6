package wizard

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ssowizard/ssowizard/entra"
)

// The probes verify what an admin did by hand through Entra's public endpoints, with
// no sign-in: discovery (tenant and domain), the authorize endpoint (client ID and
// redirect URI), the SAML endpoint (Identifier and Reply URL) and the token endpoint
// (client ID and secret).

// maxProbeBody bounds what a probe reads of an answer.
const maxProbeBody = 1 << 20

func loginURL(base string, parts ...string) string {
	u := strings.TrimRight(base, "/")
	for _, p := range parts {
		u += "/" + url.PathEscape(p)
	}
	return u
}

// ProbeError is a probe that could not reach Entra at all.
type ProbeError struct {
	What string
	Err  error
}

func (e *ProbeError) Error() string {
	return fmt.Sprintf("could not reach Entra to check %s (%v): check the network and try again", e.What, e.Err)
}

func (e *ProbeError) Unwrap() error { return e.Err }

func get(ctx context.Context, c *http.Client, u string, follow bool) (int, string, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, "", nil, err
	}
	if !follow {
		cc := *c
		cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		c = &cc
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxProbeBody))
	return resp.StatusCode, string(b), resp.Header, err
}

// DiscoverTenant asks the discovery document of a tenant ID or a domain, and returns
// the tenant ID its issuer names. An unknown tenant or domain returns the AADSTS code
// (90002) with a nil error.
func DiscoverTenant(ctx context.Context, c *http.Client, base, tenantOrDomain string) (tid string, code int, err error) {
	u := loginURL(base, tenantOrDomain, "v2.0", ".well-known", "openid-configuration")
	status, body, _, err := get(ctx, c, u, true)
	if err != nil {
		return "", 0, &ProbeError{"the tenant of " + tenantOrDomain, err}
	}
	if status != http.StatusOK {
		if code := entra.CodeIn(body); code != 0 {
			return "", code, nil
		}
		return "", 0, &ProbeError{"the tenant of " + tenantOrDomain, fmt.Errorf("discovery answered HTTP %d", status)}
	}
	var doc struct {
		Issuer string `json:"issuer"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || doc.Issuer == "" {
		return "", 0, &ProbeError{"the tenant of " + tenantOrDomain, errors.New("the discovery document has no issuer")}
	}
	iu, err := url.Parse(doc.Issuer)
	if err != nil {
		return "", 0, &ProbeError{"the tenant of " + tenantOrDomain, err}
	}
	seg := strings.Split(strings.Trim(iu.Path, "/"), "/")
	return seg[0], 0, nil
}

// ProbeClientCredentials asks the token endpoint for an app-only token with the client
// ID and secret: Entra's answer tells a wrong client ID (700016), a Secret ID pasted as
// the secret (7000215) or an expired secret (7000222) before any user signs in. code is
// 0 when a token was issued; the token is dropped.
func ProbeClientCredentials(ctx context.Context, c *http.Client, base, tenant, clientID, secretValue string) (code int, desc string, err error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {clientID},
		"client_secret": {secretValue},
		"scope":         {entra.GraphScope},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, loginURL(base, tenant, "oauth2", "v2.0", "token"), strings.NewReader(form.Encode()))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", &ProbeError{"the client ID and secret", redactErr(err, secretValue)}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxProbeBody))
	if resp.StatusCode == http.StatusOK {
		return 0, "", nil
	}
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Codes       []int  `json:"error_codes"`
	}
	if json.Unmarshal(b, &e) != nil || (e.Error == "" && len(e.Codes) == 0) {
		return 0, "", &ProbeError{"the client ID and secret", fmt.Errorf("the token endpoint answered HTTP %d", resp.StatusCode)}
	}
	code = entra.CodeIn(e.Description)
	if len(e.Codes) > 0 {
		code = e.Codes[0]
	}
	return code, strings.ReplaceAll(e.Description, secretValue, "[secret]"), nil
}

func redactErr(err error, secret string) error {
	if secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), secret, "[secret]"))
}

// ProbeAuthorize opens the authorize endpoint as a browser would, without signing in:
// Entra shows its sign-in page when the client ID and redirect URI are right, and an
// error (700016 unknown app, 50011 redirect URI not registered) when not. code is 0
// when the sign-in page came.
func ProbeAuthorize(ctx context.Context, c *http.Client, base, tenant, clientID, redirectURI string) (code int, err error) {
	q := url.Values{
		"client_id":     {clientID},
		"response_type": {"code"},
		"redirect_uri":  {redirectURI},
		"scope":         {"openid"},
		"state":         {"ssowizard-probe"},
		"response_mode": {"query"},
	}
	status, body, h, err := get(ctx, c, loginURL(base, tenant, "oauth2", "v2.0", "authorize")+"?"+q.Encode(), false)
	if err != nil {
		return 0, &ProbeError{"the app's redirect URI", err}
	}
	if loc := h.Get("Location"); loc != "" {
		if lu, err := url.Parse(loc); err == nil && lu.Query().Get("error") != "" {
			if code := entra.CodeIn(lu.Query().Get("error_description")); code != 0 {
				return code, nil
			}
		}
		return 0, nil
	}
	if code := entra.CodeIn(body); code != 0 {
		return code, nil
	}
	if status >= 400 {
		return 0, &ProbeError{"the app's redirect URI", fmt.Errorf("the authorize endpoint answered HTTP %d", status)}
	}
	return 0, nil
}

// ProbeSAML sends Entra an unsigned AuthnRequest by the HTTP-Redirect binding with
// this Issuer and ACS: the sign-in page means both are registered; AADSTS700016 means
// no app has the Identifier, 50011 that the Reply URL is not registered.
func ProbeSAML(ctx context.Context, c *http.Client, base, tenant, entityID, acs string, now time.Time) (code int, err error) {
	var buf bytes.Buffer
	buf.WriteString(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_`)
	id, err := newID()
	if err != nil {
		return 0, err
	}
	buf.WriteString(id + `ssowizardprobe" Version="2.0" IssueInstant="` + now.UTC().Format("2006-01-02T15:04:05Z") + `" AssertionConsumerServiceURL="`)
	_ = xml.EscapeText(&buf, []byte(acs))
	buf.WriteString(`" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"><saml:Issuer>`)
	_ = xml.EscapeText(&buf, []byte(entityID))
	buf.WriteString(`</saml:Issuer></samlp:AuthnRequest>`)
	var z bytes.Buffer
	w, _ := flate.NewWriter(&z, flate.BestCompression)
	w.Write(buf.Bytes())
	w.Close()
	u := loginURL(base, tenant, "saml2") + "?" + url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(z.Bytes())}}.Encode()
	status, body, _, err := get(ctx, c, u, false)
	if err != nil {
		return 0, &ProbeError{"the SAML Identifier and Reply URL", err}
	}
	if code := entra.CodeIn(body); code != 0 {
		return code, nil
	}
	if status >= 400 {
		return 0, &ProbeError{"the SAML Identifier and Reply URL", fmt.Errorf("the SAML endpoint answered HTTP %d", status)}
	}
	return 0, nil
}

// FetchMetadata downloads federation metadata from an https URL (http only on
// loopback), bounded in size.
func FetchMetadata(ctx context.Context, c *http.Client, u string) ([]byte, error) {
	pu, err := url.Parse(u)
	if err != nil || pu.Host == "" || (pu.Scheme != "https" && !isLoopbackURL(pu)) {
		return nil, fmt.Errorf("the metadata URL %q is not an https URL: copy the App Federation Metadata Url from the Single sign-on page", u)
	}
	status, body, _, err := get(ctx, c, u, true)
	if err != nil {
		return nil, &ProbeError{"the federation metadata", err}
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("the metadata URL answered HTTP %d: copy the App Federation Metadata Url again from the Single sign-on page", status)
	}
	return []byte(body), nil
}
