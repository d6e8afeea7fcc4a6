package wizard

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ssowizard/ssowizard/directory"
	"github.com/ssowizard/ssowizard/wizard/check"
)

// Run carries out a step (automatic mode) or verifies what the admin did (manual
// mode), and records the outcome in one transaction: verified (the session moves to
// the next step), or failed with the checks that say why. The returned error is for
// what stopped the step from being judged at all (the database); a step that was
// judged and failed returns its record with Status Failed and a nil error. A step cut
// short by ctx is recorded as interrupted: it stays InProgress (with Error saying so)
// and the next Run resumes it as after a crash. Every step can be run again: earlier
// inputs are kept.
func (s *Session) Run(ctx context.Context, t *Target, n StepName) (StepState, error) {
	// One step at a time; the session's lock is not held while the step talks to
	// Entra (a test login waits minutes for the browser), so the window can read the
	// session meanwhile.
	s.runMu.Lock()
	defer s.runMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.index(n)
	if i < 0 {
		return StepState{}, fmt.Errorf("%s has no step %q: the steps are %s", strings.ToUpper(string(s.Protocol())), n, stepList(Steps(s.Protocol())))
	}
	if first := s.firstOpen(); first >= 0 && i > first && !s.overridable(n, first) {
		return s.copyStep(n), fmt.Errorf("%s cannot run yet: %s is not verified", n.Title(), Steps(s.Protocol())[first].Title())
	}
	if s.Mode() == Auto && t.Directory == nil && n != StepTest && n != StepDomain {
		return s.copyStep(n), fmt.Errorf("%s in automatic mode needs a Graph sign-in: sign in to Entra, or switch to manual mode", n.Title())
	}
	if t.LoginBase != "" {
		s.state.LoginBase = t.LoginBase // for the bundle's issuer and the instructions' URLs
	}
	st := s.steps[n]
	resumed := st.Status == InProgress
	s.defaults(t, n, st)
	st.Status, st.Error, st.Checks = InProgress, "", nil
	if err := s.transition(ctx, st, n, "started", "started "+string(n)+resumedNote(resumed)); err != nil {
		return s.copyStep(n), err
	}
	w := s.workCopy()
	s.mu.Unlock()
	checks, err := w.do(ctx, t, n, w.steps[n], resumed)
	s.mu.Lock()
	s.state = w.state
	st.Inputs = w.steps[n].Inputs
	st.Checks = checks
	save := context.WithoutCancel(ctx)
	switch {
	case err != nil && ctx.Err() != nil:
		// Cancelled (Ctrl-C, a closed window) with the step's calls in flight: what
		// they made may exist, so the step stays in progress and the next run resumes
		// it as after a crash, adopting what was made instead of making it twice.
		st.Error = n.Title() + " was interrupted before it finished: run it again to resume it."
		if perr := s.transition(save, st, n, "interrupted", st.Error); perr != nil {
			return s.copyStep(n), perr
		}
	case err != nil:
		st.Status, st.Error = Failed, err.Error()
		if perr := s.transition(save, st, n, "failed", st.Error); perr != nil {
			return s.copyStep(n), perr
		}
	case check.Failed(checks):
		st.Status = Failed
		if perr := s.transition(save, st, n, "failed", firstFailure(checks)); perr != nil {
			return s.copyStep(n), perr
		}
	default:
		st.Status, st.VerifiedAt = Verified, s.e.now()
		next := n
		if first := s.firstOpen(); first >= 0 {
			next = Steps(s.Protocol())[first]
		}
		msg := "verified " + string(n)
		if n == StepEnable {
			s.rec.Status = SessionEnabled
			if e := s.state.Enabled; e != nil && e.Override != "" {
				msg = "enabled without a passing test; reason: " + e.Override
			}
		}
		if perr := s.transition(save, st, next, "verified", msg); perr != nil {
			return s.copyStep(n), perr
		}
	}
	return s.copyStep(n), nil
}

// overridable reports whether step n may run although the step at first is not
// verified: Enable after a failed test, where an override reason can be recorded.
func (s *Session) overridable(n StepName, first int) bool {
	return n == StepEnable && Steps(s.Protocol())[first] == StepTest && s.steps[StepTest].Status == Failed
}

// workCopy is a copy of the session a step runs on without the session's lock: its
// state and steps are its own, merged back when the step ends. The caller holds s.mu.
func (s *Session) workCopy() *Session {
	w := &Session{e: s.e, rec: s.rec, Ticket: s.Ticket, steps: map[StepName]*StepState{}}
	b, _ := json.Marshal(s.state)
	_ = json.Unmarshal(b, &w.state)
	for n := range s.steps {
		c := s.copyStep(n)
		w.steps[n] = &c
	}
	return w
}

func resumedNote(resumed bool) string {
	if resumed {
		return " again after an interruption"
	}
	return ""
}

func firstFailure(rs []check.Result) string {
	for _, r := range rs {
		if r.Failed() {
			return r.Message
		}
	}
	return ""
}

// RunAll runs the steps from the current one until one fails, one needs a person, or
// all are verified. It returns the last step run.
func (s *Session) RunAll(ctx context.Context, t *Target) (StepState, error) {
	var last StepState
	for range len(Steps(s.Protocol())) + 1 {
		if s.Done() {
			return last, nil
		}
		s.mu.Lock()
		first := s.firstOpen()
		s.mu.Unlock()
		n := Steps(s.Protocol())[first]
		st, err := s.Run(ctx, t, n)
		last = st
		if err != nil || st.Status != Verified {
			return st, err
		}
	}
	return last, nil
}

// defaults fills the inputs automatic mode can choose itself.
func (s *Session) defaults(t *Target, n StepName, st *StepState) {
	set := func(k, v string) {
		if st.Inputs == nil {
			st.Inputs = map[string]string{}
		}
		if st.Inputs[k] == "" && v != "" {
			st.Inputs[k] = v
		}
	}
	switch n {
	case StepRegistration, StepEnterpriseApp:
		if s.Mode() == Auto {
			set(InAppName, s.Ticket.DisplayName())
		}
	case StepAssignments:
		set(InAssignmentRequired, "yes")
	case StepTest:
		set(InTestUser, t.TestUser)
	case StepEnable:
		if len(s.Ticket.LoginMethods) > 0 {
			m := s.Ticket.LoginMethods[0]
			if slices.Contains(s.Ticket.LoginMethods, LoginBoth) {
				m = LoginBoth
			}
			set(InLoginMethods, m)
		}
		set(InDefaultRole, s.Ticket.DefaultRole)
	}
}

// do carries out or verifies one step. The caller holds s.mu.
func (s *Session) do(ctx context.Context, t *Target, n StepName, st *StepState, resumed bool) ([]check.Result, error) {
	auto := s.Mode() == Auto
	switch n {
	case StepRegistration:
		if auto {
			return s.autoRegistration(ctx, t, st, resumed)
		}
		return s.manualRegistration(ctx, t, st)
	case StepRedirectURI:
		if auto {
			return s.autoRedirectURI(ctx, t)
		}
		return s.manualRedirectURI(ctx, t, st)
	case StepClientSecret:
		return s.clientSecret(ctx, t, st, auto, resumed)
	case StepEnterpriseApp:
		if auto {
			return s.autoEnterpriseApp(ctx, t, st, resumed)
		}
		return s.manualEnterpriseApp(ctx, t, st)
	case StepSAMLURLs:
		if auto {
			return s.autoSAMLURLs(ctx, t)
		}
		return s.manualSAMLURLs(ctx, t, st)
	case StepIdPMetadata:
		if auto {
			return s.autoIdPMetadata(ctx, t)
		}
		return s.manualIdPMetadata(ctx, t, st)
	case StepDomain:
		return s.domain(ctx, t, st, auto)
	case StepAssignments:
		if auto {
			return s.autoAssignments(ctx, t, st)
		}
		return s.manualAssignments(st)
	case StepTest:
		return s.test(ctx, t, st)
	case StepEnable:
		return s.enable(ctx, t, st, auto)
	}
	return nil, fmt.Errorf("no step %q", n)
}

func ok(id, field, msg string) check.Result {
	return check.Result{ID: id, Field: field, Severity: check.OK, Message: msg}
}

func fail(id, field, msg, fix string) check.Result {
	return check.Result{ID: id, Field: field, Severity: check.Error, Message: msg, Fix: fix}
}

func warn(id, field, msg, fix string) check.Result {
	return check.Result{ID: id, Field: field, Severity: check.Warning, Message: msg, Fix: fix}
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

func (s *Session) autoRegistration(ctx context.Context, t *Target, st *StepState, resumed bool) ([]check.Result, error) {
	return s.createApp(ctx, t, st, resumed, func(name string) (App, error) {
		return t.Directory.CreateOIDCApp(ctx, name, nil)
	})
}

func (s *Session) autoEnterpriseApp(ctx context.Context, t *Target, st *StepState, resumed bool) ([]check.Result, error) {
	return s.createApp(ctx, t, st, resumed, func(name string) (App, error) {
		return t.Directory.InstantiateSAMLApp(ctx, name)
	})
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

func (s *Session) manualRegistration(ctx context.Context, t *Target, st *StepState) ([]check.Result, error) {
	out, err := s.manualIDs(ctx, t, st, InClientID)
	if err != nil || check.Failed(out) {
		return out, err
	}
	// An unknown client ID fails at the authorize endpoint before the redirect URI is
	// looked at: 700016 here means the app is not in this tenant.
	code, err := ProbeAuthorize(ctx, t.client(), t.LoginBase, s.state.TenantID, s.state.App.AppID, LoopbackRedirectURI)
	if err != nil {
		return out, err
	}
	if code == 700016 || code == 700038 {
		return append(out, check.Probe(code, "")), nil
	}
	return append(out, ok("app-found", InClientID, fmt.Sprintf("Entra knows the app %s in this tenant.", s.state.App.AppID))), nil
}

func (s *Session) manualEnterpriseApp(ctx context.Context, t *Target, st *StepState) ([]check.Result, error) {
	return s.manualIDs(ctx, t, st, InAppID)
}

// withURIs returns uris with add appended where missing.
func withURIs(uris []string, add ...string) []string {
	out := slices.Clone(uris)
	for _, a := range add {
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func (s *Session) autoRedirectURI(ctx context.Context, t *Target) ([]check.Result, error) {
	app := s.state.App
	cur, err := t.Directory.Application(ctx, app)
	if err != nil {
		return nil, err
	}
	want := withURIs(cur.RedirectURIs, s.Ticket.redirectURI(), LoopbackRedirectURI)
	if !slices.Equal(want, cur.RedirectURIs) {
		if err := t.Directory.SetRedirectURIs(ctx, app, want); err != nil {
			return nil, err
		}
	}
	back, err := t.Directory.Application(ctx, app)
	if err != nil {
		return nil, err
	}
	s.state.RedirectURIs = back.RedirectURIs
	s.state.Loopback = []string{LoopbackRedirectURI}
	r := check.RedirectURI(s.Ticket.redirectURI(), back.RedirectURIs)
	out := []check.Result{r}
	if r.Failed() {
		return out, nil
	}
	return append(out, ok("redirect-registered", InRedirectURI, fmt.Sprintf("Registered %s and the test login's %s.", s.Ticket.redirectURI(), LoopbackRedirectURI))), nil
}

// probeRedirect turns the authorize probe's answer into a check.
func (s *Session) probeRedirect(ctx context.Context, t *Target, uri, whose string) (check.Result, error) {
	code, err := ProbeAuthorize(ctx, t.client(), t.LoginBase, s.state.TenantID, s.state.App.AppID, uri)
	if err != nil {
		return check.Result{}, err
	}
	switch code {
	case 0:
		return ok("redirect-accepted", InRedirectURI, fmt.Sprintf("Entra accepts %s as a redirect URI of the app.", uri)), nil
	case 50011, 500113:
		return fail("redirect-not-registered", InRedirectURI, fmt.Sprintf("Entra does not have %s (%s) among the app's redirect URIs (AADSTS%d).", uri, whose, code),
			"Add it exactly as shown under Authentication > Web > Redirect URIs, and Save."), nil
	}
	return check.Probe(code, ""), nil
}

func (s *Session) manualRedirectURI(ctx context.Context, t *Target, st *StepState) ([]check.Result, error) {
	entered := st.Inputs[InRedirectURI]
	if entered == "" {
		return []check.Result{fail("missing", InRedirectURI, "The redirect URI as registered is missing.", "Paste it from the app's Authentication page.")}, nil
	}
	out := []check.Result{check.RedirectURI(entered, []string{s.Ticket.redirectURI()})}
	for _, u := range []struct{ uri, whose string }{{s.Ticket.redirectURI(), "the vendor's"}, {LoopbackRedirectURI, "the test login's"}} {
		r, err := s.probeRedirect(ctx, t, u.uri, u.whose)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	if !check.Failed(out) {
		s.state.RedirectURIs = []string{s.Ticket.redirectURI(), LoopbackRedirectURI}
		s.state.Loopback = []string{LoopbackRedirectURI}
	}
	return out, nil
}

// secretName names the client secret the wizard makes, so an interrupted run can find
// the one it made.
func (s *Session) secretName() string { return "ssowizard " + s.rec.ID }

// DefaultSecretLifetime is the lifetime of a secret the wizard makes: the longest the
// portal recommends.
const DefaultSecretLifetime = 24 * 30 * 24 * time.Hour

func (s *Session) clientSecret(ctx context.Context, t *Target, st *StepState, auto, resumed bool) ([]check.Result, error) {
	var out []check.Result
	now := s.e.now()
	var value string
	if auto {
		if resumed {
			// A secret made before the interruption is unusable: its value is lost.
			cur, err := t.Directory.Application(ctx, s.state.App)
			if err != nil {
				return nil, err
			}
			for _, sec := range cur.Secrets {
				// Every secret this session made is replaced: one made before a kill
				// has lost its value, and one an interrupt recorded may have too.
				if sec.DisplayName == s.secretName() {
					if err := t.Directory.RemovePassword(ctx, s.state.App, sec.KeyID); err != nil {
						return nil, err
					}
					out = append(out, ok("orphan-removed", InClientSecret, fmt.Sprintf("Removed secret %s, made before the interruption, whose value was lost.", sec.KeyID)))
				}
			}
		}
		pw, err := t.Directory.AddPassword(ctx, s.state.App, s.secretName(), now.Add(DefaultSecretLifetime))
		if err != nil {
			return out, err
		}
		if err := s.e.Secrets.Put(s.rec.ID, InClientSecret, pw.Value); err != nil {
			return out, fmt.Errorf("keeping the new client secret: %w", err)
		}
		value = pw.Value
		s.state.Secret = &SecretRecord{KeyID: pw.KeyID, Hint: pw.Hint, End: pw.End, Kept: s.e.Secrets.Kind()}
		out = append(out, ok("secret-created", InClientSecret, fmt.Sprintf("Made client secret %s (%s…), kept in the %s.", pw.KeyID, pw.Hint, s.e.Secrets.Kind())))
	} else {
		v, found, err := s.secretValue(InClientSecret)
		if err != nil {
			return nil, err
		}
		if !found {
			return []check.Result{fail("secret-missing", InClientSecret, "No client secret value was given (it is not kept between runs without a keyring).",
				"Paste the secret's Value from Certificates & secrets.")}, nil
		}
		r := check.SecretValue(v, nil)
		out = append(out, r)
		if r.Failed() {
			return out, nil
		}
		value = v
		rec := &SecretRecord{Hint: hint(v), Kept: s.e.Secrets.Kind()}
		if e := st.Inputs[InSecretExpires]; e != "" {
			end, err := time.Parse(time.DateOnly, e)
			if err != nil {
				return append(out, fail("bad-date", InSecretExpires, fmt.Sprintf("%q is not a date.", e), "Give the Expires date as YYYY-MM-DD.")), nil
			}
			rec.End = end
		}
		s.state.Secret = rec
	}
	code, desc, err := s.probeSecret(ctx, t, value, auto)
	if err != nil {
		return out, err
	}
	pr := check.Probe(code, desc)
	if code == 0 {
		pr = ok("secret-works", InClientSecret, "Entra accepts the client ID and secret (an app-only token was issued and dropped).")
	}
	out = append(out, pr)
	if s.state.Secret.End.IsZero() {
		out = append(out, warn("secret-expiry-unknown", InSecretExpires, "The secret's expiry date is unknown, so no reminder can be set.",
			"Give the Expires date shown under Certificates & secrets."))
	} else {
		out = append(out, check.Expiry("client secret", s.state.Secret.End, now))
		s.setReminders("client secret", s.state.Secret.End)
	}
	return out, nil
}

func hint(v string) string {
	if len(v) < 3 {
		return ""
	}
	return v[:3]
}

// probeSecret probes the client ID and secret; a secret just made through Graph can
// take a few seconds to be accepted, so automatic mode retries 7000215 briefly.
func (s *Session) probeSecret(ctx context.Context, t *Target, value string, auto bool) (int, string, error) {
	for attempt := 0; ; attempt++ {
		code, desc, err := ProbeClientCredentials(ctx, t.client(), t.LoginBase, s.state.TenantID, s.state.App.AppID, value)
		if err != nil || !auto || code != 7000215 || attempt >= 5 {
			return code, desc, err
		}
		select {
		case <-ctx.Done():
			return 0, "", ctx.Err()
		case <-time.After(time.Duration(attempt+1) * time.Second):
		}
	}
}

func (s *Session) setReminders(what string, end time.Time) {
	s.state.Reminders = slices.DeleteFunc(s.state.Reminders, func(r check.Reminder) bool { return r.What == what })
	s.state.Reminders = append(s.state.Reminders, check.Reminders(what, end)...)
}

func (s *Session) domain(ctx context.Context, t *Target, st *StepState, auto bool) ([]check.Result, error) {
	var tenantDomains []directory.Domain
	if t.Directory != nil {
		ds, err := t.Directory.Domains(ctx)
		if err != nil {
			return nil, err
		}
		tenantDomains = ds
		if st.Inputs[InDomains] == "" && auto {
			for _, d := range ds {
				if d.Default && !d.Initial && d.Verified {
					if st.Inputs == nil {
						st.Inputs = map[string]string{}
					}
					st.Inputs[InDomains] = d.Name
				}
			}
		}
	}
	list, out := check.Domains(st.Inputs[InDomains])
	if len(list) == 0 && !check.Failed(out) {
		out = append(out, fail("no-domain", InDomains, "No domain was given.", "Give the e-mail domain your users sign in with, e.g. contoso.com."))
	}
	if check.Failed(out) {
		return out, nil
	}
	for _, d := range list {
		if tenantDomains != nil {
			if r := check.DomainInTenant(d, tenantDomains); r.Failed() || r.Severity == check.Warning {
				out = append(out, r)
				if r.Failed() {
					continue
				}
			}
		}
		tid, code, err := DiscoverTenant(ctx, t.client(), t.LoginBase, d)
		var derr error
		if err != nil {
			return out, err
		}
		if code != 0 {
			derr = fmt.Errorf("AADSTS%d: the domain is not known to Entra", code)
		}
		out = append(out, check.DomainDiscovery(d, s.state.TenantID, tid, derr))
	}
	if !check.Failed(out) {
		s.state.Domains = list
	}
	return out, nil
}

func yes(v string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "y", "true", "on", "1":
		return true, true
	case "no", "n", "false", "off", "0":
		return false, true
	}
	return false, false
}

func splitList(v string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == '\n' }) {
		if f = strings.TrimSpace(f); f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// findPrincipal looks a user up by sign-in name or mail, or a group by name.
func findPrincipal(ctx context.Context, d Directory, term string) (Principal, error) {
	if strings.Contains(term, "@") {
		us, err := d.SearchUsers(ctx, term)
		if err != nil {
			return Principal{}, err
		}
		for _, u := range us {
			if strings.EqualFold(u.UserPrincipalName, term) || strings.EqualFold(u.Mail, term) {
				return u, nil
			}
		}
		return Principal{}, fmt.Errorf("no user signs in as %s", term)
	}
	gs, err := d.SearchGroups(ctx, term)
	if err != nil {
		return Principal{}, err
	}
	for _, g := range gs {
		if strings.EqualFold(g.DisplayName, term) {
			return g, nil
		}
	}
	return Principal{}, fmt.Errorf("no group is named %q", term)
}

func (s *Session) autoAssignments(ctx context.Context, t *Target, st *StepState) ([]check.Result, error) {
	var out []check.Result
	required, okv := yes(st.Inputs[InAssignmentRequired])
	if !okv {
		return []check.Result{fail("bad-yes-no", InAssignmentRequired, fmt.Sprintf("%q is neither yes nor no.", st.Inputs[InAssignmentRequired]), "Answer yes or no.")}, nil
	}
	terms := splitList(st.Inputs[InPrincipals])
	if len(terms) == 0 && required {
		return []check.Result{fail("nobody-assigned", InPrincipals, "Nobody would be assigned, and with assignment required nobody could sign in.",
			"Name the users or groups who use "+s.Ticket.Vendor+".")}, nil
	}
	for _, term := range terms {
		p, err := findPrincipal(ctx, t.Directory, term)
		if err != nil {
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
			out = append(out, fail("principal-not-found", InPrincipals, strings.ToUpper(err.Error()[:1])+err.Error()[1:]+".", "Check the name, or assign by hand in Users and groups."))
			continue
		}
		if _, err := t.Directory.Assign(ctx, s.state.App, p); err != nil {
			return out, err
		}
		out = append(out, ok("assigned", InPrincipals, fmt.Sprintf("Assigned %s %s.", strings.ToLower(p.Type), p.DisplayName)))
	}
	if check.Failed(out) {
		return out, nil
	}
	if err := t.Directory.RequireAssignment(ctx, s.state.App, required); err != nil {
		return out, err
	}
	as, err := t.Directory.ListAssignments(ctx, s.state.App)
	if err != nil {
		return out, err
	}
	s.state.Assigned = nil
	for _, a := range as {
		s.state.Assigned = append(s.state.Assigned, Principal{ID: a.PrincipalID, Type: a.PrincipalType, DisplayName: a.PrincipalDisplayName})
	}
	s.state.AssignmentRequired = &required
	if !required {
		out = append(out, warn("assignment-not-required", InAssignmentRequired, "Assignment is not required, so everyone in the tenant can sign in to "+s.Ticket.Vendor+".",
			"Set Assignment required to Yes unless that is intended."))
	}
	if hasGroup(s.state.Assigned) {
		out = append(out, warn("nested-groups", InPrincipals, "Entra grants access only to direct members of an assigned group, not to members of groups nested in it.",
			"Assign the nested groups themselves, or their members."))
	}
	return out, nil
}

func hasGroup(ps []Principal) bool {
	return slices.ContainsFunc(ps, func(p Principal) bool { return p.Type == "Group" })
}

func (s *Session) manualAssignments(st *StepState) ([]check.Result, error) {
	required, okv := yes(st.Inputs[InAssignmentRequired])
	if !okv {
		return []check.Result{fail("bad-yes-no", InAssignmentRequired, fmt.Sprintf("%q is neither yes nor no.", st.Inputs[InAssignmentRequired]),
			"Answer yes or no, as the enterprise app's Properties show Assignment required.")}, nil
	}
	terms := splitList(st.Inputs[InPrincipals])
	if required && len(terms) == 0 {
		return []check.Result{fail("nobody-assigned", InPrincipals, "Nobody is assigned, and with assignment required nobody can sign in.",
			"Assign the users or groups who use "+s.Ticket.Vendor+" under Users and groups, and list them here.")}, nil
	}
	s.state.AssignmentRequired = &required
	s.state.Assigned = nil
	for _, term := range terms {
		s.state.Assigned = append(s.state.Assigned, Principal{DisplayName: term})
	}
	out := []check.Result{ok("assignments-recorded", InPrincipals, "Recorded the assignments; the test login shows whether a user gets in.")}
	if !required {
		out = append(out, warn("assignment-not-required", InAssignmentRequired, "Assignment is not required, so everyone in the tenant can sign in to "+s.Ticket.Vendor+".",
			"Set Assignment required to Yes unless that is intended."))
	}
	return out, nil
}
