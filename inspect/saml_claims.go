package inspect

import (
	"strings"

	"github.com/ssowizard/ssowizard/entra"
)

// friendlyName is Entra's short name for a SAML attribute: the table's, else the last
// path segment of a URI-shaped name, else the name itself.
func friendlyName(name string) (string, string) {
	if c, ok := entra.SAMLClaims[name]; ok {
		return c.Short, c.About
	}
	t := strings.TrimRight(name, "/")
	if i := strings.LastIndexAny(t, "/:"); i >= 0 && i < len(t)-1 {
		return t[i+1:], ""
	}
	return name, ""
}

// claim returns the values of the claim with the given attribute name or friendly name.
func findClaim(claims []Claim, names ...string) *Claim {
	for i := range claims {
		for _, n := range names {
			if claims[i].Name == n || claims[i].Friendly == n {
				return &claims[i]
			}
		}
	}
	return nil
}
