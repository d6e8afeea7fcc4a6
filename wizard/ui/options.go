package ui

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ssowizard/ssowizard/inspect"
)

// maxInputBytes bounds what the Inspector reads from a file, a drop or a URL: a HAR
// capture is the largest input the inspector accepts.
const maxInputBytes = inspect.DefaultMaxHARBytes

// maxSkew is the largest clock skew accepted; more than a day is a typo, not a clock.
const maxSkew = 24 * time.Hour

// Names of the expectation fields, as keys of the errors buildOptions returns.
const (
	fieldFingerprint = "fingerprint"
	fieldSPEntityID  = "sp-entity-id"
	fieldACS         = "acs"
	fieldClientID    = "client-id"
	fieldTenant      = "tenant"
	fieldRequestID   = "request-id"
	fieldNonce       = "nonce"
	fieldSkew        = "skew"
	fieldCheckAt     = "now"
)

// expectations is the text of the Inspector's expectation fields, as typed. Each maps
// to the inspect flag of the same name (--fingerprint, --sp-entity-id, … --now, --skew).
type expectations struct {
	Fingerprint string
	SPEntityID  string
	ACS         string
	ClientID    string
	Tenant      string
	RequestID   string
	Nonce       string
	Skew        string
	CheckAt     string
}

// validateFingerprint accepts an empty field or a SHA-256 fingerprint as openssl prints it.
func validateFingerprint(s string) error {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	_, err := inspect.ParseFingerprint(s)
	return err
}

// parseSkew reads the clock skew: empty means none, otherwise a Go duration like 90s or 5m.
func parseSkew(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return 0, fmt.Errorf("clock skew: %q is not a duration; write it like 90s or 5m", s)
	case d < 0:
		return 0, fmt.Errorf("clock skew: %s is negative; the skew is a tolerance either side, write it like 5m", s)
	case d > maxSkew:
		return 0, fmt.Errorf("clock skew: %s is more than a day; write the tolerance like 5m", s)
	}
	return d, nil
}

// validateSkew is parseSkew as a validator.
func validateSkew(s string) error {
	_, err := parseSkew(s)
	return err
}

// parseCheckAt reads the time to check at: empty means now, otherwise RFC 3339.
func parseCheckAt(s string, now func() time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return now(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("check at: %q is not an RFC 3339 time; write it like 2026-01-31T14:05:00Z, or leave it empty for now", s)
	}
	return t, nil
}

// validateCheckAt is parseCheckAt as a validator.
func validateCheckAt(s string) error {
	_, err := parseCheckAt(s, time.Now)
	return err
}

// buildOptions turns the trust already loaded and the expectation fields into the
// options for inspect.Inspect. When a field is wrong it returns the errors by field
// name, and the options must not be used.
func buildOptions(trust inspect.Options, e expectations, now func() time.Time) (inspect.Options, map[string]error) {
	opts := trust
	// Copy the slices: the caller's trust must not grow with this run's fingerprint.
	opts.Certs = append([]*x509.Certificate(nil), trust.Certs...)
	opts.Fingerprints = append([][32]byte(nil), trust.Fingerprints...)
	errs := map[string]error{}

	if strings.TrimSpace(e.Fingerprint) != "" {
		fp, err := inspect.ParseFingerprint(e.Fingerprint)
		if err != nil {
			errs[fieldFingerprint] = err
		} else {
			opts.Fingerprints = append(opts.Fingerprints, fp)
		}
	}
	opts.SPEntityID = strings.TrimSpace(e.SPEntityID)
	opts.ACS = strings.TrimSpace(e.ACS)
	opts.ClientID = strings.TrimSpace(e.ClientID)
	opts.Tenant = strings.TrimSpace(e.Tenant)
	opts.RequestID = strings.TrimSpace(e.RequestID)
	opts.Nonce = strings.TrimSpace(e.Nonce)

	skew, err := parseSkew(e.Skew)
	if err != nil {
		errs[fieldSkew] = err
	}
	opts.Skew = skew
	at, err := parseCheckAt(e.CheckAt, now)
	if err != nil {
		errs[fieldCheckAt] = err
	}
	opts.Now = at
	// A capture is judged at the moment it was recorded unless a time is given, as the CLI does.
	opts.AtCaptureTime = strings.TrimSpace(e.CheckAt) == ""

	if len(errs) > 0 {
		return inspect.Options{}, errs
	}
	return opts, nil
}

// trustLoad is trust material read from one file or URL.
type trustLoad struct {
	opts inspect.Options
	// note says what was added, for the person: "certificate from idp.pem (1)".
	note string
}

// parseTrust reads certificate, metadata or JWKS bytes named name. Given an OpenID
// Connect discovery document it fetches the JWKS it points to; fetch may be nil, and
// then a discovery document is refused with a sentence.
func parseTrust(ctx context.Context, name string, b []byte, fetch func(context.Context, string) ([]byte, error)) (trustLoad, error) {
	var l trustLoad
	kind, disc, err := l.opts.AddTrust(b)
	if err != nil {
		return l, fmt.Errorf("%s is not usable trust material: %w", name, err)
	}
	if disc != nil {
		if fetch == nil {
			return l, fmt.Errorf("%s is a discovery document, and keys cannot be fetched here; open its JWKS (%s) as a file instead", name, disc.JWKSURI)
		}
		keys, err := fetch(ctx, disc.JWKSURI)
		if err != nil {
			return l, fmt.Errorf("fetching the keys of %s from %s failed: %w", name, disc.JWKSURI, err)
		}
		kind, _, err = l.opts.AddTrust(keys)
		if err != nil {
			return l, fmt.Errorf("the keys at %s are not usable: %w", disc.JWKSURI, err)
		}
		if kind != "jwks" {
			return l, fmt.Errorf("%s does not point to a JWKS (it holds %s)", disc.JWKSURI, kind)
		}
		l.opts.Keys.Issuer = disc.Issuer
		if l.opts.IdPEntityID == "" {
			l.opts.IdPEntityID = disc.Issuer
		}
		kind = "discovery"
	}
	switch kind {
	case "jwks", "discovery":
		l.note = fmt.Sprintf("%s from %s (%s)", kind, name, plural(len(l.opts.Keys.Keys), "key"))
	default:
		l.note = fmt.Sprintf("%s from %s (%s)", kind, name, plural(len(l.opts.Certs), "certificate"))
	}
	return l, nil
}

// mergeTrust adds src's trust material to dst.
func mergeTrust(dst *inspect.Options, src inspect.Options) {
	dst.Certs = append(dst.Certs, src.Certs...)
	if src.CertSource == "metadata" || dst.CertSource == "" {
		dst.CertSource = src.CertSource
	}
	if src.Keys != nil {
		if dst.Keys == nil {
			dst.Keys = &inspect.KeySet{}
		}
		dst.Keys.Keys = append(dst.Keys.Keys, src.Keys.Keys...)
		if dst.Keys.Issuer == "" {
			dst.Keys.Issuer = src.Keys.Issuer
		}
	}
	if dst.IdPEntityID == "" {
		dst.IdPEntityID = src.IdPEntityID
	}
}

// checkURL refuses what the Inspector will not fetch, with the reason.
func checkURL(u string, canFetch bool) error {
	switch {
	case u == "":
		return errors.New("type the address of the metadata, JWKS or discovery document first")
	case !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://"):
		return fmt.Errorf("%q is not a web address; it must start with https://", u)
	case !canFetch:
		return errors.New("fetching addresses is not available here; download the file and open it instead")
	}
	return nil
}

// tooLarge is the sentence for an input over the bound.
func tooLarge(name string) error {
	return fmt.Errorf("%s is larger than %d MiB, more than any SAML message, token or HAR capture the Inspector reads; export a smaller capture", name, maxInputBytes>>20)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// readBounded reads at most maxInputBytes from r, refusing more with a sentence.
func readBounded(r io.Reader, name string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxInputBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s failed: %w", name, err)
	}
	if len(b) > maxInputBytes {
		return nil, tooLarge(name)
	}
	return b, nil
}

// sentence makes an error a sentence for people: capitalised, ending with a full stop.
func sentence(err error) string {
	s := strings.TrimSpace(windowWords(err.Error()))
	if s == "" {
		return ""
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
