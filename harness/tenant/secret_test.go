package tenant_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/harness/tenant"
)

// entraSecretShape is the shape Microsoft's own credential scanners look for.
var entraSecretShape = regexp.MustCompile(`^[A-Za-z0-9._~-]{3}8Q~[A-Za-z0-9._~-]{34}$`)

func TestNewSecretShape(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC)
	rnd := seeded()
	seen := map[rune]bool{}
	values := map[string]bool{}
	for i := 0; i < 1000; i++ {
		s, err := tenant.NewSecret(rnd, now, 180*24*time.Hour)
		if err != nil {
			t.Fatalf("NewSecret = %v", err)
		}
		if len(s.Value) != 40 || !entraSecretShape.MatchString(s.Value) {
			t.Fatalf("NewSecret value = %q, want Entra's shape", s.Value)
		}
		if s.Hint != s.Value[:3] {
			t.Fatalf("NewSecret hint = %q, want %q", s.Hint, s.Value[:3])
		}
		if !tenant.IsGUID(s.KeyID) {
			t.Fatalf("NewSecret key ID = %q, want a GUID", s.KeyID)
		}
		if !tenant.LooksLikeSecretValue(s.Value) || tenant.LooksLikeSecretID(s.Value) {
			t.Fatalf("value %q: LooksLikeSecretValue/ID = %v/%v, want true/false", s.Value,
				tenant.LooksLikeSecretValue(s.Value), tenant.LooksLikeSecretID(s.Value))
		}
		if tenant.LooksLikeSecretValue(s.KeyID) || !tenant.LooksLikeSecretID(s.KeyID) {
			t.Fatalf("key ID %q: LooksLikeSecretValue/ID = %v/%v, want false/true", s.KeyID,
				tenant.LooksLikeSecretValue(s.KeyID), tenant.LooksLikeSecretID(s.KeyID))
		}
		if !s.Start.Equal(now.Truncate(time.Second)) || !s.End.Equal(s.Start.Add(180*24*time.Hour)) {
			t.Fatalf("NewSecret validity %v – %v, want from %v for 180 days", s.Start, s.End, now)
		}
		if values[s.Value] {
			t.Fatalf("NewSecret repeated value %q", s.Value)
		}
		values[s.Value] = true
		for _, r := range s.Value[:3] + s.Value[6:] {
			seen[r] = true
		}
	}
	// 37,000 random characters cover a 66-character alphabet; a missing one means a
	// biased or truncated draw.
	if len(seen) != 66 {
		t.Errorf("secret values used %d distinct characters, want all 66", len(seen))
	}
	if _, err := tenant.NewSecret(rnd, now, 0); err == nil {
		t.Error("NewSecret(lifetime 0) = nil error, want refusal")
	}
}

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
		if got := tenant.LooksLikeSecretValue(tc.in); got != tc.value {
			t.Errorf("LooksLikeSecretValue(%q) = %v, want %v", tc.in, got, tc.value)
		}
		if got := tenant.LooksLikeSecretID(tc.in); got != tc.id {
			t.Errorf("LooksLikeSecretID(%q) = %v, want %v", tc.in, got, tc.id)
		}
	}
}

func TestCheckSecret(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(1, 0, 0)
	secrets := []tenant.Secret{
		{KeyID: "aaaaaaaa-0000-4000-8000-000000000001", Value: "current", Start: start, End: end},
		{KeyID: "aaaaaaaa-0000-4000-8000-000000000002", Value: "old", Start: start.AddDate(-2, 0, 0), End: start},
		{KeyID: "aaaaaaaa-0000-4000-8000-000000000003", Value: "future", Start: end, End: end.AddDate(1, 0, 0)},
		{KeyID: "aaaaaaaa-0000-4000-8000-000000000004", Value: "rotated", Start: start.AddDate(-2, 0, 0), End: start},
		{KeyID: "aaaaaaaa-0000-4000-8000-000000000005", Value: "rotated", Start: start, End: end},
		{KeyID: "aaaaaaaa-0000-4000-8000-000000000006", Value: "nostart", End: end},
	}
	mid := start.AddDate(0, 6, 0)
	tests := []struct {
		value  string
		now    time.Time
		result tenant.SecretResult
		keyID  string
		code   int
	}{
		{"current", mid, tenant.SecretOK, "aaaaaaaa-0000-4000-8000-000000000001", 0},
		{"current", start, tenant.SecretOK, "aaaaaaaa-0000-4000-8000-000000000001", 0},
		{"current", end, tenant.SecretExpired, "aaaaaaaa-0000-4000-8000-000000000001", 7000222},
		{"current", end.Add(-time.Nanosecond), tenant.SecretOK, "aaaaaaaa-0000-4000-8000-000000000001", 0},
		{"old", mid, tenant.SecretExpired, "aaaaaaaa-0000-4000-8000-000000000002", 7000222},
		{"future", mid, tenant.SecretWrong, "", 7000215},
		{"rotated", mid, tenant.SecretOK, "aaaaaaaa-0000-4000-8000-000000000005", 0},
		{"nostart", mid, tenant.SecretOK, "aaaaaaaa-0000-4000-8000-000000000006", 0},
		{"Current", mid, tenant.SecretWrong, "", 7000215},
		{"aaaaaaaa-0000-4000-8000-000000000001", mid, tenant.SecretIsKeyID, "aaaaaaaa-0000-4000-8000-000000000001", 7000215},
		{" AAAAAAAA-0000-4000-8000-000000000002 ", mid, tenant.SecretIsKeyID, "aaaaaaaa-0000-4000-8000-000000000002", 7000215},
		{"aaaaaaaa-0000-4000-8000-000000000009", mid, tenant.SecretWrong, "", 7000215},
		{"", mid, tenant.SecretMissing, "", 7000218},
	}
	for _, tc := range tests {
		got := tenant.CheckSecret(secrets, tc.value, tc.now)
		if got.Result != tc.result || got.KeyID != tc.keyID || got.Result.AADSTS() != tc.code {
			t.Errorf("CheckSecret(%q, %v) = %v %q (AADSTS%d), want %v %q (AADSTS%d)", tc.value, tc.now,
				got.Result, got.KeyID, got.Result.AADSTS(), tc.result, tc.keyID, tc.code)
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
		got, ok := tenant.MatchRedirectURI(registered, tc.requested)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("MatchRedirectURI(%q) = %q, %v, want %q, %v", tc.requested, got, ok, tc.want, tc.want != "")
		}
	}
	if _, ok := tenant.MatchRedirectURI(nil, "http://127.0.0.1/callback"); ok {
		t.Error("MatchRedirectURI(no registered URIs) matched")
	}
}
