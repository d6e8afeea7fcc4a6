package inspect

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// entryBudget bounds one HAR entry or SAML-tracer request, in multiples of the message
// limit: an entry carries its message base64'd and URL-escaped, beside headers.
const entryBudget = 4

// ErrNotCapture is returned by InspectCapture when the input is not a HAR or a
// SAML-tracer export.
var ErrNotCapture = errors.New("not a HAR or SAML-tracer export")

// InspectCapture reads a HAR or SAML-tracer export from r as a stream and calls emit
// with the finished report of each message in turn, as soon as it is inspected. It
// holds one entry at a time, bounded by the message limit (Options.MaxInputBytes times
// entryBudget), and of earlier messages only what later ones are checked against (an
// AuthnRequest ID, a nonce and client_id), so its memory does not grow with the file.
// It returns the capture's own report, finished, with no Messages: its verdict covers
// the emitted messages, and its findings say what concerns the capture as a whole
// (truncated or garbled input, an entry too large, no message found). A capture that
// breaks off keeps the reports emitted before the break. The error is ErrNotCapture
// when r holds some other input (nothing emitted), or emit's error.
func InspectCapture(r io.Reader, opts Options, emit func(*Report) error) (*Report, error) {
	top, err := streamCapture(r, &opts, emit)
	if err != nil {
		return nil, err
	}
	return top, nil
}

// inspectCapture inspects a capture held in memory, or returns nil when b is neither a
// HAR nor a SAML-tracer export, so the caller can try other JSON forms. It is
// InspectCapture collecting the messages into the report.
func inspectCapture(b []byte, size int, opts *Options) *Report {
	var msgs []*Report
	top, err := streamCapture(bytes.NewReader(b), opts, func(m *Report) error {
		msgs = append(msgs, m)
		return nil
	})
	if err != nil {
		return nil
	}
	top.Input.Size = size
	top.Messages = msgs
	return top
}

// streamCapture finds the capture's array (log.entries or requests) with the JSON
// decoder's token API, then reads its elements one at a time.
func streamCapture(r io.Reader, opts *Options, emit func(*Report) error) (*Report, error) {
	cr := &countingReader{r: r, limit: int64(max(opts.maxBytes(), DefaultMaxHARBytes))}
	// encoding/json refuses a byte order mark; editors on Windows write one.
	bom := []byte{0xEF, 0xBB, 0xBF}
	br := bufio.NewReader(r)
	if b, _ := br.Peek(len(bom)); bytes.Equal(b, bom) {
		_, _ = br.Discard(len(bom))
		cr.n = int64(len(bom))
	}
	cr.r = br
	dec := json.NewDecoder(cr)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, ErrNotCapture
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, ErrNotCapture
		}
		switch t {
		case "log":
			in := &InputInfo{Format: formatHAR}
			run := newCaptureRun(in, opts, emit)
			if err := findEntries(dec); err != nil {
				run.top.add(CodeInputMalformed, SeverityError, "The HAR file does not parse: it needs log.entries as HAR 1.2 defines them.",
					"Export the capture again (in the browser's developer tools: Network, Export HAR) and give the whole file.")
				return run.end(cr.n)
			}
			return run.elements(io.MultiReader(dec.Buffered(), cr), cr, "HAR entry", func(i int, b []byte) ([]capturedMessage, error) {
				var e harEntry
				if err := json.Unmarshal(b, &e); err != nil {
					return nil, err
				}
				c := newHARCollector(opts.maxBytes())
				c.seen = run.seen
				c.entry(i, &e)
				return c.out, nil
			})
		case "requests":
			in := &InputInfo{Format: formatSAMLTracer}
			run := newCaptureRun(in, opts, emit)
			if t, err := dec.Token(); err != nil || t != json.Delim('[') {
				run.top.add(CodeInputMalformed, SeverityError, "The SAML-tracer export does not parse: it needs a requests array of method, url, get, post and saml.",
					"Export the trace again from SAML-tracer and give the whole file.")
				return run.end(cr.n)
			}
			return run.elements(io.MultiReader(dec.Buffered(), cr), cr, "SAML-tracer request", func(i int, b []byte) ([]capturedMessage, error) {
				var q tracerRequest
				if err := json.Unmarshal(b, &q); err != nil {
					return nil, err
				}
				if m, ok := tracerMessage(i, &q, opts.maxBytes()); ok {
					return []capturedMessage{m}, nil
				}
				return nil, nil
			})
		default:
			if skipJSONValue(dec) != nil {
				return nil, ErrNotCapture
			}
		}
	}
	return nil, ErrNotCapture
}

// findEntries reads the value of a HAR's "log" member up to the opening bracket of its
// entries, skipping the members before it.
func findEntries(dec *json.Decoder) error {
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("log is not an object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		if t != "entries" {
			if err := skipJSONValue(dec); err != nil {
				return err
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return fmt.Errorf("log.entries is not an array")
		}
		return nil
	}
	return fmt.Errorf("log has no entries")
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

// errCaptureTooLarge stops a capture larger than the inspector reads.
var errCaptureTooLarge = errors.New("capture too large")

// countingReader counts what it reads and refuses to read past limit: the work a
// capture costs is bounded by its size, its memory by one entry.
type countingReader struct {
	r     io.Reader
	n     int64
	limit int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.n >= c.limit {
		return 0, errCaptureTooLarge
	}
	if int64(len(p)) > c.limit-c.n {
		p = p[:c.limit-c.n]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// captureRun inspects a capture's messages in order, carrying what earlier messages
// say into later checks: the AuthnRequest ID for InResponseTo, and the nonce and
// client ID of the authorize request for the ID token.
type captureRun struct {
	top  *Report
	opts *Options
	emit func(*Report) error
	seen map[[32]byte]bool

	requestID, requestEntry         string
	nonce, clientID, authorizeEntry string
	reported                        int
	truncated                       bool
	verdict                         string // the worst verdict of the messages emitted
	summary                         captureSummary
}

func newCaptureRun(in *InputInfo, opts *Options, emit func(*Report) error) *captureRun {
	return &captureRun{top: &Report{Kind: KindHAR, Input: in}, opts: opts, emit: emit, seen: map[[32]byte]bool{}}
}

// elements reads the elements of the array whose opening bracket was just read, each
// bounded by the entry budget, and inspects the messages each carries. An element over
// the budget is skipped with an error finding: a message in it would go unchecked, so
// the capture as a whole cannot pass (a verifier fails closed), but the entries after
// it are still read.
func (c *captureRun) elements(r io.Reader, cr *countingReader, what string, messages func(int, []byte) ([]capturedMessage, error)) (*Report, error) {
	limit := c.opts.maxBytes() * entryBudget
	br := bufio.NewReaderSize(r, 64<<10)
	var buf []byte
	for i := 0; ; i++ {
		b, size, done, err := nextElement(br, i == 0, limit, buf[:0])
		buf = b
		if errors.Is(err, errCaptureTooLarge) {
			c.top.add(CodeInputTooLarge, SeverityError,
				fmt.Sprintf("The capture is larger than the %d bytes the inspector reads of one; the messages of the %d entries before %s %d were inspected, nothing after it.", cr.limit, i, what, i),
				"Capture only the sign-in you want checked.")
			return c.end(cr.n)
		}
		if err != nil {
			c.top.add(CodeInputMalformed, SeverityError,
				fmt.Sprintf("The capture breaks off or is garbled in %s %d (%v); the messages of the %d entries before it were inspected, nothing after it.", what, i, err, i),
				"Export the capture again and give the whole file.")
			return c.end(cr.n)
		}
		if done {
			return c.drain(br, cr)
		}
		if size > limit {
			c.top.add(CodeInputTooLarge, SeverityError,
				fmt.Sprintf("%s %d is %d bytes, more than the %d bytes the inspector reads of one entry; it was skipped, so a message in it was not inspected.", what, i, size, limit),
				"Capture only the sign-in you want checked, or inspect that message on its own.")
			continue
		}
		msgs, err := messages(i, b)
		if err != nil {
			c.top.add(CodeInputMalformed, SeverityError,
				fmt.Sprintf("%s %d does not parse (%v); the messages of the %d entries before it were inspected, nothing after it.", what, i, err, i),
				"Export the capture again and give the whole file.")
			return c.end(cr.n)
		}
		for _, m := range msgs {
			if err := c.message(m); err != nil {
				return nil, err
			}
			if c.truncated {
				return c.drain(br, cr)
			}
		}
	}
}

// nextElement reads the next element of a JSON array into buf (up to limit bytes;
// size says how large it was), or reports the closing bracket.
func nextElement(br *bufio.Reader, first bool, limit int, buf []byte) (out []byte, size int, done bool, err error) {
	c, err := skipSpace(br)
	if err != nil {
		return buf, 0, false, errTruncated(err)
	}
	if c == ']' {
		return buf, 0, true, nil
	}
	if !first {
		if c != ',' {
			return buf, 0, false, fmt.Errorf("a %q where a comma or the closing bracket belongs", c)
		}
		if c, err = skipSpace(br); err != nil {
			return buf, 0, false, errTruncated(err)
		}
	}
	if c != '{' {
		return buf, 0, false, fmt.Errorf("a %q where an object belongs", c)
	}
	depth, inString, escaped := 0, false, false
	for {
		size++
		if size <= limit {
			buf = append(buf, c)
		}
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case inString && c == '"':
			inString = false
		case inString:
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth == 0 {
				return buf, size, false, nil
			}
		}
		if c, err = br.ReadByte(); err != nil {
			return buf, size, false, errTruncated(err)
		}
	}
}

func skipSpace(br *bufio.Reader) (byte, error) {
	for {
		c, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return c, nil
		}
	}
}

func errTruncated(err error) error {
	if err == io.EOF {
		return errors.New("the file ends there")
	}
	return err
}

// message inspects one captured message and emits its report.
func (c *captureRun) message(m capturedMessage) error {
	opts := c.opts
	if m.format == "authorize" {
		c.nonce, c.clientID = m.vals.Get("nonce"), m.vals.Get("client_id")
		c.authorizeEntry = fmt.Sprint(m.src.Entry)
		return nil
	}
	if c.reported == MaxCaptureMessages {
		c.top.add(CodeCaptureTruncated, SeverityWarning,
			fmt.Sprintf("The capture holds more than %d messages; only the first %d were inspected.", MaxCaptureMessages, MaxCaptureMessages),
			"Capture only the sign-in you want checked.")
		c.truncated = true
		return nil
	}
	o := *opts
	var samlNote string
	var oidcNotes []string
	if o.RequestID == "" && c.requestID != "" {
		o.RequestID = c.requestID
		samlNote = "InResponseTo was checked against the ID " + c.requestID + " of the AuthnRequest in entry " + c.requestEntry + " of the capture."
	}
	if o.Nonce == "" && c.nonce != "" {
		o.Nonce = c.nonce
		oidcNotes = append(oidcNotes, "The nonce was checked against the one sent by the authorize request in entry "+c.authorizeEntry+" of the capture.")
	}
	if o.ClientID == "" && c.clientID != "" {
		o.ClientID = c.clientID
		oidcNotes = append(oidcNotes, "The audience was checked against the client_id "+c.clientID+" of the authorize request in entry "+c.authorizeEntry+" of the capture.")
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
			c.requestID, c.requestEntry = sub.ID, fmt.Sprint(m.src.Entry)
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
	sub.finish()
	c.reported++
	c.verdict = worse(c.verdict, sub.Verdict)
	c.summary.messages++
	switch sub.Verdict {
	case VerdictError:
		c.summary.rejected++
	case VerdictUnverified:
		c.summary.unverified++
	}
	return c.emit(sub)
}

// drain reads what follows the array, bounded like the rest, so the report gives the
// capture's size; nothing in it carries a message.
func (c *captureRun) drain(br *bufio.Reader, cr *countingReader) (*Report, error) {
	_, _ = io.Copy(io.Discard, br)
	return c.end(cr.n)
}

// end finishes the capture's own report.
func (c *captureRun) end(size int64) (*Report, error) {
	c.top.Input.Size = int(size)
	if c.reported == 0 && !c.top.Has(CodeInputMalformed) && !c.top.Has(CodeInputTooLarge) {
		c.top.add(CodeInputMalformed, SeverityWarning,
			"The capture holds no SAML message, ID token, authorization code, OIDC error or token response.",
			"Start the capture before the sign-in and keep it running until the app has signed you in; in the browser's developer tools tick Preserve log.")
	}
	c.top.finish()
	c.top.Verdict = worse(c.top.Verdict, c.verdict)
	if c.summary.messages > 0 {
		summary := c.summary
		c.top.summary = &summary
	}
	return c.top, nil
}
