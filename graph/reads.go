package graph

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/applicationswithappid"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipalswithappid"
	"github.com/ssowizard/ssowizard/directory"
	"github.com/ssowizard/ssowizard/entra"
)

// The properties the wizard verifies; asking for them alone keeps answers small.
var (
	appSelect = []string{"id", "appId", "displayName", "identifierUris", "web", "signInAudience", "passwordCredentials"}
	spSelect  = []string{"id", "appId", "displayName", "appRoleAssignmentRequired", "preferredSingleSignOnMode",
		"preferredTokenSigningKeyThumbprint", "keyCredentials"}
)

// maxAppPages bounds the pages of applications a lookup follows.
const maxAppPages = 20

// odataString is s as an OData string literal: quoted with ', and each ' inside
// written twice, so a name like O'Brien's cannot end the literal early.
func odataString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// Application GETs the application by object ID, or applications(appId='…').
func (c *SDKClient) Application(ctx context.Context, app directory.App) (directory.AppDetails, error) {
	var get func() (models.Applicationable, error)
	switch {
	case app.ObjectID != "":
		if err := needs(opReadApp, app, true, false); err != nil {
			return directory.AppDetails{}, err
		}
		cfg := &applications.ApplicationItemRequestBuilderGetRequestConfiguration{
			QueryParameters: &applications.ApplicationItemRequestBuilderGetQueryParameters{Select: appSelect}}
		get = func() (models.Applicationable, error) {
			return c.sdk.Applications().ByApplicationId(app.ObjectID).Get(ctx, cfg)
		}
	case entra.IsGUID(strings.TrimSpace(app.AppID)):
		cfg := &applicationswithappid.ApplicationsWithAppIdRequestBuilderGetRequestConfiguration{
			QueryParameters: &applicationswithappid.ApplicationsWithAppIdRequestBuilderGetQueryParameters{Select: appSelect}}
		get = func() (models.Applicationable, error) { return c.sdk.ApplicationsWithAppId(&app.AppID).Get(ctx, cfg) }
	default:
		return directory.AppDetails{}, &Error{Op: opReadApp.what, Fix: "neither the application's Object ID nor its Application (client) ID is given as a GUID: create the app first, or copy an ID from App registrations"}
	}
	var a models.Applicationable
	err := c.settle(ctx, opReadApp, []string{app.ObjectID, app.AppID}, func() error {
		var err error
		a, err = get()
		return c.explain(opReadApp, err)
	})
	if err != nil {
		return directory.AppDetails{}, err
	}
	return appDetails(a), nil
}

// ApplicationsByIdentifierURI GETs /applications?$filter=identifierUris/any(x:x eq 'uri').
func (c *SDKClient) ApplicationsByIdentifierURI(ctx context.Context, uri string) ([]directory.AppDetails, error) {
	if strings.TrimSpace(uri) == "" {
		return nil, &Error{Op: opFindByURI.what, Fix: "no Identifier: give the SAML Entity ID from the vendor's SAML settings"}
	}
	return c.findApps(ctx, opFindByURI, "identifierUris/any(x:x eq "+odataString(uri)+")")
}

// ApplicationsByName GETs /applications?$filter=displayName eq 'name'.
func (c *SDKClient) ApplicationsByName(ctx context.Context, name string) ([]directory.AppDetails, error) {
	if err := checkName(opFindByName, name); err != nil {
		return nil, err
	}
	return c.findApps(ctx, opFindByName, "displayName eq "+odataString(name))
}

// findApps GETs the applications matching filter, following @odata.nextLink.
func (c *SDKClient) findApps(ctx context.Context, o op, filter string) ([]directory.AppDetails, error) {
	builder := c.sdk.Applications()
	top := int32(999)
	cfg := &applications.ApplicationsRequestBuilderGetRequestConfiguration{
		QueryParameters: &applications.ApplicationsRequestBuilderGetQueryParameters{Filter: &filter, Select: appSelect, Top: &top}}
	list, complete, err := pages(maxAppPages, func(next string) (models.ApplicationCollectionResponseable, error) {
		if next != "" {
			return builder.WithUrl(next).Get(ctx, nil)
		}
		return builder.Get(ctx, cfg)
	})
	if err != nil {
		return nil, c.explain(o, err)
	}
	if !complete {
		return nil, &Error{Op: o.what, Fix: fmt.Sprintf("more than %d pages of applications match: look for the app under App registrations instead", maxAppPages)}
	}
	var out []directory.AppDetails
	for _, a := range list {
		out = append(out, appDetails(a))
	}
	return out, nil
}

func appDetails(a models.Applicationable) directory.AppDetails {
	d := directory.AppDetails{App: directory.App{ObjectID: deref(a.GetId()), AppID: deref(a.GetAppId()), DisplayName: deref(a.GetDisplayName())},
		IdentifierURIs: a.GetIdentifierUris(), SignInAudience: deref(a.GetSignInAudience())}
	if web := a.GetWeb(); web != nil {
		d.RedirectURIs = web.GetRedirectUris()
	}
	for _, p := range a.GetPasswordCredentials() {
		s := directory.SecretInfo{DisplayName: deref(p.GetDisplayName()), Hint: deref(p.GetHint()),
			Start: deref(p.GetStartDateTime()), End: deref(p.GetEndDateTime())}
		if id := p.GetKeyId(); id != nil {
			s.KeyID = id.String()
		}
		d.Secrets = append(d.Secrets, s)
	}
	return d
}

// ServicePrincipal GETs the service principal by its ID, or servicePrincipals(appId='…').
func (c *SDKClient) ServicePrincipal(ctx context.Context, app directory.App) (directory.SPDetails, error) {
	var get func() (models.ServicePrincipalable, error)
	switch {
	case app.ServicePrincipalID != "":
		if err := needs(opReadSP, app, false, true); err != nil {
			return directory.SPDetails{}, err
		}
		cfg := &serviceprincipals.ServicePrincipalItemRequestBuilderGetRequestConfiguration{
			QueryParameters: &serviceprincipals.ServicePrincipalItemRequestBuilderGetQueryParameters{Select: spSelect}}
		get = func() (models.ServicePrincipalable, error) {
			return c.sdk.ServicePrincipals().ByServicePrincipalId(app.ServicePrincipalID).Get(ctx, cfg)
		}
	case entra.IsGUID(strings.TrimSpace(app.AppID)):
		cfg := &serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderGetRequestConfiguration{
			QueryParameters: &serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderGetQueryParameters{Select: spSelect}}
		get = func() (models.ServicePrincipalable, error) {
			return c.sdk.ServicePrincipalsWithAppId(&app.AppID).Get(ctx, cfg)
		}
	default:
		return directory.SPDetails{}, &Error{Op: opReadSP.what, Fix: "neither the enterprise application's Object ID nor the Application (client) ID is given as a GUID: create the service principal first, or copy an ID from Enterprise applications"}
	}
	var sp models.ServicePrincipalable
	err := c.settle(ctx, opReadSP, []string{app.ServicePrincipalID, app.AppID}, func() error {
		var err error
		sp, err = get()
		return c.explain(opReadSP, err)
	})
	if err != nil {
		return directory.SPDetails{}, err
	}
	d := directory.SPDetails{
		App: directory.App{ObjectID: app.ObjectID, AppID: deref(sp.GetAppId()), ServicePrincipalID: deref(sp.GetId()),
			DisplayName: deref(sp.GetDisplayName())},
		AppRoleAssignmentRequired:          deref(sp.GetAppRoleAssignmentRequired()),
		PreferredSingleSignOnMode:          deref(sp.GetPreferredSingleSignOnMode()),
		PreferredTokenSigningKeyThumbprint: strings.ToUpper(deref(sp.GetPreferredTokenSigningKeyThumbprint())),
	}
	for _, k := range sp.GetKeyCredentials() {
		if !strings.EqualFold(deref(k.GetUsage()), "Verify") {
			continue // the private key (Sign) of the same certificate
		}
		ci := directory.CertInfo{DisplayName: deref(k.GetDisplayName()), Thumbprint: thumbprint(k),
			Start: deref(k.GetStartDateTime()), End: deref(k.GetEndDateTime())}
		if id := k.GetKeyId(); id != nil {
			ci.KeyID = id.String()
		}
		d.SigningCertificates = append(d.SigningCertificates, ci)
	}
	return d, nil
}

// thumbprint is the SHA-1 thumbprint of a key credential's certificate, in upper-case
// hex: the hash of the certificate when Graph sends it (key), else the
// customKeyIdentifier, which for the certificates addTokenSigningCertificate makes
// is the thumbprint; empty when neither says.
func thumbprint(k models.KeyCredentialable) string {
	if key := k.GetKey(); len(key) > 0 {
		sum := sha1.Sum(key)
		return strings.ToUpper(hex.EncodeToString(sum[:]))
	}
	if id := k.GetCustomKeyIdentifier(); len(id) == sha1.Size {
		return strings.ToUpper(hex.EncodeToString(id))
	}
	return ""
}

// pages reads a collection page by page, following @odata.nextLink, at most maxPages
// of them: get is called with "" for the first page and with the next link after.
// It reports false when the collection has more pages than that.
func pages[T any, P interface {
	GetValue() []T
	GetOdataNextLink() *string
}](maxPages int, get func(next string) (P, error)) ([]T, bool, error) {
	var out []T
	next := ""
	for range maxPages {
		page, err := get(next)
		if err != nil {
			return nil, false, err
		}
		if any(page) == nil {
			return out, true, nil
		}
		out = append(out, page.GetValue()...)
		if next = deref(page.GetOdataNextLink()); next == "" {
			return out, true, nil
		}
	}
	return nil, false, nil
}
