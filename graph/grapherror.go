package graph

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

// Graph error codes the client branches on.
const (
	CodeRequestDenied     = "Authorization_RequestDenied"
	CodeNotFound          = "Request_ResourceNotFound"
	CodeTooManyRequests   = "TooManyRequests"
	CodeInvalidToken      = "InvalidAuthenticationToken"
	CodeDuplicateKeyValue = "Request_MultipleObjectsWithSameKeyValue"
)

// Error is a Graph call that failed. Callers branch on Status and Code; people read
// Error, one sentence saying what failed, why, and what to do.
type Error struct {
	// Op is the setup step, e.g. "create the application".
	Op string
	// Status is the HTTP status of Graph's answer; 0 when there was none.
	Status int
	// Code is Graph's error code, e.g. Authorization_RequestDenied.
	Code string
	// Message is Graph's own message.
	Message string
	// RequestID is Graph's request-id, for a support case.
	RequestID string
	// Permission is the Microsoft Graph permission the call needs, set when Graph
	// refused for the lack of it.
	Permission string
	// ConsentURL is where an administrator grants the permission; set with Permission
	// when the app's client ID is known.
	ConsentURL string
	// RetryAfter is how long Graph asked to wait, for a throttled call.
	RetryAfter time.Duration
	// Fix is what is wrong and what to do.
	Fix string

	err error
}

// Error is the step and the fix, one sentence.
func (e *Error) Error() string { return e.Op + ": " + e.Fix }

// Unwrap gives the SDK's error (an *odataerrors.ODataError) or the network error.
func (e *Error) Unwrap() error { return e.err }

// op is a setup step: what it does, in words, and the least privileged Graph
// application permission it needs, from Graph's permission reference.
type op struct {
	what, perm string
}

var (
	opTenant        = op{"read the tenant", "Organization.Read.All"}
	opDomains       = op{"list the domains", "Domain.Read.All"}
	opCreateApp     = op{"create the application", "Application.ReadWrite.All"}
	opInstantiate   = op{"create the SAML application from the non-gallery template", "Application.ReadWrite.All"}
	opReadApp       = op{"read the application", "Application.Read.All"}
	opReadSP        = op{"read the service principal", "Application.Read.All"}
	opCreateSP      = op{"create the service principal", "Application.ReadWrite.All"}
	opRedirects     = op{"set the redirect URIs", "Application.ReadWrite.All"}
	opSAMLURLs      = op{"set the SAML Identifier and Reply URL", "Application.ReadWrite.All"}
	opSAMLMode      = op{"set SAML single sign-on", "Application.ReadWrite.All"}
	opAddPassword   = op{"add a client secret", "Application.ReadWrite.All"}
	opRemovePass    = op{"remove the client secret", "Application.ReadWrite.All"}
	opAddCert       = op{"add a token signing certificate", "Application.ReadWrite.All"}
	opActivateCert  = op{"activate the token signing certificate", "Application.ReadWrite.All"}
	opRequireAssign = op{"require assignment", "Application.ReadWrite.All"}
	opSearchUsers   = op{"search users", "User.Read.All"}
	opSearchGroups  = op{"search groups", "Group.Read.All"}
	opAssign        = op{"assign access", "AppRoleAssignment.ReadWrite.All"}
	opAssignments   = op{"list the assignments", "Application.Read.All"}
	opFindByURI     = op{"look for the application with this Identifier (Entity ID)", "Application.Read.All"}
	opFindByName    = op{"look for the application by name", "Application.Read.All"}
	opUnassign      = op{"remove the assignment", "AppRoleAssignment.ReadWrite.All"}
)

// harnessPermission reads the permission the harness adds to its refusals (Graph
// itself does not name it).
var harnessPermission = regexp.MustCompile(`needs the ([A-Za-z]+(?:\.[A-Za-z]+)+) (application|delegated) permission`)

// explain turns what the SDK returned for step o into an *Error; a failed sign-in stays
// the *AuthError it is, and a cancelled context stays the context's error.
func (c *SDKClient) explain(o op, err error) error {
	if err == nil {
		return nil
	}
	var ae *AuthError
	if errors.As(err, &ae) {
		return fmt.Errorf("%s: %w", o.what, ae)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var ge *Error
	if errors.As(err, &ge) {
		return err
	}
	e := &Error{Op: o.what, err: err}
	var odata *odataerrors.ODataError
	var api interface {
		GetStatusCode() int
		GetResponseHeaders() *abs.ResponseHeaders
	}
	if errors.As(err, &odata) {
		if me := odata.GetErrorEscaped(); me != nil {
			e.Code = deref(me.GetCode())
			e.Message = deref(me.GetMessage())
			if in := me.GetInnerError(); in != nil {
				e.RequestID = deref(in.GetRequestId())
			}
		}
	}
	if errors.As(err, &api) {
		e.Status = api.GetStatusCode()
		if h := api.GetResponseHeaders(); h != nil {
			if v := h.Get("Retry-After"); len(v) > 0 {
				e.RetryAfter = retryAfter(v[0])
			}
			if v := h.Get("request-id"); len(v) > 0 && e.RequestID == "" {
				e.RequestID = v[0]
			}
		}
	}
	e.Fix = c.fix(o, e)
	c.log.Info("graph call failed", "op", o.what, "status", e.Status, "code", e.Code, "request_id", e.RequestID)
	return e
}

// fix is the sentence for e.
func (c *SDKClient) fix(o op, e *Error) string {
	msg := firstSentence(oneLine(e.Message))
	switch {
	case e.Status == 0 && e.Code == "":
		return networkFix(e.err, c.target.GraphURL)
	case e.Code == CodeRequestDenied || e.Status == http.StatusForbidden:
		return c.permissionFix(o, e)
	case e.Status == http.StatusTooManyRequests:
		wait := "a minute"
		if e.RetryAfter > 0 {
			wait = e.RetryAfter.Round(time.Second).String()
		}
		return "Microsoft Graph is throttling this app's requests: wait " + wait + " and try again"
	case e.Status == http.StatusUnauthorized:
		return "Microsoft Graph did not accept the sign-in (" + msg + "): sign in again"
	case e.Code == CodeNotFound || e.Status == http.StatusNotFound:
		return "the object does not exist in the tenant, or has not replicated yet: check that it was not deleted, and try again in a minute"
	case strings.Contains(e.Message, "identifierUris already exists"):
		return "another application in the tenant already uses this Identifier (Entity ID): choose another one, or remove it from the other app"
	case e.Status >= 500:
		return fmt.Sprintf("Microsoft Graph failed (HTTP %d %s): try again later", e.Status, e.Code)
	case msg != "":
		return "Microsoft Graph refused it: " + msg
	}
	return fmt.Sprintf("Microsoft Graph refused it (HTTP %d %s)", e.Status, e.Code)
}

// permissionFix names the missing permission and where to grant it.
func (c *SDKClient) permissionFix(o op, e *Error) string {
	if strings.Contains(e.Message, "administrator role") {
		return "the signed-in user is not an administrator: sign in as an Application Administrator or Cloud Application Administrator"
	}
	e.Permission = o.perm
	kind := "application"
	if c.kind == KindDeviceCode || c.kind == KindInteractiveBrowser {
		kind = "delegated"
	}
	if m := harnessPermission.FindStringSubmatch(e.Message); m != nil {
		e.Permission, kind = m[1], m[2]
	}
	who := "the app"
	if c.clientID != "" {
		who = "the app " + c.clientID
		e.ConsentURL = c.AdminConsentURL("", c.clientID, c.opts.ConsentRedirectURI)
	}
	grant := "have an administrator grant admin consent for it"
	if e.ConsentURL != "" {
		grant = "have an administrator grant admin consent at " + e.ConsentURL
	}
	if kind == "delegated" {
		return fmt.Sprintf("%s lacks the Microsoft Graph delegated permission %s: add it under the app's API permissions, then %s",
			who, e.Permission, grant)
	}
	return fmt.Sprintf("%s lacks the Microsoft Graph application permission %s: add it under the app's API permissions, then %s",
		who, e.Permission, grant)
}

// networkFix says why no Graph answer came.
func networkFix(err error, graphURL string) string {
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var dns *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.As(err, &unknownCA):
		return "Microsoft Graph's certificate is issued by an authority this machine does not trust: for the harness, give the target its CA"
	case errors.As(err, &hostname):
		return "the Graph server's certificate is for another host name: check the Graph URL " + graphURL
	case errors.As(err, &dns):
		return "the Graph host " + dns.Name + " cannot be found: check the Graph URL and the network"
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return "nothing answers at " + graphURL + ": check the Graph URL, the network, or that the harness is running"
	}
	return "Microsoft Graph could not be reached at " + graphURL + ": check the network"
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s < 0 || s > 86400 {
			return 0
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
