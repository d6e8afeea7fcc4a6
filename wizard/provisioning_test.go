package wizard_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/harness/graphapi"
	"github.com/ssowizard/ssowizard/harness/scim/scimserver"
	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/wizard"
	"github.com/ssowizard/ssowizard/wizard/check"
)

// syncDirectory is storeDirectory with the synchronization calls made through the
// harness's Graph API, as the setup app with client credentials: the provisioning
// engine behind it is the harness's own.
type syncDirectory struct {
	*storeDirectory
	f   *fixture
	tok string
}

var _ wizard.Provisioner = (*syncDirectory)(nil)

func newSyncDirectory(t *testing.T, f *fixture) *syncDirectory {
	t.Helper()
	setup, _ := f.srv.Store.AppByID(tenant.DemoSetupAppID)
	resp, err := f.srv.Client().PostForm(f.srv.BaseURL+"/"+tenant.DemoTenantID+"/oauth2/v2.0/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {tenant.DemoSetupAppID}, "client_secret": {setup.Secrets[0].Value}, "scope": {"https://graph.microsoft.com/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || tr.AccessToken == "" {
		t.Fatalf("setup app token: %d %v", resp.StatusCode, err)
	}
	return &syncDirectory{storeDirectory: &storeDirectory{s: f.srv.Store}, f: f, tok: tr.AccessToken}
}

// graph sends one Graph call; an error status becomes Graph's message.
func (d *syncDirectory) graph(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.f.srv.BaseURL+"/v1.0"+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+d.tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := d.f.srv.Client().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct{ Message string } `json:"error"`
		}
		_ = json.Unmarshal(raw, &e)
		if e.Error.Message == "" {
			return fmt.Errorf("graph %s %s answered %d", method, path, resp.StatusCode)
		}
		return errors.New(e.Error.Message)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

func syncPath(app wizard.App) string {
	return "/servicePrincipals/" + app.ServicePrincipalID + "/synchronization"
}

func (d *syncDirectory) SyncTemplates(ctx context.Context, app wizard.App) ([]string, error) {
	var r struct{ Value []struct{ ID string } }
	err := d.graph(ctx, "GET", syncPath(app)+"/templates", nil, &r)
	var out []string
	for _, v := range r.Value {
		out = append(out, v.ID)
	}
	return out, err
}

type graphJob struct {
	ID         string
	TemplateID string
	Status     struct{ Code string }
}

func (j graphJob) job() wizard.SyncJob {
	return wizard.SyncJob{ID: j.ID, TemplateID: j.TemplateID, Status: j.Status.Code}
}

func (d *syncDirectory) SyncJobs(ctx context.Context, app wizard.App) ([]wizard.SyncJob, error) {
	var r struct{ Value []graphJob }
	err := d.graph(ctx, "GET", syncPath(app)+"/jobs", nil, &r)
	var out []wizard.SyncJob
	for _, j := range r.Value {
		out = append(out, j.job())
	}
	return out, err
}

func (d *syncDirectory) CreateSyncJob(ctx context.Context, app wizard.App, templateID string) (wizard.SyncJob, error) {
	var j graphJob
	err := d.graph(ctx, "POST", syncPath(app)+"/jobs", map[string]any{"templateId": templateID}, &j)
	return j.job(), err
}

func (d *syncDirectory) SetSyncSecrets(ctx context.Context, app wizard.App, secrets []wizard.SyncSecret) error {
	var kv []map[string]string
	for _, s := range secrets {
		kv = append(kv, map[string]string{"key": s.Key, "value": s.Value})
	}
	return d.graph(ctx, "PUT", syncPath(app)+"/secrets", map[string]any{"value": kv}, nil)
}

func (d *syncDirectory) ValidateSyncCredentials(ctx context.Context, app wizard.App, jobID string) error {
	return d.graph(ctx, "POST", syncPath(app)+"/jobs/"+jobID+"/validateCredentials", map[string]any{"useSavedCredentials": true}, nil)
}

func (d *syncDirectory) StartSyncJob(ctx context.Context, app wizard.App, jobID string) error {
	return d.graph(ctx, "POST", syncPath(app)+"/jobs/"+jobID+"/start", nil, nil)
}

func (d *syncDirectory) ProvisionOnDemand(ctx context.Context, app wizard.App, jobID, userID string) (wizard.OnDemandResult, error) {
	var r struct{ Key, Value string }
	err := d.graph(ctx, "POST", syncPath(app)+"/jobs/"+jobID+"/provisionOnDemand", map[string]any{"parameters": []any{map[string]any{
		"ruleId": "", "subjects": []any{map[string]any{"objectId": userID, "objectTypeName": "User"}}}}}, &r)
	if err != nil {
		return wizard.OnDemandResult{}, err
	}
	var key struct {
		Result  string
		Details struct{ ErrorCode, ErrorMessage string }
	}
	var value struct {
		TargetIdentity struct{ ID string } `json:"targetIdentity"`
	}
	if err := json.Unmarshal([]byte(r.Key), &key); err != nil {
		return wizard.OnDemandResult{}, err
	}
	_ = json.Unmarshal([]byte(r.Value), &value)
	return wizard.OnDemandResult{Result: key.Result, ErrorCode: key.Details.ErrorCode, ErrorMessage: key.Details.ErrorMessage, TargetID: value.TargetIdentity.ID}, nil
}

func (d *syncDirectory) ProvisioningLogs(ctx context.Context, app wizard.App, jobID string) ([]wizard.ProvisioningLog, error) {
	var r struct {
		Value []struct {
			JobID                  string `json:"jobId"`
			ProvisioningAction     string `json:"provisioningAction"`
			ProvisioningStatusInfo struct {
				Status           string
				ErrorInformation *struct{ Reason string } `json:"errorInformation"`
			} `json:"provisioningStatusInfo"`
			SourceIdentity    struct{ ID, DisplayName string } `json:"sourceIdentity"`
			TargetIdentity    struct{ ID *string }             `json:"targetIdentity"`
			ProvisioningSteps []struct {
				Name, Status, Description string
				Details                   map[string]string
			} `json:"provisioningSteps"`
		}
	}
	if err := d.graph(ctx, "GET", "/auditLogs/provisioning", nil, &r); err != nil {
		return nil, err
	}
	var out []wizard.ProvisioningLog
	for _, e := range r.Value {
		if e.JobID != jobID {
			continue
		}
		l := wizard.ProvisioningLog{Action: e.ProvisioningAction, Status: e.ProvisioningStatusInfo.Status, SourceID: e.SourceIdentity.ID, SourceName: e.SourceIdentity.DisplayName}
		if e.ProvisioningStatusInfo.ErrorInformation != nil {
			l.Reason = e.ProvisioningStatusInfo.ErrorInformation.Reason
		}
		if e.TargetIdentity.ID != nil {
			l.TargetID = *e.TargetIdentity.ID
		}
		for _, s := range e.ProvisioningSteps {
			l.Steps = append(l.Steps, wizard.ProvisioningStep{Name: s.Name, Status: s.Status, Description: s.Description,
				Request: s.Details["Request"], Response: s.Details["Response"], StatusCode: s.Details["StatusCode"]})
		}
		out = append(out, l)
	}
	return out, nil
}

// receiver is the embedded SCIM receiver on loopback, as the offline demo runs it.
func receiver(t *testing.T, token string) (*scimserver.Server, string) {
	t.Helper()
	rcv := scimserver.New(scimserver.Options{BearerToken: token})
	base, closeFn, err := rcv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFn() })
	return rcv, base
}

// filesTicket is the Files.com-like ticket (SAML plus SCIM) with its SCIM base on the
// receiver and its SAML side the demo tenant's vendor app, which stands for the app an
// admin made by hand.
func filesTicket(t *testing.T, scimBase string, protocol string) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/filescom_scim_ticket.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["scim"].(map[string]any)["base_url"] = scimBase
	m["saml"] = map[string]any{"entity_id": tenant.DemoEntityID, "acs_url": tenant.DemoReplyURL}
	m["protocols"] = []string{protocol}
	if protocol == "oidc" {
		m["oidc"] = map[string]any{"redirect_uri": "https://app.files.example/oidc/callback"}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wizard.ParseTicket(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestProvisioningOnlyWhenTheTicketAsks(t *testing.T) {
	for _, p := range []wizard.Protocol{wizard.OIDC, wizard.SAML} {
		if got := wizard.TicketSteps(p, wizard.DemoTicket()); strings.Contains(fmt.Sprint(got), string(wizard.StepProvisioning)) {
			t.Errorf("%s without scim: %v", p, got)
		}
		tk, err := wizard.ParseTicket(filesTicket(t, "https://v.example/scim", string(p)))
		if err != nil {
			t.Fatal(err)
		}
		got := wizard.TicketSteps(p, tk)
		if n := len(got); n < 2 || got[n-2] != wizard.StepProvisioning || got[n-1] != wizard.StepEnable {
			t.Errorf("%s with scim: %v, want provisioning just before enable", p, got)
		}
	}
}

const scimToken = "files-scim-token-7f3a9c"

func TestManualSAMLWithSCIM(t *testing.T) {
	f := newFixture(t)
	rcv, base := receiver(t, scimToken)
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><body>Files.com</body></html>")
	}))
	t.Cleanup(html.Close)
	s, err := f.engine.Create(ctx(t), wizard.NewSession{Ticket: filesTicket(t, base, "saml"), Protocol: wizard.SAML, Target: "harness", Mode: wizard.Manual})
	if err != nil {
		t.Fatal(err)
	}
	mdURL := f.srv.BaseURL + "/" + tenant.DemoTenantID + "/federationmetadata/2007-06/federationmetadata.xml?appid=" + tenant.DemoAppID
	walk(t, f, s, []mistake{
		{name: "app", step: wizard.StepEnterpriseApp, good: map[string]string{wizard.InAppID: tenant.DemoAppID, wizard.InTenantID: tenant.DemoTenantID}},
		{name: "urls", step: wizard.StepSAMLURLs, good: map[string]string{wizard.InEntityID: tenant.DemoEntityID, wizard.InReplyURL: tenant.DemoReplyURL}},
		{name: "metadata", step: wizard.StepIdPMetadata, good: map[string]string{wizard.InMetadataURL: mdURL}},
		{name: "domain", step: wizard.StepDomain, good: map[string]string{wizard.InDomains: tenant.DemoDomain}},
		{name: "assignments", step: wizard.StepAssignments, good: map[string]string{wizard.InAssignmentRequired: "yes", wizard.InPrincipals: "Vendor Users"}},
		{name: "test", step: wizard.StepTest, good: map[string]string{}},
		{name: "SCIM over plain http", step: wizard.StepProvisioning,
			bad:   map[string]string{wizard.InSCIMBaseURL: "http://scim.files.example/api/scim", wizard.InSCIMToken: scimToken},
			field: "scim_base_url", says: "plain http",
			good: map[string]string{wizard.InSCIMBaseURL: base}},
		{name: "not a SCIM endpoint", step: wizard.StepProvisioning,
			bad: map[string]string{wizard.InSCIMBaseURL: html.URL + "/api/scim"}, field: "scim_base_url", says: "did not answer as a SCIM service",
			good: map[string]string{wizard.InSCIMBaseURL: ""}},
		{name: "wrong token", step: wizard.StepProvisioning,
			bad: map[string]string{wizard.InSCIMToken: "expired-token"}, field: "scim_token", says: "refused the credentials",
			good: map[string]string{wizard.InSCIMToken: scimToken}},
		{name: "enable", step: wizard.StepEnable, good: map[string]string{wizard.InLoginMethods: "both"}},
	})
	if !s.Done() || s.Status() != wizard.SessionEnabled {
		t.Fatalf("the SAML + SCIM setup ended %s", s.Status())
	}
	st := s.Step(wizard.StepProvisioning)
	if !hasCheck(st, "scim-request") || !hasCheck(st, "scim-test-connection") || hasCheck(st, "scim-unmapped") || check.Failed(st.Checks) {
		t.Errorf("provisioning checks: %+v", st.Checks)
	}
	var sawFilter bool
	for _, r := range rcv.Requests() {
		sawFilter = sawFilter || (r.Method == "GET" && r.Path == "/Users" && strings.Contains(r.Query, "filter=") && r.Status == 200)
	}
	if !sawFilter {
		t.Errorf("the receiver saw no Test Connection filter: %+v", rcv.Requests())
	}
	if len(rcv.Users()) != 0 {
		t.Errorf("Test Connection created users: %v", rcv.Users())
	}
	assertSCIMReminder(t, s)
	assertTokenNotStored(t, f)
}

func assertSCIMReminder(t *testing.T, s *wizard.Session) {
	t.Helper()
	for _, r := range s.State().Reminders {
		if r.What == "SCIM token" && r.Expires.Format("2006-01-02") == "2027-12-01" {
			return
		}
	}
	t.Errorf("no SCIM token reminder for 2027-12-01: %+v", s.State().Reminders)
}

// assertTokenNotStored reads the database file whole: the SCIM token is in none of it.
func assertTokenNotStored(t *testing.T, f *fixture) {
	t.Helper()
	for _, p := range []string{f.dbPath, f.dbPath + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if bytes.Contains(b, []byte(scimToken)) {
			t.Errorf("%s holds the SCIM token", p)
		}
	}
}

func TestAutoProvisioningOnTheHarness(t *testing.T) {
	f := newFixture(t)
	rcv, base := receiver(t, scimToken)
	dir := newSyncDirectory(t, f)
	tgt := f.alice()
	tgt.Directory = dir
	s, err := f.engine.Create(ctx(t), wizard.NewSession{Ticket: filesTicket(t, base, "oidc"), Protocol: wizard.OIDC, Target: "harness", Mode: wizard.Auto})
	if err != nil {
		t.Fatal(err)
	}
	alice := "alice@" + tenant.DemoDomain
	apply(t, s, wizard.StepAssignments, map[string]string{wizard.InPrincipals: "Vendor Users, " + alice})
	apply(t, s, wizard.StepEnable, map[string]string{wizard.InRemoveLoopback: "yes"})
	apply(t, s, wizard.StepProvisioning, map[string]string{wizard.InSCIMToken: "wrong-token"})
	last, err := s.RunAll(ctx(t), tgt)
	if err != nil || last.Name != wizard.StepProvisioning || last.Status != wizard.Failed {
		t.Fatalf("with a wrong token RunAll ended at %s: %s %v %s", last.Name, last.Status, err, last.Error)
	}
	r := failedCheck(last)
	if r == nil || r.ID != "scim-validate" || r.Field != wizard.InSCIMToken || !strings.Contains(r.Message, "401") {
		t.Fatalf("the failing check is %+v; want Entra's Test Connection naming the 401", r)
	}
	if !slices.ContainsFunc(last.Checks, func(c check.Result) bool {
		return c.ID == "scim-test-connection" && strings.Contains(c.Detail, "401") && strings.Contains(c.Message, "refused")
	}) {
		t.Errorf("the failed Test Connection does not show the vendor's answer: %+v", last.Checks)
	}
	if len(rcv.Users()) != 0 {
		t.Errorf("users provisioned with a wrong token: %v", rcv.Users())
	}

	apply(t, s, wizard.StepProvisioning, map[string]string{wizard.InSCIMToken: scimToken})
	last, err = s.RunAll(ctx(t), tgt)
	if err != nil || !s.Done() {
		t.Fatalf("RunAll ended at %s: %s %v %+v %s", last.Name, last.Status, err, last.Checks, last.Error)
	}
	st := s.Step(wizard.StepProvisioning)
	if !hasCheck(st, "scim-on-demand") || !hasCheck(st, "scim-request") || !hasCheck(st, "scim-started") {
		t.Errorf("provisioning checks: %+v", st.Checks)
	}
	var got []string
	for _, u := range rcv.Users() {
		got = append(got, fmt.Sprint(u["userName"]))
	}
	if !strings.Contains(strings.Join(got, " "), alice) {
		t.Errorf("the receiver has %v; want %s among them", got, alice)
	}
	// The job was made once: a second run adopts it.
	jobs, err := dir.SyncJobs(ctx(t), s.State().App)
	if err != nil || len(jobs) != 1 {
		t.Errorf("jobs: %+v %v", jobs, err)
	}
	assertSCIMReminder(t, s)
	assertTokenNotStored(t, f)
}

func TestAutoProvisioningWithoutSynchronization(t *testing.T) {
	f := newFixture(t)
	_, base := receiver(t, scimToken)
	tgt := f.alice()
	tgt.Directory = &storeDirectory{s: f.srv.Store} // no synchronization calls, as cmd's today
	s, err := f.engine.Create(ctx(t), wizard.NewSession{Ticket: filesTicket(t, base, "oidc"), Protocol: wizard.OIDC, Target: "harness", Mode: wizard.Auto})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, s, wizard.StepAssignments, map[string]string{wizard.InPrincipals: "Vendor Users, alice@" + tenant.DemoDomain})
	apply(t, s, wizard.StepProvisioning, map[string]string{wizard.InSCIMToken: scimToken})
	last, err := s.RunAll(ctx(t), tgt)
	if err != nil || last.Name != wizard.StepProvisioning || last.Status != wizard.Failed {
		t.Fatalf("RunAll ended at %s: %s %v", last.Name, last.Status, err)
	}
	if !strings.Contains(last.Error, "manual") || strings.Count(last.Error, ". ") > 0 {
		t.Errorf("the step's error is %q; want one sentence pointing to a manual setup", last.Error)
	}
	if s.Status() == wizard.SessionEnabled {
		t.Error("the connection was enabled although provisioning was not set up")
	}
}

// The SAML calls the store fake lacks, made through the harness's Graph API as
// package graph makes them.

func (d *syncDirectory) InstantiateSAMLApp(ctx context.Context, name string) (wizard.App, error) {
	var r struct {
		Application      struct{ ID, AppID, DisplayName string }
		ServicePrincipal struct{ ID string }
	}
	if err := d.graph(ctx, "POST", "/applicationTemplates/"+graphapi.NonGalleryTemplateID+"/instantiate", map[string]any{"displayName": name}, &r); err != nil {
		return wizard.App{}, err
	}
	return wizard.App{ObjectID: r.Application.ID, AppID: r.Application.AppID, ServicePrincipalID: r.ServicePrincipal.ID, DisplayName: r.Application.DisplayName}, nil
}

func (d *syncDirectory) SetSAMLURLs(ctx context.Context, app wizard.App, entityID, replyURL, relayState string) error {
	if err := d.graph(ctx, "PATCH", "/applications/"+app.ObjectID, map[string]any{"identifierUris": []string{entityID},
		"web": map[string]any{"redirectUris": []string{replyURL}}}, nil); err != nil {
		return err
	}
	return d.graph(ctx, "PATCH", "/servicePrincipals/"+app.ServicePrincipalID, map[string]any{"preferredSingleSignOnMode": "saml",
		"samlSingleSignOnSettings": map[string]any{"relayState": relayState}}, nil)
}

func (d *syncDirectory) AddTokenSigningCertificate(ctx context.Context, app wizard.App, subject string, end time.Time) (wizard.SigningCertificate, error) {
	var r struct {
		KeyID, Thumbprint          string
		Key                        []byte
		StartDateTime, EndDateTime time.Time
	}
	if err := d.graph(ctx, "POST", "/servicePrincipals/"+app.ServicePrincipalID+"/addTokenSigningCertificate",
		map[string]any{"displayName": subject, "endDateTime": end.UTC()}, &r); err != nil {
		return wizard.SigningCertificate{}, err
	}
	cert, err := x509.ParseCertificate(r.Key)
	if err != nil {
		return wizard.SigningCertificate{}, err
	}
	return wizard.SigningCertificate{KeyID: r.KeyID, Thumbprint: strings.ToUpper(r.Thumbprint), Certificate: cert, Start: r.StartDateTime, End: r.EndDateTime}, nil
}

func (d *syncDirectory) ActivateSigningCertificate(ctx context.Context, app wizard.App, thumbprint string) error {
	return d.graph(ctx, "PATCH", "/servicePrincipals/"+app.ServicePrincipalID, map[string]any{"preferredTokenSigningKeyThumbprint": thumbprint}, nil)
}

// Files.com's SAML + SCIM setup, every step through Graph on the harness: the SAML app
// made from the non-gallery template, then its provisioning job pushing the test user
// to the embedded receiver.
func TestAutoSAMLWithSCIMOnTheHarness(t *testing.T) {
	f := newFixture(t)
	rcv, base := receiver(t, scimToken)
	dir := newSyncDirectory(t, f)
	tgt := f.alice()
	tgt.Directory = dir
	raw := filesTicket(t, base, "saml")
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	m["saml"] = map[string]any{"entity_id": "https://app.files.example/saml/metadata", "acs_url": "https://app.files.example/saml/acs"}
	raw, _ = json.Marshal(m)
	s, err := f.engine.Create(ctx(t), wizard.NewSession{Ticket: raw, Protocol: wizard.SAML, Target: "harness", Mode: wizard.Auto})
	if err != nil {
		t.Fatal(err)
	}
	alice := "alice@" + tenant.DemoDomain
	apply(t, s, wizard.StepAssignments, map[string]string{wizard.InPrincipals: "Vendor Users, " + alice})
	apply(t, s, wizard.StepEnable, map[string]string{wizard.InRemoveLoopback: "yes"})
	apply(t, s, wizard.StepProvisioning, map[string]string{wizard.InSCIMToken: scimToken})
	last, err := s.RunAll(ctx(t), tgt)
	if err != nil || !s.Done() || s.Status() != wizard.SessionEnabled {
		t.Fatalf("RunAll ended at %s: %s %v %+v %s", last.Name, last.Status, err, last.Checks, last.Error)
	}
	for _, st := range s.Steps() {
		if st.Status != wizard.Verified {
			t.Errorf("%s is %s", st.Name, st.Status)
		}
	}
	if ps := s.Step(wizard.StepProvisioning); !hasCheck(ps, "scim-on-demand") || !hasCheck(ps, "scim-request") {
		t.Errorf("provisioning checks: %+v", s.Step(wizard.StepProvisioning).Checks)
	}
	var found bool
	for _, u := range rcv.Users() {
		found = found || u["userName"] == alice
	}
	if !found {
		t.Errorf("the receiver does not have %s: %v", alice, rcv.Users())
	}
	assertSCIMReminder(t, s)
	assertTokenNotStored(t, f)
}
