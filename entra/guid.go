package entra

import (
	"fmt"
	"io"
	"strings"
)

// IsGUID reports whether s is a GUID in its canonical 8-4-4-4-12 hexadecimal form, the
// only form Entra prints (either case; no braces, no surrounding space).
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

// SameGUID compares GUIDs as Entra does, ignoring case.
func SameGUID(a, b string) bool { return strings.EqualFold(a, b) }

// NewGUID returns a random (version 4) GUID in lower case read from rnd.
func NewGUID(rnd io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", fmt.Errorf("generate GUID: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return FormatGUID(b), nil
}

// FormatGUID writes 16 bytes in the canonical lower-case 8-4-4-4-12 form.
func FormatGUID(b [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
