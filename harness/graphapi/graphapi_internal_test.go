package graphapi

import (
	"strings"
	"testing"
)

func TestSegment(t *testing.T) {
	tests := []struct {
		in          string
		name        string
		key         ref
		keyed, isOK bool
	}{
		{"applications", "applications", ref{}, false, true},
		{"applications(appId='0b7e5c1d-3f2a-4e8b-a6d9-5c4e1f0a7b28')", "applications", ref{"appId", "0b7e5c1d-3f2a-4e8b-a6d9-5c4e1f0a7b28"}, true, true},
		{"servicePrincipals(appId = 'x')", "servicePrincipals", ref{"appId", "x"}, true, true},
		{"applications('abc')", "applications", ref{"id", "abc"}, true, true},
		{"users(userPrincipalName='o''neil@x.example')", "users", ref{"userPrincipalName", "o'neil@x.example"}, true, true},
		{"applications(appId=x)", "", ref{}, false, false},
		{"applications(appId='x'", "", ref{}, false, false},
		{"applications(')", "", ref{}, false, false},
	}
	for _, tc := range tests {
		name, key, keyed, ok := segment(tc.in)
		if name != tc.name || key != tc.key || keyed != tc.keyed || ok != tc.isOK {
			t.Errorf("segment(%q) = %q, %+v, %v, %v, want %q, %+v, %v, %v", tc.in, name, key, keyed, ok, tc.name, tc.key, tc.keyed, tc.isOK)
		}
	}
}

func TestAssignmentID(t *testing.T) {
	const sp, principal = "4a1b2c3d-0000-4000-8000-00000000000a", "01020304-0506-0708-090a-0b0c0d0e0f10"
	id := assignmentID(sp, principal)
	if len(id) != 43 || strings.ContainsAny(id, "+/=") {
		t.Errorf("assignmentID = %q, want 43 base64url characters", id)
	}
	if got, ok := assignmentPrincipal(sp, id); !ok || got != principal {
		t.Errorf("assignmentPrincipal(assignmentID) = %q, %v, want %q, true", got, ok, principal)
	}
	for _, bad := range []string{"", "abc", id[:42], strings.ToUpper(id[:1]) + id[1:] + "x"} {
		if _, ok := assignmentPrincipal(sp, bad); ok {
			t.Errorf("assignmentPrincipal(%q) accepted", bad)
		}
	}
	if _, ok := assignmentPrincipal("4a1b2c3d-0000-4000-8000-00000000000b", id); ok {
		t.Error("an assignment ID of one service principal is accepted for another")
	}
}

func TestSecurityIdentifier(t *testing.T) {
	tests := map[string]string{
		"00000000-0000-0000-0000-000000000000": "S-1-12-1-0-0-0-0",
		"01020304-0506-0708-090a-0b0c0d0e0f10": "S-1-12-1-16909060-117966086-202050057-269422093",
		"not a guid":                           "",
	}
	for in, want := range tests {
		if got := securityIdentifier(in); got != want {
			t.Errorf("securityIdentifier(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSkipToken(t *testing.T) {
	for _, n := range []int{0, 100, 12345} {
		if got, err := readSkipToken(skipToken(n)); err != nil || got != n {
			t.Errorf("readSkipToken(skipToken(%d)) = %d, %v", n, got, err)
		}
	}
	for _, bad := range []string{"", "xyz", skipToken(1) + "!", "RFNwdAIAAQAAA" + "b2Zmc2V0Oi0x"} {
		if _, err := readSkipToken(bad); err == nil {
			t.Errorf("readSkipToken(%q) accepted", bad)
		}
	}
}

func TestTokenPrefix(t *testing.T) {
	tests := []struct {
		value, term string
		want        bool
	}{
		{"Alice Smith", "ali", true},
		{"Alice Smith", "smi", true},
		{"Alice Smith", "alice smith", true},
		{"Alice Smith", "ice", false},
		{"carol_fabrikam.example#EXT#@contosodemo.onmicrosoft.com", "fabrikam", true},
		{"Project 001", "00", true},
	}
	for _, tc := range tests {
		if got := tokenPrefix(tc.value, tc.term); got != tc.want {
			t.Errorf("tokenPrefix(%q, %q) = %v, want %v", tc.value, tc.term, got, tc.want)
		}
	}
}
