package idp

import (
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ssowizard/ssowizard/entra"
	"github.com/ssowizard/ssowizard/harness/entrasaml"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

// CreateSAMLSigningCert makes a new token signing key pair for the app, as Graph's
// addTokenSigningCertificate does, valid from now (the wall clock, which SPs check
// certificates against) until end, with the subject displayName names ("CN=…"). It
// records the certificate in the tenant, where it signs at once if it is the app's
// first and otherwise waits inactive until made active, and keeps the key pair where
// the SAML endpoint finds it. It returns the record and the certificate.
func (p *IdP) CreateSAMLSigningCert(appID, displayName string, end time.Time) (tenant.SigningCert, *x509.Certificate, error) {
	now := time.Now().UTC().Truncate(time.Second)
	if !end.After(now) {
		return tenant.SigningCert{}, nil, errors.New("the certificate would end before it starts")
	}
	cn := strings.TrimSpace(strings.TrimPrefix(displayName, "CN="))
	kp, err := entrasaml.GenerateKeyPair(nil, cn, now, end)
	if err != nil {
		return tenant.SigningCert{}, nil, err
	}
	keyID, err := entra.NewGUID(rand.Reader)
	if err != nil {
		return tenant.SigningCert{}, nil, err
	}
	name := strings.ToLower(keyID)
	// The pair is kept before the record exists, so the SAML endpoint never finds a
	// record without its key and makes a different one.
	if err := p.samlKeys.put(name, kp); err != nil {
		return tenant.SigningCert{}, nil, err
	}
	rec, err := p.store.AddSigningCert(appID, tenant.SigningCert{KeyID: keyID, DisplayName: displayName,
		Start: now, End: end.UTC(), Thumbprint: certThumbprint(kp.Cert)})
	if err != nil {
		p.samlKeys.drop(name)
		return tenant.SigningCert{}, nil, err
	}
	return rec, kp.Cert, nil
}

// SAMLSigningCertificates returns the certificate behind each of the app's recorded
// signing certificates, by key ID, making the key pairs of records that have none yet
// (and recording their thumbprints), as the SAML endpoint would on its first answer.
func (p *IdP) SAMLSigningCertificates(appID string) (map[string]*x509.Certificate, error) {
	app, ok := p.store.AppByID(appID)
	if !ok {
		return nil, fmt.Errorf("app %q: %w", appID, tenant.ErrNotFound)
	}
	out := make(map[string]*x509.Certificate, len(app.SAML.Certificates))
	for _, c := range app.SAML.Certificates {
		start := c.Start
		if start.IsZero() {
			start = c.End.Add(-samlCertLifetime)
		}
		kp, err := p.samlKeys.pair(strings.ToLower(c.KeyID), start, c.End, matchesRecord(c))
		if err != nil {
			return nil, err
		}
		if th := certThumbprint(kp.Cert); c.Thumbprint != th {
			p.recordThumbprint(app.AppID, c.KeyID, th)
		}
		out[strings.ToLower(c.KeyID)] = kp.Cert
	}
	return out, nil
}

// put keeps a key pair made elsewhere under name, in memory and on disk.
func (k *samlKeys) put(name string, kp *entrasaml.KeyPair) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.save(name, kp); err != nil {
		return err
	}
	k.pairs[name] = kp
	return nil
}

// drop forgets a pair whose record could not be made; a file left on disk is
// harmless, since no record names it.
func (k *samlKeys) drop(name string) {
	k.mu.Lock()
	delete(k.pairs, name)
	k.mu.Unlock()
}
