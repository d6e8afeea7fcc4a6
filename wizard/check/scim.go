package check

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ssowizard/ssowizard/harness/scim/scimattr"
	"github.com/ssowizard/ssowizard/harness/scim/scimclient"
)

// Checks of a vendor's SCIM endpoint as Entra's provisioning service reaches it. The
// requests are Entra's own client's (harness/scim/scimclient), so what passes here is
// what Entra's Test Connection sends:
// https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups

// SCIMCompliantFlag is the Tenant URL flag that turns on Entra's RFC-compliant SCIM
// behaviour.
const SCIMCompliantFlag = scimclient.CompliantFlag

const fieldSCIMBaseURL = "scim_base_url"

// SCIMBaseURL checks a SCIM Tenant URL: absolute, https (http only on loopback), no
// credentials, no query but Entra's flags.
func SCIMBaseURL(raw string) Result {
	if _, _, err := scimclient.ParseTenantURL(raw); err != nil {
		return fail("scim-base-url", fieldSCIMBaseURL, sentence(err.Error()), "Give the vendor's SCIM base URL, the one before /Users.")
	}
	return ok("scim-base-url", fieldSCIMBaseURL, "The SCIM Tenant URL is usable.")
}

// SCIMAttribute checks that a SCIM attribute path parses (RFC 7644 §3.10).
func SCIMAttribute(a string) Result {
	if strings.TrimSpace(a) == "" {
		return fail("scim-attribute", "", "The SCIM attribute is empty.", "Name the attribute, such as userName.")
	}
	if _, err := scimattr.ParsePath(a); err != nil {
		return fail("scim-attribute", "", fmt.Sprintf("%q is not a SCIM attribute path (%v).", a, err), `Write it as SCIM does, such as name.givenName or emails[type eq "work"].value.`)
	}
	return ok("scim-attribute", "", fmt.Sprintf("%q is a SCIM attribute path.", a))
}

// SCIMUnmapped returns the attributes Entra's default user mappings for a
// non-gallery app do not send.
func SCIMUnmapped(attrs []string) []string {
	var out []string
	for _, a := range attrs {
		found := false
		for _, m := range scimclient.DefaultUserMappings {
			if strings.EqualFold(m.Target, a) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, a)
		}
	}
	return out
}

// SCIMEndpoint is a vendor's SCIM endpoint and the credentials Entra would send.
type SCIMEndpoint struct {
	TenantURL string
	// Token is the bearer Secret Token; BasicUser and BasicPassword the basic ones.
	Token                    string
	BasicUser, BasicPassword string
	// HTTP sends the requests; nil means a client with scimclient's timeout.
	HTTP *http.Client
}

// maxDetail bounds the response body a Result carries.
const maxDetail = 2000

// SCIMTestConnection sends Entra's Test Connection request (a filter on userName for a
// random GUID, which must answer 200 with no users) and returns one Result per request
// with the vendor's answer, then the verdict. The credentials are never in a Result.
func SCIMTestConnection(ctx context.Context, ep SCIMEndpoint) []Result {
	var out []Result
	log := func(ex scimclient.Exchange) { out = append(out, exchangeResult(ex)) }
	c, err := scimclient.New(scimclient.Config{TenantURL: ep.TenantURL, HTTP: ep.HTTP, Log: log,
		Auth: scimclient.Auth{BearerToken: ep.Token, BasicUser: ep.BasicUser, BasicPassword: ep.BasicPassword}})
	if err != nil {
		return []Result{fail("scim-base-url", fieldSCIMBaseURL, sentence(err.Error()), "Give the vendor's SCIM base URL, the one before /Users.")}
	}
	if err := c.TestConnection(ctx); err != nil {
		// The failing request's line becomes the verdict: what the vendor answered,
		// what is wrong, and the fix.
		f := SCIMFailure(err)
		if n := len(out); n > 0 && out[n-1].ID == "scim-request" {
			f.Detail = out[n-1].Detail
			out = out[:n-1]
		}
		return append(out, f)
	}
	return append(out, ok("scim-test-connection", "scim_token", fmt.Sprintf("Entra's Test Connection succeeded: %s answered a filter for a user nobody has with an empty list.", c.BaseURL())))
}

// SCIMFailure turns a SCIM client's error into a failed Result with the fix.
func SCIMFailure(err error) Result {
	fix := "Fix the endpoint so it answers Entra's request as SCIM 2.0 does, then test again."
	field := fieldSCIMBaseURL
	var se *scimclient.Error
	if errors.As(err, &se) {
		switch se.Kind {
		case scimclient.KindUnauthorized:
			fix, field = "Generate a new SCIM token at the vendor and paste it as the Secret Token.", "scim_token"
		case scimclient.KindNetwork:
			fix = "Check the Tenant URL and that the vendor's endpoint is reachable from this computer."
		case scimclient.KindNotSCIM:
			fix = "Use the vendor's SCIM base URL (the one before /Users), not its web or API address."
		}
	}
	return fail("scim-test-connection", field, sentence(err.Error()), fix)
}

// exchangeResult is one SCIM request with the vendor's answer.
func exchangeResult(ex scimclient.Exchange) Result {
	r := Result{ID: "scim-request", Field: fieldSCIMBaseURL, Severity: OK}
	switch {
	case ex.Error != "":
		r.Severity = Error
		r.Message = fmt.Sprintf("%s: %s %s got no answer: %s.", ex.Step, ex.Method, ex.URL, strings.TrimSuffix(ex.Error, "."))
	case ex.Status >= 300:
		r.Severity = Error
		r.Message = fmt.Sprintf("%s: %s %s answered HTTP %d.", ex.Step, ex.Method, ex.URL, ex.Status)
	default:
		r.Message = fmt.Sprintf("%s: %s %s answered HTTP %d.", ex.Step, ex.Method, ex.URL, ex.Status)
	}
	r.Detail = SCIMDetail(ex.RequestBody, ex.ResponseBody)
	return r
}

// SCIMDetail shows a request's body and the answer's, bounded.
func SCIMDetail(request, response string) string {
	var b strings.Builder
	if request != "" {
		b.WriteString("Request: " + clip(request) + "\n")
	}
	if response != "" {
		b.WriteString("Response: " + clip(response))
	}
	return strings.TrimSpace(b.String())
}

func clip(s string) string {
	if len(s) <= maxDetail {
		return s
	}
	return strings.ToValidUTF8(s[:maxDetail], "") + "…"
}

// sentence makes a message one sentence: a capital first letter and a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "."))
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}
