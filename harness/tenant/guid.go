package tenant

import (
	"crypto/sha1"
	"fmt"
	"io"
	"strings"
)

// IsGUID reports whether s is a GUID in its canonical 8-4-4-4-12 hexadecimal form, the
// only form Entra prints.
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// NewGUID returns a random (version 4) GUID in lower case read from rnd.
func NewGUID(rnd io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", fmt.Errorf("generate GUID: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatGUID(b), nil
}

// nameGUID derives a version 5 style GUID from a name, so demo objects keep their IDs
// however the demo tenant grows.
func nameGUID(name string) string {
	sum := sha1.Sum([]byte("ssowizard/demo/" + name))
	var b [16]byte
	copy(b[:], sum[:16])
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return formatGUID(b)
}

func formatGUID(b [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// sameGUID compares GUIDs as Entra does, ignoring case.
func sameGUID(a, b string) bool { return strings.EqualFold(a, b) }
