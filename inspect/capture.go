package inspect

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
)

// CodeCheckedAtCaptureTime notes that a captured message was judged at the time the
// capture recorded it (Options.AtCaptureTime).
const CodeCheckedAtCaptureTime = "checked-at-capture-time"

// MaxCaptureMessages bounds the messages reported from one HAR or SAML-tracer file.
const MaxCaptureMessages = 1000

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

// harCollector gathers the messages of HAR entries, once each.
type harCollector struct {
	max int
	out []capturedMessage
	// seen holds a digest of each message's payload, not the payload: a capture of
	// many messages keeps 32 bytes per message, not the message.
	seen map[[sha256.Size]byte]bool
}

func newHARCollector(max int) *harCollector {
	return &harCollector{max: max, seen: map[[sha256.Size]byte]bool{}}
}

func (c *harCollector) add(m capturedMessage) {
	key := sha256.Sum256([]byte(fmt.Sprint(m.format == "authorize") + "\x00" + messageKey(m)))
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	c.out = append(c.out, m)
}

// entry collects the messages of the i-th entry into c.out.
func (c *harCollector) entry(i int, e *harEntry) {
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

// tracerMessage returns the message the i-th request of a SAML-tracer export carries.
func tracerMessage(i int, q *tracerRequest, max int) (capturedMessage, bool) {
	var status int
	_ = json.Unmarshal(q.ResponseStatus, &status)
	src := Source{Entry: i, Method: q.Method, URL: q.URL, Status: status}
	if u, err := url.Parse(q.URL); err == nil {
		vals, _ := url.ParseQuery(u.RawQuery)
		if hasMessageParam(vals) {
			s := src
			s.Where = "request-query"
			return capturedMessage{src: s, vals: vals, raw: u.RawQuery, format: formatURL}, true
		}
		if isAuthorizeRequest(vals) {
			s := src
			s.Where = "request-query"
			return capturedMessage{src: s, vals: vals, format: "authorize"}, true
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
		return capturedMessage{src: s, vals: post, format: formatForm}, true
	}
	if strings.TrimSpace(q.SAML) != "" {
		return capturedMessage{src: s, saml: []byte(q.SAML), format: formatSAMLTracer}, true
	}
	return capturedMessage{}, false
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
