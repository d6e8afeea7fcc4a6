package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/auditlogs"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"
)

// The synchronization API of a non-gallery app's SCIM provisioning, and its
// provisioning logs: https://learn.microsoft.com/graph/api/resources/synchronization-overview
// and https://learn.microsoft.com/entra/identity/app-provisioning/application-provisioning-configuration-api.

// Synchronizer sets up and proves a service principal's SCIM provisioning. SDKClient
// implements it; App needs ServicePrincipalID.
type Synchronizer interface {
	SyncTemplates(ctx context.Context, app App) ([]string, error)
	SyncJobs(ctx context.Context, app App) ([]SyncJob, error)
	CreateSyncJob(ctx context.Context, app App, templateID string) (SyncJob, error)
	// SetSyncSecrets saves the credentials; keys are BaseAddress, SecretToken …
	SetSyncSecrets(ctx context.Context, app App, secrets map[string]string) error
	ValidateSyncCredentials(ctx context.Context, app App, jobID string) error
	StartSyncJob(ctx context.Context, app App, jobID string) error
	// ProvisionOnDemand provisions one user with the job's first synchronization rule.
	ProvisionOnDemand(ctx context.Context, app App, jobID, userID string) (OnDemandResult, error)
	// ProvisioningLogs lists the job's provisioning log entries, newest first.
	ProvisioningLogs(ctx context.Context, app App, jobID string) ([]ProvisioningLog, error)
}

var _ Synchronizer = (*SDKClient)(nil)

// SyncJob is a synchronization job.
type SyncJob struct{ ID, TemplateID, Status string }

// OnDemandResult is provisionOnDemand's answer.
type OnDemandResult struct{ Result, ErrorCode, ErrorMessage, TargetID string }

// ProvisioningLog is one provisioningObjectSummary.
type ProvisioningLog struct {
	Action, Status, Reason         string
	SourceID, SourceName, TargetID string
	Steps                          []ProvisioningStep
}

// ProvisioningStep is one of its provisioningSteps, with the SCIM request and answer
// Entra records in its details.
type ProvisioningStep struct {
	Name, Status, Description     string
	Request, Response, StatusCode string
}

var (
	opSyncTemplates = op{"read the provisioning templates", "Synchronization.Read.All"}
	opSyncJobs      = op{"list the provisioning jobs", "Synchronization.Read.All"}
	opSyncCreate    = op{"create the provisioning job", "Synchronization.ReadWrite.All"}
	opSyncSecrets   = op{"save the provisioning credentials", "Synchronization.ReadWrite.All"}
	opSyncValidate  = op{"test the provisioning connection", "Synchronization.ReadWrite.All"}
	opSyncStart     = op{"start provisioning", "Synchronization.ReadWrite.All"}
	opSyncSchema    = op{"read the provisioning job's schema", "Synchronization.Read.All"}
	opSyncOnDemand  = op{"provision the user on demand", "Synchronization.ReadWrite.All"}
	opProvLogs      = op{"read the provisioning logs", "AuditLog.Read.All"}
)

func (c *SDKClient) sync(app App) *serviceprincipals.ItemSynchronizationRequestBuilder {
	return c.sdk.ServicePrincipals().ByServicePrincipalId(app.ServicePrincipalID).Synchronization()
}

// SyncTemplates GETs …/synchronization/templates.
func (c *SDKClient) SyncTemplates(ctx context.Context, app App) ([]string, error) {
	if err := needs(opSyncTemplates, app, false, true); err != nil {
		return nil, err
	}
	resp, err := c.sync(app).Templates().Get(ctx, nil)
	if err != nil {
		return nil, c.explain(opSyncTemplates, err)
	}
	var out []string
	for _, t := range resp.GetValue() {
		out = append(out, deref(t.GetId()))
	}
	return out, nil
}

func syncJob(j models.SynchronizationJobable) SyncJob {
	out := SyncJob{ID: deref(j.GetId()), TemplateID: deref(j.GetTemplateId())}
	if s := j.GetStatus(); s != nil && s.GetCode() != nil {
		out.Status = s.GetCode().String()
	}
	return out
}

// SyncJobs GETs …/synchronization/jobs.
func (c *SDKClient) SyncJobs(ctx context.Context, app App) ([]SyncJob, error) {
	if err := needs(opSyncJobs, app, false, true); err != nil {
		return nil, err
	}
	resp, err := c.sync(app).Jobs().Get(ctx, nil)
	if err != nil {
		return nil, c.explain(opSyncJobs, err)
	}
	var out []SyncJob
	for _, j := range resp.GetValue() {
		out = append(out, syncJob(j))
	}
	return out, nil
}

// CreateSyncJob POSTs …/synchronization/jobs with the template.
func (c *SDKClient) CreateSyncJob(ctx context.Context, app App, templateID string) (SyncJob, error) {
	if err := needs(opSyncCreate, app, false, true); err != nil {
		return SyncJob{}, err
	}
	body := models.NewSynchronizationJob()
	body.SetTemplateId(&templateID)
	j, err := c.sync(app).Jobs().Post(ctx, body, nil)
	if err != nil {
		return SyncJob{}, c.explain(opSyncCreate, err)
	}
	return syncJob(j), nil
}

// SetSyncSecrets PUTs …/synchronization/secrets. The values are never logged.
func (c *SDKClient) SetSyncSecrets(ctx context.Context, app App, secrets map[string]string) error {
	if err := needs(opSyncSecrets, app, false, true); err != nil {
		return err
	}
	var pairs []models.SynchronizationSecretKeyStringValuePairable
	for k, v := range secrets {
		key, err := models.ParseSynchronizationSecret(k)
		if err != nil || key == nil {
			return &Error{Op: opSyncSecrets.what, Fix: fmt.Sprintf("%q is not a synchronization secret Graph knows: use BaseAddress or SecretToken", k)}
		}
		p := models.NewSynchronizationSecretKeyStringValuePair()
		p.SetKey(key.(*models.SynchronizationSecret))
		p.SetValue(&v)
		pairs = append(pairs, p)
	}
	body := serviceprincipals.NewItemSynchronizationSecretsPutRequestBody()
	body.SetValue(pairs)
	_, err := c.sync(app).Secrets().PutAsSecretsPutResponse(ctx, body, nil)
	return c.explain(opSyncSecrets, err)
}

// ValidateSyncCredentials POSTs …/jobs/{id}/validateCredentials with the saved ones.
func (c *SDKClient) ValidateSyncCredentials(ctx context.Context, app App, jobID string) error {
	if err := needs(opSyncValidate, app, false, true); err != nil {
		return err
	}
	body := serviceprincipals.NewItemSynchronizationJobsItemValidateCredentialsPostRequestBody()
	saved := true
	body.SetUseSavedCredentials(&saved)
	body.SetCredentials([]models.SynchronizationSecretKeyStringValuePairable{})
	return c.explain(opSyncValidate, c.sync(app).Jobs().BySynchronizationJobId(jobID).ValidateCredentials().Post(ctx, body, nil))
}

// StartSyncJob POSTs …/jobs/{id}/start.
func (c *SDKClient) StartSyncJob(ctx context.Context, app App, jobID string) error {
	if err := needs(opSyncStart, app, false, true); err != nil {
		return err
	}
	return c.explain(opSyncStart, c.sync(app).Jobs().BySynchronizationJobId(jobID).Start().Post(ctx, nil))
}

// ProvisionOnDemand reads the job's schema for its first rule, then POSTs
// …/jobs/{id}/provisionOnDemand for the user.
func (c *SDKClient) ProvisionOnDemand(ctx context.Context, app App, jobID, userID string) (OnDemandResult, error) {
	if err := needs(opSyncOnDemand, app, false, true); err != nil {
		return OnDemandResult{}, err
	}
	job := c.sync(app).Jobs().BySynchronizationJobId(jobID)
	schema, err := job.Schema().Get(ctx, nil)
	if err != nil {
		return OnDemandResult{}, c.explain(opSyncSchema, err)
	}
	rules := schema.GetSynchronizationRules()
	if len(rules) == 0 || deref(rules[0].GetId()) == "" {
		return OnDemandResult{}, &Error{Op: opSyncSchema.what, Fix: "the job's schema has no synchronization rule: open the app's Provisioning > Mappings once, then try again"}
	}
	subject := models.NewSynchronizationJobSubject()
	user := "User"
	subject.SetObjectId(&userID)
	subject.SetObjectTypeName(&user)
	params := models.NewSynchronizationJobApplicationParameters()
	params.SetRuleId(rules[0].GetId())
	params.SetSubjects([]models.SynchronizationJobSubjectable{subject})
	body := serviceprincipals.NewItemSynchronizationJobsItemProvisionOnDemandPostRequestBody()
	body.SetParameters([]models.SynchronizationJobApplicationParametersable{params})
	kv, err := job.ProvisionOnDemand().Post(ctx, body, nil)
	if err != nil {
		return OnDemandResult{}, c.explain(opSyncOnDemand, err)
	}
	// The answer's key and value are JSON documents in strings.
	var key struct {
		Result  string
		Details struct{ ErrorCode, ErrorMessage string }
	}
	var value struct {
		TargetIdentity struct{ ID string } `json:"targetIdentity"`
	}
	if err := json.Unmarshal([]byte(deref(kv.GetKey())), &key); err != nil || key.Result == "" {
		return OnDemandResult{}, &Error{Op: opSyncOnDemand.what, err: errors.Join(err, errors.New("no result")),
			Fix: "Microsoft Graph answered without the provisioning result: read the provisioning logs"}
	}
	_ = json.Unmarshal([]byte(deref(kv.GetValue())), &value)
	return OnDemandResult{Result: key.Result, ErrorCode: key.Details.ErrorCode, ErrorMessage: key.Details.ErrorMessage, TargetID: value.TargetIdentity.ID}, nil
}

// ProvisioningLogs GETs /auditLogs/provisioning filtered on the job.
func (c *SDKClient) ProvisioningLogs(ctx context.Context, app App, jobID string) ([]ProvisioningLog, error) {
	filter := "jobId eq '" + strings.ReplaceAll(jobID, "'", "''") + "'"
	resp, err := auditlogs.NewAuditLogsRequestBuilderInternal(c.sdk.params, c.sdk.adapter).Provisioning().Get(ctx,
		&auditlogs.ProvisioningRequestBuilderGetRequestConfiguration{QueryParameters: &auditlogs.ProvisioningRequestBuilderGetQueryParameters{Filter: &filter}})
	if err != nil {
		return nil, c.explain(opProvLogs, err)
	}
	var out []ProvisioningLog
	for _, e := range resp.GetValue() {
		if !strings.EqualFold(deref(e.GetJobId()), jobID) {
			continue // a Graph that ignored the filter
		}
		l := ProvisioningLog{}
		if a := e.GetProvisioningAction(); a != nil {
			l.Action = a.String()
		}
		if s := e.GetProvisioningStatusInfo(); s != nil {
			if s.GetStatus() != nil {
				l.Status = s.GetStatus().String()
			}
			if ei := s.GetErrorInformation(); ei != nil {
				l.Reason = deref(ei.GetReason())
			}
		}
		if s := e.GetSourceIdentity(); s != nil {
			l.SourceID, l.SourceName = deref(s.GetId()), deref(s.GetDisplayName())
		}
		if t := e.GetTargetIdentity(); t != nil {
			l.TargetID = deref(t.GetId())
		}
		for _, st := range e.GetProvisioningSteps() {
			ps := ProvisioningStep{Name: deref(st.GetName()), Description: deref(st.GetDescription())}
			if st.GetStatus() != nil {
				ps.Status = st.GetStatus().String()
			}
			if d := st.GetDetails(); d != nil {
				extra := d.GetAdditionalData()
				ps.Request, ps.Response, ps.StatusCode = detail(extra, "Request"), detail(extra, "Response"), detail(extra, "StatusCode")
			}
			l.Steps = append(l.Steps, ps)
		}
		out = append(out, l)
	}
	return out, nil
}

// detail reads one string of a detailsInfo's open properties.
func detail(m map[string]any, k string) string {
	switch v := m[k].(type) {
	case *string:
		return deref(v)
	case string:
		return v
	case interface{ GetValue() *string }:
		return deref(v.GetValue())
	}
	return ""
}
