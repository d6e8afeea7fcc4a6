package graphapi

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ssowizard/ssowizard/harness/tenant"
)

// Declared properties of the types the harness accepts in bodies, from Graph v1.0's
// metadata: these are tolerated even where the harness does not model them.
var (
	appDeclared = []string{"addIns", "api", "appId", "applicationTemplateId", "appRoles", "certification",
		"createdDateTime", "defaultRedirectUri", "deletedDateTime", "description", "disabledByMicrosoftStatus",
		"displayName", "groupMembershipClaims", "id", "identifierUris", "info", "isDeviceOnlyAuthSupported",
		"isFallbackPublicClient", "keyCredentials", "logo", "nativeAuthenticationApisEnabled", "notes",
		"oauth2RequirePostResponse", "optionalClaims", "parentalControlSettings", "passwordCredentials",
		"publicClient", "publisherDomain", "requestSignatureVerification", "requiredResourceAccess",
		"samlMetadataUrl", "serviceManagementReference", "servicePrincipalLockConfiguration", "signInAudience",
		"spa", "tags", "tokenEncryptionKeyId", "uniqueName", "verifiedPublisher", "web", "owners",
		"createdOnBehalfOf", "extensionProperties", "federatedIdentityCredentials", "homeRealmDiscoveryPolicies",
		"tokenIssuancePolicies", "tokenLifetimePolicies", "synchronization", "appManagementPolicies",
		"authenticationBehaviors"}
	webDeclared = []string{"homePageUrl", "implicitGrantSettings", "logoutUrl", "redirectUris", "redirectUriSettings"}
	spDeclared  = []string{"accountEnabled", "addIns", "alternativeNames", "appDescription", "appDisplayName",
		"appId", "applicationTemplateId", "appOwnerOrganizationId", "appRoleAssignmentRequired", "appRoles",
		"customSecurityAttributes", "deletedDateTime", "description", "disabledByMicrosoftStatus", "displayName",
		"homepage", "id", "info", "keyCredentials", "loginUrl", "logoutUrl", "notes", "notificationEmailAddresses",
		"oauth2PermissionScopes", "passwordCredentials", "preferredSingleSignOnMode",
		"preferredTokenSigningKeyThumbprint", "replyUrls", "resourceSpecificApplicationPermissions",
		"samlSingleSignOnSettings", "servicePrincipalNames", "servicePrincipalType", "signInAudience", "tags",
		"tokenEncryptionKeyId", "verifiedPublisher", "appManagementPolicies", "appRoleAssignedTo",
		"appRoleAssignments", "claimsMappingPolicies", "createdObjects", "delegatedPermissionClassifications",
		"endpoints", "federatedIdentityCredentials", "homeRealmDiscoveryPolicies", "memberOf",
		"oauth2PermissionGrants", "ownedObjects", "owners", "remoteDesktopSecurityConfiguration", "synchronization",
		"tokenIssuancePolicies", "tokenLifetimePolicies", "transitiveMemberOf"}
	passwordDeclared   = []string{"customKeyIdentifier", "displayName", "endDateTime", "hint", "keyId", "secretText", "startDateTime"}
	assignmentDeclared = []string{"id", "appRoleId", "createdDateTime", "deletedDateTime", "principalDisplayName",
		"principalId", "principalType", "resourceDisplayName", "resourceId"}
)

// defaultAccessRole is the appRoleId of "Default Access", the role an assignment to an
// app without app roles carries.
const defaultAccessRole = "00000000-0000-0000-0000-000000000000"

// Lifetimes Graph gives when a request names none.
const (
	passwordLifetime = 2 * 365 * 24 * time.Hour
	certLifetime     = 3 * 365 * 24 * time.Hour
)

var appType = entityType{name: "Application", set: "applications",
	props: []string{"id", "deletedDateTime", "appId", "applicationTemplateId", "createdDateTime", "description",
		"displayName", "groupMembershipClaims", "identifierUris", "notes", "publisherDomain", "signInAudience", "tags",
		"tokenEncryptionKeyId", "optionalClaims", "keyCredentials", "passwordCredentials", "publicClient", "spa",
		"web", "requiredResourceAccess", "appRoles", "api", "info"},
	search: []string{"displayName"},
}

var spType = entityType{name: "ServicePrincipal", set: "servicePrincipals",
	props: []string{"id", "deletedDateTime", "accountEnabled", "appDescription", "appDisplayName", "appId",
		"applicationTemplateId", "appOwnerOrganizationId", "appRoleAssignmentRequired", "description", "displayName",
		"homepage", "loginUrl", "logoutUrl", "notes", "notificationEmailAddresses", "preferredSingleSignOnMode",
		"preferredTokenSigningKeyThumbprint", "replyUrls", "samlSingleSignOnSettings", "servicePrincipalNames",
		"servicePrincipalType", "signInAudience", "tags", "tokenEncryptionKeyId", "keyCredentials",
		"passwordCredentials", "appRoles", "oauth2PermissionScopes", "alternativeNames"},
	search: []string{"displayName"},
}

func groupClaimsGraph(v string) any {
	switch v {
	case tenant.GroupClaimsSecurity:
		return "SecurityGroup"
	case tenant.GroupClaimsAll:
		return "All"
	}
	return nil
}

func (a *API) publisherDomain() string {
	for _, d := range a.store.Domains() {
		if d.Initial {
			return d.Name
		}
	}
	return ""
}

func passwordJSON(s tenant.Secret, withText bool) map[string]any {
	m := map[string]any{"customKeyIdentifier": nil, "displayName": nullable(s.DisplayName), "endDateTime": graphTime(s.End),
		"hint": s.Hint, "keyId": s.KeyID, "secretText": nil, "startDateTime": graphTime(s.Start)}
	if withText {
		m["secretText"] = s.Value
	}
	return m
}

func (a *API) appJSON(app tenant.App) map[string]any {
	at, template := a.createdInfo(app.ObjectID)
	var pw []map[string]any
	for _, s := range app.Secrets {
		pw = append(pw, passwordJSON(s, false))
	}
	var optional any
	if len(app.OptionalClaims) > 0 {
		var claims []map[string]any
		for _, n := range app.OptionalClaims {
			claims = append(claims, map[string]any{"name": n, "source": nil, "essential": false, "additionalProperties": []string{}})
		}
		optional = map[string]any{"idToken": claims, "accessToken": []any{}, "saml2Token": []any{}}
	}
	var uriSettings []map[string]any
	for _, u := range app.RedirectURIs {
		uriSettings = append(uriSettings, map[string]any{"uri": u, "index": nil})
	}
	return map[string]any{
		"id": app.ObjectID, "deletedDateTime": nil, "appId": app.AppID, "applicationTemplateId": nullable(template),
		"createdDateTime": graphTime(at), "description": nil, "displayName": app.DisplayName,
		"groupMembershipClaims": groupClaimsGraph(app.GroupClaims), "identifierUris": list(app.IdentifierURIs),
		"notes": nil, "publisherDomain": a.publisherDomain(), "signInAudience": app.SignInAudience, "tags": []string{},
		"tokenEncryptionKeyId": nil, "optionalClaims": optional, "keyCredentials": []any{},
		"passwordCredentials": list(pw), "publicClient": map[string]any{"redirectUris": []string{}},
		"spa": map[string]any{"redirectUris": []string{}},
		"web": map[string]any{"homePageUrl": nil, "logoutUrl": nullable(app.SAML.LogoutURL),
			"redirectUris": list(app.RedirectURIs), "redirectUriSettings": list(uriSettings),
			"implicitGrantSettings": map[string]any{"enableAccessTokenIssuance": false, "enableIdTokenIssuance": false}},
		"requiredResourceAccess": []any{}, "appRoles": []any{},
		"api": map[string]any{"acceptMappedClaims": nil, "knownClientApplications": []string{},
			"oauth2PermissionScopes": []any{}, "preAuthorizedApplications": []any{}, "requestedAccessTokenVersion": nil},
		"info": map[string]any{"logoUrl": nil, "marketingUrl": nil, "privacyStatementUrl": nil, "supportUrl": nil, "termsOfServiceUrl": nil},
	}
}

// derivedGUID makes a stable GUID from a name, for IDs the tenant does not keep.
func derivedGUID(name string) string {
	h := sha256.Sum256([]byte(name))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	x := hex.EncodeToString(h[:16])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

func thumbprintBytes(th string) any {
	b, err := hex.DecodeString(th)
	if err != nil || len(b) == 0 {
		return nil
	}
	return base64.StdEncoding.EncodeToString(b)
}

// spJSON shows the app's service principal. Signing certificates whose key pairs the
// SAML side has not made yet get them now, so their thumbprints can be shown.
func (a *API) spJSON(app tenant.App) map[string]any {
	if slices.ContainsFunc(app.SAML.Certificates, func(c tenant.SigningCert) bool { return c.Thumbprint == "" }) {
		if _, err := a.idp.SAMLSigningCertificates(app.AppID); err == nil {
			if fresh, ok := a.store.AppByID(app.AppID); ok {
				app = fresh
			}
		}
	}
	at, template := a.createdInfo(app.ServicePrincipalID)
	if template == "" {
		_, template = a.createdInfo(app.ObjectID)
	}
	tags := []string{"WindowsAzureActiveDirectoryIntegratedApp"}
	if template == NonGalleryTemplateID {
		tags = append(tags, "WindowsAzureActiveDirectoryCustomSingleSignOnApplication")
	}
	var keys []map[string]any
	var active any
	for _, c := range app.SAML.Certificates {
		if c.Active {
			active = nullable(c.Thumbprint)
		}
		for _, usage := range []string{"Sign", "Verify"} {
			id := c.KeyID
			if usage == "Verify" {
				id = derivedGUID("verify/" + strings.ToLower(c.KeyID))
			}
			keys = append(keys, map[string]any{"customKeyIdentifier": thumbprintBytes(c.Thumbprint),
				"displayName": nullable(c.DisplayName), "endDateTime": graphTime(c.End), "key": nil, "keyId": id,
				"startDateTime": graphTime(c.Start), "type": "AsymmetricX509Cert", "usage": usage})
		}
	}
	return map[string]any{
		"id": app.ServicePrincipalID, "deletedDateTime": nil, "accountEnabled": true, "appDescription": nil,
		"appDisplayName": app.DisplayName, "appId": app.AppID, "applicationTemplateId": nullable(template),
		"appOwnerOrganizationId": a.store.TenantID(), "appRoleAssignmentRequired": app.AssignmentRequired,
		"createdDateTime": graphTime(at), "description": nil, "displayName": app.DisplayName, "homepage": nil,
		"loginUrl": nil, "logoutUrl": nil, "notes": nil, "notificationEmailAddresses": []string{},
		"preferredSingleSignOnMode": nullable(app.PreferredSSOMode), "preferredTokenSigningKeyThumbprint": active,
		"replyUrls": list(app.RedirectURIs), "samlSingleSignOnSettings": map[string]any{"relayState": nullable(app.SAML.RelayState)},
		"servicePrincipalNames": append([]string{app.AppID}, app.IdentifierURIs...), "servicePrincipalType": "Application",
		"signInAudience": app.SignInAudience, "tags": tags, "tokenEncryptionKeyId": nil, "keyCredentials": list(keys),
		"passwordCredentials": []any{}, "appRoles": []any{}, "oauth2PermissionScopes": []any{}, "alternativeNames": []string{},
	}
}

// appByRef finds the application a path addresses, if Graph shows it yet.
func (a *API) appByRef(e ref) (tenant.App, bool) {
	var app tenant.App
	var ok bool
	switch strings.ToLower(e.prop) {
	case "id":
		app, ok = a.store.AppByObjectID(e.value)
	case "appid":
		app, ok = a.store.AppByID(e.value)
	}
	return app, ok && a.visible(app.ObjectID)
}

// spByRef finds the service principal a path addresses, if Graph shows it yet.
func (a *API) spByRef(e ref) (tenant.App, bool) {
	var app tenant.App
	var ok bool
	switch strings.ToLower(e.prop) {
	case "id":
		app, ok = a.store.AppByServicePrincipalID(e.value)
	case "appid":
		app, ok = a.store.AppByID(e.value)
		ok = ok && app.ServicePrincipalID != ""
	}
	return app, ok && a.visible(app.ServicePrincipalID)
}

// storeError answers a change the tenant refused.
func (c *call) storeError(err error, resource, id string) {
	var fe *tenant.FieldError
	switch {
	case errors.Is(err, tenant.ErrNotFound):
		c.notFound(id)
	case errors.As(err, &fe) && strings.Contains(fe.Path, "identifier_uris") && strings.Contains(fe.Msg, "already"):
		c.badRequest("Another object with the same value for property identifierUris already exists.")
	case errors.As(err, &fe):
		c.badRequest(fmt.Sprintf("Invalid value specified for property '%s' of resource '%s'. (Harness: %s.)", graphProperty(fe.Path), resource, fe.Error()))
	default:
		c.fail(http.StatusInternalServerError, "generalException", "The harness could not make the change: "+err.Error()+".")
	}
}

// graphProperty names the Graph property behind a tenant file path.
func graphProperty(path string) string {
	for _, m := range []struct{ file, graph string }{
		{"redirect_uris", "web.redirectUris"}, {"identifier_uris", "identifierUris"}, {"display_name", "displayName"},
		{"sign_in_audience", "signInAudience"}, {"preferred_sso_mode", "preferredSingleSignOnMode"},
		{"logout_url", "web.logoutUrl"}, {"group_claims", "groupMembershipClaims"}, {"relay_state", "samlSingleSignOnSettings.relayState"},
		{"assignments", "appRoleAssignedTo"},
	} {
		if strings.Contains(path, m.file) {
			return m.graph
		}
	}
	return path
}

// applications serves /applications and what hangs from one application.
func (a *API) applications(c *call, e *ref, rest []string) bool {
	if e == nil {
		c.route = "applications"
		if !c.method("GET", "POST") {
			return true
		}
		if c.r.Method == "GET" {
			if c.allow(permAppRead) {
				var items []map[string]any
				for _, app := range a.store.Apps() {
					if a.visible(app.ObjectID) {
						items = append(items, a.appJSON(app))
					}
				}
				c.collection(appType, items)
			}
			return true
		}
		if c.allow(permAppWrite) {
			a.createApp(c)
		}
		return true
	}
	switch {
	case len(rest) == 0:
		c.route = "applications/{id}"
		if !c.method("GET", "PATCH", "DELETE") {
			return true
		}
		if !c.allowMethod(permAppRead, permAppWrite) {
			return true
		}
		app, ok := a.appByRef(*e)
		if !ok {
			c.notFound(e.value)
			return true
		}
		switch c.r.Method {
		case "GET":
			c.entity(appType, a.appJSON(app))
		case "PATCH":
			a.patchApp(c, app)
		case "DELETE":
			if err := a.store.DeleteApp(app.AppID); err != nil {
				c.storeError(err, "Application", e.value)
				return true
			}
			a.forget(app.ObjectID, app.AppID, app.ServicePrincipalID)
			c.noContent()
		}
		return true
	case len(rest) == 1 && (rest[0] == "addPassword" || rest[0] == "removePassword"):
		c.route = "applications/{id}/" + rest[0]
		if !c.method("POST") || !c.allow(permAppWrite) {
			return true
		}
		app, ok := a.appByRef(*e)
		if !ok {
			c.notFound(e.value)
			return true
		}
		if rest[0] == "addPassword" {
			a.addPassword(c, app)
		} else {
			a.removePassword(c, app)
		}
		return true
	}
	return false
}

// appChange is what a POST or PATCH body sets on an application.
type appChange struct {
	displayName, audience, groupClaims *string
	identifierURIs, redirectURIs       *[]string
	logoutURL                          *string
}

// readAppChange reads the modelled properties of an application body.
func (c *call) readAppChange(m map[string]json.RawMessage) (appChange, bool) {
	var ch appChange
	if !c.properties(m, appDeclared) {
		return ch, false
	}
	str := func(name string, dst **string) bool {
		var v *string
		present, ok := c.field(m, name, &v)
		if present && ok {
			if v == nil {
				v = new(string)
			}
			*dst = v
		}
		return ok
	}
	if !str("displayName", &ch.displayName) || !str("signInAudience", &ch.audience) || !str("groupMembershipClaims", &ch.groupClaims) {
		return ch, false
	}
	var ids []string
	if present, ok := c.field(m, "identifierUris", &ids); !ok {
		return ch, false
	} else if present {
		ids = list(ids)
		ch.identifierURIs = &ids
	}
	raw, found := lookupFold(m, "web")
	if !found || string(raw) == "null" {
		return ch, true
	}
	var web map[string]json.RawMessage
	if err := json.Unmarshal(raw, &web); err != nil {
		c.badRequest("Invalid value specified for property 'web': " + jsonTypeError(err) + ".")
		return ch, false
	}
	if !c.properties(web, webDeclared) {
		return ch, false
	}
	var uris []string
	if present, ok := c.field(web, "redirectUris", &uris); !ok {
		return ch, false
	} else if present {
		uris = list(uris)
		ch.redirectURIs = &uris
	}
	var logout *string
	if present, ok := c.field(web, "logoutUrl", &logout); !ok {
		return ch, false
	} else if present {
		if logout == nil {
			logout = new(string)
		}
		ch.logoutURL = logout
	}
	return ch, true
}

// apply sets the change on an app; a value the tenant model cannot hold is an error
// naming the Graph property.
func (ch appChange) apply(app *tenant.App) error {
	if ch.displayName != nil {
		if strings.TrimSpace(*ch.displayName) == "" {
			return errors.New("displayName must not be empty")
		}
		app.DisplayName = *ch.displayName
	}
	if ch.audience != nil {
		app.SignInAudience = *ch.audience
	}
	if ch.groupClaims != nil {
		switch strings.ToLower(*ch.groupClaims) {
		case "", "none":
			app.GroupClaims = tenant.GroupClaimsNone
		case "securitygroup":
			app.GroupClaims = tenant.GroupClaimsSecurity
		case "all":
			app.GroupClaims = tenant.GroupClaimsAll
		default:
			return fmt.Errorf("groupMembershipClaims %q is not one the harness models (None, SecurityGroup, All)", *ch.groupClaims)
		}
	}
	if ch.identifierURIs != nil {
		app.IdentifierURIs = slices.Clone(*ch.identifierURIs)
	}
	if ch.redirectURIs != nil {
		app.RedirectURIs = slices.Clone(*ch.redirectURIs)
	}
	if ch.logoutURL != nil {
		app.SAML.LogoutURL = *ch.logoutURL
	}
	return nil
}

// changeError answers an error from apply or from the store.
func (c *call) changeError(err error, resource, id string) {
	var fe *tenant.FieldError
	if errors.As(err, &fe) || errors.Is(err, tenant.ErrNotFound) {
		c.storeError(err, resource, id)
		return
	}
	c.badRequest("Invalid value: " + err.Error() + ".")
}

func (a *API) createApp(c *call) {
	m := c.readBody()
	if m == nil {
		return
	}
	ch, ok := c.readAppChange(m)
	if !ok {
		return
	}
	if ch.displayName == nil || strings.TrimSpace(*ch.displayName) == "" {
		c.badRequest("Property 'displayName' is required when creating an application.")
		return
	}
	var app tenant.App
	if err := ch.apply(&app); err != nil {
		c.changeError(err, "Application", "")
		return
	}
	made, err := a.store.AddApp(app)
	if err != nil {
		c.changeError(err, "Application", "")
		return
	}
	a.noted("", made.ObjectID, made.AppID)
	out := a.appJSON(made)
	out["@odata.context"] = odataBase + "applications/$entity"
	c.created(c.base()+"/applications/"+made.ObjectID, out)
}

func (a *API) patchApp(c *call, app tenant.App) {
	m := c.readBody()
	if m == nil {
		return
	}
	ch, ok := c.readAppChange(m)
	if !ok {
		return
	}
	if _, err := a.store.UpdateApp(app.AppID, ch.apply); err != nil {
		c.changeError(err, "Application", app.ObjectID)
		return
	}
	c.noContent()
}

func (a *API) addPassword(c *call, app tenant.App) {
	m := c.readBody()
	if m == nil {
		return
	}
	if !c.properties(m, []string{"passwordCredential"}) {
		return
	}
	var pc map[string]json.RawMessage
	if _, ok := c.field(m, "passwordCredential", &pc); !ok {
		return
	}
	if pc == nil {
		pc = map[string]json.RawMessage{}
	}
	if !c.properties(pc, passwordDeclared) {
		return
	}
	var name *string
	var end *time.Time
	if _, ok := c.field(pc, "displayName", &name); !ok {
		return
	}
	if _, ok := c.field(pc, "endDateTime", &end); !ok {
		return
	}
	now := a.now()
	lifetime := passwordLifetime
	if end != nil {
		lifetime = end.Sub(now.Truncate(time.Second))
		if lifetime <= 0 {
			c.badRequest("Invalid value specified for property 'endDateTime' of resource 'PasswordCredential': it is not after the start.")
			return
		}
	}
	dn := ""
	if name != nil {
		dn = *name
	}
	sec, err := a.store.AddPassword(app.AppID, dn, now, lifetime)
	if err != nil {
		c.changeError(err, "Application", app.ObjectID)
		return
	}
	out := passwordJSON(sec, true)
	out["@odata.context"] = odataBase + "microsoft.graph.passwordCredential"
	c.write(http.StatusOK, out)
}

func (a *API) removePassword(c *call, app tenant.App) {
	m := c.readBody()
	if m == nil {
		return
	}
	if !c.properties(m, []string{"keyId"}) {
		return
	}
	var keyID string
	if present, ok := c.field(m, "keyId", &keyID); !ok {
		return
	} else if !present || !tenant.IsGUID(strings.ToLower(keyID)) {
		c.badRequest("The parameter 'keyId' is required and must be a GUID.")
		return
	}
	if err := a.store.RemovePassword(app.AppID, keyID); err != nil {
		if errors.Is(err, tenant.ErrNotFound) {
			c.fail(http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("No password credential with keyId '%s' exists on the application.", keyID))
			return
		}
		c.changeError(err, "Application", app.ObjectID)
		return
	}
	c.noContent()
}

// servicePrincipals serves /servicePrincipals and what hangs from one.
func (a *API) servicePrincipals(c *call, e *ref, rest []string) bool {
	if e == nil {
		c.route = "servicePrincipals"
		if !c.method("GET", "POST") {
			return true
		}
		if c.r.Method == "GET" {
			if c.allow(permAppRead) {
				var items []map[string]any
				for _, app := range a.store.Apps() {
					if app.ServicePrincipalID != "" && a.visible(app.ServicePrincipalID) {
						items = append(items, a.spJSON(app))
					}
				}
				c.collection(spType, items)
			}
			return true
		}
		if c.allow(permAppWrite) {
			a.createSP(c)
		}
		return true
	}
	switch {
	case len(rest) == 0:
		c.route = "servicePrincipals/{id}"
		if !c.method("GET", "PATCH") {
			return true
		}
		if !c.allowMethod(permAppRead, permAppWrite) {
			return true
		}
		app, ok := a.spByRef(*e)
		if !ok {
			c.notFound(e.value)
			return true
		}
		if c.r.Method == "GET" {
			c.entity(spType, a.spJSON(app))
		} else {
			a.patchSP(c, app)
		}
		return true
	case len(rest) == 1 && rest[0] == "addTokenSigningCertificate":
		c.route = "servicePrincipals/{id}/addTokenSigningCertificate"
		if !c.method("POST") || !c.allow(permAppWrite) {
			return true
		}
		app, ok := a.spByRef(*e)
		if !ok {
			c.notFound(e.value)
			return true
		}
		a.addSigningCert(c, app)
		return true
	case rest[0] == "appRoleAssignedTo" && len(rest) <= 2:
		return a.assignments(c, e, rest[1:])
	case rest[0] == "synchronization":
		return a.synchronization(c, e, rest[1:])
	}
	return false
}

func (a *API) createSP(c *call) {
	m := c.readBody()
	if m == nil {
		return
	}
	if !c.properties(m, spDeclared) {
		return
	}
	var appID string
	if present, ok := c.field(m, "appId", &appID); !ok {
		return
	} else if !present || appID == "" {
		c.badRequest("Property 'appId' is required when creating a service principal.")
		return
	}
	// Properties of the new service principal given with it apply as a PATCH would.
	ch, ok := c.readSPChange(m)
	if !ok {
		return
	}
	if ch.thumbprint != nil && *ch.thumbprint != "" {
		c.badRequest("Invalid value specified for property 'preferredTokenSigningKeyThumbprint': a new service principal has no signing certificate yet; add one with addTokenSigningCertificate, then set it.")
		return
	}
	app, ok := a.appByRef(ref{"appId", appID})
	if !ok {
		c.badRequest(fmt.Sprintf("The appId '%s' of the service principal does not reference a valid application object.", appID))
		return
	}
	spID, created, err := a.store.EnsureServicePrincipal(app.AppID)
	if err != nil {
		c.changeError(err, "ServicePrincipal", "")
		return
	}
	if !created {
		c.fail(http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue", fmt.Sprintf("The service principal cannot be created, updated, or restored because the service principal name %s is already in use.", app.AppID))
		return
	}
	a.noted("", spID)
	made, err := a.store.UpdateApp(app.AppID, func(x *tenant.App) error { return a.applySP(ch, x) })
	if err != nil {
		c.changeError(err, "ServicePrincipal", spID)
		return
	}
	out := a.spJSON(made)
	out["@odata.context"] = odataBase + "servicePrincipals/$entity"
	c.created(c.base()+"/servicePrincipals/"+spID, out)
}

// spChange is what a PATCH body sets on a service principal.
type spChange struct {
	assignmentRequired *bool
	mode, thumbprint   *string
	relayState         *string
}

func (c *call) readSPChange(m map[string]json.RawMessage) (spChange, bool) {
	var ch spChange
	if !c.properties(m, spDeclared) {
		return ch, false
	}
	if _, ok := c.field(m, "appRoleAssignmentRequired", &ch.assignmentRequired); !ok {
		return ch, false
	}
	for _, f := range []struct {
		name string
		dst  **string
	}{{"preferredSingleSignOnMode", &ch.mode}, {"preferredTokenSigningKeyThumbprint", &ch.thumbprint}} {
		var v *string
		present, ok := c.field(m, f.name, &v)
		if !ok {
			return ch, false
		}
		if present {
			if v == nil {
				v = new(string)
			}
			*f.dst = v
		}
	}
	raw, found := lookupFold(m, "samlSingleSignOnSettings")
	if found && string(raw) != "null" {
		var s map[string]json.RawMessage
		if err := json.Unmarshal(raw, &s); err != nil {
			c.badRequest("Invalid value specified for property 'samlSingleSignOnSettings': " + jsonTypeError(err) + ".")
			return ch, false
		}
		if !c.properties(s, []string{"relayState"}) {
			return ch, false
		}
		var rs *string
		present, ok := c.field(s, "relayState", &rs)
		if !ok {
			return ch, false
		}
		if present {
			if rs == nil {
				rs = new(string)
			}
			ch.relayState = rs
		}
	}
	return ch, true
}

// applySP sets the change on the app's service principal part.
func (a *API) applySP(ch spChange, app *tenant.App) error {
	if ch.assignmentRequired != nil {
		app.AssignmentRequired = *ch.assignmentRequired
	}
	if ch.mode != nil {
		app.PreferredSSOMode = *ch.mode
	}
	if ch.relayState != nil {
		app.SAML.RelayState = *ch.relayState
	}
	if ch.thumbprint != nil {
		th := strings.ToUpper(strings.ReplaceAll(*ch.thumbprint, ":", ""))
		i := slices.IndexFunc(app.SAML.Certificates, func(c tenant.SigningCert) bool { return c.Thumbprint != "" && c.Thumbprint == th })
		if i < 0 {
			return fmt.Errorf("preferredTokenSigningKeyThumbprint %q is not the thumbprint of a signing certificate of this service principal", *ch.thumbprint)
		}
		for j := range app.SAML.Certificates {
			app.SAML.Certificates[j].Active = j == i
		}
	}
	return nil
}

func (a *API) patchSP(c *call, app tenant.App) {
	m := c.readBody()
	if m == nil {
		return
	}
	ch, ok := c.readSPChange(m)
	if !ok {
		return
	}
	if ch.thumbprint != nil {
		// Certificates recorded without their key pair get it now, so the thumbprint
		// being activated can be matched.
		if _, err := a.idp.SAMLSigningCertificates(app.AppID); err != nil {
			c.fail(http.StatusInternalServerError, "generalException", "The harness could not make the SAML signing keys: "+err.Error()+".")
			return
		}
	}
	if _, err := a.store.UpdateApp(app.AppID, func(x *tenant.App) error { return a.applySP(ch, x) }); err != nil {
		c.changeError(err, "ServicePrincipal", app.ServicePrincipalID)
		return
	}
	c.noContent()
}

func (a *API) addSigningCert(c *call, app tenant.App) {
	m := c.readBody()
	if m == nil {
		return
	}
	if !c.properties(m, []string{"displayName", "endDateTime"}) {
		return
	}
	var name *string
	var end *time.Time
	if _, ok := c.field(m, "displayName", &name); !ok {
		return
	}
	if _, ok := c.field(m, "endDateTime", &end); !ok {
		return
	}
	dn := "CN=Microsoft Azure Federated SSO Certificate"
	if name != nil {
		dn = strings.TrimSpace(*name)
		if !strings.HasPrefix(dn, "CN=") || len(dn) == 3 {
			c.badRequest("Invalid value specified for property 'displayName': a token signing certificate's display name must start with 'CN='.")
			return
		}
	}
	until := time.Now().Add(certLifetime)
	if end != nil {
		until = *end
	}
	rec, cert, err := a.idp.CreateSAMLSigningCert(app.AppID, dn, until)
	if err != nil {
		if errors.Is(err, tenant.ErrNotFound) {
			c.notFound(app.ServicePrincipalID)
			return
		}
		c.badRequest("The token signing certificate could not be made: " + err.Error() + ".")
		return
	}
	c.write(http.StatusOK, map[string]any{
		"@odata.context":      odataBase + "microsoft.graph.selfSignedCertificate",
		"customKeyIdentifier": thumbprintBytes(rec.Thumbprint), "displayName": rec.DisplayName,
		"endDateTime": graphTime(rec.End), "key": base64.StdEncoding.EncodeToString(cert.Raw), "keyId": rec.KeyID,
		"startDateTime": graphTime(rec.Start), "thumbprint": rec.Thumbprint, "type": "AsymmetricX509Cert", "usage": "Verify",
	})
}

// instantiate is the application template's instantiate action: a new application
// with its service principal at once, both as Graph shows them, and neither visible
// to further reads until the propagation delay has passed ("not instant").
func (a *API) instantiate(c *call, templateID string) {
	if !strings.EqualFold(templateID, NonGalleryTemplateID) {
		c.notFound(templateID)
		return
	}
	m := c.readBody()
	if m == nil {
		return
	}
	if !c.properties(m, []string{"displayName", "serviceManagementReference"}) {
		return
	}
	var name string
	if _, ok := c.field(m, "displayName", &name); !ok {
		return
	}
	if strings.TrimSpace(name) == "" {
		c.badRequest("The parameter 'displayName' is required.")
		return
	}
	spID, err := tenant.NewGUID(rand.Reader)
	if err != nil {
		c.fail(http.StatusInternalServerError, "generalException", "The harness could not make an ID.")
		return
	}
	made, err := a.store.AddApp(tenant.App{DisplayName: name, ServicePrincipalID: spID})
	if err != nil {
		c.changeError(err, "Application", "")
		return
	}
	a.noted(NonGalleryTemplateID, made.ObjectID, made.AppID, made.ServicePrincipalID)
	c.created(c.base()+"/applications/"+made.ObjectID, map[string]any{
		"@odata.context":   odataBase + "microsoft.graph.applicationServicePrincipal",
		"application":      a.appJSON(made),
		"servicePrincipal": a.spJSON(made),
	})
}
