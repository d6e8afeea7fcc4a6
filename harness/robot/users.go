package robot

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/ssowizard/ssowizard/harness/tenant"
)

// Users finds the harness tenant's accounts the robot can sign in as, with the
// tenant's own credentials: who a test login names, and who it proves is refused.
type Users struct {
	Store *tenant.Store
}

// Resolve returns the sign-in name and password of the account named: a sign-in name
// as Entra's login page takes it (a member's UPN, a guest's address), or the part
// before the "@" when exactly one member's UPN starts with it ("bob"). An unknown,
// ambiguous, disabled or passwordless account is an error of one sentence.
func (u Users) Resolve(named string) (login, password string, err error) {
	named = strings.TrimSpace(named)
	if named == "" {
		return "", "", fmt.Errorf("no test user was named: give the user the test signs in as")
	}
	user, ok := u.Store.UserByLogin(named)
	if !ok && !strings.Contains(named, "@") {
		var found []tenant.User
		for _, x := range u.Store.Users() {
			if local, _, _ := strings.Cut(x.UPN, "@"); !x.Guest && strings.EqualFold(local, named) {
				found = append(found, x)
			}
		}
		switch len(found) {
		case 1:
			user, ok = found[0], true
		case 0:
		default:
			return "", "", fmt.Errorf("%q names %d users of the local Entra: give the full sign-in name", named, len(found))
		}
	}
	switch {
	case !ok:
		return "", "", fmt.Errorf("the local Entra has no user %q: name one of its users by sign-in name (like alice@%s)", named, tenant.DemoDomain)
	case user.Disabled:
		return "", "", fmt.Errorf("%s is disabled in the local Entra and cannot sign in: name another user", user.UPN)
	case user.Password == "":
		return "", "", fmt.Errorf("%s has no password in the local Entra, so the robot cannot sign in as them: name another user", user.UPN)
	}
	login = user.UPN
	if user.Guest && user.Mail != "" {
		login = user.Mail // guests type the address they were invited with
	}
	return login, user.Password, nil
}

// Browser returns a browser signed in as the account named (see Resolve), through
// client (pass harness.Server.Client()), with the account's sign-in name.
func (u Users) Browser(client *http.Client, named string) (login string, b *Browser, err error) {
	login, password, err := u.Resolve(named)
	if err != nil {
		return "", nil, err
	}
	return login, New(client, login, password), nil
}

// Unassigned returns the sign-in name of the first account, in the tenant's order,
// that can sign in with a password and is not assigned to the app (appID) directly or
// through a group it is directly in; "" when every such account is assigned or the app
// is unknown.
func (u Users) Unassigned(appID string) string {
	for _, x := range u.Store.Users() {
		if x.Disabled || x.Password == "" || x.Guest {
			continue
		}
		if assigned, err := u.Store.IsAssigned(appID, x.ID); err == nil && !assigned {
			return x.UPN
		}
	}
	return ""
}
