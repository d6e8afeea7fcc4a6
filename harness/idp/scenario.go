package idp

import (
	"slices"
	"time"
)

// Scenario names (tenant.Scenarios) that change what the OIDC side does. The others
// (signing and certificate faults, transient NameID) belong to the SAML side.
const (
	ScenarioClockSkew       = "clock-skew"       // token times run ClockSkew ahead
	ScenarioGroupsOverage   = "groups-overage"   // the groups claim is always the overage indicator
	ScenarioNoEmail         = "no-email"         // no email claim, whatever asks for it
	ScenarioGuestUser       = "guest-user"       // every user's tokens are shaped as a guest's
	ScenarioConsentRequired = "consent-required" // AADSTS65001 until an administrator consents
	ScenarioExpiredSecret   = "expired-secret"   // every secret of the app is expired (AADSTS7000222)
	ScenarioSlow            = "slow"             // answers come after Config.SlowDelay
)

// ClockSkew is how far ahead the clock-skew scenario runs the clock of the tokens: past
// the five minutes of leeway that most relying parties allow, so a fresh token is
// refused as not yet valid, the classic support case.
const ClockSkew = 10 * time.Minute

// faults are the scenarios in force for one app (or the tenant).
type faults struct {
	clockSkew, groupsOverage, noEmail, guestUser, consentRequired, expiredSecret, slow bool
}

func (p *IdP) faultsFor(appID string) faults {
	names := p.store.ScenariosFor(appID)
	has := func(n string) bool { return slices.Contains(names, n) }
	return faults{
		clockSkew:       has(ScenarioClockSkew),
		groupsOverage:   has(ScenarioGroupsOverage),
		noEmail:         has(ScenarioNoEmail),
		guestUser:       has(ScenarioGuestUser),
		consentRequired: has(ScenarioConsentRequired),
		expiredSecret:   has(ScenarioExpiredSecret),
		slow:            has(ScenarioSlow),
	}
}

// tokenTime is the issue time tokens for the app carry.
func (f faults) tokenTime(now time.Time) time.Time {
	if f.clockSkew {
		return now.Add(ClockSkew)
	}
	return now
}

// delay holds an answer back under the slow scenario.
func (p *IdP) delay(f faults) {
	if f.slow {
		time.Sleep(p.slowDelay)
	}
}
