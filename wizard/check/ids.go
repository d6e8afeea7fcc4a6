package check

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/ssowizard/ssowizard/directory"
	"github.com/ssowizard/ssowizard/entra"
)

const nilGUID = "00000000-0000-0000-0000-000000000000"

// guidWrapping names how a GUID was wrapped when pasted, so the message can say what to
// take away.
type guidWrapping int

const (
	guidBare     guidWrapping = iota // the canonical 8-4-4-4-12 form
	guidQuoted                       // "…" or '…'
	guidBraced                       // {…}, as Windows tools print GUIDs
	guidURN                          // urn:uuid:…
	guidNoDashes                     // 32 hex digits
	guidAPIURI                       // api://…, the Application ID URI
)

// unwrapGUID finds the GUID in s (already trimmed) and how it was wrapped; ok is false
// when s holds no GUID in any of the known wrappings.
func unwrapGUID(s string) (guid string, how guidWrapping, ok bool) {
	t, how := s, guidBare
	for _, q := range [][2]string{{`"`, `"`}, {`'`, `'`}, {"“", "”"}, {"‘", "’"}} {
		if len(t) > len(q[0])+len(q[1]) && strings.HasPrefix(t, q[0]) && strings.HasSuffix(t, q[1]) {
			t, how = strings.TrimSpace(t[len(q[0]):len(t)-len(q[1])]), guidQuoted
			break
		}
	}
	if len(t) > 2 && t[0] == '{' && t[len(t)-1] == '}' {
		t = t[1 : len(t)-1]
		if how == guidBare {
			how = guidBraced
		}
	}
	if rest, found := cutPrefixFold(t, "urn:uuid:"); found {
		t = rest
		if how == guidBare {
			how = guidURN
		}
	}
	if rest, found := cutPrefixFold(t, "api://"); found {
		t = strings.TrimSuffix(rest, "/")
		if how == guidBare {
			how = guidAPIURI
		}
	}
	if entra.IsGUID(t) {
		return t, how, true
	}
	if len(t) == 32 && isHex(t) {
		if how == guidBare {
			how = guidNoDashes
		}
		return t[0:8] + "-" + t[8:12] + "-" + t[12:16] + "-" + t[16:20] + "-" + t[20:32], how, true
	}
	return "", guidBare, false
}

// guidWrappingResult explains a wrapped GUID; label names the ID in a sentence
// ("client ID"), fix ends the sentence that says where it comes from.
func guidWrappingResult(id, field, label, guid string, how guidWrapping) Result {
	enter := fmt.Sprintf("Enter it as the bare GUID %s.", guid)
	switch how {
	case guidQuoted:
		return fail(id+"-quotes", field, fmt.Sprintf("The %s is wrapped in quotation marks, which are not part of it.", label), enter)
	case guidBraced:
		return fail(id+"-braces", field, fmt.Sprintf("The %s is wrapped in braces {…} as Windows tools print GUIDs, but Entra expects the bare GUID.", label), enter)
	case guidURN:
		return fail(id+"-urn", field, fmt.Sprintf("The %s carries the urn:uuid: prefix, which Entra does not accept.", label), enter)
	case guidNoDashes:
		return fail(id+"-no-dashes", field, fmt.Sprintf("The %s has its 32 hexadecimal digits without dashes, but Entra expects the 8-4-4-4-12 form.", label), enter)
	case guidAPIURI:
		return fail(id+"-app-id-uri", field, fmt.Sprintf("This is an Application ID URI (api://…), not the %s.", label), enter)
	}
	return Result{}
}

// ClientID checks the Application (client) ID: a GUID. Surrounding space is ignored
// (callers trim); quotes, braces, a urn:uuid: or api:// prefix and missing dashes are
// explained with the bare GUID to enter instead.
func ClientID(s string) Result {
	const id, field, label = "client-id", fieldClientID, "client ID"
	where := "Copy the Application (client) ID from " + appRegistrations + " > Overview."
	t := strings.TrimSpace(s)
	if t == "" {
		return fail(id+"-empty", field, "The Application (client) ID is empty.", where)
	}
	if r, found := innerSpace(id, field, label, t); found {
		return r
	}
	guid, how, isGUID := unwrapGUID(t)
	switch {
	case entra.LooksLikeSecretValue(t):
		return fail(id+"-is-secret", field, "This looks like a client secret Value, not the Application (client) ID.",
			"Copy the Application (client) ID from "+appRegistrations+" > Overview, and keep the secret for the client secret field only.")
	case !isGUID:
		return fail(id+"-format", field, "The client ID is not a GUID (8-4-4-4-12 hexadecimal digits, like 1b4e28ba-2fa1-41d2-883f-0016d3cca427).", where)
	case how != guidBare:
		return guidWrappingResult(id, field, label, guid, how)
	case guid == nilGUID:
		return fail(id+"-zero", field, "The client ID is the all-zero GUID, which no application has.", where)
	}
	return ok(id, field, "The client ID has the GUID form of an Application (client) ID.")
}

// multiTenantNames are the authority segments that are not a tenant.
var multiTenantNames = map[string]bool{"common": true, "organizations": true, "consumers": true}

// TenantID checks the Directory (tenant) ID: a GUID, or a domain name of the tenant
// (which the caller then checks by discovery). The multi-tenant names "common",
// "organizations" and "consumers" are refused: single-tenant SSO needs the tenant itself.
func TenantID(s string) Result {
	const id, field, label = "tenant-id", fieldTenantID, "tenant ID"
	where := "Copy the Directory (tenant) ID from " + entraAdminCenter + " > Overview."
	t := strings.TrimSpace(s)
	if t == "" {
		return fail(id+"-empty", field, "The tenant ID is empty.", where)
	}
	if r, found := innerSpace(id, field, label, t); found {
		return r
	}
	if multiTenantNames[strings.ToLower(t)] {
		return fail(id+"-multi-tenant", field,
			fmt.Sprintf("%q names one of Entra's multi-tenant endpoints, not a tenant, and an app registered for your organization only cannot sign users in there.", t),
			where).with("Entra answers AADSTS50194 when a single-tenant app is used through /common or /organizations.")
	}
	if strings.Contains(t, "://") {
		if guid := tenantInURL(t); guid != "" {
			return fail(id+"-url", field, "This is a URL, not the tenant ID.", fmt.Sprintf("Enter only the tenant part of it: %s.", guid))
		}
		return fail(id+"-url", field, "This is a URL, not the tenant ID.", where)
	}
	if _, domain, found := strings.Cut(t, "@"); found {
		return fail(id+"-email", field, "This is an e-mail address, not the tenant ID.",
			fmt.Sprintf("Enter the Directory (tenant) ID, or the domain %s if it is verified in your tenant.", domain))
	}
	if guid, how, isGUID := unwrapGUID(t); isGUID {
		switch {
		case how != guidBare:
			return guidWrappingResult(id, field, label, guid, how)
		case strings.EqualFold(guid, entra.MSATenantID):
			return fail(id+"-consumer", field, "This is the tenant of personal Microsoft accounts, not your organization's tenant.", where)
		case guid == nilGUID:
			return fail(id+"-zero", field, "The tenant ID is the all-zero GUID, which no tenant has.", where)
		default:
			return ok(id, field, "The tenant ID has the GUID form of a Directory (tenant) ID.")
		}
	}
	name := strings.ToLower(t)
	if r, valid := domainShape(field, name); !valid {
		return fail(id+"-format", field, "The tenant ID is neither a GUID nor a domain name.", where).with(r.Message)
	}
	return ok(id, field, fmt.Sprintf("The tenant is given by the domain %s, which Entra accepts in place of the tenant ID when it is verified in the tenant.", name))
}

// tenantInURL returns the tenant GUID in an Entra URL (the first path segment of a
// login.microsoftonline.com or sts.windows.net URL), or "".
func tenantInURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	seg, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	if entra.IsGUID(seg) {
		return strings.ToLower(seg)
	}
	return ""
}

// innerSpace explains a space, line break or invisible character inside a trimmed ID
// (copying from a web page or a PDF brings them along), with the GUID to enter when
// removing them leaves one.
func innerSpace(id, field, label, t string) (Result, bool) {
	if strings.IndexFunc(t, isSpaceOrInvisible) < 0 {
		return Result{}, false
	}
	r := fail(id+"-whitespace", field, fmt.Sprintf("The %s has a space, line break or invisible character inside it.", label),
		"Type it again or copy it with the copy button beside it in the portal.")
	stripped := strings.Map(func(r rune) rune {
		if isSpaceOrInvisible(r) {
			return -1
		}
		return r
	}, t)
	if guid, how, found := unwrapGUID(stripped); found && how == guidBare {
		r.Fix = fmt.Sprintf("Enter it as %s.", guid)
	}
	return r, true
}

// NotObjectID checks that clientID is app's Application (client) ID and not its Object
// ID, the other GUID on the same Overview page. A zero App (nothing known) passes.
func NotObjectID(clientID string, app directory.App) Result {
	const id, field = "client-id", fieldClientID
	t := strings.TrimSpace(clientID)
	if g, _, isGUID := unwrapGUID(t); isGUID {
		t = g
	}
	name := appName(app)
	switch {
	case app.AppID != "" && strings.EqualFold(t, app.AppID):
		return ok(id, field, fmt.Sprintf("The client ID is the Application (client) ID of %s.", name))
	case app.ObjectID != "" && strings.EqualFold(t, app.ObjectID):
		fix := "Enter the Application (client) ID shown on the app's Overview page instead."
		if app.AppID != "" {
			fix = fmt.Sprintf("Enter the Application (client) ID shown above it on the Overview page: %s.", app.AppID)
		}
		return fail(id+"-is-object-id", field, fmt.Sprintf("This is the Object ID of %s, not its Application (client) ID.", name), fix)
	case app.AppID != "":
		return fail(id+"-mismatch", field,
			fmt.Sprintf("The client ID is neither the Application (client) ID nor the Object ID of %s (an Object ID from Enterprise applications is different again).", name),
			fmt.Sprintf("Enter the Application (client) ID of %s: %s.", name, app.AppID))
	}
	return ok(id, field, "The client ID is not the app's Object ID.")
}

// appName names an app in a sentence.
func appName(a directory.App) string {
	switch {
	case a.DisplayName != "":
		return fmt.Sprintf("the app %q", a.DisplayName)
	case a.AppID != "":
		return "the app " + a.AppID
	}
	return "the app"
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
