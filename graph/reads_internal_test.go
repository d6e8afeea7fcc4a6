package graph

import (
	"crypto/sha1"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

func TestODataString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Vendor app", "'Vendor app'"},
		{"O'Brien's app", "'O''Brien''s app'"},
		{"'", "''''"},
		{"", "''"},
	}
	for _, tc := range tests {
		if got := odataString(tc.in); got != tc.want {
			t.Errorf("odataString(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// The thumbprint comes from the certificate itself when Graph sends it, else from a
// customKeyIdentifier of SHA-1 length.
func TestThumbprint(t *testing.T) {
	der := []byte("not really DER, but hashed all the same")
	sum := sha1.Sum(der)
	fromKey := strings.ToUpper(hex.EncodeToString(sum[:]))
	other := sha1.Sum([]byte("another certificate"))
	tests := []struct {
		name      string
		key, ckid []byte
		want      string
	}{
		{"key only", der, nil, fromKey},
		{"key wins over the identifier", der, other[:], fromKey},
		{"identifier only", nil, other[:], strings.ToUpper(hex.EncodeToString(other[:]))},
		{"identifier not a SHA-1", nil, []byte("CN=x"), ""},
		{"neither", nil, nil, ""},
	}
	for _, tc := range tests {
		k := models.NewKeyCredential()
		k.SetKey(tc.key)
		k.SetCustomKeyIdentifier(tc.ckid)
		if got := thumbprint(k); got != tc.want {
			t.Errorf("thumbprint(%s) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
