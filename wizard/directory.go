package wizard

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"time"

	"github.com/ssowizard/ssowizard/wizard/check"
)

// Directory is what automatic mode needs from Microsoft Graph: the signed-in admin's
// tenant, seen through the calls ENTRA.md lists. cmd adapts package graph's client to
// it (the wizard does not compile the Graph SDK); tests may back it with the harness.
// Errors are one sentence saying what is wrong and what to do.
type Directory interface {
	Tenant(ctx context.Context) (Tenant, error)
	Domains(ctx context.Context) ([]check.Domain, error)
	CreateOIDCApp(ctx context.Context, name string, redirectURIs []string) (App, error)
	InstantiateSAMLApp(ctx context.Context, name string) (App, error)
	Application(ctx context.Context, app App) (AppDetails, error)
	ApplicationsByName(ctx context.Context, name string) ([]AppDetails, error)
	ApplicationsByIdentifierURI(ctx context.Context, uri string) ([]AppDetails, error)
	EnsureServicePrincipal(ctx context.Context, app App) (App, error)
	SetRedirectURIs(ctx context.Context, app App, uris []string) error
	SetSAMLURLs(ctx context.Context, app App, entityID, replyURL, relayState string) error
	AddPassword(ctx context.Context, app App, name string, end time.Time) (Password, error)
	RemovePassword(ctx context.Context, app App, keyID string) error
	AddTokenSigningCertificate(ctx context.Context, app App, subject string, end time.Time) (SigningCertificate, error)
	ActivateSigningCertificate(ctx context.Context, app App, thumbprint string) error
	RequireAssignment(ctx context.Context, app App, required bool) error
	SearchUsers(ctx context.Context, term string) ([]Principal, error)
	SearchGroups(ctx context.Context, term string) ([]Principal, error)
	Assign(ctx context.Context, app App, principal Principal) (Assignment, error)
	ListAssignments(ctx context.Context, app App) ([]Assignment, error)
}

// Tenant is the organisation signed in to.
type Tenant struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name,omitempty"`
}

// App names an application and its service principal (enterprise application).
type App struct {
	ObjectID           string `json:"object_id,omitempty"`
	AppID              string `json:"app_id,omitempty"`
	ServicePrincipalID string `json:"service_principal_id,omitempty"`
	DisplayName        string `json:"display_name,omitempty"`
}

// AppDetails is an application as Graph reads it back.
type AppDetails struct {
	App
	IdentifierURIs []string
	RedirectURIs   []string
	Secrets        []SecretInfo
}

// SecretInfo describes a client secret without its value.
type SecretInfo struct {
	KeyID, DisplayName, Hint string
	Start, End               time.Time
}

// Password is a client secret as Graph returned it when it was made; Value is shown
// once. String, GoString and LogValue leave the value out.
type Password struct {
	KeyID, Hint, Value string
	Start, End         time.Time
}

func (p Password) String() string {
	return fmt.Sprintf("client secret %s (%s…, ends %s)", p.KeyID, p.Hint, p.End.UTC().Format(time.DateOnly))
}

// GoString keeps %#v from printing the value.
func (p Password) GoString() string { return "wizard.Password{" + p.String() + "}" }

// LogValue keeps slog from logging the value.
func (p Password) LogValue() slog.Value {
	return slog.GroupValue(slog.String("key_id", p.KeyID), slog.String("hint", p.Hint), slog.Time("end", p.End))
}

// SigningCertificate is a SAML token signing certificate made through Graph.
type SigningCertificate struct {
	KeyID       string
	Thumbprint  string
	Certificate *x509.Certificate
	Start, End  time.Time
}

// Principal is a user or a group that can be assigned to an app.
type Principal struct {
	ID                string `json:"id"`
	Type              string `json:"type"` // User or Group
	DisplayName       string `json:"display_name"`
	UserPrincipalName string `json:"upn,omitempty"`
	Mail              string `json:"mail,omitempty"`
}

// Assignment is a principal's access to an app.
type Assignment struct {
	ID                   string `json:"id"`
	PrincipalID          string `json:"principal_id"`
	PrincipalType        string `json:"principal_type"`
	PrincipalDisplayName string `json:"principal_display_name"`
}
