package wizard

import (
	"context"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/ssowizard/ssowizard/wizard/check"
)

// StepName names a step of the setup. The names are stored with each session and
// used by answers files and the CLI's JSON, so a step's name never changes.
type StepName string

// Step describes one step: what it is called, what it establishes, how a person does
// it by hand, what automatic mode fills in, and how it is carried out (automatic mode)
// or checked (manual mode). Each step is one file, step_<name>.go; a protocol's path
// is a list of them (paths below). The unexported hooks are the engine's: Run,
// Instructions and ParseAnswers call them.
type Step struct {
	Name  StepName
	Title string
	// Verifies says what a verified step establishes.
	Verifies string
	// AutoInputs are entries only automatic mode takes, before those of the
	// instructions it cannot find itself.
	AutoInputs []Input
	// View says which panel the window shows beside the step's entries.
	View StepView
	// RunLabel and Progress word the run button and what is shown while the step
	// runs; empty takes the mode's wording.
	RunLabel, Progress string
	// InputsHeading heads the step's entries in either mode; ManualInputsHeading in
	// manual mode only. Empty takes the mode's wording.
	InputsHeading, ManualInputsHeading string

	// instructions are the manual instructions with the session's values; the caller
	// holds s.mu.
	instructions func(s *Session) Instructions
	// defaults fills the inputs automatic mode can choose itself; nil fills none.
	defaults func(s *Session, t *Target, set func(key, value string))
	// auto carries the step out through Graph; manual checks what the admin did.
	auto, manual stepFunc
	// autoTakes are the keys of the manual inputs automatic mode honours; any other
	// manual input given to an automatic run is refused with a sentence, so an answer
	// is never silently ignored.
	autoTakes []string
	// withoutGraph lets the step run in automatic mode with no Graph sign-in.
	withoutGraph bool
	// overridable lets a completing step run although this one failed, recording
	// the reason given; once completed that way, this step no longer blocks.
	overridable bool
	// completes marks the step whose verification enables the connection.
	completes bool
}

// stepFunc runs a step on the session's work copy: resumed says an interrupted run of
// it is being resumed. It returns the checks that judge the step, and an error for
// what stopped it from being judged.
type stepFunc func(s *Session, ctx context.Context, t *Target, st *StepState, resumed bool) ([]check.Result, error)

// StepView is the panel a window shows for a step beside its entries.
type StepView string

// Step views: entries and checks only; the test login's result; the vendor-side
// choices and the connection summary.
const (
	ViewForm      StepView = ""
	ViewTestLogin StepView = "test-login"
	ViewEnable    StepView = "enable"
)

// paths are the steps of each protocol, in order.
var paths = map[Protocol][]*Step{
	OIDC: {registrationStep, redirectURIStep, clientSecretStep, domainStep, assignmentsStep, testLoginStep, enableStep},
	SAML: {enterpriseAppStep, samlURLsStep, idpMetadataStep, domainStep, assignmentsStep, testLoginStep, enableStep},
}

// path is the steps of a protocol; an unknown protocol has OIDC's.
func path(p Protocol) []*Step {
	if ds, ok := paths[p]; ok {
		return ds
	}
	return paths[OIDC]
}

// pathFor is the steps of a protocol for a ticket: Provisioning comes before Enable
// when the ticket asks for it, so the connection is enabled once users can arrive.
func pathFor(p Protocol, t *Ticket) []*Step {
	ds := path(p)
	if t == nil || t.SCIM == nil {
		return ds
	}
	out := slices.Clone(ds)
	return slices.Insert(out, slices.Index(out, enableStep), provisioningStep)
}

// optionalSteps are the steps a path has only when the ticket asks for them.
var optionalSteps = []*Step{provisioningStep}

// TicketSteps lists the steps of a protocol for a ticket in order.
func TicketSteps(p Protocol, t *Ticket) []StepName {
	var out []StepName
	for _, d := range pathFor(p, t) {
		out = append(out, d.Name)
	}
	return out
}

// path is the session's steps.
func (s *Session) path() []*Step { return pathFor(s.Protocol(), s.Ticket) }

// StepNames lists the session's steps in order: its protocol's, and Provisioning
// when its ticket asks for it.
func (s *Session) StepNames() []StepName { return TicketSteps(s.Protocol(), s.Ticket) }

// Steps lists the steps of a protocol in order, without the optional ones.
func Steps(p Protocol) []StepName {
	var out []StepName
	for _, d := range path(p) {
		out = append(out, d.Name)
	}
	return out
}

// describe is the descriptor of a step of any path, or nil.
func describe(n StepName) *Step {
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		for _, d := range paths[p] {
			if d.Name == n {
				return d
			}
		}
	}
	for _, d := range optionalSteps {
		if d.Name == n {
			return d
		}
	}
	return nil
}

// Describe returns the descriptor of a step; false when no path has it.
func Describe(n StepName) (Step, bool) {
	if d := describe(n); d != nil {
		return *d, true
	}
	return Step{}, false
}

// Title is the step's name for people.
func (n StepName) Title() string {
	if d := describe(n); d != nil {
		return d.Title
	}
	return string(n)
}

// Status is where a step stands.
type Status string

// Step statuses.
const (
	NotStarted Status = "not_started"
	InProgress Status = "in_progress"
	Verified   Status = "verified"
	Failed     Status = "failed"
)

// Mode is how the steps are carried out.
type Mode string

// Modes: automatic through Graph, or by hand with checks of what was pasted.
const (
	Auto   Mode = "auto"
	Manual Mode = "manual"
)

// Loopback reply URLs the test login listens on; Entra ignores their port (RFC 8252).
const (
	LoopbackRedirectURI = "http://127.0.0.1/callback"
	LoopbackACS         = "http://127.0.0.1/saml/acs"
)

// Input keys of the steps (answers files use the same names).
const (
	InAppName            = "app_name"
	InClientID           = "client_id"
	InAppID              = "app_id"
	InTenantID           = "tenant_id"
	InRedirectURI        = "redirect_uri"
	InClientSecret       = "client_secret" // never stored: kept by the secret keeper
	InSecretExpires      = "secret_expires"
	InNewSecret          = "new_secret"
	InEntityID           = "entity_id"
	InReplyURL           = "reply_url"
	InMetadataURL        = "metadata_url"
	InMetadataXML        = "metadata_xml"
	InFingerprint        = "fingerprint"
	InIssuer             = "issuer"
	InDomains            = "domains"
	InPrincipals         = "principals"
	InAssignmentRequired = "assignment_required"
	InTestUser           = "test_user"
	InRefusedUser        = "refused_user"
	InLoginMethods       = "login_methods"
	InDefaultRole        = "default_role"
	InAutoMembership     = "auto_membership"
	InJIT                = "jit"
	InEnforceDomain      = "enforce_domain"
	InBreakGlassAck      = "break_glass_ack"
	InOverride           = "override"
	InRemoveLoopback     = "remove_loopback"
)

// Instructions tell the admin how to do a step by hand.
type Instructions struct {
	// Text is what to click in the Entra admin center, one paragraph per line.
	Text []string
	// Blade opens the right place in the Entra admin center.
	Blade string
	// Copy are the values to paste into Entra, in the order the text uses them.
	Copy []CopyValue
	// Inputs are what the admin pastes back for the wizard to check.
	Inputs []Input
}

// CopyValue is one value the admin copies into Entra.
type CopyValue struct {
	Label, Value string
}

// Input is a value the step takes.
type Input struct {
	Key, Label, Hint string
	Secret, Optional bool
}

const entraPortal = "https://entra.microsoft.com/"

// EntraLogin is Entra's sign-in origin.
const EntraLogin = "https://login.microsoftonline.com"

func blade(path string) string { return entraPortal + "#view/" + path }

func appBlade(section, appID string) string {
	if appID == "" {
		return blade("Microsoft_AAD_RegisteredApps/ApplicationsListBlade")
	}
	return blade("Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/" + section + "/appId/" + url.PathEscape(appID))
}

func enterpriseBlade(section string, app App) string {
	if app.ServicePrincipalID == "" || app.AppID == "" {
		return blade("Microsoft_AAD_IAM/StartboardApplicationsMenuBlade/~/AppAppsPreview")
	}
	return blade("Microsoft_AAD_IAM/ManagedAppMenuBlade/~/" + section + "/objectId/" + url.PathEscape(app.ServicePrincipalID) + "/appId/" + url.PathEscape(app.AppID))
}

// Instructions returns the manual instructions of a step, with this session's values.
func (s *Session) Instructions(step StepName) Instructions {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := describe(step)
	if d == nil {
		return Instructions{}
	}
	return d.instructions(s)
}

func (t *Ticket) redirectURI() string {
	if t.OIDC == nil {
		return ""
	}
	return t.OIDC.RedirectURI
}

func (t *Ticket) entityID() string {
	if t.SAML == nil {
		return ""
	}
	return t.SAML.EntityID
}

func (t *Ticket) acsURL() string {
	if t.SAML == nil {
		return ""
	}
	return t.SAML.ACSURL
}

// metadataURL is the App Federation Metadata Url of an app.
func metadataURL(base, tenant, appID string) string {
	if tenant == "" {
		tenant = "{tenant-id}"
	}
	u := strings.TrimRight(base, "/") + "/" + url.PathEscape(tenant) + "/federationmetadata/2007-06/federationmetadata.xml"
	if appID != "" {
		u += "?appid=" + url.QueryEscape(appID)
	}
	return u
}
