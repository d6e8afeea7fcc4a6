package tenant_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/entra"
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
		if !entra.IsGUID(s.KeyID) {
			t.Fatalf("NewSecret key ID = %q, want a GUID", s.KeyID)
		}
		if !entra.LooksLikeSecretValue(s.Value) || entra.LooksLikeSecretID(s.Value) {
			t.Fatalf("value %q: LooksLikeSecretValue/ID = %v/%v, want true/false", s.Value,
				entra.LooksLikeSecretValue(s.Value), entra.LooksLikeSecretID(s.Value))
		}
		if entra.LooksLikeSecretValue(s.KeyID) || !entra.LooksLikeSecretID(s.KeyID) {
			t.Fatalf("key ID %q: LooksLikeSecretValue/ID = %v/%v, want false/true", s.KeyID,
				entra.LooksLikeSecretValue(s.KeyID), entra.LooksLikeSecretID(s.KeyID))
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
