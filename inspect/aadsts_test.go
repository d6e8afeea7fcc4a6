package inspect_test

import (
	"strings"
	"testing"

	"github.com/ssowizard/ssowizard/inspect"
)

func TestExplainAADSTS(t *testing.T) {
	tests := []struct {
		text     string
		wantCode string // "" means nil
		known    bool
	}{
		{"AADSTS50011: The redirect URI 'https://x/cb' specified in the request does not match the redirect URIs configured for the application 'abc'.", "AADSTS50011", true},
		{"AADSTS700016: Application with identifier 'https://vendor.example/saml' was not found in the directory 'contoso'.", "AADSTS700016", true},
		{"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x\r\nCorrelation ID: y", "AADSTS7000215", true},
		{"AADSTS500113: No reply address is registered for the application.", "AADSTS500113", true},
		{"urn:oasis:names:tc:SAML:2.0:status:Requester AADSTS75011: Authentication method 'X509' doesn't match", "AADSTS75011", true},
		{"50105", "AADSTS50105", true},
		{" 7000222 ", "AADSTS7000222", true},
		{"AADSTS99999: something new", "AADSTS99999", false},
		{"AADSTS50011 then AADSTS50105", "AADSTS50011", true},
		{"invalid_client", "", false},
		{"", "", false},
		{"123", "", false},
		{"12345678", "", false},
		{"error 50011 happened", "", false},
	}
	for _, tc := range tests {
		got := inspect.ExplainAADSTS(tc.text)
		if tc.wantCode == "" {
			if got != nil {
				t.Errorf("ExplainAADSTS(%q) = %+v, want nil", tc.text, got)
			}
			continue
		}
		if got == nil || got.Code != tc.wantCode {
			t.Errorf("ExplainAADSTS(%q) = %+v, want %s", tc.text, got, tc.wantCode)
			continue
		}
		unknown := strings.Contains(got.Meaning, "no explanation")
		if unknown == tc.known || got.Meaning == "" || got.Fix == "" {
			t.Errorf("ExplainAADSTS(%q) = %+v, want known=%v with a meaning and a fix", tc.text, got, tc.known)
		}
		if !tc.known && !strings.Contains(got.Fix, "code="+strings.TrimPrefix(tc.wantCode, "AADSTS")) {
			t.Errorf("ExplainAADSTS(%q).Fix = %q, want the error lookup URL", tc.text, got.Fix)
		}
	}
}

// Every code ENTRA.md lists as met during SSO setup has its own explanation.
func TestExplainAADSTSCoversEntraCodes(t *testing.T) {
	for _, code := range []string{"50011", "500113", "900971", "700016", "700038", "90002", "7000215", "7000222", "7000218",
		"50105", "65001", "50020", "50034", "50126", "50058", "53003", "54005", "70003", "500011", "75011", "750054",
		"75005", "75016", "76021", "76026", "501241", "75006", "90011"} {
		got := inspect.ExplainAADSTS("AADSTS" + code + ": x")
		if got == nil || strings.Contains(got.Meaning, "no explanation") || got.Fix == "" {
			t.Errorf("ExplainAADSTS(AADSTS%s) = %+v, want a known explanation with a fix", code, got)
		}
	}
}
