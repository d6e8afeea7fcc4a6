package idp

import (
	"slices"
	"strings"
	"time"

	"github.com/ssowizard/ssowizard/harness/entrasaml"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

// Scenario names that only the SAML side gives an effect. clock-skew, groups-overage,
// no-email, guest-user and slow act on SAML answers as on tokens.
const (
	ScenarioExpiredCert     = "expired-cert"     // the active signing certificate has expired (and still signs)
	ScenarioCertRollover    = "cert-rollover"    // a new inactive certificate is published beside the active one
	ScenarioSHA1            = "sha1"             // RSA-SHA1 whatever the app says
	ScenarioSignResponse    = "sign-response"    // sign the Response, not the Assertion
	ScenarioSignBoth        = "sign-both"        // sign the Response and the Assertion
	ScenarioUnsigned        = "unsigned"         // sign nothing
	ScenarioTransientNameID = "transient-nameid" // a transient NameID whatever the request asks
	ScenarioOldSession      = "old-session"      // the user signed in OldSessionAge ago (AuthnInstant)
	ScenarioMFASession      = "mfa-session"      // the session was made with password and MFA, which a password context does not match
)

// OldSessionAge is how long before the response the old-session scenario says the user
// signed in: a persistent session from the morning, past the two hours that SPs with
// a maximum-authentication-age rule (Spring Security's default among them) accept.
const OldSessionAge = 8 * time.Hour

// samlFaults are the scenarios in force for one app's SAML answers.
type samlFaults struct {
	faults
	expiredCert, certRollover, sha1, signResponse, signBoth, unsigned, transientNameID, oldSession, mfaSession bool
}

func (p *IdP) samlFaultsFor(appID string) samlFaults {
	names := p.store.ScenariosFor(appID)
	has := func(n string) bool { return slices.Contains(names, n) }
	return samlFaults{
		faults:          p.faultsFor(appID),
		expiredCert:     has(ScenarioExpiredCert),
		certRollover:    has(ScenarioCertRollover),
		sha1:            has(ScenarioSHA1),
		signResponse:    has(ScenarioSignResponse),
		signBoth:        has(ScenarioSignBoth),
		unsigned:        has(ScenarioUnsigned),
		transientNameID: has(ScenarioTransientNameID),
		oldSession:      has(ScenarioOldSession),
		mfaSession:      has(ScenarioMFASession),
	}
}

// signMode is what the app's Responses are signed on: the app's setting, unless a
// scenario overrides it (unsigned wins over the others, being the fault under study).
func (f samlFaults) signMode(app *tenant.App) entrasaml.SignMode {
	switch {
	case f.unsigned:
		return entrasaml.SignNone
	case f.signBoth:
		return entrasaml.SignBoth
	case f.signResponse:
		return entrasaml.SignResponse
	}
	switch app.SAML.Sign {
	case tenant.SignResponse:
		return entrasaml.SignResponse
	case tenant.SignBoth:
		return entrasaml.SignBoth
	}
	return entrasaml.SignAssertion
}

// algorithm is the app's signature algorithm, or SHA-1 under the sha1 scenario.
func (f samlFaults) algorithm(app *tenant.App) entrasaml.Algorithm {
	if f.sha1 || app.SAML.Algorithm == tenant.AlgorithmSHA1 {
		return entrasaml.RSASHA1
	}
	return entrasaml.RSASHA256
}

// authnInstant is when the response says the user signed in: the session's start, on
// the token clock (so clock-skew moves it too), or OldSessionAge earlier under
// old-session.
func (f samlFaults) authnInstant(signedIn time.Time) time.Time {
	if signedIn.IsZero() {
		return time.Time{}
	}
	t := f.tokenTime(signedIn)
	if f.oldSession {
		t = t.Add(-OldSessionAge)
	}
	return t
}

// How the user signed in, as Entra names it in AADSTS75011 and shows it in the
// assertion: a password, or (mfa-session) a password with a second factor.
type authnMethod struct {
	name      string   // as in 75011: "Password", "MultiFactor"
	classRef  string   // the AuthnStatement's AuthnContextClassRef
	methods   []string // authnmethodsreferences
	satisfies []string // the RequestedAuthnContext class refs it matches
}

func (f samlFaults) authnMethod() authnMethod {
	if f.mfaSession {
		return authnMethod{name: "MultiFactor", classRef: entrasaml.AuthnMethodMFA,
			methods:   []string{entrasaml.AuthnMethodPassword, entrasaml.AuthnMethodMFA},
			satisfies: []string{entrasaml.AuthnMethodMFA, "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified"}}
	}
	return authnMethod{name: "Password", classRef: entrasaml.AuthnContextPassword,
		methods: []string{entrasaml.AuthnMethodPassword},
		satisfies: []string{entrasaml.AuthnContextPassword,
			"urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
			"urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified",
			"urn:federation:authentication:windows"}}
}

// requestedMethodName is how Entra names a requested class in AADSTS75011
// ("Password, ProtectedTransport" for PasswordProtectedTransport).
func requestedMethodName(ref string) string {
	i := strings.LastIndexAny(ref, ":/")
	name := ref[i+1:]
	switch name {
	case "PasswordProtectedTransport":
		return "Password, ProtectedTransport"
	case "windows":
		return "WindowsIntegrated"
	case "multipleauthn":
		return "MultiFactor"
	}
	return name
}
