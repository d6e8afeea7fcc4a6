package inspect

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// Layers peeled off an input, in the order they were removed.
const (
	layerPercent = "percent"
	layerBase64  = "base64"
	layerDeflate = "deflate"
	layerZlib    = "zlib"
)

// maxEncodingLayers bounds how many encodings are peeled: real inputs carry at most three
// (percent-encoding, base64, DEFLATE); more is a crafted input.
const maxEncodingLayers = 6

// layerError is a decoding failure with the finding code it maps to.
type layerError struct {
	code string
	msg  string
}

func (e *layerError) Error() string { return e.msg }

func malformedErr(format string, a ...any) error {
	return &layerError{code: CodeInputMalformed, msg: fmt.Sprintf(format, a...)}
}

// decodeLayers peels percent-encoding, base64 (standard or URL-safe, with or without
// padding and line breaks) and raw DEFLATE off b until it reaches XML, JSON, a JWT, or
// text it cannot peel further. Every layer is bounded by max bytes: a DEFLATE stream
// that inflates beyond it is refused without being inflated in full.
func decodeLayers(b []byte, max int) (out []byte, layers []string, err error) {
	cur := trimBOM(b)
	for range maxEncodingLayers {
		if len(cur) > max {
			return nil, layers, &layerError{code: CodeInputTooLarge,
				msg: fmt.Sprintf("The input is %d bytes, more than the %d bytes the inspector accepts.", len(cur), max)}
		}
		if len(cur) == 0 || cur[0] == '<' || cur[0] == '{' || mayBeJWT(cur) && looksLikeJWT(string(cur)) {
			return cur, layers, nil
		}
		if hasPercentEscape(cur) {
			s, perr := url.PathUnescape(string(cur))
			if perr != nil {
				return nil, layers, malformedErr("The input has a broken percent-encoding (%%XX): %v.", perr)
			}
			cur = trimBOM([]byte(s))
			layers = append(layers, layerPercent)
			continue
		}
		if !looksLikeBase64(cur) {
			return cur, layers, nil
		}
		dec, berr := decodeLenientBase64(cur)
		if berr != nil {
			return nil, layers, berr
		}
		layers = append(layers, layerBase64)
		if t := trimBOM(dec); len(t) > 0 && (t[0] == '<' || t[0] == '{' || isPastedText(t)) {
			cur = t
			continue
		}
		inf, layer, ierr := inflateCapped(dec, max)
		if ierr != nil {
			return nil, layers, ierr
		}
		layers = append(layers, layer)
		cur = trimBOM(inf)
	}
	return nil, layers, malformedErr("The input is wrapped in more than %d encodings; no real SAML or OIDC message is.", maxEncodingLayers)
}

// inflateCapped decompresses raw DEFLATE (RFC 1951, what the HTTP-Redirect binding uses),
// falling back to a zlib stream, which some SPs send by mistake. It reads at most
// max+1 bytes so a decompression bomb costs no more than the limit.
func inflateCapped(b []byte, max int) ([]byte, string, error) {
	out, err := readAtMost(flate.NewReader(bytes.NewReader(b)), max)
	if err == nil {
		return out, layerDeflate, nil
	}
	if errors.Is(err, errInflateLimit) {
		return nil, "", &layerError{code: CodeInputTooLarge,
			msg: fmt.Sprintf("The DEFLATE data decompresses to more than %d bytes; refused as a decompression bomb.", max)}
	}
	if zr, zerr := zlib.NewReader(bytes.NewReader(b)); zerr == nil {
		out, zerr = readAtMost(zr, max)
		if zerr == nil {
			return out, layerZlib, nil
		}
		if errors.Is(zerr, errInflateLimit) {
			return nil, "", &layerError{code: CodeInputTooLarge,
				msg: fmt.Sprintf("The zlib data decompresses to more than %d bytes; refused as a decompression bomb.", max)}
		}
	}
	return nil, "", malformedErr("The base64 decodes to binary data that is neither XML (HTTP-POST binding) nor raw DEFLATE (HTTP-Redirect binding).")
}

var errInflateLimit = errors.New("too large")

// readAtMost reads r to its end, failing with errInflateLimit past max bytes.
func readAtMost(r io.Reader, max int) ([]byte, error) {
	out, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
	if len(out) > max {
		return nil, errInflateLimit
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// b64Class classifies bytes for looksLikeBase64: 1 alphabet (standard or URL-safe),
// 2 padding, 3 whitespace, 0 anything else. A table, because this runs over every byte
// of every pasted message before anything else.
var b64Class = func() (t [256]uint8) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = 1
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = 1
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = 1
	}
	for _, c := range "+/-_" {
		t[c] = 1
	}
	t['='] = 2
	for _, c := range " \t\r\n" {
		t[c] = 3
	}
	return t
}()

// looksLikeBase64 reports whether b, ignoring whitespace, uses only the standard or
// URL-safe base64 alphabet with padding only at the end.
func looksLikeBase64(b []byte) bool {
	n, pad := 0, 0
	for _, c := range b {
		switch b64Class[c] {
		case 3:
			continue
		case 2:
			pad++
		case 1:
			if pad > 0 {
				return false
			}
		default:
			return false
		}
		n++
	}
	return n >= 4 && pad <= 2
}

// decodeLenientBase64 decodes standard or URL-safe base64, padded or not, ignoring line
// breaks. A '+' turned into a space by a careless URL decoding is put back.
func decodeLenientBase64(b []byte) ([]byte, error) {
	b = bytes.TrimSpace(b)
	clean := b
	spaces := false
	if bytes.ContainsAny(b, " \t\r\n") {
		clean = make([]byte, 0, len(b))
		for _, c := range b {
			switch c {
			case '\t', '\r', '\n':
				continue
			case ' ':
				spaces = true
			}
			clean = append(clean, c)
		}
	}
	candidates := [][]byte{clean}
	if spaces {
		candidates = [][]byte{bytes.ReplaceAll(clean, []byte(" "), nil), bytes.ReplaceAll(clean, []byte(" "), []byte("+"))}
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(clean))+3)
	for _, c := range candidates {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if n, err := enc.Decode(out, c); err == nil {
				return out[:n], nil
			}
		}
	}
	return nil, malformedErr("The input looks like base64 but is not valid base64 (wrong length or mixed alphabets); copy the whole value again.")
}

// hasPercentEscape reports whether b contains a %XX escape.
func hasPercentEscape(b []byte) bool {
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' && isHexDigit(b[i+1]) && isHexDigit(b[i+2]) {
			return true
		}
	}
	return false
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// isPastedText reports whether b is text a person could have pasted: UTF-8 without
// control characters other than whitespace. Binary DEFLATE data almost never is.
func isPastedText(b []byte) bool {
	for _, r := range string(b) {
		if r == 0xFFFD || (r < 0x20 && r != '\t' && r != '\r' && r != '\n') || r == 0x7F {
			return false
		}
	}
	return true
}

// mayBeJWT is looksLikeJWT's cheap first test, without copying the input: a compact
// JWS has two dots and a JWE four, and base64 of a SAML message has none.
func mayBeJWT(b []byte) bool {
	n := bytes.Count(b, []byte("."))
	return n == 2 || n == 4
}

// looksLikeJWT reports whether s has the shape of a compact JWS (three base64url
// segments) or JWE (five), the first being a JSON header.
func looksLikeJWT(s string) bool {
	s = strings.TrimSpace(s)
	parts := strings.Split(s, ".")
	if len(parts) != 3 && len(parts) != 5 {
		return false
	}
	for i, p := range parts {
		for _, c := range []byte(p) {
			if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
		if i == 0 && len(p) == 0 {
			return false
		}
	}
	h, err := base64.RawURLEncoding.DecodeString(parts[0])
	return err == nil && len(bytes.TrimSpace(h)) > 0 && bytes.TrimSpace(h)[0] == '{'
}
