package tenant

import (
	"crypto/sha1"

	"github.com/ssowizard/ssowizard/entra"
)

// nameGUID derives a version 5 style GUID from a name, so demo objects keep their IDs
// however the demo tenant grows.
func nameGUID(name string) string {
	sum := sha1.Sum([]byte("ssowizard/demo/" + name))
	var b [16]byte
	copy(b[:], sum[:16])
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return entra.FormatGUID(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
