package graph

import (
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"testing"
)

// TestExplain reads Entra's error bodies and network failures the harness cannot
// produce on demand, and checks each becomes one sentence.
func TestExplain(t *testing.T) {
	const client, tenant, secret = "0b7e5c1d-3f2a-4e8b-a6d9-5c4e1f0a7b28", "contoso.example", "Abc8Q~secretsecretsecretsecretsecretsecr"
	cause := errors.New("azidentity said so")
	tests := []struct {
		name      string
		status    int
		body      string
		transport error
		code      int
		want      string
	}{
		{"known code with IDs", 400, `{"error":"unauthorized_client","error_description":"AADSTS700016: Application with identifier 'x' was not found. Trace ID: 1 Correlation ID: 2 Timestamp: 3","error_codes":[700016]}`, nil,
			700016, "client sign-in failed (AADSTS700016): no application with client ID " + client + " exists in tenant " + tenant + ": check the Application (client) ID and the tenant"},
		{"unknown code falls back to Entra's first sentence", 400, `{"error":"invalid_request","error_description":"AADSTS123456: Something new happened. Do this. Trace ID: 1","error_codes":[123456]}`, nil,
			123456, "client sign-in failed (AADSTS123456): Something new happened"},
		{"code only in the description", 400, `{"error":"invalid_client","error_description":"AADSTS7000222: The provided client secret keys are expired."}`, nil,
			7000222, "client sign-in failed (AADSTS7000222): the client secret has expired: create a new secret for the app and use its Value"},
		{"device code expired", 400, `{"error":"expired_token","error_description":"AADSTS70020: expired","error_codes":[70020]}`, nil,
			70020, "client sign-in failed (AADSTS70020): the device code expired before anyone signed in with it: start again and enter the new code within 15 minutes"},
		{"secret echoed", 400, `{"error":"invalid_resource","error_description":"AADSTS999999: The resource ` + secret + ` was not found.","error_codes":[999999]}`, nil,
			999999, "client sign-in failed (AADSTS999999): The resource [secret] was not found"},
		{"not Entra's answer", 502, `<html>bad gateway</html>`, nil,
			0, "client sign-in failed: the authority answered HTTP 502 (Bad Gateway) without an Entra error: check the authority host"},
		{"unknown CA", 0, "", &net.OpError{Op: "remote error", Err: x509.UnknownAuthorityError{}}, 0, "give the target its CA"},
		{"no such host", 0, "", &net.DNSError{Name: "login.example", Err: "no such host"}, 0, "the authority host login.example cannot be found"},
		{"refused", 0, "", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, 0, "nothing answers at the authority host"},
		{"local failure", 0, "", nil, 0, "client sign-in failed: azidentity said so"},
		{"redirect answer as text", 0, "", nil, 50105, "client sign-in failed (AADSTS50105): the user is not assigned to the app"},
	}
	for _, tc := range tests {
		cause := cause
		if tc.code == 50105 {
			cause = errors.New("InteractiveBrowserCredential: AADSTS50105: Your administrator has configured the application &#39;x&#39; to block users. Trace ID: 1")
		}
		err := explain("client", client, tenant, secret, cause, tc.status, []byte(tc.body), tc.transport)
		var ae *AuthError
		if !errors.As(err, &ae) || ae.Code != tc.code || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), secret) ||
			!errors.Is(err, cause) {
			t.Errorf("%s: explain(%q) = %q, want code %d and %q", tc.name, tc.body, err, tc.code, tc.want)
		}
	}
}
