package idp

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ssowizard/ssowizard/harness/tenant"
)

// aadError is one AADSTS error: the OAuth error code, Entra's number and its text
// (without the "AADSTSnnnnn: " prefix and the trace line, which are added on delivery).
type aadError struct {
	status int // HTTP status when delivered as JSON
	err    string
	code   int
	msg    string
}

func (e *aadError) Error() string { return fmt.Sprintf("AADSTS%d: %s", e.code, e.msg) }

// Entra's timestamp format in error descriptions and bodies.
const timestampLayout = "2006-01-02 15:04:05Z"

// errorBody is Entra's JSON error shape, at the token, device code and discovery
// endpoints alike.
type errorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri"`
}

func (p *IdP) errorBody(r *http.Request, e *aadError) errorBody {
	ts := p.now().UTC().Format(timestampLayout)
	trace, corr := guid(), correlationID(r)
	return errorBody{
		Error:            e.err,
		ErrorDescription: fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s", e.code, e.msg, trace, corr, ts),
		ErrorCodes:       []int{e.code},
		Timestamp:        ts,
		TraceID:          trace,
		CorrelationID:    corr,
		ErrorURI:         p.base + "/error?code=" + strconv.Itoa(e.code),
	}
}

// correlationID echoes the client's client-request-id, as Entra does, when it is a
// GUID; otherwise a new one.
func correlationID(r *http.Request) string {
	if id := r.Header.Get("client-request-id"); tenant.IsGUID(id) {
		return id
	}
	return guid()
}

func (p *IdP) writeJSONError(w http.ResponseWriter, r *http.Request, e *aadError) {
	p.log.Info("refused", "endpoint", r.URL.Path, "aadsts", e.code, "error", e.err)
	status := e.status
	if status == 0 {
		status = http.StatusBadRequest
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+p.base+`"`)
	}
	writeJSON(w, status, p.errorBody(r, e))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	w.Write(b)
}

// errorPage is Entra's own "Sorry, but we're having trouble signing you in" page, shown
// when the error cannot go back to the application: the redirect URI is unknown or
// wrong, or the application itself is.
func (p *IdP) errorPage(w http.ResponseWriter, r *http.Request, e *aadError) {
	p.log.Info("refused", "endpoint", r.URL.Path, "aadsts", e.code, "error", e.err, "delivery", "page")
	b := p.errorBody(r, e)
	status := e.status
	if status == 0 {
		status = http.StatusBadRequest
	}
	renderPage(w, status, pageData{
		Title:         "Sorry, but we’re having trouble signing you in.",
		Error:         fmt.Sprintf("AADSTS%d: %s", e.code, e.msg),
		ErrorCode:     e.code,
		TraceID:       b.TraceID,
		CorrelationID: b.CorrelationID,
		Timestamp:     b.Timestamp,
	})
}

// redirectError sends the error back to the application's redirect URI, as Entra does
// once it trusts that URI: error, error_description (with the trace line), error_uri
// and state, by query or auto-posted form as the request asked.
func (p *IdP) redirectError(w http.ResponseWriter, r *http.Request, req *authRequest, e *aadError) {
	p.log.Info("refused", "endpoint", r.URL.Path, "aadsts", e.code, "error", e.err, "delivery", "redirect", "client_id", req.clientID)
	b := p.errorBody(r, e)
	v := url.Values{}
	v.Set("error", b.Error)
	v.Set("error_description", b.ErrorDescription)
	v.Set("error_uri", b.ErrorURI)
	if req.state != "" {
		v.Set("state", req.state)
	}
	p.respond(w, r, req, v)
}

// errorInfo is the page error_uri points to: the code and what it means.
func (p *IdP) errorInfo(w http.ResponseWriter, r *http.Request) {
	code, _ := strconv.Atoi(r.URL.Query().Get("code"))
	msg, ok := errorSummaries[code]
	if !ok {
		msg = "The harness does not emit this code."
	}
	renderPage(w, http.StatusOK, pageData{Title: fmt.Sprintf("Error code AADSTS%d", code), Message: msg})
}

// errorSummaries are the one-line meanings shown at error_uri.
var errorSummaries = map[int]string{
	90002:   "The tenant named in the URL was not found.",
	700016:  "The application was not found in the directory.",
	50011:   "The redirect URI does not match the redirect URIs registered for the application.",
	500113:  "No reply address is registered for the application.",
	50105:   "The signed-in user is not assigned to the application.",
	65001:   "The user or administrator has not consented to the application.",
	50020:   "The user account does not exist in the tenant.",
	50034:   "The user account does not exist in the directory.",
	50126:   "Invalid username or password.",
	50058:   "A silent sign-in request was sent but no user is signed in.",
	54005:   "The authorization code was already redeemed.",
	70003:   "The app requested an unsupported grant type.",
	7000215: "Invalid client secret provided.",
	7000222: "The client secret keys of the app are expired.",
	7000218: "The request must contain client_secret or client_assertion.",
	750054:  "The SAML request is missing from the HTTP-Redirect query or the HTTP-POST form.",
	75005:   "The SAML request is invalid.",
	7500529: "The SAML request's ID starts with a digit, which xs:ID forbids.",
	75011:   "The authentication method does not match the RequestedAuthnContext of the SAML request.",
	75016:   "The NameIDPolicy Format of the SAML request is not supported.",
	76021:   "The application requires signed SAML requests and the request is not (validly) signed.",
	76026:   "The IssueInstant of the SAML request is expired.",
	501241:  "The attribute chosen as the Name ID source is empty for the user.",
}

// Errors Entra gives, in its words. Each constructor fills in the details Entra names.

func errTenantNotFound(t string) *aadError {
	return &aadError{http.StatusBadRequest, "invalid_tenant", 90002, fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", t)}
}

func errAppNotFound(status int, clientID, directory string) *aadError {
	return &aadError{status, "unauthorized_client", 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, directory)}
}

func errRedirectMismatch(uri, appID string) *aadError {
	return &aadError{http.StatusBadRequest, "invalid_request", 50011, fmt.Sprintf("The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.", uri, appID)}
}

// validAppID reports whether id can name an application: a GUID, and not the nil GUID,
// which Entra refuses as AADSTS700038 like any non-GUID.
func validAppID(id string) bool {
	return tenant.IsGUID(strings.ToLower(id)) && id != "00000000-0000-0000-0000-000000000000"
}

func errInvalidAppID(id string) *aadError {
	return errInvalidRequest(700038, id+" is not a valid application identifier.")
}

// errReplyURLMismatch is AADSTS50011 as Entra words it for a SAML reply URL (the
// AssertionConsumerServiceURL), which differs from its OIDC redirect-URI text.
func errReplyURLMismatch(appID string) *aadError {
	return &aadError{http.StatusBadRequest, "invalid_request", 50011, fmt.Sprintf("The reply URL specified in the request does not match the reply URLs configured for the application: '%s'. Make sure the reply URL sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/urlMismatchError to learn more about how to fix this.", appID)}
}

func errNoReplyAddress() *aadError {
	return &aadError{http.StatusBadRequest, "invalid_request", 500113, "No reply address is registered for the application."}
}

func errMissingParam(name string) *aadError {
	return &aadError{http.StatusBadRequest, "invalid_request", 900144, fmt.Sprintf("The request body must contain the following parameter: '%s'.", name)}
}

// errNotAssigned is AADSTS50105. Entra hides the user's name in the text as
// '{EmailHidden}'; the sign-in log names them.
func errNotAssigned(app *tenant.App) *aadError {
	return &aadError{http.StatusBadRequest, "access_denied", 50105, fmt.Sprintf("Your administrator has configured the application %s ('%s') to block users unless they are specifically granted ('assigned') access to the application. The signed in user '{EmailHidden}' is blocked because they are not a direct member of a group with access, nor had access directly assigned by an administrator. Please contact your administrator to assign access to this application.", app.DisplayName, app.AppID)}
}

func errConsentRequired(app *tenant.App) *aadError {
	return &aadError{http.StatusBadRequest, "consent_required", 65001, fmt.Sprintf("The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource.", app.AppID, app.DisplayName)}
}

func errLoginRequired() *aadError {
	return &aadError{http.StatusBadRequest, "login_required", 50058, "A silent sign-in request was sent but no user is signed in."}
}

func errCodeRedeemed() *aadError {
	return &aadError{http.StatusBadRequest, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token."}
}

func errUnsupportedGrant(g string) *aadError {
	return &aadError{http.StatusBadRequest, "unsupported_grant_type", 70003, fmt.Sprintf("The app requested an unsupported grant type '%s'.", g)}
}

func errBadSecret(appID string) *aadError {
	return &aadError{http.StatusUnauthorized, "invalid_client", 7000215, fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", appID)}
}

func errSecretExpired(appID string) *aadError {
	return &aadError{http.StatusUnauthorized, "invalid_client", 7000222, fmt.Sprintf("The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.", appID)}
}

func errSecretMissing() *aadError {
	return &aadError{http.StatusUnauthorized, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."}
}

func errInvalidGrant(code int, msg string) *aadError {
	return &aadError{http.StatusBadRequest, "invalid_grant", code, msg}
}

func errInvalidScope(code int, msg string) *aadError {
	return &aadError{http.StatusBadRequest, "invalid_scope", code, msg}
}

func errInvalidRequest(code int, msg string) *aadError {
	return &aadError{http.StatusBadRequest, "invalid_request", code, msg}
}
