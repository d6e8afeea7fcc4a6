package graph

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/ssowizard/ssowizard/entra"
)

// AuthError is a failed token request, read from Entra's answer (or from why there was
// none). Callers branch on Code; people read Error, one sentence saying what is wrong
// and what to do.
type AuthError struct {
	// Credential is the kind of sign-in: "client secret", "device code" or
	// "interactive browser".
	Credential string
	// ClientID is the application (client) ID that asked.
	ClientID string
	// Code is the AADSTS number (7000215 for AADSTS7000215); 0 when Entra gave none,
	// as when it could not be reached.
	Code int
	// OAuthError is the OAuth error field, e.g. invalid_client or authorization_declined.
	OAuthError string
	// Status is the HTTP status of Entra's answer; 0 when there was none.
	Status int
	// Description is Entra's error_description without its trace, correlation and
	// timestamp lines, and with any secret the credential holds blanked out.
	Description string
	// Fix is the sentence for a person: what is wrong and what to do.
	Fix string

	err error
}

// Error is the one sentence for a person, with the AADSTS code when there is one.
func (e *AuthError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("%s sign-in failed (AADSTS%d): %s", e.Credential, e.Code, e.Fix)
	}
	return fmt.Sprintf("%s sign-in failed: %s", e.Credential, e.Fix)
}

// Unwrap gives the cause, for errors.Is (context.Canceled, a certificate error). The
// cause's own text is azidentity's multi-line report; it holds no secret but is meant
// for a log, not a person.
func (e *AuthError) Unwrap() error { return e.err }

// deviceFixes are the device code outcomes that Entra tells by the OAuth error, all
// sharing code 70000 or 70020.
var deviceFixes = map[string]string{
	"authorization_declined": "the sign-in was declined on the device login page",
	"expired_token":          "the device code expired before anyone signed in with it: start again and enter the new code within 15 minutes",
	"bad_verification_code":  "the device code is not one Entra issued: start the sign-in again",
}

// entraError is Entra's JSON error body.
type entraError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Codes       []int  `json:"error_codes"`
}

var (
	aadstsPrefix = regexp.MustCompile(`^AADSTS(\d+):\s*`)
	aadstsInText = regexp.MustCompile(`AADSTS\d+:[^\n]*`)
)

// cleanDescription keeps what a person can use from Entra's description: the text
// before " Trace ID:", on one line, with secret blanked.
func cleanDescription(d, secret string) string {
	if i := strings.Index(d, "Trace ID:"); i >= 0 {
		d = d[:i]
	}
	return redact(strings.Join(strings.Fields(d), " "), secret)
}

// explain turns what azidentity returned into an AuthError. body is Entra's answer when
// one was captured; transport is the network error behind a missing answer.
func explain(kind, clientID, tenant, secret string, err error, status int, body []byte, transport error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	ae := &AuthError{Credential: kind, ClientID: clientID, Status: status, err: err}
	var ee entraError
	if len(body) == 0 || json.Unmarshal(body, &ee) != nil {
		ee = entraError{}
	}
	if ee.Error == "" && len(ee.Codes) == 0 && transport == nil {
		// An error sent to the redirect URI reaches azidentity as text, HTML-escaped by
		// MSAL's loopback listener: the AADSTS line is all there is.
		if m := aadstsInText.FindString(html.UnescapeString(err.Error())); m != "" {
			ee.Description = m
		}
	}
	if ee.Error != "" || len(ee.Codes) > 0 || ee.Description != "" {
		ae.OAuthError = ee.Error
		ae.Description = cleanDescription(ee.Description, secret)
		if len(ee.Codes) > 0 {
			ae.Code = ee.Codes[0]
		} else if m := aadstsPrefix.FindStringSubmatch(ae.Description); m != nil {
			ae.Code, _ = strconv.Atoi(m[1])
		}
		switch {
		case deviceFixes[ee.Error] != "":
			ae.Fix = deviceFixes[ee.Error]
		case signInFix(ae.Code) != "":
			ae.Fix = strings.NewReplacer("{client}", clientID, "{tenant}", tenant).Replace(signInFix(ae.Code))
		default:
			ae.Fix = firstSentence(aadstsPrefix.ReplaceAllString(ae.Description, ""))
		}
		if ae.Code == 7000215 && entra.LooksLikeSecretID(secret) {
			ae.Fix = "the client secret is wrong: what was pasted is the Secret ID (a GUID); paste the secret's Value instead"
		}
		if ae.Fix == "" {
			ae.Fix = fmt.Sprintf("Entra refused the request (%s, HTTP %d)", ee.Error, status)
			if ee.Error == "" {
				ae.Fix = "Entra refused the request"
			}
		}
		return ae
	}
	ae.Fix = transportFix(transport, status)
	if ae.Fix == "" {
		ae.Fix = azidentityFix(err)
	}
	ae.Fix = redact(ae.Fix, secret)
	return ae
}

// transportFix says why no Entra answer came, from the network error.
func transportFix(err error, status int) string {
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case err == nil && status != 0:
		return fmt.Sprintf("the authority answered HTTP %d (%s) without an Entra error: check the authority host", status, http.StatusText(status))
	case err == nil:
		return ""
	case errors.As(err, &unknownCA):
		return "the server's certificate is issued by an authority this machine does not trust: for the harness, give the target its CA (ca_cert)"
	case errors.As(err, &hostname):
		return "the server's certificate is for another host name: check the authority host"
	case errors.As(err, &invalid):
		return "the server's certificate is not valid (expired, or not for a server): check the authority host and the machine's clock"
	case errors.As(err, &dns):
		return fmt.Sprintf("the authority host %s cannot be found: check the address and the network", dns.Name)
	case errors.As(err, &op) && op.Op == "dial":
		return "nothing answers at the authority host: check the address, the network, or that the harness is running"
	}
	return "the authority could not be reached: check the network and the authority host"
}

// azidentityFix is the last resort: azidentity's own message, which (without a response)
// is a single line saying what failed locally, e.g. a bad option.
func azidentityFix(err error) string {
	msg := err.Error()
	var afe *azidentity.AuthenticationFailedError
	if errors.As(err, &afe) && afe.RawResponse == nil {
		msg, _, _ = strings.Cut(msg, " To troubleshoot")
	}
	msg, _, _ = strings.Cut(msg, "\n")
	return strings.TrimSuffix(strings.TrimSpace(msg), ".")
}

// firstSentence is the text up to its first ". ", without the full stop.
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSuffix(strings.TrimSpace(s), ".")
}

// signInFix is the catalogue's sentence for a failed sign-in with code, or "".
func signInFix(code int) string {
	a, _ := entra.Lookup(code)
	return a.SignIn
}
