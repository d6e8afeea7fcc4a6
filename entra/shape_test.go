package entra_test

import (
	"testing"

	"github.com/ssowizard/ssowizard/entra"
)

func TestLooksLike(t *testing.T) {
	tests := []struct {
		in        string
		value, id bool
	}{
		{"abc8Q~abcdefghijklmnopqrstuvwxyz01234567", true, false},
		{"  abc8Q~abcdefghijklmnopqrstuvwxyz01234567\n", true, false},
		{"a.-7Q~_~cdefghijklmnopqrstuvwxyz01234567", true, false},
		{"abc8Q~abcdefghijklmnopqrstuvwxyz0123456", false, false}, // 39 characters
		{"abc8Q~abcdefghijklmnopqrstuvwxyz012345678", false, false},
		{"abc9X~abcdefghijklmnopqrstuvwxyz01234567", false, false},
		{"abc8Q~abcdefghijklmnopqrstuvwxyz0123456+", false, false},
		{"9c6b41c5-3d43-4132-a583-70bcdfad5911", false, true},
		{"9C6B41C5-3D43-4132-A583-70BCDFAD5911", false, true},
		{"{9c6b41c5-3d43-4132-a583-70bcdfad5911}", false, false},
		{"9c6b41c53d434132a58370bcdfad5911", false, false},
		{"", false, false},
	}
	for _, tc := range tests {
		if got := entra.LooksLikeSecretValue(tc.in); got != tc.value {
			t.Errorf("LooksLikeSecretValue(%q) = %v, want %v", tc.in, got, tc.value)
		}
		if got := entra.LooksLikeSecretID(tc.in); got != tc.id {
			t.Errorf("LooksLikeSecretID(%q) = %v, want %v", tc.in, got, tc.id)
		}
	}
}

func TestMatchRedirectURI(t *testing.T) {
	registered := []string{
		"https://vendor.example/callback",
		"http://127.0.0.1/callback",
		"http://localhost:5000/cb",
		"https://localhost:8443/cb",
		"http://127.0.0.1:9000",
	}
	tests := []struct {
		requested string
		want      string // "" for no match
	}{
		{"https://vendor.example/callback", "https://vendor.example/callback"},
		{"https://vendor.example/callback/", ""},
		{"https://vendor.example/Callback", ""},
		{"https://Vendor.example/callback", ""},
		{"https://vendor.example:443/callback", ""},
		{"http://vendor.example/callback", ""},
		{"https://vendor.example/callback?x=1", ""},
		{"http://127.0.0.1/callback", "http://127.0.0.1/callback"},
		{"http://127.0.0.1:53124/callback", "http://127.0.0.1/callback"},
		{"http://127.0.0.1:1/callback", "http://127.0.0.1/callback"},
		{"http://127.0.0.1:53124/callback/", ""},
		{"http://127.0.0.1:53124/Callback", ""},
		{"http://127.0.0.1:/callback", ""},
		{"http://127.0.0.1:abc/callback", ""},
		{"http://localhost:53124/callback", ""}, // 127.0.0.1 and localhost are different hosts
		{"http://localhost/cb", "http://localhost:5000/cb"},
		{"http://localhost:6000/cb", "http://localhost:5000/cb"},
		{"https://localhost:8443/cb", "https://localhost:8443/cb"},
		{"https://localhost:9443/cb", ""}, // https loopback is not special
		{"https://localhost/cb", ""},
		{"http://127.0.0.1", "http://127.0.0.1:9000"},
		{"http://127.0.0.1:1234", "http://127.0.0.1:9000"},
		{"http://127.0.0.1:1234/", ""},
		{"http://127.0.0.1.evil.example/callback", ""},
		{"http://127.0.0.1:80@evil.example/callback", ""},
		{"http://localhost.evil.example/cb", ""},
		{"HTTP://127.0.0.1:5/callback", ""},
		{"", ""},
	}
	for _, tc := range tests {
		got, ok := entra.MatchRedirectURI(registered, tc.requested)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("MatchRedirectURI(%q) = %q, %v, want %q, %v", tc.requested, got, ok, tc.want, tc.want != "")
		}
	}
	if _, ok := entra.MatchRedirectURI(nil, "http://127.0.0.1/callback"); ok {
		t.Error("MatchRedirectURI(no registered URIs) matched")
	}
}
