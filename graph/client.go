package graph

import (
	"context"
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
	"github.com/ssowizard/ssowizard/directory"
)

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

// SDKClient is directory.Client on msgraph-sdk-go: the same code for Entra and the harness, the
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

// SDKClient implements the directory model's Client.
var _ directory.Client = (*SDKClient)(nil)

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
