package check_test

import (
	"fmt"
	"testing"

	"github.com/ssowizard/ssowizard/wizard/check"
)

func TestProbe(t *testing.T) {
	for _, tc := range []struct {
		code int
		desc string
		want
	}{
		{0, "", want{id: "probe", severity: check.OK}},
		{700016, "AADSTS700016: Application with identifier 'x' was not found in the directory 'Contoso'.",
			want{id: "probe-app-not-found", severity: check.Error, field: "client_id", message: []string{"AADSTS700016"}, fix: []string{"tenant"}, detail: []string{"was not found"}}},
		{700038, "", want{id: "probe-client-id-invalid", severity: check.Error, field: "client_id", message: []string{"AADSTS700038"}}},
		{7000215, "AADSTS7000215: Invalid client secret provided.",
			want{id: "probe-secret-invalid", severity: check.Error, field: "client_secret", message: []string{"Secret ID"}, fix: []string{"Value", "not the Secret ID"}, detail: []string{"Invalid client secret"}}},
		{7000222, "", want{id: "probe-secret-expired", severity: check.Error, field: "client_secret", fix: []string{"new client secret"}}},
		{7000218, "", want{id: "probe-secret-missing", severity: check.Error, field: "client_secret"}},
		{90002, "AADSTS90002: Tenant 'x' not found.", want{id: "probe-tenant-not-found", severity: check.Error, field: "tenant_id", message: []string{"AADSTS90002"}}},
		{53003, "AADSTS53003: Access has been blocked by Conditional Access policies.",
			want{id: "probe-failed", severity: check.Error, message: []string{"AADSTS53003"}, fix: []string{"Conditional Access"}, detail: []string{"Conditional Access policy.\nAADSTS53003"}}},
		{9999999, "", want{id: "probe-failed", severity: check.Error, message: []string{"AADSTS9999999"}, fix: []string{"https://login.microsoftonline.com/error?code=9999999"}, detail: []string{"no explanation"}}},
		{-1, "dial tcp: timeout", want{id: "probe-failed", severity: check.Error, detail: []string{"timeout"}}},
	} {
		tc.check(t, fmt.Sprintf("Probe(%d)", tc.code), check.Probe(tc.code, tc.desc))
	}
}
