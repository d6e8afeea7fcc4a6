package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ssowizard/ssowizard/inspect"
)

const inspectAbout = `Decode and check a SAML message, JWT, token endpoint response, URL, form body or HAR file.
The input form is detected: raw XML, base64 (HTTP-POST), base64+deflate (HTTP-Redirect), a URL or
query string or form body carrying SAMLRequest/SAMLResponse/id_token/error, a JWT, a token endpoint
JSON response, a HAR file or a SAML-tracer export. Reads standard input when FILE is - or absent.

Without --cert, --metadata, --fingerprint or --jwks the signature is checked against the certificate
the message carries and reported untrusted: that proves integrity, not who signed.

Exit status: 0 verified and as expected (warnings allowed); 1 errors found, or not verified (no trusted
signature covers the message, or no time to check it at): the verdict says which; 2 usage error or
unreadable input. Checks for which no expectation was given are listed as not checked.`

type inspectFlags struct {
	cert, metadata, fingerprint, jwks, caCert, spKey string
	spEntityID, acs, clientID, tenant, requestID     string
	nonce, now                                       string
	skew                                             time.Duration
	json, message                                    bool
}

func runInspect(e *env, args []string) int {
	var f inspectFlags
	fs := newFlagSet(e, "inspect", "[flags] [FILE|-]", inspectAbout)
	fs.StringVar(&f.cert, "cert", "", "trust the IdP signing certificate in `FILE` (PEM, DER or base64)")
	fs.StringVar(&f.metadata, "metadata", "", "trust the signing certificates in this IdP metadata `FILE|URL` (Entra's App Federation Metadata Url)")
	fs.StringVar(&f.fingerprint, "fingerprint", "", "trust the certificate with this SHA-256 fingerprint `HEX`, as openssl x509 -sha256 -fingerprint prints it")
	fs.StringVar(&f.jwks, "jwks", "", "verify JWTs with this JWKS or OpenID discovery document `FILE|URL`")
	fs.StringVar(&f.caCert, "ca-cert", "", "also trust the CA certificate in `FILE` when fetching URLs (the harness's ca.pem)")
	fs.StringVar(&f.spKey, "sp-key", "", "decrypt encrypted assertions with the SP private key in `FILE` (PEM)")
	fs.StringVar(&f.spEntityID, "sp-entity-id", "", "expected audience: the vendor's Entity `ID`")
	fs.StringVar(&f.acs, "acs", "", "expected recipient and destination: the vendor's ACS (Reply) `URL`")
	fs.StringVar(&f.clientID, "client-id", "", "expected JWT audience: the Application (client) `ID`")
	fs.StringVar(&f.tenant, "tenant", "", "expected tenant: the tenant `ID` (GUID) or a verified domain")
	fs.StringVar(&f.requestID, "request-id", "", "expected InResponseTo: the AuthnRequest `ID`")
	fs.StringVar(&f.nonce, "nonce", "", "expected ID token nonce `N`")
	fs.StringVar(&f.now, "now", "", "check validity at this `RFC3339` time instead of now (for a HAR: instead of when each entry was recorded)")
	fs.DurationVar(&f.skew, "skew", 0, "tolerate this `DURATION` of clock skew either side, e.g. 3m")
	fs.BoolVar(&f.json, "json", false, "print one JSON object (the stable contract in DESIGN.md)")
	fs.BoolVar(&f.message, "message", false, "also print the decoded message, indented")
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	if len(pos) > 1 {
		fmt.Fprintf(e.stderr, "ssowizard inspect: give one input file, not %d; run 'ssowizard inspect -h'.\n", len(pos))
		return exitUsage
	}
	opts, err := f.options(context.Background())
	if err != nil {
		fmt.Fprintf(e.stderr, "ssowizard inspect: %v.\n", err)
		return exitUsage
	}
	name := "-"
	if len(pos) == 1 {
		name = pos[0]
	}
	in, closeIn, err := openInput(e, name)
	if err != nil {
		fmt.Fprintf(e.stderr, "ssowizard inspect: %v.\n", err)
		return exitUsage
	}
	defer closeIn()

	out := newReportWriter(e.stdout, f.json, f.message)
	r, err := inspectStream(in, name, opts, out)
	if err != nil {
		fmt.Fprintf(e.stderr, "ssowizard inspect: %v.\n", err)
		return exitUsage
	}
	if err := out.finish(r); err != nil {
		fmt.Fprintf(e.stderr, "ssowizard inspect: write the report: %v.\n", err)
		return exitUsage
	}
	switch {
	case r.Kind == "":
		return exitUsage
	case r.OK():
		return exitOK
	default:
		return exitWrong
	}
}

// inspectStream inspects the input: a HAR or SAML-tracer export as a stream, each
// message's report written out as soon as it is made, so memory is bounded by the
// entry, not the file; anything else read whole (bounded) and inspected at once.
func inspectStream(in *bufio.Reader, name string, opts inspect.Options, out *reportWriter) (*inspect.Report, error) {
	if !startsWithBrace(in) {
		input, err := readAllBounded(in, name)
		if err != nil {
			return nil, err
		}
		return inspect.Inspect(input, opts), nil
	}
	// Keep what the capture reader consumes, up to the largest JSON message, so a JSON
	// input that is not a capture (a token response) is inspected as before.
	rec := &recorder{r: in, limit: messageLimit(opts) + 1}
	r, err := inspect.InspectCapture(rec, opts, out.message)
	if err == nil {
		return r, nil
	}
	if !errors.Is(err, inspect.ErrNotCapture) {
		return nil, fmt.Errorf("write the report: %v", err)
	}
	if rec.over {
		return nil, fmt.Errorf("%s is JSON larger than %d bytes that is neither a HAR nor a SAML-tracer export", name, messageLimit(opts))
	}
	input, err := readAllBounded(io.MultiReader(bytes.NewReader(rec.buf), in), name)
	if err != nil {
		return nil, err
	}
	return inspect.Inspect(input, opts), nil
}

func messageLimit(opts inspect.Options) int {
	if opts.MaxInputBytes > 0 {
		return opts.MaxInputBytes
	}
	return inspect.DefaultMaxInputBytes
}

// startsWithBrace reports whether the input, past a byte order mark and white space,
// opens a JSON object.
func startsWithBrace(in *bufio.Reader) bool {
	for n := 1; ; n++ {
		b, err := in.Peek(n)
		if len(b) < n {
			return false
		}
		if n == 1 && bytes.HasPrefix(b, []byte{0xEF}) {
			if bom, _ := in.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
				n = 3
				continue
			}
		}
		switch b[n-1] {
		case ' ', '\t', '\r', '\n':
			if n >= 4096 || err != nil {
				return false
			}
			continue
		case '{':
			return true
		default:
			return false
		}
	}
}

// recorder keeps a copy of the first limit bytes read through it.
type recorder struct {
	r     io.Reader
	buf   []byte
	limit int
	over  bool
}

func (c *recorder) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if room := c.limit - len(c.buf); room > 0 {
		c.buf = append(c.buf, p[:min(n, room)]...)
	}
	if n > 0 && len(c.buf) >= c.limit {
		c.over = true
	}
	return n, err
}

// reportWriter writes reports out as they come: for --json, the capture's object
// {"kind":"har","messages":[…],…} is written piece by piece, the messages first and
// the capture's own verdict and findings after them.
type reportWriter struct {
	w           io.Writer
	json        bool
	withMessage bool
	n           int
	err         error
}

func newReportWriter(w io.Writer, asJSON, withMessage bool) *reportWriter {
	return &reportWriter{w: w, json: asJSON, withMessage: withMessage}
}

// message writes one message of a capture.
func (o *reportWriter) message(m *inspect.Report) error {
	o.n++
	if !o.json {
		if o.n > 1 {
			fmt.Fprintln(o.w)
		}
		fmt.Fprintf(o.w, "── message %d ──\n", o.n)
		writeReport(indentWriter{o.w}, m, o.withMessage)
		return nil
	}
	if !o.withMessage {
		stripPretty(m)
	}
	b, err := json.MarshalIndent(m, "    ", "  ")
	if err != nil {
		return err
	}
	head := ",\n    "
	if o.n == 1 {
		head = "{\n  \"kind\": \"har\",\n  \"messages\": [\n    "
	}
	if _, err := io.WriteString(o.w, head); err != nil {
		return err
	}
	_, err = o.w.Write(b)
	return err
}

// finish writes the report of the whole input: after a capture's messages, the
// capture's verdict and findings.
func (o *reportWriter) finish(r *inspect.Report) error {
	if !o.json {
		if o.n > 0 {
			fmt.Fprintf(o.w, "\n── the capture ──\n")
		}
		writeReport(o.w, r, o.withMessage)
		return nil
	}
	if !o.withMessage {
		stripPretty(r)
	}
	if o.n == 0 {
		enc := json.NewEncoder(o.w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	// The rest of the capture's object: its fields as json.Marshal writes them, less
	// kind (written first) and messages (written above).
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	rest, ok := bytes.CutPrefix(b, []byte("{\n  \"kind\": \"har\",\n"))
	if !ok {
		return fmt.Errorf("the capture's report does not start with its kind")
	}
	_, err = fmt.Fprintf(o.w, "\n  ],\n%s\n", rest)
	return err
}

// indentWriter indents each line written through it by two spaces.
type indentWriter struct{ w io.Writer }

func (iw indentWriter) Write(p []byte) (int, error) {
	for _, line := range bytes.SplitAfter(p, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if len(bytes.TrimSpace(line)) > 0 {
			if _, err := iw.w.Write([]byte("  ")); err != nil {
				return 0, err
			}
		}
		if _, err := iw.w.Write(line); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// stripPretty drops the decoded message text from a report and its nested messages.
func stripPretty(r *inspect.Report) {
	r.Pretty = ""
	for _, m := range r.Messages {
		stripPretty(m)
	}
}

// options turns the flags into inspect.Options, reading files and fetching URLs.
func (f *inspectFlags) options(ctx context.Context) (inspect.Options, error) {
	opts := inspect.Options{
		SPEntityID: f.spEntityID, ACS: f.acs, ClientID: f.clientID, Tenant: f.tenant,
		RequestID: f.requestID, Nonce: f.nonce, Skew: f.skew, Now: time.Now().UTC(),
		// A capture is judged at the moment it was recorded unless a time is given.
		AtCaptureTime: f.now == "",
	}
	if f.skew < 0 {
		return opts, fmt.Errorf("--skew %s is negative; give a tolerance such as 3m", f.skew)
	}
	if f.now != "" {
		t, err := time.Parse(time.RFC3339, f.now)
		if err != nil {
			return opts, fmt.Errorf("--now %q is not an RFC3339 time such as 2026-11-23T17:00:00Z", f.now)
		}
		opts.Now = t.UTC()
	}
	var ca []byte
	if f.caCert != "" {
		b, err := os.ReadFile(f.caCert)
		if err != nil {
			return opts, fmt.Errorf("--ca-cert: %v", fileErr(err))
		}
		ca = b
	}
	fetch, err := newFetcher(ca)
	if err != nil {
		return opts, fmt.Errorf("--ca-cert: %v", err)
	}
	load := func(flagName, src string, want ...string) error {
		b, err := readSource(ctx, fetch, src)
		if err != nil {
			return fmt.Errorf("--%s: %v", flagName, err)
		}
		kind, disc, err := opts.AddTrust(b)
		if err != nil {
			return fmt.Errorf("--%s %s: %v", flagName, src, err)
		}
		if kind == "discovery" {
			if opts.Keys == nil {
				opts.Keys = &inspect.KeySet{}
			}
			opts.Keys.Issuer = disc.Issuer
			b, err = fetch.Fetch(ctx, disc.JWKSURI)
			if err != nil {
				return fmt.Errorf("--%s: the discovery document's jwks_uri: %v", flagName, err)
			}
			if kind, _, err = opts.AddTrust(b); err != nil {
				return fmt.Errorf("--%s: the discovery document's jwks_uri: %v", flagName, err)
			}
		}
		for _, w := range want {
			if w == kind {
				return nil
			}
		}
		return fmt.Errorf("--%s %s holds a %s, not a %s", flagName, src, kind, want[0])
	}
	if f.cert != "" {
		if err := load("cert", f.cert, "certificate", "metadata"); err != nil {
			return opts, err
		}
	}
	if f.metadata != "" {
		if err := load("metadata", f.metadata, "metadata", "certificate"); err != nil {
			return opts, err
		}
	}
	if f.jwks != "" {
		if err := load("jwks", f.jwks, "jwks"); err != nil {
			return opts, err
		}
	}
	if f.fingerprint != "" {
		fp, err := inspect.ParseFingerprint(f.fingerprint)
		if err != nil {
			return opts, fmt.Errorf("--fingerprint: %v", err)
		}
		opts.Fingerprints = append(opts.Fingerprints, fp)
	}
	if f.spKey != "" {
		b, err := os.ReadFile(f.spKey)
		if err != nil {
			return opts, fmt.Errorf("--sp-key: %v", fileErr(err))
		}
		if opts.SPKey, err = inspect.ParsePrivateKey(b); err != nil {
			return opts, fmt.Errorf("--sp-key %s: %v", f.spKey, err)
		}
	}
	return opts, nil
}

// readSource reads a file, or fetches a URL.
func readSource(ctx context.Context, fetch *fetcher, src string) ([]byte, error) {
	if isURL(src) {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return fetch.Fetch(ctx, src)
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return nil, fileErr(err)
	}
	return b, nil
}

// openInput opens the input to inspect: a file, or standard input.
func openInput(e *env, name string) (*bufio.Reader, func(), error) {
	if name == "-" {
		if e.stdinIsTTY {
			return nil, nil, fmt.Errorf("no input: give a FILE, or pipe the message in (ssowizard inspect - < response.txt)")
		}
		return bufio.NewReaderSize(e.stdin, 64<<10), func() {}, nil
	}
	fh, err := os.Open(name)
	if err != nil {
		return nil, nil, fileErr(err)
	}
	return bufio.NewReaderSize(fh, 64<<10), func() { fh.Close() }, nil
}

// readAllBounded reads an input that is not a capture, bounded by the largest input
// the inspector accepts.
func readAllBounded(r io.Reader, name string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, inspect.DefaultMaxHARBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %v", name, err)
	}
	if len(b) > inspect.DefaultMaxHARBytes {
		return nil, fmt.Errorf("%s is larger than %d MiB, more than any SAML message, token or HAR needs", name, inspect.DefaultMaxHARBytes>>20)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("%s is empty", name)
	}
	return b, nil
}

// fileErr phrases a file error for a person: the path and what is wrong with it.
func fileErr(err error) error {
	var pe *os.PathError
	switch {
	case os.IsNotExist(err) && asPathErr(err, &pe):
		return fmt.Errorf("%s does not exist", pe.Path)
	case os.IsPermission(err) && asPathErr(err, &pe):
		return fmt.Errorf("%s cannot be read (permission denied)", pe.Path)
	default:
		return err
	}
}

func asPathErr(err error, pe **os.PathError) bool {
	p, ok := err.(*os.PathError)
	if ok {
		*pe = p
	}
	return ok
}
