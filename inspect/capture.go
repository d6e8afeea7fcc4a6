package inspect

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// CodeCheckedAtCaptureTime notes that a captured message was judged at the time the
// capture recorded it (Options.AtCaptureTime).
const CodeCheckedAtCaptureTime = "checked-at-capture-time"

// MaxCaptureMessages bounds the messages reported from one HAR or SAML-tracer file.
const MaxCaptureMessages = 1000

// collectLimit bounds what is gathered before inspection; authorize requests are
// gathered too (for correlation, not reported), so it leaves room for them.
const collectLimit = 2 * MaxCaptureMessages

// HAR 1.2, only the parts that carry messages: log.entries, read one at a time.
type harNV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harEntry struct {
	Started string `json:"startedDateTime"`
	Request struct {
		Method   string `json:"method"`
		URL      string `json:"url"`
		PostData *struct {
			MimeType string  `json:"mimeType"`
			Text     string  `json:"text"`
			Params   []harNV `json:"params"`
		} `json:"postData"`
	} `json:"request"`
	Response struct {
		Status      int     `json:"status"`
		Headers     []harNV `json:"headers"`
		RedirectURL string  `json:"redirectURL"`
		Content     struct {
			MimeType string `json:"mimeType"`
			Text     string `json:"text"`
			Encoding string `json:"encoding"`
		} `json:"content"`
	} `json:"response"`
}

// SAML-tracer export (github.com/simplesamlphp/SAML-tracer, SAMLTraceIO.js): parameters
// are [name, value] pairs, already URL-decoded; saml is the decoded message. Its export
// filters may hash or obfuscate POST values, so saml is the fallback.
type tracerFile struct {
	Requests []tracerRequest `json:"requests"`
}

type tracerRequest struct {
	Method         string          `json:"method"`
	URL            string          `json:"url"`
	Get            [][]string      `json:"get"`
	Post           [][]string      `json:"post"`
	SAML           string          `json:"saml"`
	ResponseStatus json.RawMessage `json:"responseStatus"`
}

// capturedMessage is one message found in a capture, before inspection.
type capturedMessage struct {
	src    Source
	vals   url.Values
	raw    string // raw query for the Redirect binding signature
	format string
	json   []byte // a token endpoint response
	saml   []byte // decoded SAML given by SAML-tracer
}

// inspectCapture inspects a HAR or a SAML-tracer export, or returns nil when b is
// neither, so the caller can try other JSON forms. A HAR is read as a stream, one entry
// at a time, keeping only the messages found in each: the memory it takes grows with
// the messages, not with the bodies, scripts and images a capture also holds.
func inspectCapture(b []byte, size int, opts *Options) *Report {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil
		}
		switch t {
		case "log":
			in := &InputInfo{Format: formatHAR, Size: size}
			msgs, err := harStreamMessages(dec, opts.maxBytes())
			if err != nil {
				return failedReport(in, CodeInputMalformed, "The HAR file does not parse: it needs log.entries as HAR 1.2 defines them.")
			}
			return inspectCapturedReport(in, msgs, opts)
		case "requests":
			in := &InputInfo{Format: formatSAMLTracer, Size: size}
			var t tracerFile
			if err := dec.Decode(&t.Requests); err != nil {
				return failedReport(in, CodeInputMalformed, "The SAML-tracer export does not parse: it needs a requests array of method, url, get, post and saml.")
			}
			return inspectCapturedReport(in, tracerMessages(t, opts.maxBytes()), opts)
		default:
			if skipJSONValue(dec) != nil {
				return nil
			}
		}
	}
	return nil
}

func inspectCapturedReport(in *InputInfo, msgs []capturedMessage, opts *Options) *Report {
	r := &Report{Kind: KindHAR, Input: in}
	if len(msgs) == 0 {
		r.add(CodeInputMalformed, SeverityWarning,
			"The capture holds no SAML message, ID token, authorization code, OIDC error or token response.",
			"Start the capture before the sign-in and keep it running until the app has signed you in; in the browser's developer tools tick Preserve log.")
	}
	inspectCaptured(r, msgs, opts)
	return r
}

// skipJSONValue reads past the next value without keeping it.
func skipJSONValue(dec *json.Decoder) error {
	depth := 0
	for {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// harStreamMessages reads the value of a HAR's "log" member entry by entry and returns
// the messages its entries carry.
func harStreamMessages(dec *json.Decoder, max int) ([]capturedMessage, error) {
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("log is not an object")
	}
	c := newHARCollector(max)
	sawEntries := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		if t != "entries" {
			if err := skipJSONValue(dec); err != nil {
				return nil, err
			}
			continue
		}
		sawEntries = true
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return nil, fmt.Errorf("log.entries is not an array")
		}
		for i := 0; dec.More(); i++ {
			var e harEntry
			if err := dec.Decode(&e); err != nil {
				return nil, err
			}
			c.entry(i, &e)
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
	}
	if !sawEntries {
		return nil, fmt.Errorf("log has no entries")
	}
	return c.out, nil
}

// inspectCaptured inspects each message in order, carrying what earlier messages say
// into later checks: the AuthnRequest ID for InResponseTo, and the nonce and client ID
// of the authorize request for the ID token.
func inspectCaptured(r *Report, msgs []capturedMessage, opts *Options) {
	var requestID, requestEntry string
	var nonce, clientID, authorizeEntry string
	for _, m := range msgs {
		if m.format == "authorize" {
			nonce, clientID = m.vals.Get("nonce"), m.vals.Get("client_id")
			authorizeEntry = fmt.Sprint(m.src.Entry)
			continue
		}
		if len(r.Messages) == MaxCaptureMessages {
			r.add(CodeCaptureTruncated, SeverityWarning,
				fmt.Sprintf("The capture holds more than %d messages; only the first %d were inspected.", MaxCaptureMessages, MaxCaptureMessages),
				"Capture only the sign-in you want checked.")
			return
		}
		o := *opts
		var samlNote string
		var oidcNotes []string
		if o.RequestID == "" && requestID != "" {
			o.RequestID = requestID
			samlNote = "InResponseTo was checked against the ID " + requestID + " of the AuthnRequest in entry " + requestEntry + " of the capture."
		}
		if o.Nonce == "" && nonce != "" {
			o.Nonce = nonce
			oidcNotes = append(oidcNotes, "The nonce was checked against the one sent by the authorize request in entry "+authorizeEntry+" of the capture.")
		}
		if o.ClientID == "" && clientID != "" {
			o.ClientID = clientID
			oidcNotes = append(oidcNotes, "The audience was checked against the client_id "+clientID+" of the authorize request in entry "+authorizeEntry+" of the capture.")
		}
		var timeNote string
		if opts.AtCaptureTime && m.src.Started != "" {
			if t, err := time.Parse(time.RFC3339Nano, m.src.Started); err == nil {
				o.Now = t.UTC()
				timeNote = "Validity was checked at " + o.Now.Format(time.RFC3339) + ", when the capture says it recorded this entry; nothing authenticates that timestamp, so the message was valid then only if the capture is honest. Give a time to check at instead (--now) to judge it at another moment."
			}
		}
		in := &InputInfo{Format: m.format, Size: len(m.raw)}
		var sub *Report
		switch {
		case m.json != nil:
			in.Size = len(m.json)
			sub = inspectJSON(m.json, in, &o)
		case m.saml != nil:
			in.Size = len(m.saml)
			in.Binding = "HTTP-POST"
			sub = inspectSAML(m.saml, in, &o)
		default:
			if in.Size == 0 {
				in.Size = len(m.vals.Encode())
			}
			sub = inspectParams(m.vals, m.raw, in, &o)
		}
		src := m.src
		sub.Source = &src
		if timeNote != "" && sub.Kind != "" && sub.Kind != KindOIDCError {
			// A warning, so the verdict and the command line say it: the capture's own
			// timestamp stood in for the clock. It is the only time a captured message
			// can be judged at (at the clock, every message in a capture has expired),
			// and the signed IssueInstant and NotOnOrAfter still bound it, so the
			// message is not called unverified for it.
			sub.add(CodeCheckedAtCaptureTime, SeverityWarning, timeNote, "")
		}
		switch sub.Kind {
		case KindSAMLAuthnRequest:
			if sub.ID != "" {
				requestID, requestEntry = sub.ID, fmt.Sprint(m.src.Entry)
			}
		case KindSAMLResponse, KindSAMLAssertion:
			if samlNote != "" {
				sub.add(CodeCorrelated, SeverityInfo, samlNote, "")
			}
		case KindJWT:
			for _, n := range oidcNotes {
				sub.add(CodeCorrelated, SeverityInfo, n, "")
			}
		}
		r.Messages = append(r.Messages, sub)
	}
}

// harCollector gathers the messages of HAR entries, once each.
type harCollector struct {
	max  int
	out  []capturedMessage
	seen map[string]bool
}

func newHARCollector(max int) *harCollector {
	return &harCollector{max: max, seen: map[string]bool{}}
}

func (c *harCollector) add(m capturedMessage) {
	key := fmt.Sprint(m.format == "authorize") + "\x00" + messageKey(m)
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	c.out = append(c.out, m)
}

// entry collects the messages of the i-th entry.
func (c *harCollector) entry(i int, e *harEntry) {
	if len(c.out) > collectLimit {
		return
	}
	add, max := c.add, c.max
	src := Source{Entry: i, Method: e.Request.Method, URL: e.Request.URL, Status: e.Response.Status, Started: e.Started}
	if u, err := url.Parse(e.Request.URL); err == nil {
		q, _ := url.ParseQuery(u.RawQuery)
		s := src
		s.Where = "request-query"
		if hasMessageParam(q) {
			add(capturedMessage{src: s, vals: q, raw: u.RawQuery, format: formatURL})
		} else if isAuthorizeRequest(q) {
			add(capturedMessage{src: s, vals: q, format: "authorize"})
		}
	}
	if pd := e.Request.PostData; pd != nil {
		s := src
		s.Where = "request-body"
		vals, _ := url.ParseQuery(strings.TrimSpace(pd.Text))
		if pd.Text == "" {
			vals = url.Values{}
			for _, p := range pd.Params {
				v, err := url.QueryUnescape(p.Value)
				if err != nil {
					v = p.Value
				}
				vals.Add(p.Name, v)
			}
		}
		if hasMessageParam(vals) && !isTokenRequest(vals) {
			add(capturedMessage{src: s, vals: vals, format: formatForm})
		}
	}
	if loc := harLocation(*e); loc != "" && e.Response.Status >= 300 && e.Response.Status < 400 {
		if u, err := url.Parse(loc); err == nil {
			s := src
			s.Where = "redirect"
			q, _ := url.ParseQuery(u.RawQuery)
			f, _ := url.ParseQuery(u.EscapedFragment())
			switch {
			case hasMessageParam(q):
				add(capturedMessage{src: s, vals: q, raw: u.RawQuery, format: formatURL})
			case hasMessageParam(f):
				s.Where = "fragment"
				add(capturedMessage{src: s, vals: f, format: formatFragment})
			case isAuthorizeRequest(q):
				add(capturedMessage{src: s, vals: q, format: "authorize"})
			}
		}
	}
	body := []byte(e.Response.Content.Text)
	if e.Response.Content.Encoding == "base64" {
		if len(body) > max*4/3+4 {
			return
		}
		dec, err := base64.StdEncoding.DecodeString(stripSpace(string(body)))
		if err != nil {
			return
		}
		body = dec
	}
	body = trimBOM(body)
	if len(body) == 0 || len(body) > max {
		return
	}
	s := src
	s.Where = "response-body"
	switch {
	case body[0] == '{' && looksLikeTokenResponse(body):
		add(capturedMessage{src: s, json: body, format: formatTokenResp})
	case isHTMLForm(body):
		if vals := htmlFormValues(body); hasMessageParam(vals) {
			add(capturedMessage{src: s, vals: vals, format: formatHTMLForm})
		}
	}
}

// messageKey identifies a message by its payload, so the redirect that sends the
// browser somewhere and the request the browser then makes count once.
func messageKey(m capturedMessage) string {
	if m.json != nil {
		return string(m.json)
	}
	if m.saml != nil {
		return string(m.saml)
	}
	var b strings.Builder
	for _, p := range append([]string{"nonce", "state"}, messageParams...) {
		b.WriteString(m.vals.Get(p))
		b.WriteByte(0)
	}
	return b.String()
}

// isAuthorizeRequest recognises an OIDC authorize request, whose nonce and client_id
// the later ID token must match.
func isAuthorizeRequest(q url.Values) bool {
	return q.Get("client_id") != "" && q.Get("response_type") != ""
}

// isTokenRequest recognises a POST to the token endpoint: its code is being redeemed,
// not received.
func isTokenRequest(v url.Values) bool {
	return v.Get("grant_type") != ""
}

func looksLikeTokenResponse(b []byte) bool {
	var obj map[string]json.RawMessage
	if json.Unmarshal(b, &obj) != nil {
		return false
	}
	return obj["id_token"] != nil || obj["access_token"] != nil || (obj["error"] != nil && obj["error_description"] != nil)
}

func harLocation(e harEntry) string {
	for _, h := range e.Response.Headers {
		if strings.EqualFold(h.Name, "Location") {
			return h.Value
		}
	}
	return e.Response.RedirectURL
}

func tracerMessages(t tracerFile, max int) []capturedMessage {
	var out []capturedMessage
	for i, q := range t.Requests {
		if len(out) > collectLimit {
			break
		}
		var status int
		_ = json.Unmarshal(q.ResponseStatus, &status)
		src := Source{Entry: i, Method: q.Method, URL: q.URL, Status: status}
		if u, err := url.Parse(q.URL); err == nil {
			vals, _ := url.ParseQuery(u.RawQuery)
			if hasMessageParam(vals) {
				s := src
				s.Where = "request-query"
				out = append(out, capturedMessage{src: s, vals: vals, raw: u.RawQuery, format: formatURL})
				continue
			}
			if isAuthorizeRequest(vals) {
				s := src
				s.Where = "request-query"
				out = append(out, capturedMessage{src: s, vals: vals, format: "authorize"})
				continue
			}
		}
		s := src
		s.Where = "request-body"
		post := url.Values{}
		for _, p := range q.Post {
			if len(p) == 2 {
				post.Add(p[0], p[1])
			}
		}
		if hasMessageParam(post) && postDecodes(post, max) {
			out = append(out, capturedMessage{src: s, vals: post, format: formatForm})
			continue
		}
		if strings.TrimSpace(q.SAML) != "" {
			out = append(out, capturedMessage{src: s, saml: []byte(q.SAML), format: formatSAMLTracer})
		}
	}
	return out
}

// postDecodes reports whether the SAML parameter of a SAML-tracer POST is still the
// real message, not a value hashed or obfuscated by the export filter.
func postDecodes(v url.Values, max int) bool {
	for _, p := range []string{"SAMLResponse", "SAMLRequest"} {
		if s := v.Get(p); s != "" {
			out, _, err := decodeLayers([]byte(s), max)
			return err == nil && len(out) > 0 && out[0] == '<'
		}
	}
	return true
}

var (
	formTag   = regexp.MustCompile(`(?i)<form[\s>]`)
	inputTag  = regexp.MustCompile(`(?is)<input\b[^>]*>`)
	attrRegex = regexp.MustCompile(`(?is)\s(name|value)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))`)
)

func isHTMLForm(b []byte) bool {
	return formTag.Match(b)
}

// htmlFormValues collects the name/value pairs of a page's input elements, as an
// auto-submitting SAML or form_post response carries them.
func htmlFormValues(b []byte) url.Values {
	vals := url.Values{}
	for _, tag := range inputTag.FindAll(b, 200) {
		var name, value string
		for _, m := range attrRegex.FindAllSubmatch(tag, -1) {
			v := string(bytes.Join([][]byte{m[2], m[3], m[4]}, nil))
			switch strings.ToLower(string(m[1])) {
			case "name":
				name = html.UnescapeString(v)
			case "value":
				value = html.UnescapeString(v)
			}
		}
		if name != "" {
			vals.Add(name, value)
		}
	}
	return vals
}
