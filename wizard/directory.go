package wizard

import (
	"context"
	"time"

	"github.com/ssowizard/ssowizard/directory"
)

// Directory is what automatic mode needs from Microsoft Graph: the signed-in admin's
// tenant, seen through the calls ENTRA.md lists, over the plain directory model. Package
// graph's client implements it as it is (cmd passes it in; the wizard does not compile
// the Graph SDK); tests may back it with the harness. Errors are one sentence saying
// what is wrong and what to do.
type Directory interface {
	Tenant(ctx context.Context) (Tenant, error)
	Domains(ctx context.Context) ([]directory.Domain, error)
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

// The directory's types under the names the wizard's state and screens use; they are
// package directory's types, not copies.
type (
	Tenant             = directory.Tenant
	App                = directory.App
	AppDetails         = directory.AppDetails
	SecretInfo         = directory.SecretInfo
	Password           = directory.Password
	SigningCertificate = directory.SigningCertificate
	Principal          = directory.Principal
	Assignment         = directory.Assignment
)

var _ Directory = directory.Client(nil)
