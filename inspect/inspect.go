package inspect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Finding codes and kinds added by the front door, the JWT and the capture readers.
const (
	// KindOIDCCode is an authorization code response: nothing in it can be verified.
	KindOIDCCode = "oidc-code"

	CodeJWTEncrypted       = "jwt-encrypted"
	CodeKeyUntrusted       = "key-untrusted"
	CodeTokenVersion       = "token-version"
	CodeGuestUser          = "guest-user"
	CodeCaptureTruncated   = "capture-truncated"
	CodeCorrelated         = "correlated-from-capture"
	CodeZlibNotDeflate     = "zlib-not-deflate"
	CodeAuthorizationCode  = "authorization-code"
	CodeTimeNotChecked     = "time-not-checked"
	CodeDuplicateClaim     = "duplicate-claim"
	CodeBindingUnusual     = "binding-unusual"
	CodeSignatureUnchecked = "signature-unchecked"
	CodeJWTCritical        = "jwt-crit"
)

// Input formats reported in InputInfo.Format.
const (
	formatXML        = "xml"
	formatBase64     = "base64"
	formatDeflate    = "deflate-base64"
	formatURL        = "url"
	formatQuery      = "query"
	formatForm       = "form"
	formatFragment   = "fragment"
	formatHTMLForm   = "html-form"
	formatJWT        = "jwt"
	formatTokenResp  = "token-response"
	formatHAR        = "har"
	formatSAMLTracer = "saml-tracer"
)

const acceptedForms = "raw SAML XML, a base64 SAMLResponse (HTTP-POST) or base64+DEFLATE SAMLRequest (HTTP-Redirect), " +
	"a URL, query string or form body with SAMLRequest, SAMLResponse, id_token, code or error, a JWT, " +
	"a token endpoint JSON response, a HAR file or a SAML-tracer export"

// maxMessageNesting bounds how often one input may hold another (a URL in a form in a HAR…).
const maxMessageNesting = 4

// Inspect decodes and checks one input of any supported form, detected from its content:
// raw SAML XML, base64 (HTTP-POST) or base64+DEFLATE (HTTP-Redirect), a URL, query string,
// fragment or form body carrying SAMLRequest/SAMLResponse/id_token/code/error, a JWT, a
// token endpoint JSON response, an auto-submitting HTML form, a HAR file or a SAML-tracer
// export. It never panics and always returns a finished Report; input it cannot read gives
// a Report with an input-malformed or input-too-large finding.
func Inspect(input []byte, opts Options) *Report {
	r := inspectTop(input, &opts)
	r.finish()
	return r
}

func inspectTop(input []byte, opts *Options) *Report {
	limit := opts.maxBytes()
	if len(input) > limit {
		// Only a capture may be larger than a single message.
		harLimit := max(limit, DefaultMaxHARBytes)
		t := trimBOM(input)
		if len(t) > 0 && t[0] == '{' && len(input) <= harLimit {
			if r := inspectCapture(t, len(input), opts); r != nil {
				return r
			}
		}
		r := &Report{Input: &InputInfo{Size: len(input)}}
		max := limit
		if len(t) > 0 && t[0] == '{' {
			max = harLimit
		}
		r.add(CodeInputTooLarge, SeverityError,
			fmt.Sprintf("The input is %d bytes, more than the %d bytes the inspector accepts for this kind of input.", len(input), max),
			"Inspect one message at a time, or raise the limit if the input really is that large.")
		return r
	}
	return detectInput(input, &InputInfo{Size: len(input)}, opts, 0)
}

// detectInput classifies b and hands it to the inspector for its form. in carries what
// outer layers already said about the input.
func detectInput(b []byte, in *InputInfo, opts *Options, depth int) *Report {
	t := trimBOM(b)
	if len(t) == 0 {
		return failedReport(in, CodeInputMalformed, "The input is empty; give "+acceptedForms+".")
	}
	if depth > maxMessageNesting {
		return failedReport(in, CodeInputMalformed, "The input nests messages inside messages more deeply than any real capture does.")
	}
	s := string(t)
	switch {
	case t[0] == '<':
		if isHTMLForm(t) {
			vals := htmlFormValues(t)
			if hasMessageParam(vals) {
				setInputFormat(in, formatHTMLForm)
				return inspectParams(vals, "", in, opts)
			}
			return failedReport(in, CodeInputMalformed, "The HTML holds no form input named SAMLResponse, SAMLRequest, id_token, code or error.")
		}
		setInputFormat(in, formatXML)
		return inspectSAML(t, in, opts)
	case t[0] == '{':
		if r := inspectCapture(t, in.Size, opts); r != nil {
			return r
		}
		return inspectJSON(t, in, opts)
	case looksLikeJWT(s):
		setInputFormat(in, formatJWT)
		return inspectJWT(strings.TrimSpace(s), in, opts)
	}
	if u, ok := parseMessageURL(s); ok {
		setInputFormat(in, formatURL)
		return inspectURL(u, in, opts)
	}
	if rest, ok := strings.CutPrefix(s, "#"); ok {
		return inspectQueryString(rest, formatFragment, in, opts)
	}
	if rest, ok := strings.CutPrefix(s, "?"); ok {
		return inspectQueryString(rest, formatQuery, in, opts)
	}
	if looksLikeQuery(s) {
		return inspectQueryString(s, formatQuery, in, opts)
	}
	out, layers, err := decodeLayers(t, opts.maxBytes())
	if err != nil {
		var de *layerError
		if errors.As(err, &de) && de.code == CodeInputMalformed && depth == 0 {
			// Plain words can pass for base64; say what is accepted as well.
			return failedReport(in, de.code, de.msg+" The inspector reads "+acceptedForms+".")
		}
		return failedReportErr(in, err)
	}
	if len(layers) == 0 {
		return failedReport(in, CodeInputMalformed, "The input is not a form the inspector knows; give "+acceptedForms+".")
	}
	r := detectDecoded(out, layers, in, opts, depth)
	if slices.Contains(layers, layerZlib) {
		r.add(CodeZlibNotDeflate, SeverityWarning,
			"The message is compressed with a zlib wrapper; the HTTP-Redirect binding requires raw DEFLATE (RFC 1951) and Entra may reject it.",
			"Have the SP deflate without the zlib header and checksum (raw DEFLATE), then base64 and URL-encode.")
	}
	return r
}

// detectDecoded classifies what decodeLayers produced.
func detectDecoded(out []byte, layers []string, in *InputInfo, opts *Options, depth int) *Report {
	inflated := slices.Contains(layers, layerDeflate) || slices.Contains(layers, layerZlib)
	if len(out) > 0 && out[0] == '<' && !isHTMLForm(out) {
		if in.Format == "" {
			if inflated {
				setInputFormat(in, formatDeflate)
			} else {
				setInputFormat(in, formatBase64)
			}
		}
		if in.Binding == "" && slices.Contains(layers, layerBase64) {
			if inflated {
				in.Binding = "HTTP-Redirect"
			} else {
				in.Binding = "HTTP-POST"
			}
		}
		return inspectSAML(out, in, opts)
	}
	if len(out) == 0 || !isPastedText(out) {
		return failedReport(in, CodeInputMalformed, "The input decodes to data that is not a SAML or OIDC message; give "+acceptedForms+".")
	}
	return detectInput(out, in, opts, depth+1)
}

func setInputFormat(in *InputInfo, f string) {
	if in.Format == "" {
		in.Format = f
	}
}

// failedReport is a report that says the input could not be read.
func failedReport(in *InputInfo, code, msg string) *Report {
	r := &Report{Input: in}
	fix := ""
	if code == CodeInputMalformed {
		fix = "Paste the whole message as captured: " + acceptedForms + "."
	}
	r.add(code, SeverityError, msg, fix)
	return r
}

func failedReportErr(in *InputInfo, err error) *Report {
	var de *layerError
	if errors.As(err, &de) {
		return failedReport(in, de.code, de.msg)
	}
	return failedReport(in, CodeInputMalformed, err.Error())
}

// parseMessageURL accepts absolute URLs with a scheme and host, or a custom scheme (a native
// app's redirect URI such as msauth.com.vendor://auth).
func parseMessageURL(s string) (*url.URL, bool) {
	if strings.ContainsAny(s, " \r\n\t") {
		s = strings.TrimSpace(s)
		if strings.ContainsAny(s, " \r\n\t") {
			return nil, false
		}
	}
	i := strings.Index(s, "://")
	if i <= 0 {
		return nil, false
	}
	for _, c := range s[:i] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return nil, false
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, false
	}
	return u, true
}

// messageParams are the parameter names that carry something to inspect.
var messageParams = []string{"SAMLResponse", "SAMLRequest", "id_token", "access_token", "code", "error"}

// knownParams are every parameter name worth recognising a query string by.
var knownParams = append([]string{"RelayState", "SigAlg", "Signature", "state", "error_description",
	"session_state", "token_type", "expires_in", "scope", "error_codes", "error_uri", "client_id",
	"redirect_uri", "response_type", "nonce"}, messageParams...)

func hasMessageParam(v url.Values) bool {
	for _, p := range messageParams {
		if v.Get(p) != "" {
			return true
		}
	}
	return false
}

// looksLikeQuery reports whether s is name=value pairs naming at least one known parameter.
func looksLikeQuery(s string) bool {
	if !strings.Contains(s, "=") {
		return false
	}
	for _, pair := range strings.Split(s, "&") {
		name, _, _ := strings.Cut(strings.TrimSpace(pair), "=")
		if slices.Contains(knownParams, name) {
			return true
		}
	}
	return false
}

// inspectURL reads the parameters of a URL's query and, failing that, its fragment
// (the implicit and hybrid flows return id_token there).
func inspectURL(u *url.URL, in *InputInfo, opts *Options) *Report {
	q, _ := url.ParseQuery(u.RawQuery)
	if hasMessageParam(q) {
		return inspectParams(q, u.RawQuery, in, opts)
	}
	if u.Fragment != "" {
		f, _ := url.ParseQuery(u.EscapedFragment())
		if hasMessageParam(f) {
			in.Format = formatFragment
			return inspectParams(f, "", in, opts)
		}
	}
	return failedReport(in, CodeInputMalformed, "The URL carries no SAMLRequest, SAMLResponse, id_token, code or error parameter in its query or fragment.")
}

// inspectQueryString reads name=value pairs: a query string, a fragment or a form body.
func inspectQueryString(s, format string, in *InputInfo, opts *Options) *Report {
	s = strings.TrimSpace(s)
	vals, err := url.ParseQuery(s)
	if err != nil && len(vals) == 0 {
		return failedReport(in, CodeInputMalformed, "The parameters do not parse as a query string or form body: "+err.Error()+".")
	}
	if !hasMessageParam(vals) {
		return failedReport(in, CodeInputMalformed, "The parameters hold no SAMLRequest, SAMLResponse, id_token, code or error.")
	}
	setInputFormat(in, format)
	raw := ""
	if format == formatQuery {
		raw = s
	}
	return inspectParams(vals, raw, in, opts)
}

// inspectParams inspects the message carried by request or redirect parameters.
// rawQuery is the query as sent on the wire, for the Redirect binding signature.
func inspectParams(vals url.Values, rawQuery string, in *InputInfo, opts *Options) *Report {
	if why := ambiguousSAMLParams(vals, rawQuery); why != "" {
		r := failedReport(in, CodeSignatureWrapped, "The parameters are ambiguous: "+why+". A verifier and a reader could each take a different message from them, so nothing in them is read.")
		r.Findings[0].Fix = "Treat the URL or form as tampered with; a browser following Entra or an SP never sends this."
		for _, p := range []string{"SAMLResponse", "SAMLRequest"} {
			if v := vals.Get(p); v != "" && r.Kind == "" {
				// A label only, as for a refused DOCTYPE: the exit status says "rejected"
				// rather than "unreadable".
				if out, _, err := decodeLayers([]byte(v), opts.maxBytes()); err == nil {
					r.Kind = sniffKind(out)
				}
			}
		}
		return r
	}
	in.RelayState = vals.Get("RelayState")
	in.SigAlg = vals.Get("SigAlg")
	for _, p := range []string{"SAMLResponse", "SAMLRequest"} {
		v := vals.Get(p)
		if v == "" {
			continue
		}
		in.Parameter = p
		out, layers, err := decodeLayers([]byte(v), opts.maxBytes())
		if err != nil {
			return failedReportErr(in, err)
		}
		if len(out) == 0 || out[0] != '<' {
			return failedReport(in, CodeInputMalformed, "The "+p+" parameter does not decode to XML: it must be base64 (HTTP-POST) or base64 of raw DEFLATE (HTTP-Redirect).")
		}
		inflated := slices.Contains(layers, layerDeflate) || slices.Contains(layers, layerZlib)
		if inflated {
			in.Binding = "HTTP-Redirect"
		} else {
			in.Binding = "HTTP-POST"
		}
		if in.Format == formatQuery && !inflated {
			// name=value pairs alone do not say whether they were a query or a form
			// body; plain base64 says HTTP-POST.
			in.Format = formatForm
		}
		r := inspectSAML(out, in, opts)
		if slices.Contains(layers, layerZlib) {
			r.add(CodeZlibNotDeflate, SeverityWarning,
				"The "+p+" is compressed with a zlib wrapper; the HTTP-Redirect binding requires raw DEFLATE (RFC 1951) and Entra may reject it.",
				"Have the SP deflate without the zlib header and checksum (raw DEFLATE), then base64 and URL-encode.")
		}
		if in.Format == formatURL && !inflated {
			r.add(CodeBindingUnusual, SeverityWarning,
				"The "+p+" travels in a URL query but is not DEFLATE-compressed, as the HTTP-Redirect binding requires.",
				"Deflate (raw DEFLATE), base64 and URL-encode the message for HTTP-Redirect, or POST it as plain base64 with HTTP-POST.")
		}
		if (in.Format == formatForm || in.Format == formatHTMLForm) && inflated {
			r.add(CodeBindingUnusual, SeverityWarning,
				"The "+p+" is DEFLATE-compressed but was posted in a form; the HTTP-POST binding carries plain base64.",
				"POST the message as base64 without compression, or send it in the URL with HTTP-Redirect.")
		}
		if vals.Get("Signature") != "" || in.SigAlg != "" {
			if rawQuery != "" && inflated {
				checkRedirectSignature(r, p, rawQuery, opts)
			} else {
				r.add(CodeSignatureUnchecked, SeverityWarning,
					"The message has a Signature/SigAlg parameter but the raw query string it signs is not available, so the signature was not checked.",
					"Inspect the full URL of the HTTP-Redirect request as the browser sent it.")
			}
		}
		return r
	}
	if vals.Get("error") != "" {
		in.Parameter = "error"
		return inspectOIDCError(oidcErrorFromParams(vals), in)
	}
	for _, p := range []string{"id_token", "access_token"} {
		if v := strings.TrimSpace(vals.Get(p)); v != "" {
			in.Parameter = p
			if !looksLikeJWT(v) {
				return failedReport(in, CodeInputMalformed, "The "+p+" parameter is not a JWT (three base64url parts separated by dots).")
			}
			r := inspectJWT(v, in, opts)
			if vals.Get("code") != "" {
				r.add(CodeAuthorizationCode, SeverityInfo,
					"The response also carries an authorization code (hybrid flow); the app redeems it at the token endpoint.", "")
			}
			return r
		}
	}
	if vals.Get("code") != "" {
		in.Parameter = "code"
		return inspectCode(vals, in)
	}
	return failedReport(in, CodeInputMalformed, "The parameters hold no SAMLRequest, SAMLResponse, id_token, code or error.")
}

// samlBindingParams are the parameters the SAML bindings give meaning to.
var samlBindingParams = []string{"SAMLRequest", "SAMLResponse", "RelayState", "SigAlg", "Signature"}

// ambiguousSAMLParams says why parameters carrying a SAML message could be read two
// ways, or "" when they cannot. The HTTP-Redirect signature covers the parameters as
// written on the wire (SAML bindings 3.4.4.1) while a reader decodes them, so a second
// copy of a parameter, a name written with percent-escapes or in another case, a ';'
// separator, or a request beside a response would let what is verified and what is
// shown be different bytes. Entra and SPs never send any of these.
func ambiguousSAMLParams(vals url.Values, rawQuery string) string {
	if vals.Get("SAMLRequest") == "" && vals.Get("SAMLResponse") == "" {
		return ""
	}
	for _, p := range samlBindingParams {
		if n := len(vals[p]); n > 1 {
			return fmt.Sprintf("%s appears %d times", p, n)
		}
	}
	if _, ok := vals["SAMLRequest"]; ok {
		if _, ok := vals["SAMLResponse"]; ok {
			return "the same message carries both SAMLRequest and SAMLResponse"
		}
	}
	for name := range vals {
		for _, p := range samlBindingParams {
			if name != p && strings.EqualFold(name, p) {
				return fmt.Sprintf("the parameter %s differs from %s only in letter case", name, p)
			}
		}
	}
	if rawQuery == "" {
		return ""
	}
	if strings.Contains(rawQuery, ";") {
		return "the query contains ';', which some servers read as a parameter separator"
	}
	for _, kv := range strings.Split(rawQuery, "&") {
		rawName, _, _ := strings.Cut(kv, "=")
		name, err := url.QueryUnescape(rawName)
		if err != nil || name == rawName {
			continue
		}
		for _, p := range samlBindingParams {
			if strings.EqualFold(name, p) {
				return fmt.Sprintf("the parameter name %s is written with escapes (%s), so the signed query and its decoded reading name different parameters", p, rawName)
			}
		}
	}
	return ""
}

// inspectJSON handles a JSON object that is not a capture: a token endpoint response
// or an OAuth error response.
func inspectJSON(b []byte, in *InputInfo, opts *Options) *Report {
	var obj map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&obj); err != nil {
		return failedReport(in, CodeInputMalformed, "The input starts like JSON but does not parse: "+err.Error()+".")
	}
	_, hasErr := obj["error"]
	_, hasID := obj["id_token"]
	_, hasAT := obj["access_token"]
	switch {
	case hasErr:
		setInputFormat(in, formatTokenResp)
		in.Parameter = "error"
		return inspectOIDCError(oidcErrorFromJSON(obj), in)
	case hasID || hasAT:
		setInputFormat(in, formatTokenResp)
		return inspectTokenResponse(obj, in, opts)
	case obj["keys"] != nil || obj["jwks_uri"] != nil:
		return failedReport(in, CodeInputMalformed, "This is a JWKS or discovery document, which is trust material: pass it with --jwks, and inspect a token with it.")
	}
	return failedReport(in, CodeInputMalformed, "The JSON is neither a token endpoint response (id_token, access_token or error), a HAR file nor a SAML-tracer export.")
}
