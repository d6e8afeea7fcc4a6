package check_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/wizard/check"
)

func contains(s, sub string) bool { return sub != "" && strings.Contains(s, sub) }

// mintedSecret is a secret made the way the harness (and Entra) makes them.
func mintedSecret(t *testing.T, seed uint64) tenant.Secret {
	t.Helper()
	s, err := tenant.NewSecret(rand.NewChaCha8([32]byte{byte(seed)}), now, 365*24*3600*1e9)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSecretValue(t *testing.T) {
	s := mintedSecret(t, 1)
	known := []string{s.KeyID, "legacy-key-id"}
	for _, tc := range []struct {
		name, in string
		want
	}{
		{"minted value", s.Value, want{id: "client-secret", severity: check.OK, field: "client_secret"}},
		{"empty", "  ", want{id: "client-secret-empty", severity: check.Error, fix: []string{"Value"}}},
		{"key ID of the app", s.KeyID, want{id: "secret-id-not-value", severity: check.Error, message: []string{"Secret ID"}, fix: []string{"Value", "not the Secret ID"}, detail: []string{"AADSTS7000215"}}},
		{"key ID upper case", strings.ToUpper(s.KeyID), want{id: "secret-id-not-value", severity: check.Error, message: []string{"one of the app's"}}},
		{"known non-GUID key ID", "legacy-key-id", want{id: "secret-id-not-value", severity: check.Error}},
		{"some GUID", "3f2504e0-4f89-11d3-9a0c-0305e82c3301", want{id: "secret-id-not-value", severity: check.Error, message: []string{"GUID"}}},
		{"braced GUID", "{3f2504e0-4f89-11d3-9a0c-0305e82c3301}", want{id: "secret-id-not-value", severity: check.Error}},
		{"hint", s.Hint, want{id: "secret-hint-only", severity: check.Error, message: []string{"hint"}}},
		{"masked", s.Hint + "*************************************", want{id: "secret-hint-only", severity: check.Error, message: []string{"masked"}}},
		{"bullets", s.Hint + "•••••••", want{id: "secret-hint-only", severity: check.Error}},
		{"ellipsis", s.Value[:10] + "…", want{id: "secret-hint-only", severity: check.Error}},
		{"three dots typed after the start", s.Value[:10] + "...", want{id: "secret-hint-only", severity: check.Error}},
		{"a Value that ends in dots", "Zx18Q~abcdefghijklmnopqrstuvwxyz01234...", want{id: "client-secret", severity: check.OK}},
		{"line break inside", s.Value[:20] + "\n" + s.Value[20:], want{id: "client-secret-whitespace", severity: check.Error}},
		{"zero-width space inside", s.Value[:20] + "\u200b" + s.Value[20:], want{id: "client-secret-whitespace", severity: check.Error}},
		{"too short", "Pa55w0rd-xyz", want{id: "client-secret-too-short", severity: check.Error, detail: []string{"12 characters"}}},
		{"older shape", "kF9+Rk2sLq0vXwYz1A2b3C4d5E6f7G8h9I0jK1lM2nO=", want{id: "client-secret-shape", severity: check.Warning, detail: []string{"44 characters"}}},
		{"40 but no marker", strings.Repeat("a", 40), want{id: "client-secret-shape", severity: check.Warning}},
		{"spaces around", " " + s.Value + "\n", want{id: "client-secret-whitespace-around", severity: check.Warning}},
	} {
		tc.check(t, fmt.Sprintf("SecretValue(%s)", tc.name), check.SecretValue(tc.in, known))
	}
}

// TestSecretValueNeverLeaks passes values of every kind SecretValue tells apart and
// checks that no part of them appears anywhere in the Result.
func TestSecretValueNeverLeaks(t *testing.T) {
	values := []string{" \t"}
	for seed := range uint64(20) {
		s := mintedSecret(t, seed)
		values = append(values, s.Value, " "+s.Value+"\r\n", s.Value[:15]+" "+s.Value[15:], s.Value[:39],
			s.Value+"Q", s.Hint, s.Hint+"***", s.Value[:12], strings.ReplaceAll(s.Value, "8Q~", "xYz"))
	}
	values = append(values, "kF9+Rk2sLq0vXwYz1A2b3C4d5E6f7G8h9I0jK1lM2nO=", "Pa55w0rd-xyz")
	for _, v := range values {
		for _, known := range [][]string{nil, {v}, {strings.TrimSpace(v)}} {
			r := check.SecretValue(v, known)
			assertShape(t, r)
			out, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			text := string(out) + fmt.Sprintf("%v %+v %#v", r, r, r)
			if leak := leaked(text, strings.TrimSpace(v)); leak != "" {
				t.Errorf("SecretValue result %s contains %q from the value", out, leak)
			}
		}
	}
}

// leaked returns a piece of v (all of it when shorter than 6 characters, else any
// 6-character window) that text contains, or "".
func leaked(text, v string) string {
	const window = 6
	if v == "" {
		return ""
	}
	if len(v) <= window {
		if bytes.Contains([]byte(text), []byte(v)) {
			return v
		}
		return ""
	}
	for i := 0; i+window <= len(v); i++ {
		if strings.Contains(text, v[i:i+window]) {
			return v[i : i+window]
		}
	}
	return ""
}
