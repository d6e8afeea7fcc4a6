package main

import (
	"context"
	"encoding/json"
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
	input, err := readInput(e, name)
	if err != nil {
		fmt.Fprintf(e.stderr, "ssowizard inspect: %v.\n", err)
		return exitUsage
	}

	r := inspect.Inspect(input, opts)

	if f.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if !f.message {
			stripPretty(r)
		}
		if err := enc.Encode(r); err != nil {
			fmt.Fprintf(e.stderr, "ssowizard inspect: write the report: %v.\n", err)
			return exitUsage
		}
	} else {
		writeReport(e.stdout, r, f.message)
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

// readInput reads the message to inspect from a file or standard input, bounded by the
// largest input the inspector accepts (a HAR file).
func readInput(e *env, name string) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		if e.stdinIsTTY {
			return nil, fmt.Errorf("no input: give a FILE, or pipe the message in (ssowizard inspect - < response.txt)")
		}
		r = e.stdin
	} else {
		fh, err := os.Open(name)
		if err != nil {
			return nil, fileErr(err)
		}
		defer fh.Close()
		r = fh
	}
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
