package main

import (
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"sync"
	"time"

	"github.com/ssowizard/ssowizard/harness/entrasaml"
	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/wizard/ui"
)

// exampleSigner makes the demo tenant's SAML signing key once, on first use, so start-up
// does not pay for an RSA key generation the user may never ask for.
type exampleSigner struct {
	once     sync.Once
	kp       *entrasaml.KeyPair
	metadata []byte
	err      error
	now      func() time.Time
}

// example returns the window's "Load example": a fresh Entra-shaped SAML Response (base64,
// as the browser posts it) from the demo tenant to the demo vendor, signed the way Entra
// signs by default (the assertion, RSA-SHA256), with the example app's federation metadata
// that publishes the signing certificate, and the Identifier and Reply URL it was made for.
func (s *exampleSigner) example() (ui.Example, error) {
	now := s.now().UTC()
	s.once.Do(func() {
		s.kp, s.err = entrasaml.GenerateKeyPair(nil, "", now.Add(-24*time.Hour), now.AddDate(3, 0, 0))
		if s.err != nil {
			s.err = fmt.Errorf("the demo signing key could not be made: %w", s.err)
			return
		}
		s.metadata, s.err = entrasaml.BuildMetadata(entrasaml.MetadataOptions{
			TenantID: tenant.DemoTenantID,
			Certs:    []*x509.Certificate{s.kp.Cert},
		})
	})
	if s.err != nil {
		return ui.Example{}, s.err
	}
	r, err := entrasaml.BuildResponse(entrasaml.ResponseOptions{
		TenantID: tenant.DemoTenantID,
		Audience: tenant.DemoEntityID,
		ACS:      tenant.DemoReplyURL,
		User: entrasaml.User{
			ObjectID:          "3f2b8e1a-6c4d-4b7e-9a12-5d8c0e6f7a31",
			UserPrincipalName: "alice@" + tenant.DemoDomain,
			Mail:              "alice@" + tenant.DemoDomain,
			GivenName:         "Alice",
			Surname:           "Smith",
			DisplayName:       "Alice Smith",
			Groups:            []string{"8c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"},
		},
		Signer: s.kp,
		Now:    now,
	})
	if err != nil {
		return ui.Example{}, fmt.Errorf("the example response could not be built: %w", err)
	}
	return ui.Example{
		Message:    []byte(base64.StdEncoding.EncodeToString(r.XML)),
		Metadata:   s.metadata,
		SPEntityID: tenant.DemoEntityID,
		ACS:        tenant.DemoReplyURL,
	}, nil
}
