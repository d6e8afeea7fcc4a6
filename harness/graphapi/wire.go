package graphapi

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
)

// maxBody bounds a request body, as sent and once inflated.
const maxBody = 1 << 20

// graphError is Graph's error body.
type graphError struct {
	Error graphErrorBody `json:"error"`
}

type graphErrorBody struct {
	Code       string     `json:"code"`
	Message    string     `json:"message"`
	InnerError innerError `json:"innerError"`
}

type innerError struct {
	Date            string `json:"date"`
	RequestID       string `json:"request-id"`
	ClientRequestID string `json:"client-request-id"`
}

// fail answers a Graph error.
func (c *call) fail(status int, code, msg string) {
	if status >= 500 || status == http.StatusForbidden || status == http.StatusUnauthorized {
		c.a.log.Info("graph call refused", "method", c.r.Method, "route", c.route, "status", status, "code", code)
	}
	cid := c.r.Header.Get("client-request-id")
	if len(cid) > 100 {
		cid = ""
	}
	if cid == "" {
		cid = c.reqID
	}
	c.write(status, graphError{graphErrorBody{Code: code, Message: msg, InnerError: innerError{
		Date: c.a.now().UTC().Format("2006-01-02T15:04:05"), RequestID: c.reqID, ClientRequestID: cid}}})
}

// notFound is Graph's answer for an object that does not exist (or not yet, on this
// replica).
func (c *call) notFound(id string) {
	c.fail(http.StatusNotFound, "Request_ResourceNotFound",
		fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id))
}

func (c *call) badRequest(msg string) {
	c.fail(http.StatusBadRequest, "Request_BadRequest", msg)
}

// write answers JSON with Graph's content type.
func (c *call) write(status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":{"code":"generalException","message":"The harness could not encode its answer."}}`)
	}
	h := c.w.Header()
	h.Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("OData-Version", "4.0")
	c.w.WriteHeader(status)
	c.w.Write(buf.Bytes())
}

// created answers 201 with the new object and its location.
func (c *call) created(location string, v any) {
	c.w.Header().Set("Location", location)
	c.write(http.StatusCreated, v)
}

func (c *call) noContent() { c.w.WriteHeader(http.StatusNoContent) }

// base is the harness origin as the client reached it, for links a client follows.
func (c *call) base() string {
	return "https://" + c.r.Host + "/v1.0"
}

// readBody reads a JSON object body, inflating a gzipped one, into a map of its
// properties. It answers the error itself and returns nil on failure.
func (c *call) readBody() map[string]json.RawMessage {
	var body io.Reader = http.MaxBytesReader(c.w, c.r.Body, maxBody)
	if ct := c.r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			c.fail(http.StatusUnsupportedMediaType, "UnsupportedMediaType", "The request body must be JSON (Content-Type: application/json).")
			return nil
		}
	}
	switch enc := strings.ToLower(strings.TrimSpace(c.r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			if tooLarge(err) {
				c.tooLarge()
				return nil
			}
			c.badRequest("The request body is not valid gzip: " + err.Error() + ".")
			return nil
		}
		defer zr.Close()
		body = zr
	default:
		// The Graph SDKs resend uncompressed on 415.
		c.fail(http.StatusUnsupportedMediaType, "UnsupportedMediaType", fmt.Sprintf("Content-Encoding %q is not supported; send gzip or no encoding.", enc))
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(body, maxBody+1))
	if err != nil {
		if tooLarge(err) {
			c.tooLarge()
			return nil
		}
		c.badRequest("The request body could not be read: " + err.Error() + ".")
		return nil
	}
	if len(data) > maxBody {
		c.tooLarge()
		return nil
	}
	if len(bytes.TrimSpace(data)) == 0 {
		// An action without parameters may be posted with no body at all.
		return map[string]json.RawMessage{}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil || m == nil {
		c.fail(http.StatusBadRequest, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
		return nil
	}
	return m
}

func tooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

func (c *call) tooLarge() {
	c.fail(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", fmt.Sprintf("The request body is larger than %d bytes (after decompression).", maxBody))
}

// properties checks a body's property names against the type's declared ones.
// Instance and property annotations (names holding '@') are always accepted.
func (c *call) properties(m map[string]json.RawMessage, declared []string) bool {
	for k := range m {
		if strings.Contains(k, "@") || containsFold(declared, k) {
			continue
		}
		c.badRequest(fmt.Sprintf("Invalid property '%s'.", k))
		return false
	}
	return true
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// field decodes one property of a body into v; absent leaves v alone and reports
// false. A value of the wrong type is answered 400.
func (c *call) field(m map[string]json.RawMessage, name string, v any) (present, ok bool) {
	raw, found := lookupFold(m, name)
	if !found {
		return false, true
	}
	if err := json.Unmarshal(raw, v); err != nil {
		c.badRequest(fmt.Sprintf("Invalid value specified for property '%s': %s.", name, jsonTypeError(err)))
		return true, false
	}
	return true, true
}

func lookupFold(m map[string]json.RawMessage, name string) (json.RawMessage, bool) {
	if raw, ok := m[name]; ok {
		return raw, true
	}
	for k, raw := range m {
		if strings.EqualFold(k, name) {
			return raw, true
		}
	}
	return nil, false
}

func jsonTypeError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("a JSON %s where %s was expected", te.Value, te.Type)
	}
	return "not valid JSON"
}

// graphTime formats a time as Graph does (UTC, Z, no fraction when whole seconds);
// the zero time is null.
func graphTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

// nullable gives JSON null for an empty string, as Graph shows unset properties.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// list gives [] rather than null for an empty list, as Graph shows collections.
func list[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
