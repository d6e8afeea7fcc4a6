package idp

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ssowizard/ssowizard/harness/entrasaml"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

// samlCertLifetime is how long Entra makes a new SAML signing certificate valid.
const samlCertLifetime = 3 * 365 * 24 * time.Hour

// samlKeys holds the SAML token signing key pairs. The tenant records each certificate
// (tenant.SigningCert); the key pair behind it lives here, in memory and, when dir is
// set, in the harness's state directory under the certificate's key ID, so SPs that
// pinned a certificate keep trusting the harness across restarts.
type samlKeys struct {
	dir   string
	mu    sync.Mutex // held while generating, so one name never gets two keys
	pairs map[string]*entrasaml.KeyPair
}

// pair returns the key pair kept under name when fits accepts its certificate, and
// otherwise makes a new one valid from start to end and keeps it. fits is told whether
// the pair was read from disk or is one this process already holds.
func (k *samlKeys) pair(name string, start, end time.Time, fits func(c *x509.Certificate, fromDisk bool) bool) (*entrasaml.KeyPair, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if kp := k.pairs[name]; kp != nil && fits(kp.Cert, false) {
		return kp, nil
	}
	if kp := k.load(name); kp != nil && fits(kp.Cert, true) {
		k.pairs[name] = kp
		return kp, nil
	}
	kp, err := entrasaml.GenerateKeyPair(nil, "", start, end)
	if err != nil {
		return nil, fmt.Errorf("saml signing key %s: %w", name, err)
	}
	if err := k.save(name, kp); err != nil {
		return nil, err
	}
	k.pairs[name] = kp
	return kp, nil
}

func (k *samlKeys) paths(name string) (cert, key string) {
	base := filepath.Join(k.dir, "saml-"+name)
	return base + ".pem", base + "-key.pem"
}

// load reads a stored pair; nil when there is none or it is unreadable, in which case
// a new one replaces it.
func (k *samlKeys) load(name string) *entrasaml.KeyPair {
	if k.dir == "" {
		return nil
	}
	cp, kp := k.paths(name)
	certPEM, err := os.ReadFile(cp)
	if err != nil {
		return nil
	}
	keyPEM, err := os.ReadFile(kp)
	if err != nil {
		return nil
	}
	pair, err := entrasaml.ParseKeyPair(certPEM, keyPEM)
	if err != nil {
		return nil
	}
	return pair
}

func (k *samlKeys) save(name string, kp *entrasaml.KeyPair) error {
	if k.dir == "" {
		return nil
	}
	if err := os.MkdirAll(k.dir, 0o700); err != nil {
		return fmt.Errorf("saml key directory: %w", err)
	}
	keyPEM, err := kp.KeyPEM()
	if err != nil {
		return err
	}
	cp, kpath := k.paths(name)
	// The key first: a certificate without its key would be useless on reload.
	if err := writeAtomic(kpath, keyPEM, 0o600); err != nil {
		return err
	}
	return writeAtomic(cp, kp.CertPEM(), 0o644)
}

func writeAtomic(path string, data []byte, mode fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	err = tmp.Chmod(mode)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// certThumbprint is the SHA-1 thumbprint Entra shows for a certificate, upper-case hex.
func certThumbprint(c *x509.Certificate) string {
	sum := sha1.Sum(c.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// samlSigning is what one app's SAML answers are signed with and what its federation
// metadata publishes.
type samlSigning struct {
	signer *entrasaml.KeyPair
	// certs are the certificates the metadata lists: the signing one first, then those
	// waiting in a rollover.
	certs []*x509.Certificate
}

// samlSigningFor returns the app's signing material under the scenarios in force. An
// app without a certificate gets one, recorded in the tenant as Entra records the
// certificate it creates when SAML is first configured.
func (p *IdP) samlSigningFor(app tenant.App, f samlFaults) (*samlSigning, error) {
	certs, err := p.ensureSigningCert(app)
	if err != nil {
		return nil, err
	}
	s := &samlSigning{}
	var inactive []*x509.Certificate
	for _, c := range certs {
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
		if c.Active {
			s.signer = kp
		} else {
			inactive = append(inactive, kp.Cert)
		}
	}
	if s.signer == nil {
		return nil, fmt.Errorf("app %s has no active SAML signing certificate", app.AppID)
	}
	now := time.Now() // certificates follow the wall clock, which SPs check them against
	if f.expiredCert {
		// The active certificate has run out and nobody rolled it over: Entra keeps
		// signing with it, and its metadata still lists it.
		kp, err := p.samlKeys.pair("expired-"+strings.ToLower(app.AppID), now.Add(-samlCertLifetime-30*24*time.Hour), now.Add(-30*24*time.Hour),
			func(c *x509.Certificate, _ bool) bool { return c.NotAfter.Before(now) })
		if err != nil {
			return nil, err
		}
		s.signer = kp
	}
	s.certs = append([]*x509.Certificate{s.signer.Cert}, inactive...)
	if f.certRollover {
		// A new certificate has been created and waits, inactive, beside the signing one.
		kp, err := p.samlKeys.pair("rollover-"+strings.ToLower(app.AppID), now, now.Add(samlCertLifetime),
			func(c *x509.Certificate, _ bool) bool {
				return c.NotBefore.Before(now) && c.NotAfter.After(now.Add(30*24*time.Hour))
			})
		if err != nil {
			return nil, err
		}
		s.certs = append(s.certs, kp.Cert)
	}
	return s, nil
}

// matchesRecord accepts a kept key pair for a certificate the tenant records when both
// are expired or both are not, so an SP that pinned the certificate keeps trusting
// the harness across restarts even when the record's dates move (the demo tenant dates
// its certificate from the day it is made); and, for a pair read from disk, when the
// record's thumbprint, if it has one, is the pair's. A record that turns expired, as
// when a test or an admin sets its end in the past, gets a new pair with its dates.
func matchesRecord(c tenant.SigningCert) func(*x509.Certificate, bool) bool {
	return func(x *x509.Certificate, fromDisk bool) bool {
		now := time.Now()
		if x.NotAfter.Before(now) != c.End.Before(now) {
			return false
		}
		return !fromDisk || c.Thumbprint == "" || c.Thumbprint == certThumbprint(x)
	}
}

// ensureSigningCert returns the app's signing certificates, creating the first one
// when it has none.
func (p *IdP) ensureSigningCert(app tenant.App) ([]tenant.SigningCert, error) {
	if len(app.SAML.Certificates) > 0 {
		return app.SAML.Certificates, nil
	}
	p.samlCertMu.Lock()
	defer p.samlCertMu.Unlock()
	// Another request may have created it while this one waited.
	if a, ok := p.store.AppByID(app.AppID); ok && len(a.SAML.Certificates) > 0 {
		return a.SAML.Certificates, nil
	}
	// The first certificate's key ID is derived from the tenant and the app, so a
	// harness started again on the same tenant file (whose record has no certificate
	// yet) finds the key pair it made last time instead of piling up new ones.
	keyID := firstCertKeyID(p.store.TenantID(), app.AppID)
	now := time.Now().UTC().Truncate(time.Second)
	rec := tenant.SigningCert{
		KeyID:       keyID,
		DisplayName: "CN=Microsoft Azure Federated SSO Certificate",
		Start:       now,
		End:         now.Add(samlCertLifetime),
	}
	if kp := p.samlKeys.loadLocked(keyID); kp != nil && kp.Cert.NotAfter.After(time.Now()) {
		rec.Start, rec.End = kp.Cert.NotBefore.UTC(), kp.Cert.NotAfter.UTC()
		rec.Thumbprint = certThumbprint(kp.Cert)
	}
	if _, err := p.store.AddSigningCert(app.AppID, rec); err != nil {
		return nil, fmt.Errorf("create SAML signing certificate: %w", err)
	}
	a, ok := p.store.AppByID(app.AppID)
	if !ok || len(a.SAML.Certificates) == 0 {
		return nil, errors.New("create SAML signing certificate: the app went away")
	}
	return a.SAML.Certificates, nil
}

// recordThumbprint writes the thumbprint of the key pair made for a certificate into
// the tenant, as Graph shows it. Failure only leaves the record without it.
func (p *IdP) recordThumbprint(appID, keyID, th string) {
	p.store.UpdateApp(appID, func(a *tenant.App) error {
		for i := range a.SAML.Certificates {
			if strings.EqualFold(a.SAML.Certificates[i].KeyID, keyID) {
				a.SAML.Certificates[i].Thumbprint = th
			}
		}
		return nil
	})
}

// firstCertKeyID is the key ID of an app's first SAML signing certificate: a GUID
// (version 4 layout) derived from the tenant and the app.
func firstCertKeyID(tenantID, appID string) string {
	sum := sha256.Sum256([]byte("saml-signing/" + strings.ToLower(tenantID) + "/" + strings.ToLower(appID)))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// loadLocked is load under the cache's lock.
func (k *samlKeys) loadLocked(name string) *entrasaml.KeyPair {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.load(name)
}
