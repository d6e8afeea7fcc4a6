package inspect

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
)

// oidcError is an OAuth 2.0 / OIDC error response, from a redirect or the token endpoint.
type oidcError struct {
	Code        string
	Description string
	ErrorCodes  []string
	TraceID     string
	Correlation string
	ErrorURI    string
}

func oidcErrorFromParams(v url.Values) oidcError {
	return oidcError{
		Code:        v.Get("error"),
		Description: v.Get("error_description"),
		ErrorURI:    v.Get("error_uri"),
	}
}

func oidcErrorFromJSON(obj map[string]json.RawMessage) oidcError {
	e := oidcError{
		Code:        jsonText(obj["error"]),
		Description: jsonText(obj["error_description"]),
		TraceID:     jsonText(obj["trace_id"]),
		Correlation: jsonText(obj["correlation_id"]),
		ErrorURI:    jsonText(obj["error_uri"]),
	}
	var codes []json.Number
	if raw := obj["error_codes"]; raw != nil {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if dec.Decode(&codes) == nil {
			for _, c := range codes {
				e.ErrorCodes = append(e.ErrorCodes, c.String())
			}
		}
	}
	return e
}

// jsonText returns a JSON string's value, or the raw text of any other JSON value
// (Entra's v1 endpoint sends numbers such as expires_in as strings, v2 as numbers).
func jsonText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	t := strings.TrimSpace(string(raw))
	if t == "null" {
		return ""
	}
	return t
}

// inspectOIDCError explains an error returned by Entra's authorize or token endpoint.
func inspectOIDCError(e oidcError, in *InputInfo) *Report {
	r := &Report{Kind: KindOIDCError, Input: in}
	st := &Status{Code: e.Code, Message: e.Description}
	st.AADSTS = ExplainAADSTS(e.Description)
	if st.AADSTS == nil && len(e.ErrorCodes) > 0 {
		st.AADSTS = ExplainAADSTS(e.ErrorCodes[0])
	}
	r.Status = st
	var msg, fix string
	if st.AADSTS != nil {
		msg = "Entra answered " + strconv.Quote(e.Code) + " with " + st.AADSTS.Code + ": " + st.AADSTS.Meaning
		fix = st.AADSTS.Fix
	} else {
		msg = "Entra answered with the error " + strconv.Quote(e.Code) + "."
		fix = oauthErrorFix(e.Code)
	}
	if head := descriptionHead(e.Description); head != "" {
		msg += " Its message: " + head
		if !strings.HasSuffix(head, ".") {
			msg += "."
		}
	}
	if e.TraceID != "" || e.Correlation != "" {
		msg += " Give Microsoft support the trace ID " + e.TraceID + " and correlation ID " + e.Correlation + "."
	}
	r.add(CodeStatusError, SeverityError, msg, fix)
	return r
}

// descriptionHead returns the description up to Entra's appended trace details, which
// follow on new lines.
func descriptionHead(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s
}

// oauthErrorFix says what to do for the standard OAuth error codes when no AADSTS
// code came with them.
func oauthErrorFix(code string) string {
	switch code {
	case "invalid_client":
		return "Check the client ID and the client secret value (not the Secret ID) in App registrations > your app > Certificates & secrets."
	case "invalid_grant":
		return "Start a new sign-in: the code or refresh token is expired, already redeemed, or was issued to another redirect URI."
	case "access_denied":
		return "The user or a policy refused the sign-in; check the sign-in logs in Entra admin center > Monitoring > Sign-in logs."
	case "consent_required", "interaction_required", "login_required":
		return "Sign in interactively and grant consent (API permissions > Grant admin consent)."
	case "unauthorized_client":
		return "Allow the flow for the app in App registrations > your app > Authentication."
	case "invalid_request":
		return "Check the request parameters against the endpoint's documentation."
	}
	return ""
}

// inspectCode describes an authorization code response. The code itself is a secret
// the app redeems; it is never copied into the report.
func inspectCode(v url.Values, in *InputInfo) *Report {
	r := &Report{Kind: KindOIDCCode, Input: in}
	msg := "This is an authorization code response: the app redeems the code at the token endpoint (within about 10 minutes, once) and gets the ID token there."
	if v.Get("state") == "" {
		r.add(CodeAuthorizationCode, SeverityWarning, msg+" It carries no state parameter, so the app cannot tie it to the sign-in it started.",
			"Send a random state in the authorize request and check it on the callback.")
		return r
	}
	r.add(CodeAuthorizationCode, SeverityInfo, msg, "Inspect the token endpoint response (or its id_token) to check the sign-in itself.")
	return r
}

// whyNoIDToken is why a token response without an ID token is never verified.
const whyNoIDToken = "the token response has no ID token, so nothing in it proves who signed in"

// inspectTokenResponse inspects the id_token of a token endpoint response and describes
// the other tokens without copying them.
func inspectTokenResponse(obj map[string]json.RawMessage, in *InputInfo, opts *Options) *Report {
	ti := &TokenInfo{
		TokenType:       jsonText(obj["token_type"]),
		Scope:           jsonText(obj["scope"]),
		HasAccessToken:  jsonText(obj["access_token"]) != "",
		HasRefreshToken: jsonText(obj["refresh_token"]) != "",
		HasIDToken:      jsonText(obj["id_token"]) != "",
	}
	if n, err := strconv.ParseInt(jsonText(obj["expires_in"]), 10, 64); err == nil {
		ti.ExpiresIn = n
	}
	var r *Report
	switch {
	case ti.HasIDToken:
		in.Parameter = "id_token"
		tok := strings.TrimSpace(jsonText(obj["id_token"]))
		if looksLikeJWT(tok) {
			r = inspectJWT(tok, in, opts)
		} else {
			r = failedReport(in, CodeInputMalformed, "The id_token of the token response is not a JWT.")
		}
	case ti.HasAccessToken && looksLikeJWT(strings.TrimSpace(jsonText(obj["access_token"]))):
		in.Parameter = "access_token"
		r = inspectJWT(strings.TrimSpace(jsonText(obj["access_token"])), in, opts)
		r.add(CodeTokenVersion, SeverityInfo, "The token response has no id_token: the openid scope was not requested (or this is a client-credentials response), so only the access token was inspected.",
			"Request the openid scope to get an ID token that identifies the user.")
		r.unverified(whyNoIDToken)
	default:
		r = &Report{Kind: KindJWT, Input: in}
		r.add(CodeInputMalformed, SeverityWarning, "The token response has no id_token and its access token is not a JWT, so there is nothing to verify.",
			"Request the openid scope to get an ID token.")
		r.unverified(whyNoIDToken)
	}
	r.Token = ti
	return r
}
