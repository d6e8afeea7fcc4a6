package graph

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/applicationtemplates"
	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
	"github.com/ssowizard/ssowizard/directory"
	"github.com/ssowizard/ssowizard/entra"
)

// NonGalleryTemplateID is the application template of a custom ("non-gallery") SAML
// enterprise application.
const NonGalleryTemplateID = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"

// defaultAccessRole is the appRoleId of "Default Access", what an assignment to an app
// without app roles of its own carries.
var defaultAccessRole = uuid.Nil

// Tenant reads GET /organization.
func (c *SDKClient) Tenant(ctx context.Context) (directory.Tenant, error) {
	resp, err := c.sdk.Organization().Get(ctx, nil)
	if err != nil {
		return directory.Tenant{}, c.explain(opTenant, err)
	}
	orgs := resp.GetValue()
	if len(orgs) == 0 {
		return directory.Tenant{}, &Error{Op: opTenant.what, Status: http.StatusOK,
			Fix: "Microsoft Graph listed no organization: check that the sign-in is to a work or school tenant"}
	}
	return directory.Tenant{ID: deref(orgs[0].GetId()), DisplayName: deref(orgs[0].GetDisplayName())}, nil
}

// Domains reads GET /domains.
func (c *SDKClient) Domains(ctx context.Context) ([]directory.Domain, error) {
	resp, err := c.sdk.Domains().Get(ctx, nil)
	if err != nil {
		return nil, c.explain(opDomains, err)
	}
	var out []directory.Domain
	for _, d := range resp.GetValue() {
		out = append(out, directory.Domain{Name: deref(d.GetId()), Default: deref(d.GetIsDefault()),
			Initial: deref(d.GetIsInitial()), Verified: deref(d.GetIsVerified())})
	}
	return out, nil
}

func checkName(o op, name string) error {
	if strings.TrimSpace(name) == "" {
		return &Error{Op: o.what, Fix: "no name: give the application a display name"}
	}
	if len(name) > 256 {
		return &Error{Op: o.what, Fix: "the name is longer than the 256 characters Entra allows: shorten it"}
	}
	return nil
}

// CreateOIDCApp posts the application, then ensures its service principal.
func (c *SDKClient) CreateOIDCApp(ctx context.Context, name string, redirectURIs []string) (directory.App, error) {
	if err := checkName(opCreateApp, name); err != nil {
		return directory.App{}, err
	}
	body := models.NewApplication()
	body.SetDisplayName(&name)
	audience := "AzureADMyOrg"
	body.SetSignInAudience(&audience)
	web := models.NewWebApplication()
	web.SetRedirectUris(nonNil(redirectURIs))
	body.SetWeb(web)
	made, err := c.sdk.Applications().Post(ctx, body, nil)
	if err != nil {
		return directory.App{}, c.explain(opCreateApp, err)
	}
	app := directory.App{ObjectID: deref(made.GetId()), AppID: deref(made.GetAppId()), DisplayName: deref(made.GetDisplayName())}
	if app.ObjectID == "" || app.AppID == "" {
		return directory.App{}, &Error{Op: opCreateApp.what, Status: http.StatusCreated, Fix: "Microsoft Graph answered without the new application's IDs: look for it under App registrations"}
	}
	c.created(app.ObjectID, app.AppID)
	c.log.Info("graph application created", "app_id", app.AppID, "object_id", app.ObjectID)
	if err := c.readBackApp(ctx, app); err != nil {
		return app, err
	}
	return c.EnsureServicePrincipal(ctx, app)
}

// InstantiateSAMLApp posts the non-gallery template's instantiate action, then waits
// until Graph shows both objects, since instantiation is not instant.
func (c *SDKClient) InstantiateSAMLApp(ctx context.Context, name string) (directory.App, error) {
	if err := checkName(opInstantiate, name); err != nil {
		return directory.App{}, err
	}
	body := applicationtemplates.NewItemInstantiatePostRequestBody()
	body.SetDisplayName(&name)
	made, err := c.sdk.ApplicationTemplates().ByApplicationTemplateId(NonGalleryTemplateID).Instantiate().Post(ctx, body, nil)
	if err != nil {
		return directory.App{}, c.explain(opInstantiate, err)
	}
	var app directory.App
	if a := made.GetApplication(); a != nil {
		app.ObjectID, app.AppID, app.DisplayName = deref(a.GetId()), deref(a.GetAppId()), deref(a.GetDisplayName())
	}
	if sp := made.GetServicePrincipal(); sp != nil {
		app.ServicePrincipalID = deref(sp.GetId())
	}
	if app.ObjectID == "" || app.AppID == "" || app.ServicePrincipalID == "" {
		return directory.App{}, &Error{Op: opInstantiate.what, Status: http.StatusCreated, Fix: "Microsoft Graph answered without the new application's IDs: look for it under Enterprise applications"}
	}
	c.created(app.ObjectID, app.AppID, app.ServicePrincipalID)
	c.log.Info("graph SAML application created", "app_id", app.AppID, "object_id", app.ObjectID, "service_principal_id", app.ServicePrincipalID)
	if err := c.readBackApp(ctx, app); err != nil {
		return app, err
	}
	return app, c.readBackSP(ctx, app)
}

// readBackApp reads the application until Graph shows it.
func (c *SDKClient) readBackApp(ctx context.Context, app directory.App) error {
	return c.settle(ctx, opReadApp, []string{app.ObjectID}, func() error {
		_, err := c.sdk.Applications().ByApplicationId(app.ObjectID).Get(ctx, nil)
		return c.explain(opReadApp, err)
	})
}

// readBackSP reads the service principal until Graph shows it.
func (c *SDKClient) readBackSP(ctx context.Context, app directory.App) error {
	return c.settle(ctx, opReadSP, []string{app.ServicePrincipalID}, func() error {
		_, err := c.sdk.ServicePrincipals().ByServicePrincipalId(app.ServicePrincipalID).Get(ctx, nil)
		return c.explain(opReadSP, err)
	})
}

// EnsureServicePrincipal reads the service principal by appId, creating it when there
// is none; an application just created may not be replicated yet, which settle waits out.
func (c *SDKClient) EnsureServicePrincipal(ctx context.Context, app directory.App) (directory.App, error) {
	if !entra.IsGUID(strings.TrimSpace(app.AppID)) {
		return app, &Error{Op: opCreateSP.what, Fix: fmt.Sprintf("%q is not an Application (client) ID: copy the GUID from the app's overview", app.AppID)}
	}
	if app.ObjectID == "" {
		var a models.Applicationable
		err := c.settle(ctx, opReadApp, []string{app.AppID}, func() error {
			var err error
			a, err = c.sdk.ApplicationsWithAppId(&app.AppID).Get(ctx, nil)
			return c.explain(opReadApp, err)
		})
		if err != nil {
			return app, err
		}
		app.ObjectID = deref(a.GetId())
		if app.DisplayName == "" {
			app.DisplayName = deref(a.GetDisplayName())
		}
	}
	if sp, err := c.sdk.ServicePrincipalsWithAppId(&app.AppID).Get(ctx, nil); err == nil {
		app.ServicePrincipalID = deref(sp.GetId())
		return app, nil
	} else if err := c.explain(opReadSP, err); !notReplicated(err) {
		return app, err
	}
	body := models.NewServicePrincipal()
	body.SetAppId(&app.AppID)
	var made models.ServicePrincipalable
	err := c.settle(ctx, opCreateSP, []string{app.AppID, app.ObjectID}, func() error {
		var err error
		made, err = c.sdk.ServicePrincipals().Post(ctx, body, nil)
		return c.explain(opCreateSP, err)
	})
	var ge *Error
	if errors.As(err, &ge) && (ge.Status == http.StatusConflict || ge.Code == CodeDuplicateKeyValue) {
		// Made since the read above, or by a replica that had not shown it: read it.
		c.created(app.AppID)
		err = c.settle(ctx, opReadSP, []string{app.AppID}, func() error {
			var err error
			made, err = c.sdk.ServicePrincipalsWithAppId(&app.AppID).Get(ctx, nil)
			return c.explain(opReadSP, err)
		})
	}
	if err != nil {
		return app, err
	}
	app.ServicePrincipalID = deref(made.GetId())
	c.created(app.ServicePrincipalID)
	c.log.Info("graph service principal ready", "app_id", app.AppID, "service_principal_id", app.ServicePrincipalID)
	return app, c.readBackSP(ctx, app)
}

// needs checks that app carries the IDs a step uses.
func needs(o op, app directory.App, object, sp bool) error {
	switch {
	case object && !entra.IsGUID(strings.TrimSpace(app.ObjectID)):
		return &Error{Op: o.what, Fix: "the application's Object ID is missing or not a GUID: create the app first, or copy the Object ID from App registrations"}
	case sp && !entra.IsGUID(strings.TrimSpace(app.ServicePrincipalID)):
		return &Error{Op: o.what, Fix: "the enterprise application's Object ID is missing or not a GUID: create its service principal first"}
	}
	return nil
}

// patchApp PATCHes the application, retrying while a fresh one is not replicated.
func (c *SDKClient) patchApp(ctx context.Context, o op, app directory.App, body models.Applicationable) error {
	if err := needs(o, app, true, false); err != nil {
		return err
	}
	return c.settle(ctx, o, []string{app.ObjectID}, func() error {
		_, err := c.sdk.Applications().ByApplicationId(app.ObjectID).Patch(ctx, body, nil)
		return c.explain(o, err)
	})
}

// patchSP PATCHes the service principal, retrying while a fresh one is not replicated.
func (c *SDKClient) patchSP(ctx context.Context, o op, app directory.App, body models.ServicePrincipalable) error {
	if err := needs(o, app, false, true); err != nil {
		return err
	}
	return c.settle(ctx, o, []string{app.ServicePrincipalID}, func() error {
		_, err := c.sdk.ServicePrincipals().ByServicePrincipalId(app.ServicePrincipalID).Patch(ctx, body, nil)
		return c.explain(o, err)
	})
}

// SetRedirectURIs PATCHes web.redirectUris.
func (c *SDKClient) SetRedirectURIs(ctx context.Context, app directory.App, uris []string) error {
	body := models.NewApplication()
	web := models.NewWebApplication()
	web.SetRedirectUris(nonNil(uris))
	body.SetWeb(web)
	return c.patchApp(ctx, opRedirects, app, body)
}

// SetSAMLURLs PATCHes the application's identifierUris and web.redirectUris (where
// Entra keeps the Reply URLs), then the service principal's SSO mode and relay state.
func (c *SDKClient) SetSAMLURLs(ctx context.Context, app directory.App, entityID, replyURL, relayState string) error {
	if strings.TrimSpace(entityID) == "" || strings.TrimSpace(replyURL) == "" {
		return &Error{Op: opSAMLURLs.what, Fix: "the Identifier (Entity ID) and the Reply URL (ACS) are both needed: copy them from the vendor's SAML settings"}
	}
	if err := needs(opSAMLURLs, app, true, true); err != nil {
		return err
	}
	body := models.NewApplication()
	body.SetIdentifierUris([]string{entityID})
	web := models.NewWebApplication()
	web.SetRedirectUris([]string{replyURL})
	body.SetWeb(web)
	if err := c.patchApp(ctx, opSAMLURLs, app, body); err != nil {
		return err
	}
	sp := models.NewServicePrincipal()
	mode := "saml"
	sp.SetPreferredSingleSignOnMode(&mode)
	settings := models.NewSamlSingleSignOnSettings()
	settings.SetRelayState(&relayState)
	sp.SetSamlSingleSignOnSettings(settings)
	return c.patchSP(ctx, opSAMLMode, app, sp)
}

// AddPassword posts addPassword.
func (c *SDKClient) AddPassword(ctx context.Context, app directory.App, name string, end time.Time) (directory.Password, error) {
	if err := needs(opAddPassword, app, true, false); err != nil {
		return directory.Password{}, err
	}
	if !end.IsZero() && !end.After(time.Now()) {
		return directory.Password{}, &Error{Op: opAddPassword.what, Fix: "the end date is not in the future: pick a later one"}
	}
	cred := models.NewPasswordCredential()
	cred.SetDisplayName(&name)
	if !end.IsZero() {
		end = end.UTC()
		cred.SetEndDateTime(&end)
	}
	body := applications.NewItemAddPasswordPostRequestBody()
	body.SetPasswordCredential(cred)
	var made models.PasswordCredentialable
	err := c.settle(ctx, opAddPassword, []string{app.ObjectID}, func() error {
		var err error
		made, err = c.sdk.Applications().ByApplicationId(app.ObjectID).AddPassword().Post(ctx, body, nil)
		return c.explain(opAddPassword, err)
	})
	if err != nil {
		return directory.Password{}, err
	}
	p := directory.Password{Hint: deref(made.GetHint()), Value: deref(made.GetSecretText()),
		Start: deref(made.GetStartDateTime()), End: deref(made.GetEndDateTime())}
	if id := made.GetKeyId(); id != nil {
		p.KeyID = id.String()
	}
	if p.Value == "" || p.KeyID == "" {
		return directory.Password{}, &Error{Op: opAddPassword.what, Status: http.StatusOK, Fix: "Microsoft Graph answered without the secret's value: remove the new secret in the portal and add another"}
	}
	c.log.Info("graph client secret added", "app_id", app.AppID, "password", p)
	return p, nil
}

// RemovePassword posts removePassword.
func (c *SDKClient) RemovePassword(ctx context.Context, app directory.App, keyID string) error {
	if err := needs(opRemovePass, app, true, false); err != nil {
		return err
	}
	id, err := uuid.Parse(strings.TrimSpace(keyID))
	if err != nil {
		return &Error{Op: opRemovePass.what, Fix: fmt.Sprintf("%q is not a Secret ID: give the secret's ID (a GUID), not its value", redactSecretLike(keyID))}
	}
	body := applications.NewItemRemovePasswordPostRequestBody()
	body.SetKeyId(&id)
	return c.settle(ctx, opRemovePass, []string{app.ObjectID}, func() error {
		return c.explain(opRemovePass, c.sdk.Applications().ByApplicationId(app.ObjectID).RemovePassword().Post(ctx, body, nil))
	})
}

// redactSecretLike keeps a secret pasted where an ID belongs out of error text.
func redactSecretLike(s string) string {
	if len(s) > 8 {
		return s[:3] + "…"
	}
	return s
}

// AddTokenSigningCertificate posts addTokenSigningCertificate.
func (c *SDKClient) AddTokenSigningCertificate(ctx context.Context, app directory.App, subject string, end time.Time) (directory.SigningCertificate, error) {
	if err := needs(opAddCert, app, false, true); err != nil {
		return directory.SigningCertificate{}, err
	}
	subject = strings.TrimSpace(subject)
	if !strings.HasPrefix(subject, "CN=") || len(subject) == 3 {
		return directory.SigningCertificate{}, &Error{Op: opAddCert.what, Fix: fmt.Sprintf("the subject %q must be a distinguished name starting with CN=, e.g. CN=Microsoft Azure Federated SSO Certificate", subject)}
	}
	body := serviceprincipals.NewItemAddTokenSigningCertificatePostRequestBody()
	body.SetDisplayName(&subject)
	if !end.IsZero() {
		end = end.UTC()
		body.SetEndDateTime(&end)
	}
	var made models.SelfSignedCertificateable
	err := c.settle(ctx, opAddCert, []string{app.ServicePrincipalID}, func() error {
		var err error
		made, err = c.sdk.ServicePrincipals().ByServicePrincipalId(app.ServicePrincipalID).AddTokenSigningCertificate().Post(ctx, body, nil)
		return c.explain(opAddCert, err)
	})
	if err != nil {
		return directory.SigningCertificate{}, err
	}
	sc := directory.SigningCertificate{Thumbprint: strings.ToUpper(deref(made.GetThumbprint())),
		Start: deref(made.GetStartDateTime()), End: deref(made.GetEndDateTime())}
	if id := made.GetKeyId(); id != nil {
		sc.KeyID = id.String()
	}
	if raw := made.GetKey(); len(raw) > 0 {
		cert, err := x509.ParseCertificate(raw)
		if err != nil {
			return sc, &Error{Op: opAddCert.what, Status: http.StatusOK, err: err,
				Fix: "Microsoft Graph returned a certificate that does not parse: download it from the app's SAML page instead"}
		}
		sc.Certificate = cert
	}
	if sc.Thumbprint == "" {
		return sc, &Error{Op: opAddCert.what, Status: http.StatusOK, Fix: "Microsoft Graph answered without the certificate's thumbprint: activate it from the app's SAML page"}
	}
	c.log.Info("graph signing certificate added", "app_id", app.AppID, "thumbprint", sc.Thumbprint)
	return sc, nil
}

// ActivateSigningCertificate PATCHes preferredTokenSigningKeyThumbprint.
func (c *SDKClient) ActivateSigningCertificate(ctx context.Context, app directory.App, thumbprint string) error {
	th := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(thumbprint), ":", ""))
	if len(th) != 40 || strings.Trim(th, "0123456789ABCDEF") != "" {
		return &Error{Op: opActivateCert.what, Fix: fmt.Sprintf("%q is not a certificate thumbprint (40 hex digits)", thumbprint)}
	}
	sp := models.NewServicePrincipal()
	sp.SetPreferredTokenSigningKeyThumbprint(&th)
	return c.patchSP(ctx, opActivateCert, app, sp)
}

// RequireAssignment PATCHes appRoleAssignmentRequired.
func (c *SDKClient) RequireAssignment(ctx context.Context, app directory.App, required bool) error {
	sp := models.NewServicePrincipal()
	sp.SetAppRoleAssignmentRequired(&required)
	return c.patchSP(ctx, opRequireAssign, app, sp)
}

// searchExpr is Graph's $search for term over props, joined with OR. Quotes and
// backslashes, which would end or escape the quoted clause, are dropped from term.
func searchExpr(term string, props ...string) (string, bool) {
	term = strings.Join(strings.Fields(strings.NewReplacer(`"`, " ", `\`, " ").Replace(term)), " ")
	if term == "" {
		return "", false
	}
	var parts []string
	for _, p := range props {
		parts = append(parts, `"`+p+":"+term+`"`)
	}
	return strings.Join(parts, " OR "), true
}

// eventual is the header Graph's advanced queries ($search) need.
func eventual() *abs.RequestHeaders {
	h := abs.NewRequestHeaders()
	h.Add("ConsistencyLevel", "eventual")
	return h
}

// SearchUsers GETs /users with $search.
func (c *SDKClient) SearchUsers(ctx context.Context, term string) ([]directory.Principal, error) {
	expr, ok := searchExpr(term, "displayName", "mail", "userPrincipalName")
	if !ok {
		return nil, &Error{Op: opSearchUsers.what, Fix: "nothing to search for: type the start of a name or email address"}
	}
	top := int32(directory.SearchLimit)
	resp, err := c.sdk.Users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
		Headers: eventual(),
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Search: &expr, Top: &top,
			Select: []string{"id", "displayName", "userPrincipalName", "mail"}},
	})
	if err != nil {
		return nil, c.explain(opSearchUsers, err)
	}
	var out []directory.Principal
	for _, u := range resp.GetValue() {
		out = append(out, directory.Principal{ID: deref(u.GetId()), Type: "User", DisplayName: deref(u.GetDisplayName()),
			UserPrincipalName: deref(u.GetUserPrincipalName()), Mail: deref(u.GetMail())})
	}
	return out, nil
}

// SearchGroups GETs /groups with $search.
func (c *SDKClient) SearchGroups(ctx context.Context, term string) ([]directory.Principal, error) {
	expr, ok := searchExpr(term, "displayName", "mail")
	if !ok {
		return nil, &Error{Op: opSearchGroups.what, Fix: "nothing to search for: type the start of a group's name"}
	}
	top := int32(directory.SearchLimit)
	resp, err := c.sdk.Groups().Get(ctx, &groups.GroupsRequestBuilderGetRequestConfiguration{
		Headers: eventual(),
		QueryParameters: &groups.GroupsRequestBuilderGetQueryParameters{Search: &expr, Top: &top,
			Select: []string{"id", "displayName", "mail"}},
	})
	if err != nil {
		return nil, c.explain(opSearchGroups, err)
	}
	var out []directory.Principal
	for _, g := range resp.GetValue() {
		out = append(out, directory.Principal{ID: deref(g.GetId()), Type: "Group", DisplayName: deref(g.GetDisplayName()), Mail: deref(g.GetMail())})
	}
	return out, nil
}

func assignment(a models.AppRoleAssignmentable) directory.Assignment {
	out := directory.Assignment{ID: deref(a.GetId()), PrincipalType: deref(a.GetPrincipalType()),
		PrincipalDisplayName: deref(a.GetPrincipalDisplayName())}
	if p := a.GetPrincipalId(); p != nil {
		out.PrincipalID = p.String()
	}
	return out
}

// Assign posts appRoleAssignedTo with the default access role; Graph refuses a
// duplicate, which is then found among the assignments.
func (c *SDKClient) Assign(ctx context.Context, app directory.App, principal directory.Principal) (directory.Assignment, error) {
	if err := needs(opAssign, app, false, true); err != nil {
		return directory.Assignment{}, err
	}
	pid, err := uuid.Parse(principal.ID)
	if err != nil {
		return directory.Assignment{}, &Error{Op: opAssign.what, Fix: fmt.Sprintf("%q is not a user's or group's Object ID: pick the principal from a search", principal.ID)}
	}
	rid, _ := uuid.Parse(app.ServicePrincipalID)
	role := defaultAccessRole
	body := models.NewAppRoleAssignment()
	body.SetPrincipalId(&pid)
	body.SetResourceId(&rid)
	body.SetAppRoleId(&role)
	var made models.AppRoleAssignmentable
	err = c.settle(ctx, opAssign, []string{app.ServicePrincipalID}, func() error {
		var err error
		made, err = c.sdk.ServicePrincipals().ByServicePrincipalId(app.ServicePrincipalID).AppRoleAssignedTo().Post(ctx, body, nil)
		return c.explain(opAssign, err)
	})
	var ge *Error
	if errors.As(err, &ge) && ge.Status == http.StatusBadRequest && strings.Contains(ge.Message, "already exists") {
		list, lerr := c.ListAssignments(ctx, app)
		if lerr != nil {
			return directory.Assignment{}, lerr
		}
		for _, a := range list {
			if strings.EqualFold(a.PrincipalID, pid.String()) {
				return a, nil
			}
		}
	}
	if err != nil {
		return directory.Assignment{}, err
	}
	out := assignment(made)
	c.log.Info("graph assignment made", "app_id", app.AppID, "principal_id", out.PrincipalID, "principal_type", out.PrincipalType)
	return out, nil
}

// maxAssignmentPages bounds the pages of assignments followed.
const maxAssignmentPages = 50

// ListAssignments GETs appRoleAssignedTo, following @odata.nextLink.
func (c *SDKClient) ListAssignments(ctx context.Context, app directory.App) ([]directory.Assignment, error) {
	if err := needs(opAssignments, app, false, true); err != nil {
		return nil, err
	}
	builder := c.sdk.ServicePrincipals().ByServicePrincipalId(app.ServicePrincipalID).AppRoleAssignedTo()
	top := int32(999)
	cfg := &serviceprincipals.ItemAppRoleAssignedToRequestBuilderGetRequestConfiguration{
		QueryParameters: &serviceprincipals.ItemAppRoleAssignedToRequestBuilderGetQueryParameters{Top: &top}}
	list, complete, err := pages(maxAssignmentPages, func(next string) (models.AppRoleAssignmentCollectionResponseable, error) {
		b, conf := builder, cfg
		if next != "" {
			b, conf = builder.WithUrl(next), nil
		}
		var resp models.AppRoleAssignmentCollectionResponseable
		err := c.settle(ctx, opAssignments, []string{app.ServicePrincipalID}, func() error {
			var err error
			resp, err = b.Get(ctx, conf)
			return c.explain(opAssignments, err)
		})
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	if !complete {
		return nil, &Error{Op: opAssignments.what, Fix: fmt.Sprintf("the app has more than %d pages of assignments: manage them in the portal", maxAssignmentPages)}
	}
	var out []directory.Assignment
	for _, a := range list {
		out = append(out, assignment(a))
	}
	return out, nil
}

// Unassign DELETEs the assignment.
func (c *SDKClient) Unassign(ctx context.Context, app directory.App, assignmentID string) error {
	if err := needs(opUnassign, app, false, true); err != nil {
		return err
	}
	id := strings.TrimSpace(assignmentID)
	if id == "" || strings.ContainsAny(id, "/?#%") {
		return &Error{Op: opUnassign.what, Fix: fmt.Sprintf("%q is not an assignment ID: take it from the list of assignments", assignmentID)}
	}
	err := c.sdk.ServicePrincipals().ByServicePrincipalId(app.ServicePrincipalID).AppRoleAssignedTo().ByAppRoleAssignmentId(id).Delete(ctx, nil)
	return c.explain(opUnassign, err)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
