package idp

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/ssowizard/ssowizard/entra"
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
	if id := r.Header.Get("client-request-id"); entra.IsGUID(id) {
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

// errorInfo is the page error_uri points to: the code and what it means, from Entra's
// catalogue.
func (p *IdP) errorInfo(w http.ResponseWriter, r *http.Request) {
	code, _ := strconv.Atoi(r.URL.Query().Get("code"))
	a, ok := entra.Lookup(code)
	msg := a.Meaning
	if !ok {
		msg = "The harness knows no explanation for this code."
	}
	renderPage(w, http.StatusOK, pageData{Title: fmt.Sprintf("Error code AADSTS%d", code), Message: msg})
}

// aad is the error Entra answers with code, in its words from the catalogue, the names
// it fills in given in the order of the text.
func aad(code int, names ...any) *aadError {
	a, ok := entra.Lookup(code)
	if !ok || a.Text == "" {
		// A programming error: every code the harness emits by name is catalogued.
		panic(fmt.Sprintf("idp: AADSTS%d has no text in the catalogue", code))
	}
	return &aadError{a.Status, a.Error, code, a.Message(names...)}
}

// Errors Entra gives, in its words. Each constructor fills in the details Entra names.

func errTenantNotFound(t string) *aadError { return aad(90002, t) }

func errAppNotFound(status int, clientID, directory string) *aadError {
	e := aad(700016, clientID, directory)
	e.status = status
	return e
}

func errRedirectMismatch(uri, appID string) *aadError { return aad(50011, uri, appID) }

// validAppID reports whether id can name an application: a GUID, and not the nil GUID,
// which Entra refuses as AADSTS700038 like any non-GUID.
func validAppID(id string) bool {
	return entra.IsGUID(id) && id != "00000000-0000-0000-0000-000000000000"
}

func errInvalidAppID(id string) *aadError { return aad(700038, id) }

// errReplyURLMismatch is AADSTS50011 as Entra words it for a SAML reply URL (the
// AssertionConsumerServiceURL), which differs from its OIDC redirect-URI text.
func errReplyURLMismatch(appID string) *aadError {
	return &aadError{http.StatusBadRequest, "invalid_request", 50011, fmt.Sprintf("The reply URL specified in the request does not match the reply URLs configured for the application: '%s'. Make sure the reply URL sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/urlMismatchError to learn more about how to fix this.", appID)}
}

func errNoReplyAddress() *aadError { return aad(500113) }

func errMissingParam(name string) *aadError { return aad(900144, name) }

// errNotAssigned is AADSTS50105. Entra hides the user's name in the text as
// '{EmailHidden}'; the sign-in log names them.
func errNotAssigned(app *tenant.App) *aadError {
	return aad(50105, app.DisplayName, app.AppID)
}

func errConsentRequired(app *tenant.App) *aadError {
	return aad(65001, app.AppID, app.DisplayName)
}

func errLoginRequired() *aadError { return aad(50058) }

func errCodeRedeemed() *aadError { return aad(54005) }

func errUnsupportedGrant(g string) *aadError { return aad(70003, g) }

func errBadSecret(appID string) *aadError { return aad(7000215, appID) }

func errSecretExpired(appID string) *aadError { return aad(7000222, appID) }

func errSecretMissing() *aadError { return aad(7000218) }

func errInvalidGrant(code int, msg string) *aadError {
	return &aadError{http.StatusBadRequest, "invalid_grant", code, msg}
}

func errInvalidScope(code int, msg string) *aadError {
	return &aadError{http.StatusBadRequest, "invalid_scope", code, msg}
}

func errInvalidRequest(code int, msg string) *aadError {
	return &aadError{http.StatusBadRequest, "invalid_request", code, msg}
}
