package wizard

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ssowizard/ssowizard/wizard/check"
)

// StepProvisioning sets up SCIM provisioning from Entra to the vendor, when the ticket
// asks for it, and proves it: Entra's Test Connection, and in automatic mode the test
// user provisioned on demand with the SCIM requests the provisioning log shows.
const StepProvisioning StepName = "provisioning"

// Input keys of the Provisioning step. The token and the basic password are secrets:
// kept by the secret keeper, never stored with the session.
const (
	InSCIMBaseURL      = "scim_base_url"
	InSCIMToken        = "scim_token"
	InSCIMUser         = "scim_user"
	InSCIMPassword     = "scim_password"
	InSCIMTokenExpires = "scim_token_expires"
	InSCIMTestUser     = "scim_test_user"
)

func init() {
	secretInputs[InSCIMToken] = true
	secretInputs[InSCIMPassword] = true
}

var provisioningStep = &Step{
	Name:       StepProvisioning,
	Title:      "Provisioning (SCIM)",
	Verifies:   "The vendor's SCIM endpoint answers Entra's Test Connection with the token, and (automatic mode) the test user is provisioned on demand.",
	AutoInputs: []Input{{Key: InSCIMTestUser, Label: "User to provision on demand", Optional: true, Hint: "an assigned user's sign-in name; empty takes the test user"}},
	// The Tenant URL a vendor gives one customer (or the harness's embedded receiver
	// gives the demo-scim ticket) overrides the ticket's in either mode.
	autoTakes:    []string{InSCIMBaseURL},
	instructions: provisioningInstructions,
	auto:         (*Session).autoProvisioning,
	manual:       (*Session).manualProvisioning,
}

func provisioningInstructions(s *Session) Instructions {
	c := s.Ticket.SCIM
	if c == nil {
		c = &TicketSCIM{}
	}
	scope := "Under Settings, set Scope to \"Sync only assigned users and groups\"."
	mappings := "Open Mappings: keep \"Provision Microsoft Entra ID Users\" on"
	if c.Groups {
		mappings += " and \"Provision Microsoft Entra ID Groups\" on"
	} else {
		mappings += " and turn \"Provision Microsoft Entra ID Groups\" off (the vendor takes users only)"
	}
	mappings += "; check that userName comes from userPrincipalName."
	if len(c.RequiredAttributes) > 0 {
		mappings = strings.TrimSuffix(mappings, ".") + ", and that the vendor's required attributes are mapped: " + strings.Join(c.RequiredAttributes, ", ") + "."
	}
	secret := "Paste the vendor's SCIM token as Secret Token."
	in := []Input{{Key: InSCIMToken, Label: "SCIM token (Secret Token)", Secret: true, Hint: "the token the vendor issued for Entra"}}
	if c.AuthKind() == SCIMBasic {
		secret = "The vendor issues a username and password instead of a token: enter them where the app's provisioning page asks for them."
		in = []Input{{Key: InSCIMUser, Label: "SCIM username"}, {Key: InSCIMPassword, Label: "SCIM password", Secret: true}}
	}
	in = append(in, Input{Key: InSCIMBaseURL, Label: "Tenant URL", Optional: true, Hint: "empty takes the ticket's"},
		Input{Key: InSCIMTokenExpires, Label: "Token expires (YYYY-MM-DD)", Optional: true})
	return Instructions{
		Blade: enterpriseBlade("ProvisioningManagement", s.state.App),
		Text: []string{
			"Open Enterprise applications > " + s.Ticket.DisplayName() + " > Provisioning, and set Provisioning Mode to Automatic.",
			"Under Admin Credentials, paste the Tenant URL below. " + secret,
			"Choose Test Connection; Entra asks the vendor for a user nobody has and expects an empty answer.",
			mappings,
			scope,
			"Set Provisioning Status to On and Save (Start provisioning): assigned users then reach the vendor within the next cycle, or at once with Provision on demand.",
			"Paste the token here too: the wizard sends Entra's Test Connection request itself. It goes to this computer's keyring, never to the wizard's database or logs.",
		},
		Copy:   []CopyValue{{"Tenant URL", c.TenantURL()}},
		Inputs: in,
	}
}

// scimURL is the Tenant URL: the input, else the ticket's.
func (s *Session) scimURL(st *StepState) string {
	if v := strings.TrimSpace(st.Inputs[InSCIMBaseURL]); v != "" {
		return v
	}
	if s.Ticket.SCIM == nil {
		return ""
	}
	return s.Ticket.SCIM.TenantURL()
}

// scimEndpoint is the endpoint with its credentials from the keeper; a failed Result
// when they are missing.
func (s *Session) scimEndpoint(st *StepState) (check.SCIMEndpoint, *check.Result, error) {
	// The vendor's endpoint is not the target's: t.HTTP trusts the harness's CA for
	// login and Graph, while a vendor's SCIM endpoint answers with a public certificate.
	ep := check.SCIMEndpoint{TenantURL: s.scimURL(st)}
	if s.Ticket.SCIM != nil && s.Ticket.SCIM.AuthKind() == SCIMBasic {
		ep.BasicUser = strings.TrimSpace(st.Inputs[InSCIMUser])
		pw, found, err := s.secretValue(InSCIMPassword)
		if err != nil {
			return ep, nil, err
		}
		if ep.BasicUser == "" || !found {
			r := fail("scim-credentials-missing", InSCIMPassword, "The vendor's SCIM username or password was not given (the password is not kept between runs without a keyring).",
				"Enter the SCIM username and password the vendor issued.")
			return ep, &r, nil
		}
		ep.BasicPassword = pw
		return ep, nil, nil
	}
	tok, found, err := s.secretValue(InSCIMToken)
	if err != nil {
		return ep, nil, err
	}
	if !found {
		r := fail("scim-token-missing", InSCIMToken, "No SCIM token was given (it is not kept between runs without a keyring).",
			"Paste the SCIM token the vendor issued for Entra.")
		return ep, &r, nil
	}
	ep.Token = tok
	return ep, nil, nil
}

func (s *Session) manualProvisioning(ctx context.Context, t *Target, st *StepState, _ bool) ([]check.Result, error) {
	ep, missing, err := s.scimEndpoint(st)
	if err != nil || missing != nil {
		return resultList(missing), err
	}
	out := check.SCIMTestConnection(ctx, ep)
	return s.scimTail(out, st), nil
}

// scimTail adds what both modes check after the connection: the required attributes
// and the token's expiry, with its reminders.
func (s *Session) scimTail(out []check.Result, st *StepState) []check.Result {
	c := s.Ticket.SCIM
	if c == nil {
		return out
	}
	if miss := check.SCIMUnmapped(c.RequiredAttributes); len(miss) > 0 {
		out = append(out, warn("scim-unmapped", "", fmt.Sprintf("Entra's default mappings do not send %s, which %s requires.", strings.Join(miss, ", "), s.Ticket.Vendor),
			"Add a mapping for each under Provisioning > Mappings > Provision Microsoft Entra ID Users."))
	}
	end := c.TokenEnd()
	if v := strings.TrimSpace(st.Inputs[InSCIMTokenExpires]); v != "" {
		e, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return append(out, fail("bad-date", InSCIMTokenExpires, fmt.Sprintf("%q is not a date.", v), "Give the token's expiry as YYYY-MM-DD."))
		}
		end = e
	}
	if end.IsZero() {
		return append(out, warn("scim-token-expiry-unknown", InSCIMTokenExpires, "The SCIM token's expiry date is unknown, so no reminder can be set.",
			"Give the expiry the vendor shows for the token (many end after a year)."))
	}
	s.setReminders("SCIM token", end)
	return append(out, check.Expiry("SCIM token", end, s.e.now()))
}

func resultList(r *check.Result) []check.Result {
	if r == nil {
		return nil
	}
	return []check.Result{*r}
}

func (s *Session) autoProvisioning(ctx context.Context, t *Target, st *StepState, _ bool) ([]check.Result, error) {
	p, can := t.Directory.(Provisioner)
	if !can {
		return nil, fmt.Errorf("this Graph client cannot set provisioning up yet: set it up by hand with a manual-mode setup, which tests the vendor's endpoint itself")
	}
	app := s.state.App
	if s.Ticket.SCIM != nil && s.Ticket.SCIM.AuthKind() == SCIMBasic {
		return []check.Result{fail("scim-basic-auto", InSCIMPassword, "A non-gallery app's provisioning takes only a bearer Secret Token through Graph, and this vendor issues basic credentials.",
			"Ask the vendor for a SCIM token, or set provisioning up by hand in a manual-mode setup.")}, nil
	}
	ep, missing, err := s.scimEndpoint(st)
	if err != nil || missing != nil {
		return resultList(missing), err
	}
	if r := check.SCIMBaseURL(ep.TenantURL); r.Failed() {
		return []check.Result{r}, nil
	}
	var out []check.Result
	job, err := s.syncJob(ctx, p, app)
	if err != nil {
		return nil, err
	}
	out = append(out, ok("scim-job", "", fmt.Sprintf("Provisioning job %s from the %s template.", job.ID, job.TemplateID)))
	if err := p.SetSyncSecrets(ctx, app, []SyncSecret{{SyncBaseAddress, ep.TenantURL}, {SyncSecretToken, ep.Token}}); err != nil {
		return out, err
	}
	out = append(out, ok("scim-secrets", InSCIMToken, "Saved the Tenant URL and the Secret Token on the app's provisioning (the token stays out of the wizard's database)."))
	if err := p.ValidateSyncCredentials(ctx, app, job.ID); err != nil {
		// Entra's reason is one sentence; the wizard's own Test Connection shows the
		// requests and the vendor's answers behind it.
		out = append(out, fail("scim-validate", InSCIMToken, "Entra's Test Connection failed: "+oneSentence(err), "See the requests below; fix the endpoint or the token and run the step again."))
		return append(out, check.SCIMTestConnection(ctx, ep)...), nil
	}
	out = append(out, ok("scim-validate", InSCIMToken, "Entra's Test Connection succeeded with the saved credentials."))
	if err := p.StartSyncJob(ctx, app, job.ID); err != nil {
		return out, err
	}
	out = append(out, ok("scim-started", "", "Started provisioning, scoped to the users and groups assigned to the app."))
	user, r, err := s.provisionTestUser(ctx, t, st)
	if err != nil || r != nil {
		return append(out, resultList(r)...), err
	}
	res, err := p.ProvisionOnDemand(ctx, app, job.ID, user.ID)
	if err != nil {
		return out, err
	}
	logs, err := p.ProvisioningLogs(ctx, app, job.ID)
	if err != nil {
		return out, err
	}
	out = append(out, logResults(logs, user.ID)...)
	switch {
	case res.Result == "Success":
		out = append(out, ok("scim-on-demand", InSCIMTestUser, fmt.Sprintf("%s was provisioned on demand to %s (id %s there).", user.UserPrincipalName, s.Ticket.Vendor, orNone(res.TargetID))))
	case res.Result == "Skipped" && res.ErrorCode == "RedundantExport":
		out = append(out, ok("scim-on-demand", InSCIMTestUser, fmt.Sprintf("%s is already at %s as Entra has it (id %s there): provisioning on demand had nothing to change.", user.UserPrincipalName, s.Ticket.Vendor, orNone(res.TargetID))))
	default:
		out = append(out, fail("scim-on-demand", InSCIMTestUser, fmt.Sprintf("Provisioning %s on demand ended %s: %s.", user.UserPrincipalName, res.Result, strings.TrimSuffix(orNone(res.ErrorMessage), ".")),
			"Read the SCIM requests above: the vendor's answer says what it refused."))
	}
	return s.scimTail(out, st), nil
}

func orNone(v string) string {
	if v == "" {
		return "none"
	}
	return v
}

// syncJob adopts the app's SCIM job, or makes it from the scim template.
func (s *Session) syncJob(ctx context.Context, p Provisioner, app App) (SyncJob, error) {
	jobs, err := p.SyncJobs(ctx, app)
	if err != nil {
		return SyncJob{}, err
	}
	for _, j := range jobs {
		if strings.EqualFold(j.TemplateID, SyncSCIMTemplate) {
			return j, nil
		}
	}
	templates, err := p.SyncTemplates(ctx, app)
	if err != nil {
		return SyncJob{}, err
	}
	found := false
	for _, id := range templates {
		found = found || strings.EqualFold(id, SyncSCIMTemplate)
	}
	if !found {
		return SyncJob{}, fmt.Errorf("the app offers no %q provisioning template (it has %s): it is not a non-gallery app, so set provisioning up by hand", SyncSCIMTemplate, strings.Join(templates, ", "))
	}
	return p.CreateSyncJob(ctx, app, SyncSCIMTemplate)
}

// provisionTestUser is the assigned user to provision on demand: the input, else the
// target's test user, else the first user assigned.
func (s *Session) provisionTestUser(ctx context.Context, t *Target, st *StepState) (Principal, *check.Result, error) {
	term := strings.TrimSpace(st.Inputs[InSCIMTestUser])
	if term == "" {
		term = t.TestUser
	}
	if term == "" {
		for _, a := range s.state.Assigned {
			if a.Type == "User" {
				term = a.UserPrincipalName
				break
			}
		}
	}
	if term == "" {
		r := fail("scim-no-test-user", InSCIMTestUser, "No user to provision on demand is known.", "Name an assigned user's sign-in name.")
		return Principal{}, &r, nil
	}
	users, err := t.Directory.SearchUsers(ctx, term)
	if err != nil {
		return Principal{}, nil, err
	}
	for _, u := range users {
		if strings.EqualFold(u.UserPrincipalName, term) || strings.EqualFold(u.ID, term) {
			return u, nil, nil
		}
	}
	r := fail("scim-test-user-unknown", InSCIMTestUser, fmt.Sprintf("No user %q is in the tenant.", term), "Name an assigned user's sign-in name.")
	return Principal{}, &r, nil
}

// logResults are the SCIM requests of the log entries about a user, oldest first,
// each with the vendor's answer.
func logResults(logs []ProvisioningLog, userID string) []check.Result {
	var out []check.Result
	for i := len(logs) - 1; i >= 0; i-- {
		l := logs[i]
		if !strings.EqualFold(l.SourceID, userID) {
			continue
		}
		for _, ps := range l.Steps {
			r := check.Result{ID: "scim-request", Field: InSCIMTestUser, Severity: check.OK,
				Message: fmt.Sprintf("%s (%s): %s.", l.Action, ps.Name, strings.TrimSuffix(ps.Description, ".")),
				Detail:  check.SCIMDetail(ps.Request, ps.Response)}
			if !strings.EqualFold(ps.Status, "success") {
				r.Severity = check.Error
				r.Fix = "The vendor refused this request: " + strings.TrimSuffix(orNone(l.Reason), ".") + "."
			}
			out = append(out, r)
		}
	}
	return out
}
