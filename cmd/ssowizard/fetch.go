package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ssowizard/ssowizard/inspect"
)

// maxFetchBytes bounds a fetched metadata, JWKS or discovery document. Entra's
// federation metadata is about 20 KB; a megabyte is generous and still safe.
const maxFetchBytes = 1 << 20

// fetcher downloads trust material (IdP metadata, JWKS, discovery documents).
type fetcher struct {
	client *http.Client
}

// newFetcher returns a fetcher with a bounded timeout that also trusts the PEM
// certificates in caPEM (the harness CA), when given.
func newFetcher(caPEM []byte) (*fetcher, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if len(caPEM) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		certs, err := inspect.ParseCertificates(caPEM)
		if err != nil {
			return nil, fmt.Errorf("CA certificate: %w", err)
		}
		for _, c := range certs {
			pool.AddCert(c)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &fetcher{client: &http.Client{Transport: tr, Timeout: 20 * time.Second}}, nil
}

// isURL reports whether s names an http or https URL rather than a file.
func isURL(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}

// Fetch GETs rawURL and returns its body. Plain http is refused except on loopback,
// because trust material fetched in clear text can be swapped by anyone on the path.
func (f *fetcher) Fetch(ctx context.Context, rawURL string) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%q is not a URL", rawURL)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("refusing to fetch trust material over plain http from %s: use the https URL", u.Host)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("%q is not an http or https URL", rawURL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u.Redacted(), err)
	}
	req.Header.Set("Accept", "application/xml, application/json;q=0.9, */*;q=0.5")
	resp, err := f.client.Do(req)
	if err != nil {
		var uae x509.UnknownAuthorityError
		if errors.As(err, &uae) {
			return nil, fmt.Errorf("fetch %s: the server's certificate is not trusted; for the harness pass --ca-cert with its ca.pem", u.Host)
		}
		return nil, fmt.Errorf("fetch %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: the server answered %s", u.Redacted(), resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxFetchBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u.Redacted(), err)
	}
	if len(body) > maxFetchBytes {
		return nil, fmt.Errorf("fetch %s: the document is larger than %d bytes, which no metadata or key set needs", u.Redacted(), maxFetchBytes)
	}
	return body, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
