package graph

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	msauth "github.com/microsoftgraph/msgraph-sdk-go-core/authentication"
)

// Client is what the setup wizard asks of a tenant through Microsoft Graph. It is
// declared here, beside its implementation, only because the wizard does not exist yet:
// once it does, the wizard should declare the (smaller) interface it consumes and this
// one should go. SDKClient implements it against Entra or the harness alike.
//
// Every method is one step of the setup; an error is an *Error (or an *AuthError when
// signing in failed, or the context's error when it ended) whose text is one sentence
// saying what is wrong and what to do.
// Methods taking an App use the IDs the step needs: ObjectID for the application,
// ServicePrincipalID for the enterprise application, AppID for the client ID.
type Client interface {
	// Tenant reads the signed-in tenant's ID and display name.
	Tenant(ctx context.Context) (Tenant, error)
	// Domains lists the tenant's domains.
	Domains(ctx context.Context) ([]Domain, error)
	// CreateOIDCApp registers an application for this organisation only, with the web
	// redirect URIs, and its service principal; both are readable when it returns.
	CreateOIDCApp(ctx context.Context, name string, redirectURIs []string) (App, error)
	// InstantiateSAMLApp makes a non-gallery enterprise application (application and
	// service principal) from the custom SAML template; both are readable when it returns.
	InstantiateSAMLApp(ctx context.Context, name string) (App, error)
	// EnsureServicePrincipal finds or creates the service principal of app.AppID and
	// returns app with ServicePrincipalID (and ObjectID, when it was empty) filled in.
	EnsureServicePrincipal(ctx context.Context, app App) (App, error)
	// SetRedirectURIs replaces the application's web redirect URIs.
	SetRedirectURIs(ctx context.Context, app App, uris []string) error
	// SetSAMLURLs sets the SAML Identifier (entityID) and Reply URL (replyURL, which
	// replaces the web redirect URIs), the relay state (empty clears it), and makes SAML
	// the service principal's single sign-on mode.
	SetSAMLURLs(ctx context.Context, app App, entityID, replyURL, relayState string) error
	// AddPassword adds a client secret named name that ends at end (zero: Graph's
	// default of two years). The returned Password holds the secret's value, which Graph
	// shows this once; it is never logged.
	AddPassword(ctx context.Context, app App, name string, end time.Time) (Password, error)
	// RemovePassword deletes the client secret whose Secret ID is keyID.
	RemovePassword(ctx context.Context, app App, keyID string) error
	// AddTokenSigningCertificate makes a SAML token signing certificate with the
	// subject (CN=…) that ends at end (zero: Graph's default of three years). It does
	// not sign anything until activated.
	AddTokenSigningCertificate(ctx context.Context, app App, subject string, end time.Time) (SigningCertificate, error)
	// ActivateSigningCertificate makes the certificate with this thumbprint the one
	// SAML responses are signed with.
	ActivateSigningCertificate(ctx context.Context, app App, thumbprint string) error
	// RequireAssignment sets whether only assigned users (directly or through a group)
	// may sign in.
	RequireAssignment(ctx context.Context, app App, required bool) error
	// Application reads the application (by ObjectID, or by AppID when ObjectID is
	// empty) with what the wizard verifies.
	Application(ctx context.Context, app App) (AppDetails, error)
	// ApplicationsByIdentifierURI lists the applications whose Identifier URIs (SAML
	// Entity IDs) include uri; none is an empty list, not an error.
	ApplicationsByIdentifierURI(ctx context.Context, uri string) ([]AppDetails, error)
	// ApplicationsByName lists the applications whose display name equals name
	// (compared ignoring case, as directory filters do), so a step interrupted after creating an
	// app can find it instead of making a second one. An app made a moment ago may not
	// be listed yet: Graph's lists are eventually consistent.
	ApplicationsByName(ctx context.Context, name string) ([]AppDetails, error)
	// ServicePrincipal reads the enterprise application (by ServicePrincipalID, or by
	// AppID when ServicePrincipalID is empty): whether assignment is required, the
	// single sign-on mode, the active signing thumbprint and the signing certificates.
	ServicePrincipal(ctx context.Context, app App) (SPDetails, error)
	// SearchUsers finds up to SearchLimit users whose name, mail or user principal name
	// has a word starting with term.
	SearchUsers(ctx context.Context, term string) ([]Principal, error)
	// SearchGroups finds up to SearchLimit groups whose name or mail has a word
	// starting with term.
	SearchGroups(ctx context.Context, term string) ([]Principal, error)
	// Assign gives the principal (a user or a group) the app's default access; an
	// assignment that already exists is returned as it is.
	Assign(ctx context.Context, app App, principal Principal) (Assignment, error)
	// ListAssignments lists who is assigned to the app.
	ListAssignments(ctx context.Context, app App) ([]Assignment, error)
	// Unassign removes the assignment with this ID.
	Unassign(ctx context.Context, app App, assignmentID string) error
	// AdminConsentURL is the page where an administrator of tenant (empty: the
	// target's) grants clientID the permissions it asks for, returning to redirect
	// (empty: the app's default redirect URI).
	AdminConsentURL(tenant, clientID, redirect string) string
}

// SearchLimit is the most principals a search returns: enough for a person to pick from.
const SearchLimit = 25

// Tenant is the organisation signed in to.
type Tenant struct {
	ID          string
	DisplayName string
}

// Domain is one of the tenant's domain names.
type Domain struct {
	Name     string
	Default  bool
	Initial  bool // the tenant's .onmicrosoft.com domain
	Verified bool
}

// App names an application and its service principal (enterprise application).
type App struct {
	// ObjectID is the application object's ID (App registrations > Object ID).
	ObjectID string
	// AppID is the Application (client) ID.
	AppID string
	// ServicePrincipalID is the enterprise application's Object ID.
	ServicePrincipalID string
	DisplayName        string
}

// Password is a client secret as Graph returned it when it was made. Value is shown
// once by Graph; String, GoString and LogValue leave it out so it reaches no log.
type Password struct {
	// KeyID is the Secret ID, a GUID: not the secret.
	KeyID string
	// Hint is the value's first three characters, as the portal shows them.
	Hint string
	// Value is the secret itself, for the vendor's configuration.
	Value      string
	Start, End time.Time
}

// String describes the secret without its value.
func (p Password) String() string {
	return fmt.Sprintf("client secret %s (%s…, ends %s)", p.KeyID, p.Hint, p.End.UTC().Format(time.DateOnly))
}

// GoString keeps %#v from printing the value.
func (p Password) GoString() string { return "graph.Password{" + p.String() + "}" }

// LogValue keeps slog from logging the value.
func (p Password) LogValue() slog.Value {
	return slog.GroupValue(slog.String("key_id", p.KeyID), slog.String("hint", p.Hint), slog.Time("end", p.End))
}

// SigningCertificate is a SAML token signing certificate made by Graph.
type SigningCertificate struct {
	KeyID string
	// Thumbprint is the certificate's SHA-1 thumbprint in upper-case hex, the value
	// preferredTokenSigningKeyThumbprint takes.
	Thumbprint  string
	Certificate *x509.Certificate
	Start, End  time.Time
}

// AppDetails is an application as the wizard verifies it. It holds no secret's value:
// Graph shows a value only once, when the secret is made.
type AppDetails struct {
	// App has ObjectID, AppID and DisplayName; ServicePrincipalID is empty.
	App
	// IdentifierURIs are the Identifiers (SAML Entity IDs, Application ID URIs).
	IdentifierURIs []string
	// RedirectURIs are the web redirect URIs, where SAML Reply URLs live too.
	RedirectURIs []string
	// SignInAudience is who may sign in, e.g. AzureADMyOrg.
	SignInAudience string
	Secrets        []SecretInfo
}

// SecretInfo describes a client secret as Graph shows it after it was made: never
// its value.
type SecretInfo struct {
	// KeyID is the Secret ID, a GUID: not the secret.
	KeyID       string
	DisplayName string
	// Hint is the value's first three characters, as the portal shows them.
	Hint       string
	Start, End time.Time
}

// SPDetails is an enterprise application (service principal) as the wizard verifies it.
type SPDetails struct {
	// App has ServicePrincipalID, AppID and DisplayName, and the ObjectID asked with.
	App
	// AppRoleAssignmentRequired is whether only assigned users may sign in.
	AppRoleAssignmentRequired bool
	// PreferredSingleSignOnMode is e.g. "saml", or empty when none is set.
	PreferredSingleSignOnMode string
	// PreferredTokenSigningKeyThumbprint is the active SAML signing certificate's
	// SHA-1 thumbprint in upper-case hex; empty when none is active.
	PreferredTokenSigningKeyThumbprint string
	// SigningCertificates are the certificates SAML tokens may be signed with (the
	// public keys, keyCredentials used to Verify), active or not.
	SigningCertificates []CertInfo
}

// CertInfo describes a SAML signing certificate of a service principal.
type CertInfo struct {
	// KeyID is the keyId of the certificate's public key credential (usage Verify).
	KeyID       string
	DisplayName string
	// Thumbprint is the SHA-1 thumbprint in upper-case hex, as in
	// PreferredTokenSigningKeyThumbprint and SigningCertificate.Thumbprint.
	Thumbprint string
	Start, End time.Time
}

// Principal is a user or a group that can be assigned to an app.
type Principal struct {
	ID          string
	Type        string // "User" or "Group"
	DisplayName string
	// UserPrincipalName is the user's sign-in name; empty for a group.
	UserPrincipalName string
	Mail              string
}

// Assignment is a principal's access to an app.
type Assignment struct {
	ID                   string
	PrincipalID          string
	PrincipalType        string
	PrincipalDisplayName string
}

// Options tune an SDKClient; the zero value is what the wizard uses.
type Options struct {
	// ClientID is the application (client) ID the credential signs in as, for the
	// admin consent URL in permission errors; credentials made by this package know it.
	ClientID string
	// ConsentRedirectURI is where the admin consent page returns; empty lets Entra use
	// the app's default redirect URI.
	ConsentRedirectURI string
	// ReadBackTries bounds the reads of an object just created before it is taken as
	// missing (default 8); ReadBackDelay is the first wait between them (default
	// 250 ms), doubling up to ReadBackMaxDelay (default 4 s).
	ReadBackTries    int
	ReadBackDelay    time.Duration
	ReadBackMaxDelay time.Duration
	// MaxRetryAfter is the longest Retry-After of a throttled call that is waited out
	// (default 30 s); a longer one, or more than 3 retries, returns the throttling error.
	MaxRetryAfter time.Duration
	// Sleep is how the client waits, between read-backs and before sending a
	// throttled call again; it returns early with ctx's error when ctx ends. Nil waits
	// on a timer; tests pass one that advances their clock instead.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (o Options) withDefaults() Options {
	if o.ReadBackTries <= 0 {
		o.ReadBackTries = 8
	}
	if o.ReadBackDelay <= 0 {
		o.ReadBackDelay = 250 * time.Millisecond
	}
	if o.ReadBackMaxDelay <= 0 {
		o.ReadBackMaxDelay = 4 * time.Second
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = 30 * time.Second
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	return o
}

// freshFor is how long an object this client created is expected to be possibly not
// yet visible to Graph's reads: replication takes seconds, rarely a minute.
const freshFor = 5 * time.Minute

// SDKClient is Client on msgraph-sdk-go: the same code for Entra and the harness, the
// Target saying which.
type SDKClient struct {
	sdk      root
	target   Target
	kind     string // credential kind when this package made it; "" otherwise
	clientID string
	opts     Options
	log      *slog.Logger

	mu    sync.Mutex
	fresh map[string]time.Time // lower-case IDs this client created → when
}

var _ Client = (*SDKClient)(nil)

// NewClient makes a Graph client for target that signs in with cred (one of this
// package's credentials, or any azcore.TokenCredential).
func NewClient(target Target, cred azcore.TokenCredential, opts Options) (*SDKClient, error) {
	if err := target.Validate(); err != nil {
		return nil, err
	}
	if cred == nil {
		return nil, errors.New("graph client: no credential: sign in first")
	}
	base, err := url.Parse(strings.TrimSuffix(target.GraphURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("graph client: the Graph URL %q is not a URL", target.GraphURL)
	}
	opts = opts.withDefaults()
	c := &SDKClient{target: target, opts: opts, log: target.logger(), fresh: map[string]time.Time{}}
	if own, ok := cred.(*credential); ok {
		c.kind, c.clientID = own.kind, own.clientID
	}
	if opts.ClientID != "" {
		c.clientID = opts.ClientID
	}
	// The SDK sends the token only to hosts on this list, and silently sends none to
	// any other: the list is the Graph URL's host name, without scheme or port.
	auth, err := msauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cred, []string{GraphScope}, []string{base.Hostname()})
	if err != nil {
		return nil, fmt.Errorf("graph client: %w", err)
	}
	adapter, err := msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, c.httpClient())
	if err != nil {
		return nil, fmt.Errorf("graph client: %w", err)
	}
	adapter.SetBaseUrl(base.String())
	c.sdk = newRoot(adapter)
	return c, nil
}

// httpClient is the SDK's middleware pipeline over the target's transport (its CA),
// with a handler that waits out throttling only within MaxRetryAfter.
func (c *SDKClient) httpClient() *http.Client {
	hc := c.target.HTTPClient()
	clientOpts := msgraphsdk.GetDefaultClientOptions()
	// kiota's own retry handler is replaced by throttleHandler, which waits through
	// Options.Sleep and within MaxRetryAfter.
	kiota := []khttp.Middleware{throttleHandler{c}}
	for _, m := range khttp.GetDefaultMiddlewares() {
		if _, retry := m.(*khttp.RetryHandler); !retry {
			kiota = append(kiota, m)
		}
	}
	middleware := append([]khttp.Middleware{
		msgraphcore.NewGraphTelemetryHandler(&clientOpts),
		khttp.NewUrlReplaceHandler(true, msgraphcore.ReplacementPairs),
	}, kiota...)
	// The SDK follows no redirect itself outside its redirect handler.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	hc.Transport = khttp.NewCustomTransportWithParentTransport(hc.Transport, middleware...)
	// Throttling waits are bounded separately; the whole call must not hang forever.
	hc.Timeout = 2*c.opts.MaxRetryAfter + 60*time.Second
	return hc
}
