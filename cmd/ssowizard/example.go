package main

import (
	"encoding/base64"
	"sync"
	"time"

	"github.com/ssowizard/ssowizard/harness/entrasaml"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

// exampleSigner makes the demo tenant's SAML signing key once, on first use, so start-up
// does not pay for an RSA key generation the user may never ask for.
type exampleSigner struct {
	once sync.Once
	kp   *entrasaml.KeyPair
	err  error
	now  func() time.Time
}

// response returns a fresh Entra-shaped SAML Response (base64, as the browser posts it)
// from the demo tenant to the demo vendor, signed the way Entra signs by default (the
// assertion, RSA-SHA256). It returns nil when no key could be made.
func (s *exampleSigner) response() []byte {
	now := s.now().UTC()
	s.once.Do(func() {
		s.kp, s.err = entrasaml.GenerateKeyPair(nil, "", now.Add(-24*time.Hour), now.AddDate(3, 0, 0))
	})
	if s.err != nil {
		return nil
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
		return nil
	}
	return []byte(base64.StdEncoding.EncodeToString(r.XML))
}
