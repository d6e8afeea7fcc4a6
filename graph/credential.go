package graph

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/ssowizard/ssowizard/entra"
)

// Kinds of credential, as AuthError.Credential names them.
const (
	KindClientSecret       = "client secret"
	KindDeviceCode         = "device code"
	KindInteractiveBrowser = "interactive browser"
)

// DeviceCode is what a person needs to finish a device code sign-in elsewhere: open
// VerificationURL, enter UserCode. Message is Entra's own sentence saying so.
type DeviceCode struct {
	UserCode        string
	VerificationURL string
	Message         string
}

// ClientSecretCredential signs the app clientID in as itself with a client secret (the
// secret's Value), for automation. Its tokens carry the app's application permissions.
func ClientSecretCredential(target Target, clientID, secret string) (azcore.TokenCredential, error) {
	if err := checkCredential(target, clientID); err != nil {
		return nil, err
	}
	if strings.TrimSpace(secret) == "" {
		return nil, errors.New("client secret credential: no secret; paste the secret's Value from the app's Certificates & secrets page")
	}
	c := newCredential(KindClientSecret, target, clientID, secret)
	opts := &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            c.clientOptions(target),
		DisableInstanceDiscovery: target.DisableInstanceDiscovery,
	}
	inner, err := azidentity.NewClientSecretCredential(target.TenantID, clientID, secret, opts)
	if err != nil {
		return nil, fmt.Errorf("client secret credential: %s", redact(err.Error(), secret))
	}
	c.inner = inner
	return c, nil
}

// DeviceCodeCredential signs a person in to the public client app clientID from another
// device: on the first token request prompt gets the code and the page to enter it on,
// and the request waits (until ctx ends) while Entra says authorization is pending.
func DeviceCodeCredential(target Target, clientID string, prompt func(context.Context, DeviceCode) error) (azcore.TokenCredential, error) {
	if err := checkCredential(target, clientID); err != nil {
		return nil, err
	}
	if prompt == nil {
		return nil, errors.New("device code credential: no prompt: the code must be shown to someone")
	}
	c := newCredential(KindDeviceCode, target, clientID, "")
	inner, err := azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
		ClientOptions:            c.clientOptions(target),
		ClientID:                 clientID,
		TenantID:                 target.TenantID,
		DisableInstanceDiscovery: target.DisableInstanceDiscovery,
		UserPrompt: func(ctx context.Context, m azidentity.DeviceCodeMessage) error {
			return prompt(ctx, DeviceCode{UserCode: m.UserCode, VerificationURL: m.VerificationURL, Message: m.Message})
		},
	})
	if err != nil {
		return nil, fmt.Errorf("device code credential: %w", err)
	}
	c.inner = inner
	return c, nil
}

// InteractiveBrowserCredential signs a person at this machine in to the public client app
// clientID through the system browser: it listens on redirectURL (http://localhost:PORT,
// registered on the app; empty picks a free port on http://localhost) for Entra's answer.
func InteractiveBrowserCredential(target Target, clientID, redirectURL string) (azcore.TokenCredential, error) {
	if err := checkCredential(target, clientID); err != nil {
		return nil, err
	}
	c := newCredential(KindInteractiveBrowser, target, clientID, "")
	inner, err := azidentity.NewInteractiveBrowserCredential(&azidentity.InteractiveBrowserCredentialOptions{
		ClientOptions:            c.clientOptions(target),
		ClientID:                 clientID,
		TenantID:                 target.TenantID,
		RedirectURL:              redirectURL,
		DisableInstanceDiscovery: target.DisableInstanceDiscovery,
	})
	if err != nil {
		return nil, fmt.Errorf("interactive browser credential: %w", err)
	}
	c.inner = inner
	return c, nil
}

func checkCredential(target Target, clientID string) error {
	if err := target.Validate(); err != nil {
		return err
	}
	if !entra.IsGUID(strings.TrimSpace(clientID)) {
		return fmt.Errorf("credential: the client ID %q is not a GUID; copy the Application (client) ID from the app's overview", clientID)
	}
	return nil
}

// credential is an azidentity credential whose errors are AuthErrors. It captures the
// token endpoint's error answers itself because azidentity's error may come back with
// the body already read (MSAL reads the device code poll answers to tell pending from
// failed).
type credential struct {
	kind, clientID, tenant string
	secret                 string // only to blank it out of error text
	inner                  azcore.TokenCredential
	log                    *slog.Logger

	mu        sync.Mutex
	lastResp  *http.Response
	lastBody  []byte
	transport error
}

func newCredential(kind string, t Target, clientID, secret string) *credential {
	return &credential{kind: kind, clientID: clientID, tenant: t.TenantID, secret: secret, log: t.logger()}
}

// clientOptions points azidentity at the target: its authority host, its CA, and a
// retry policy that gives up quickly instead of hammering a harness that is down.
func (c *credential) clientOptions(t Target) azcore.ClientOptions {
	return azcore.ClientOptions{
		Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: t.AuthorityHost},
		Transport: t.HTTPClient(),
		Retry: policy.RetryOptions{
			MaxRetries:    2,
			RetryDelay:    500 * time.Millisecond,
			MaxRetryDelay: 4 * time.Second,
			ShouldRetry:   shouldRetry,
		},
		Telemetry:       policy.TelemetryOptions{ApplicationID: "ssowizard"},
		PerCallPolicies: []policy.Policy{c},
	}
}

// shouldRetry retries what may pass on a second try (throttling, a busy server, a reset
// connection) and not what will fail the same way (a certificate Entra's host does not
// have, a 4xx answer).
func shouldRetry(resp *http.Response, err error) bool {
	if resp != nil {
		switch resp.StatusCode {
		case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
			http.StatusServiceUnavailable, http.StatusGatewayTimeout, http.StatusRequestTimeout:
			return true
		}
		return false
	}
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	return !errors.As(err, &unknownCA) && !errors.As(err, &hostname) && !errors.As(err, &invalid)
}

// maxErrorBody bounds the error answer kept for explaining it.
const maxErrorBody = 64 << 10

// Do is the per-call policy that keeps the last error answer (or network error) for
// explain.
func (c *credential) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	if err != nil {
		c.mu.Lock()
		c.transport = err
		c.mu.Unlock()
		return resp, err
	}
	if resp.StatusCode >= 400 {
		// Payload reads the body and puts back a re-readable copy.
		body, perr := runtime.Payload(resp)
		if perr == nil && len(body) <= maxErrorBody {
			c.mu.Lock()
			c.lastResp, c.lastBody = resp, body
			c.mu.Unlock()
		}
	}
	return resp, err
}

// GetToken asks for a token; no scopes means Microsoft Graph (GraphScope).
func (c *credential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if len(opts.Scopes) == 0 {
		opts.Scopes = []string{GraphScope}
	}
	c.mu.Lock()
	c.lastResp, c.lastBody, c.transport = nil, nil, nil
	c.mu.Unlock()
	tok, err := c.inner.GetToken(ctx, opts)
	if err == nil {
		c.log.Info("token acquired", "credential", c.kind, "client_id", c.clientID, "expires", tok.ExpiresOn.UTC().Format(time.RFC3339))
		return tok, nil
	}
	if cerr := ctx.Err(); cerr != nil {
		// azidentity reports a cancelled wait as text; give callers the real cause.
		fix := "it was cancelled before it finished"
		if errors.Is(cerr, context.DeadlineExceeded) {
			fix = "it did not finish in time: try again, and for a device code sign in sooner"
		}
		return tok, &AuthError{Credential: c.kind, ClientID: c.clientID, Fix: fix, err: cerr}
	}
	err = c.explain(err)
	var ae *AuthError
	if errors.As(err, &ae) {
		c.log.Info("token refused", "credential", c.kind, "client_id", c.clientID, "code", ae.Code, "error", ae.OAuthError, "status", ae.Status)
	}
	return tok, err
}

// explain finds Entra's answer behind err: in azidentity's error when its body is still
// there, else the one this credential captured for the same response.
func (c *credential) explain(err error) error {
	var afe *azidentity.AuthenticationFailedError
	var status int
	var body []byte
	c.mu.Lock()
	captured, capturedBody, transport := c.lastResp, c.lastBody, c.transport
	c.mu.Unlock()
	if errors.As(err, &afe) && afe.RawResponse != nil {
		status = afe.RawResponse.StatusCode
		if afe.RawResponse == captured {
			body = capturedBody
		} else if b, perr := runtime.Payload(afe.RawResponse); perr == nil && len(b) <= maxErrorBody {
			body = b
		}
	}
	return explain(c.kind, c.clientID, c.tenant, c.secret, err, status, body, transport)
}

func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "[secret]")
}

// String names the credential for logs, without its secret.
func (c *credential) String() string {
	return c.kind + " credential for client " + c.clientID + " in tenant " + c.tenant
}

// GoString keeps %#v from printing the secret field.
func (c *credential) GoString() string { return "graph.credential{" + c.String() + "}" }
