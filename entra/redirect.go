package entra

import "strings"

// loopbackPrefixes are the redirect URI origins whose port Entra ignores when matching,
// after RFC 8252 §7.3: a native app's loopback listener gets whatever port is free. Only
// plain http qualifies; https://localhost is matched like any other URI.
var loopbackPrefixes = []string{"http://127.0.0.1", "http://localhost"}

// MatchRedirectURI finds the registered redirect URI that requested matches, as Entra
// matches them: the exact string (scheme, host, path, query, case and trailing slash all
// count), except that for http://127.0.0.1 and http://localhost the port on either side
// is ignored. It returns the registered URI and whether one matched.
func MatchRedirectURI(registered []string, requested string) (string, bool) {
	for _, r := range registered {
		if r == requested {
			return r, true
		}
	}
	want, ok := withoutLoopbackPort(requested)
	if !ok {
		return "", false
	}
	for _, r := range registered {
		if got, ok := withoutLoopbackPort(r); ok && got == want {
			return r, true
		}
	}
	return "", false
}

// withoutLoopbackPort drops the port from a loopback http URI; ok is false for any
// other URI, and for one whose authority continues past the host (userinfo, another host).
func withoutLoopbackPort(uri string) (string, bool) {
	for _, p := range loopbackPrefixes {
		rest, found := strings.CutPrefix(uri, p)
		if !found {
			continue
		}
		if port, ok := strings.CutPrefix(rest, ":"); ok {
			n := 0
			for n < len(port) && '0' <= port[n] && port[n] <= '9' {
				n++
			}
			if n == 0 {
				return "", false
			}
			rest = port[n:]
		}
		if rest == "" || rest[0] == '/' || rest[0] == '?' {
			return p + rest, true
		}
		return "", false
	}
	return "", false
}
