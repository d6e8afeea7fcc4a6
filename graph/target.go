// Package graph is the wizard's way into a Microsoft Entra tenant: credentials through
// azidentity (an admin at the desk, a remote session, automation) and, on top of them,
// the Microsoft Graph calls the setup makes. Where the tenant lives is configuration, a
// Target: the real cloud or the local harness, with the same code either way.
//
// Only this package imports azidentity and the Graph SDK, so that nothing else in the
// module pays their compile time.
package graph

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/ssowizard/ssowizard/entra"
)

// Entra's public cloud.
const (
	// EntraAuthorityHost is login.microsoftonline.com, the authority host of the public cloud.
	EntraAuthorityHost = entra.LoginBase + "/"
	// EntraGraphURL is the Microsoft Graph v1.0 endpoint of the public cloud.
	EntraGraphURL = entra.GraphV1
	// GraphScope asks for a token for Microsoft Graph with the permissions already granted
	// to the app (application permissions for an app, consented delegated ones for a
	// user). The harness answers to the same resource name, so the scope never changes
	// with the target.
	GraphScope = entra.GraphScope
)

// Target says where Entra is: the authority host that issues tokens, the tenant, the
// Graph endpoint, and which certificate authority to trust for them.
type Target struct {
	// AuthorityHost is the origin of the login endpoints, https only
	// (https://login.microsoftonline.com/ or https://127.0.0.1:PORT/ for the harness).
	AuthorityHost string
	// TenantID is the tenant's GUID or one of its verified domains.
	TenantID string
	// GraphURL is the Graph v1.0 base, e.g. https://graph.microsoft.com/v1.0.
	GraphURL string
	// Roots, when set, are the only certificate authorities trusted for the target
	// (the harness's CA); nil means the system's roots.
	Roots *x509.CertPool
	// CAPEM is the same as Roots in PEM form, for a target read from a file; it is
	// added to Roots.
	CAPEM []byte
	// DisableInstanceDiscovery skips MSAL's call to
	// login.microsoftonline.com/common/discovery/instance, which an offline authority
	// (the harness) must: the call would leave the machine, and fail.
	DisableInstanceDiscovery bool
	// Logger receives one line per token request outcome (credential kind, client ID,
	// AADSTS code): never a secret, a token or a device code. Nil discards.
	Logger *slog.Logger
}

// EntraTarget is the tenant in Microsoft's public cloud.
func EntraTarget(tenant string) Target {
	return Target{AuthorityHost: EntraAuthorityHost, TenantID: tenant, GraphURL: EntraGraphURL}
}

// HarnessTarget is a tenant of the local harness at baseURL (https://127.0.0.1:PORT),
// whose TLS certificate is issued by the CA in pool. The harness serves Graph under the
// same origin at /v1.0.
func HarnessTarget(baseURL, tenant string, pool *x509.CertPool) (Target, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return Target{}, fmt.Errorf("harness target: the base URL %q is not an https origin like https://127.0.0.1:8443", baseURL)
	}
	if pool == nil {
		return Target{}, errors.New("harness target: no CA: the harness's certificate is issued by its own CA, which must be trusted")
	}
	origin := u.Scheme + "://" + u.Host
	t := Target{AuthorityHost: origin + "/", TenantID: tenant, GraphURL: origin + "/v1.0", Roots: pool,
		DisableInstanceDiscovery: true}
	return t, t.Validate()
}

// maxFacts bounds the facts line and the CA file read from disk.
const maxFacts = 1 << 20

// HarnessTargetFromFacts reads the line `ssowizard harness --json` prints (base_url,
// tenant_id, graph_url, ca_cert) and the CA file it names.
func HarnessTargetFromFacts(factsJSON []byte) (Target, error) {
	if len(factsJSON) > maxFacts {
		return Target{}, errors.New("harness facts: the facts are larger than 1 MiB; pass the one line `ssowizard harness --json` prints")
	}
	var f struct {
		BaseURL  string `json:"base_url"`
		TenantID string `json:"tenant_id"`
		GraphURL string `json:"graph_url"`
		CACert   string `json:"ca_cert"`
	}
	if err := json.Unmarshal(factsJSON, &f); err != nil {
		return Target{}, fmt.Errorf("harness facts: not the JSON line `ssowizard harness --json` prints: %w", err)
	}
	if f.CACert == "" {
		return Target{}, errors.New("harness facts: no ca_cert: the harness's CA file is needed to trust it")
	}
	pem, err := readLimited(f.CACert, maxFacts)
	if err != nil {
		return Target{}, fmt.Errorf("harness facts: read the CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return Target{}, fmt.Errorf("harness facts: %s holds no PEM certificate", f.CACert)
	}
	t, err := HarnessTarget(f.BaseURL, f.TenantID, pool)
	if err != nil {
		return Target{}, fmt.Errorf("harness facts: %w", err)
	}
	t.CAPEM = pem
	if f.GraphURL != "" {
		t.GraphURL = strings.TrimSuffix(f.GraphURL, "/")
	}
	return t, t.Validate()
}

func readLimited(path string, limit int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return b, nil
}

// Validate says, in one sentence, what is wrong with the target, or returns nil.
func (t Target) Validate() error {
	u, err := url.Parse(t.AuthorityHost)
	switch {
	case t.AuthorityHost == "":
		return errors.New("target: no authority host; use EntraTarget or HarnessTarget")
	case err != nil || u.Host == "":
		return fmt.Errorf("target: the authority host %q is not a URL", t.AuthorityHost)
	case u.Scheme != "https":
		return fmt.Errorf("target: the authority host %q must be https: MSAL refuses any other scheme", t.AuthorityHost)
	}
	if err := checkTenant(t.TenantID); err != nil {
		return err
	}
	if g, err := url.Parse(t.GraphURL); err != nil || g.Scheme != "https" || g.Host == "" {
		return fmt.Errorf("target: the Graph URL %q is not an https URL", t.GraphURL)
	}
	if len(t.CAPEM) > 0 {
		if !x509.NewCertPool().AppendCertsFromPEM(t.CAPEM) {
			return errors.New("target: the CA PEM holds no certificate")
		}
	}
	return nil
}

// checkTenant accepts what Entra accepts in the authority path: a GUID, a domain name,
// or organizations / common; it keeps anything that would change the URL out.
func checkTenant(tenant string) error {
	if tenant == "" {
		return errors.New("target: no tenant; give the tenant ID (a GUID) or a verified domain")
	}
	if len(tenant) > 253 {
		return errors.New("target: the tenant is longer than a domain name can be")
	}
	for _, r := range tenant {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return fmt.Errorf("target: the tenant %q is neither a GUID nor a domain name", tenant)
		}
	}
	return nil
}

// rootPool is the pool TLS trusts for the target; nil means the system's roots.
func (t Target) rootPool() *x509.CertPool {
	if t.Roots == nil && len(t.CAPEM) == 0 {
		return nil
	}
	pool := x509.NewCertPool()
	if t.Roots != nil {
		pool = t.Roots.Clone()
	}
	pool.AppendCertsFromPEM(t.CAPEM)
	return pool
}

// HTTPClient returns a client for the target's endpoints: it trusts the target's CA
// when one is set (and then only it) and gives up on a request after 30 seconds.
func (t Target) HTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: t.rootPool(), MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

func (t Target) logger() *slog.Logger {
	if t.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return t.Logger
}
