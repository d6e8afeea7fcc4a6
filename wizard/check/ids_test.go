package check_test

import (
	"fmt"
	"testing"

	"github.com/ssowizard/ssowizard/directory"
	"github.com/ssowizard/ssowizard/wizard/check"
)

const (
	appID    = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
	objectID = "6f9619ff-8b86-d011-b42d-00c04fc964ff"
	tenantID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	// entraShapedSecret has the shape of an Entra secret Value; it is no real secret.
	entraShapedSecret = "Zx18Q~abcdefghijklmnopqrstuvwxyz0123456-"
)

func TestClientID(t *testing.T) {
	for _, tc := range []struct {
		in string
		want
	}{
		{appID, want{id: "client-id", severity: check.OK, field: "client_id"}},
		{"1B4E28BA-2FA1-41D2-883F-0016D3CCA427", want{id: "client-id", severity: check.OK}},
		{"  " + appID + "\n", want{id: "client-id", severity: check.OK}},
		{"", want{id: "client-id-empty", severity: check.Error, fix: []string{"Overview"}}},
		{"{" + appID + "}", want{id: "client-id-braces", severity: check.Error, fix: []string{appID}}},
		{`"` + appID + `"`, want{id: "client-id-quotes", severity: check.Error, fix: []string{appID}}},
		{"“" + appID + "”", want{id: "client-id-quotes", severity: check.Error, fix: []string{appID}}},
		{"urn:uuid:" + appID, want{id: "client-id-urn", severity: check.Error, fix: []string{appID}}},
		{"1b4e28ba2fa141d2883f0016d3cca427", want{id: "client-id-no-dashes", severity: check.Error, fix: []string{appID}}},
		{"api://" + appID, want{id: "client-id-app-id-uri", severity: check.Error, fix: []string{appID}}},
		{entraShapedSecret, want{id: "client-id-is-secret", severity: check.Error}},
		{"VendorSSO", want{id: "client-id-format", severity: check.Error, message: []string{"8-4-4-4-12"}}},
		{"1b4e28ba-2fa1-41d2-883f-0016d3cca42", want{id: "client-id-format", severity: check.Error}},
		{"00000000-0000-0000-0000-000000000000", want{id: "client-id-zero", severity: check.Error}},
		{"\u200b" + appID, want{id: "client-id-whitespace", severity: check.Error, fix: []string{appID}}},
		{"1b4e28ba-2fa1-41d2-883f-\n0016d3cca427", want{id: "client-id-whitespace", severity: check.Error, fix: []string{appID}}},
		{"Vendor SSO", want{id: "client-id-whitespace", severity: check.Error, fix: []string{"copy button"}}},
	} {
		r := check.ClientID(tc.in)
		tc.check(t, fmt.Sprintf("ClientID(%q)", tc.in), r)
		if r.ID == "client-id-is-secret" && (contains(r.Message, tc.in) || contains(r.Fix, tc.in)) {
			t.Errorf("ClientID echoed a secret-shaped value")
		}
	}
}

func TestTenantID(t *testing.T) {
	for _, tc := range []struct {
		in string
		want
	}{
		{tenantID, want{id: "tenant-id", severity: check.OK, field: "tenant_id"}},
		{" " + tenantID + " ", want{id: "tenant-id", severity: check.OK}},
		{"contoso.com", want{id: "tenant-id", severity: check.OK, message: []string{"contoso.com"}}},
		{"Contoso.onmicrosoft.com", want{id: "tenant-id", severity: check.OK, message: []string{"contoso.onmicrosoft.com"}}},
		{"", want{id: "tenant-id-empty", severity: check.Error}},
		{"common", want{id: "tenant-id-multi-tenant", severity: check.Error, message: []string{`"common"`}, detail: []string{"AADSTS50194"}}},
		{"Organizations", want{id: "tenant-id-multi-tenant", severity: check.Error}},
		{"consumers", want{id: "tenant-id-multi-tenant", severity: check.Error}},
		{"9188040d-6c67-4c5b-b112-36a304b66dad", want{id: "tenant-id-consumer", severity: check.Error, message: []string{"personal Microsoft accounts"}}},
		{"https://login.microsoftonline.com/" + tenantID + "/v2.0", want{id: "tenant-id-url", severity: check.Error, fix: []string{tenantID}}},
		{"https://sts.windows.net/" + tenantID + "/", want{id: "tenant-id-url", severity: check.Error, fix: []string{tenantID}}},
		{"https://portal.azure.com/#home", want{id: "tenant-id-url", severity: check.Error, fix: []string{"Overview"}}},
		{"admin@contoso.com", want{id: "tenant-id-email", severity: check.Error, fix: []string{"contoso.com"}}},
		{"{" + tenantID + "}", want{id: "tenant-id-braces", severity: check.Error, fix: []string{tenantID}}},
		{"Contoso Ltd", want{id: "tenant-id-whitespace", severity: check.Error}},
		{tenantID[:10] + " " + tenantID[10:], want{id: "tenant-id-whitespace", severity: check.Error, fix: []string{tenantID}}},
		{"Contoso_Ltd", want{id: "tenant-id-format", severity: check.Error}},
		{"contoso", want{id: "tenant-id-format", severity: check.Error, detail: []string{"no dot"}}},
	} {
		tc.check(t, fmt.Sprintf("TenantID(%q)", tc.in), check.TenantID(tc.in))
	}
}

func TestNotObjectID(t *testing.T) {
	app := directory.App{AppID: appID, ObjectID: objectID, DisplayName: "Vendor SSO"}
	for _, tc := range []struct {
		in  string
		app directory.App
		want
	}{
		{appID, app, want{id: "client-id", severity: check.OK, field: "client_id", message: []string{"Vendor SSO"}}},
		{"1B4E28BA-2FA1-41D2-883F-0016D3CCA427 ", app, want{id: "client-id", severity: check.OK}},
		{objectID, app, want{id: "client-id-is-object-id", severity: check.Error, message: []string{"Object ID", `"Vendor SSO"`}, fix: []string{appID}}},
		{"{" + objectID + "}", app, want{id: "client-id-is-object-id", severity: check.Error}},
		{tenantID, app, want{id: "client-id-mismatch", severity: check.Error, fix: []string{appID}}},
		{objectID, directory.App{ObjectID: objectID}, want{id: "client-id-is-object-id", severity: check.Error, fix: []string{"Overview"}}},
		{appID, directory.App{}, want{id: "client-id", severity: check.OK}},
	} {
		tc.check(t, fmt.Sprintf("NotObjectID(%q, %+v)", tc.in, tc.app), check.NotObjectID(tc.in, tc.app))
	}
}
