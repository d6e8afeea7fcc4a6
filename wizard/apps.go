package wizard

import (
	"context"
	"fmt"
	"strings"

	"github.com/ssowizard/ssowizard/wizard/check"
)

// The steps that make the app or take its IDs (registration, enterprise-app) share
// these.

// appNameInput is the app's name, which automatic mode asks where it makes the app.
var appNameInput = Input{Key: InAppName, Label: "App name", Hint: "the name the app gets in Entra", Optional: true}

// appNameDefault names the app automatic mode makes after the ticket.
func appNameDefault(s *Session, _ *Target, set func(key, value string)) {
	if s.Mode() == Auto {
		set(InAppName, s.Ticket.DisplayName())
	}
}

// signedInTenant records the Graph sign-in's tenant, refusing one other than the
// session's.
func (s *Session) signedInTenant(ctx context.Context, t *Target) (check.Result, error) {
	ten, err := t.Directory.Tenant(ctx)
	if err != nil {
		return check.Result{}, err
	}
	if s.state.TenantID != "" && !strings.EqualFold(s.state.TenantID, ten.ID) {
		return fail("other-tenant", InTenantID, fmt.Sprintf("The Graph sign-in is to tenant %s, but this setup is for tenant %s.", ten.ID, s.state.TenantID),
			"Sign in with an administrator of the setup's tenant."), nil
	}
	s.state.TenantID, s.state.TenantName = ten.ID, ten.DisplayName
	return ok("tenant", InTenantID, fmt.Sprintf("Signed in to %s (%s).", ten.DisplayName, ten.ID)), nil
}

// createApp makes the app, or adopts the one an interrupted run made.
func (s *Session) createApp(ctx context.Context, t *Target, st *StepState, resumed bool, make func(name string) (App, error)) ([]check.Result, error) {
	r, err := s.signedInTenant(ctx, t)
	if err != nil || r.Failed() {
		return []check.Result{r}, err
	}
	out := []check.Result{r}
	name := st.Inputs[InAppName]
	if s.state.App.AppID != "" {
		return append(out, ok("app-exists", InAppName, fmt.Sprintf("%q is registered with client ID %s.", s.state.App.DisplayName, s.state.App.AppID))), nil
	}
	for _, key := range []string{InClientID, InAppID} {
		if id := st.Inputs[key]; id != "" {
			return s.adoptApp(ctx, t, key, id, out)
		}
	}
	if resumed {
		found, err := t.Directory.ApplicationsByName(ctx, name)
		if err != nil {
			return out, err
		}
		if len(found) == 1 {
			app, err := t.Directory.EnsureServicePrincipal(ctx, found[0].App)
			if err != nil {
				return out, err
			}
			s.state.App = app
			return append(out, ok("app-adopted", InAppName, fmt.Sprintf("Found %q (client ID %s), made before the interruption, and kept it.", name, app.AppID))), nil
		}
	}
	app, err := make(name)
	if err != nil {
		return out, err
	}
	s.state.App = app
	return append(out, ok("app-created", InAppName, fmt.Sprintf("Registered %q: client ID %s.", app.DisplayName, app.AppID))), nil
}

// adoptApp takes the existing app whose client ID the administrator gave (key) as the
// setup's, instead of making a second one.
func (s *Session) adoptApp(ctx context.Context, t *Target, key, id string, out []check.Result) ([]check.Result, error) {
	r := check.ClientID(id)
	r.Field = key
	if r.Failed() {
		return append(out, r), nil
	}
	id = strings.ToLower(strings.Trim(strings.TrimSpace(id), "{}"))
	found, err := t.Directory.Application(ctx, App{AppID: id})
	if err != nil {
		if ctx.Err() != nil {
			return out, err
		}
		return append(out, fail("app-not-found", key, fmt.Sprintf("No app with client ID %s could be read in this tenant (%s).", id, lowerFirst(err.Error())),
			"Copy the Application (client) ID from the app's Overview page, or remove it from the answers to have the wizard make the app.")), nil
	}
	app, err := t.Directory.EnsureServicePrincipal(ctx, found.App)
	if err != nil {
		return out, err
	}
	s.state.App = app
	return append(out, ok("app-adopted", key, fmt.Sprintf("Took the existing app %q (client ID %s) as this setup's; no app was made.", app.DisplayName, app.AppID))), nil
}

// manualIDs checks a pasted client (application) ID and tenant, and resolves the
// tenant by discovery.
func (s *Session) manualIDs(ctx context.Context, t *Target, st *StepState, idKey string) ([]check.Result, error) {
	appID := st.Inputs[idKey]
	tenant := st.Inputs[InTenantID]
	if tenant == "" {
		tenant = s.state.TenantID
	}
	r1 := check.ClientID(appID)
	r1.Field = idKey
	r2 := check.TenantID(tenant)
	out := []check.Result{r1, r2}
	if r1.Failed() || r2.Failed() {
		return out, nil
	}
	appID, tenant = strings.Trim(strings.TrimSpace(appID), "{}"), strings.TrimSpace(tenant)
	tid, code, err := DiscoverTenant(ctx, t.client(), t.LoginBase, tenant)
	if err != nil {
		return out, err
	}
	if code != 0 {
		return append(out, check.Probe(code, "")), nil
	}
	if s.state.TenantID != "" && !strings.EqualFold(tid, s.state.TenantID) {
		return append(out, fail("other-tenant", InTenantID, fmt.Sprintf("%s is tenant %s, but this setup is for tenant %s.", tenant, tid, s.state.TenantID),
			"Give the Directory (tenant) ID of the setup's tenant.")), nil
	}
	out = append(out, ok("tenant-found", InTenantID, fmt.Sprintf("Entra knows the tenant %s.", tid)))
	s.state.TenantID = tid
	s.state.App = App{AppID: strings.ToLower(appID), DisplayName: s.Ticket.DisplayName()}
	return out, nil
}
