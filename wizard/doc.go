// Package wizard is the setup engine: a vendor's ticket, the steps that connect an
// Entra tenant to the vendor by OIDC or SAML, the checks that catch the classic
// mistakes, sessions kept in SQLite that survive a crash, the test login through the
// embedded Service Provider, and the bundles a finished setup produces.
//
// It has no window (package wizard/ui draws it) and does not import the Graph SDK:
// automatic mode talks to Entra through the Directory interface, which cmd wires to
// package graph. Manual mode verifies what the admin pasted with public endpoints only
// (discovery, the authorize and SAML endpoints, the token endpoint, federation
// metadata), so it needs no sign-in at all.
package wizard
