package wizard

import (
	"context"
	"log/slog"
)

// Provisioner is Graph's synchronization API, the calls automatic mode's Provisioning
// step makes for a non-gallery app (ENTRA-CONSENT-SCIM-CLAIMS.md; per method:
// https://learn.microsoft.com/graph/api/resources/synchronization-overview). A
// Directory that can set provisioning up implements it too; cmd's Graph client does
// once package graph has the calls. Errors are one sentence, as Directory's.
type Provisioner interface {
	// SyncTemplates lists the ids of the service principal's synchronization templates.
	SyncTemplates(ctx context.Context, app App) ([]string, error)
	// SyncJobs lists the service principal's synchronization jobs.
	SyncJobs(ctx context.Context, app App) ([]SyncJob, error)
	// CreateSyncJob makes a job from a template.
	CreateSyncJob(ctx context.Context, app App, templateID string) (SyncJob, error)
	// SetSyncSecrets saves the credentials (BaseAddress, SecretToken) on the
	// service principal.
	SetSyncSecrets(ctx context.Context, app App, secrets []SyncSecret) error
	// ValidateSyncCredentials is the portal's Test Connection with the saved
	// credentials; its error carries Entra's reason.
	ValidateSyncCredentials(ctx context.Context, app App, jobID string) error
	// StartSyncJob starts (or resumes) the job.
	StartSyncJob(ctx context.Context, app App, jobID string) error
	// ProvisionOnDemand provisions one user now.
	ProvisionOnDemand(ctx context.Context, app App, jobID, userID string) (OnDemandResult, error)
	// ProvisioningLogs reads the provisioning logs of the job, newest first.
	ProvisioningLogs(ctx context.Context, app App, jobID string) ([]ProvisioningLog, error)
}

// SyncJob is a synchronization job.
type SyncJob struct {
	ID         string `json:"id"`
	TemplateID string `json:"template_id"`
	// Status is Graph's status code: NotConfigured, NotRun, Active, Paused, Quarantine.
	Status string `json:"status,omitempty"`
}

// SyncSecret is one synchronization secret. String, GoString and LogValue leave the
// value out, as the SecretToken is one.
type SyncSecret struct{ Key, Value string }

func (s SyncSecret) String() string { return "synchronization secret " + s.Key }

// GoString keeps %#v from printing the value.
func (s SyncSecret) GoString() string { return "wizard.SyncSecret{" + s.Key + "}" }

// LogValue keeps slog from logging the value.
func (s SyncSecret) LogValue() slog.Value { return slog.StringValue(s.Key) }

// The synchronization secrets' keys and the template of a non-gallery SCIM app.
const (
	SyncBaseAddress  = "BaseAddress"
	SyncSecretToken  = "SecretToken"
	SyncSCIMTemplate = "scim"
)

// OnDemandResult is provisionOnDemand's answer: Success, Skipped or Failure, with
// Entra's code and reason when not Success.
type OnDemandResult struct {
	Result       string `json:"result"`
	ErrorCode    string `json:"error_code,omitempty"`
	ErrorMessage string `json:"error_message,omitempty"`
	// TargetID is the user's id at the vendor, when it has one.
	TargetID string `json:"target_id,omitempty"`
}

// ProvisioningLog is one provisioning log entry: what the service did to one object
// and the SCIM requests it took.
type ProvisioningLog struct {
	Action     string             `json:"action"` // Create, Update, Disable, Delete, Other
	Status     string             `json:"status"` // success, failure, skipped, warning
	Reason     string             `json:"reason,omitempty"`
	SourceID   string             `json:"source_id"`
	SourceName string             `json:"source_name,omitempty"`
	TargetID   string             `json:"target_id,omitempty"`
	Steps      []ProvisioningStep `json:"steps,omitempty"`
}

// ProvisioningStep is one step of a log entry: for SCIM, a request and the vendor's
// answer.
type ProvisioningStep struct {
	Name, Status, Description string
	Request, Response         string
	StatusCode                string
}
