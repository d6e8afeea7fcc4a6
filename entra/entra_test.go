package entra_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ssowizard/ssowizard/entra"
)

func TestIsGUID(t *testing.T) {
	guids := []string{
		"9c6b41c5-3d43-4132-a583-70bcdfad5911",
		"9C6B41C5-3D43-4132-A583-70BCDFAD5911",
		"00000000-0000-0000-0000-000000000000",
	}
	// Entra prints GUIDs bare: braces, space, missing dashes and other letters are not one.
	notGUIDs := []string{
		"{9c6b41c5-3d43-4132-a583-70bcdfad5911}",
		" 9c6b41c5-3d43-4132-a583-70bcdfad5911",
		"9c6b41c53d434132a58370bcdfad5911",
		"9c6b41c5-3d43-4132-a583-70bcdfad591g",
		"9c6b41c5_3d43-4132-a583-70bcdfad5911",
		"",
	}
	for _, s := range guids {
		if !entra.IsGUID(s) {
			t.Errorf("IsGUID(%q) = false, want true", s)
		}
	}
	for _, s := range notGUIDs {
		if entra.IsGUID(s) {
			t.Errorf("IsGUID(%q) = true, want false", s)
		}
	}
	if !entra.SameGUID("9C6B41C5-3D43-4132-A583-70BCDFAD5911", "9c6b41c5-3d43-4132-a583-70bcdfad5911") {
		t.Error("SameGUID ignores case in Entra, not here")
	}
}

func TestNewGUID(t *testing.T) {
	g, err := entra.NewGUID(bytes.NewReader(bytes.Repeat([]byte{0xff}, 16)))
	if err != nil || g != "ffffffff-ffff-4fff-bfff-ffffffffffff" || !entra.IsGUID(g) {
		t.Errorf("NewGUID(all ones) = %q, %v; want a version 4, variant 1 GUID", g, err)
	}
	if _, err := entra.NewGUID(bytes.NewReader(make([]byte, 15))); err == nil {
		t.Error("NewGUID with 15 random bytes: want an error")
	}
}

func TestFindCode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"AADSTS50011: The redirect URI", 50011},
		{"error=x&error_description=AADSTS7000215%3A", 7000215},
		{"first AADSTS90002 then AADSTS50105", 90002},
		{"AADSTS123: too short", 0},
		{"50011", 0},
		{"", 0},
	} {
		if got := entra.CodeIn(tc.in); got != tc.want {
			t.Errorf("CodeIn(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

// Every entry says what it means, what to do and where Entra shows it, and its text
// (when captured) is Entra's own, without the prefix and trace the delivery adds.
func TestCatalogueIsComplete(t *testing.T) {
	codes := entra.Codes()
	if len(codes) < 30 {
		t.Fatalf("the catalogue has %d codes; the SSO setup alone meets more", len(codes))
	}
	for _, c := range codes {
		a, ok := entra.Lookup(c)
		if !ok || a.Code != c {
			t.Fatalf("Lookup(%d) = %+v, %v", c, a, ok)
		}
		if a.Meaning == "" || a.Fix == "" || a.Error == "" || a.Status == 0 || a.Delivery == 0 {
			t.Errorf("AADSTS%d lacks a meaning, fix, OAuth error, status or delivery: %+v", c, a)
		}
		if strings.Contains(a.Text, "AADSTS") || strings.Contains(a.Text, "Trace ID") {
			t.Errorf("AADSTS%d: the text carries what delivery adds: %q", c, a.Text)
		}
		if strings.HasSuffix(a.SignIn, ".") {
			t.Errorf("AADSTS%d: the sign-in clause %q reads on after a colon: no full stop", c, a.SignIn)
		}
	}
	if _, ok := entra.Lookup(1); ok {
		t.Error("Lookup(1) found an entry")
	}
}

func TestMessageFillsNames(t *testing.T) {
	a, _ := entra.Lookup(90002)
	if got := a.Message("contoso.example"); !strings.HasPrefix(got, "Tenant 'contoso.example' not found.") {
		t.Errorf("Message = %q", got)
	}
}

func TestDeliveryString(t *testing.T) {
	if got := (entra.AtRedirect | entra.InSAMLStatus).String(); got != "authorize redirect or SAML StatusMessage" {
		t.Errorf("String = %q", got)
	}
	if got := entra.Delivery(0).String(); got != "nowhere" {
		t.Errorf("String(0) = %q", got)
	}
}

func TestClaimAliases(t *testing.T) {
	got := entra.ClaimAliases("EMAIL")
	if len(got) != 3 || got[0] != "email" || got[2] != entra.ClaimEmail {
		t.Errorf("ClaimAliases(EMAIL) = %v", got)
	}
	got[0] = "changed"
	if entra.ClaimAliases("email")[0] != "email" {
		t.Error("ClaimAliases hands out its own table")
	}
	if entra.ClaimAliases("shoe_size") != nil {
		t.Error("ClaimAliases(unknown) is not nil")
	}
	for name, c := range entra.SAMLClaims {
		if c.Short == "" || c.About == "" || !strings.HasPrefix(name, "http://schemas.") {
			t.Errorf("SAMLClaims[%q] = %+v", name, c)
		}
	}
}

func TestEndpoints(t *testing.T) {
	if entra.STSIssuer("t") != "https://sts.windows.net/t/" || entra.ErrorLookupURL(50011) != "https://login.microsoftonline.com/error?code=50011" {
		t.Errorf("STSIssuer, ErrorLookupURL = %q, %q", entra.STSIssuer("t"), entra.ErrorLookupURL(50011))
	}
}
