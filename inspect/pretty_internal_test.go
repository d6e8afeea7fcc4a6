package inspect

import (
	"encoding/base64"
	"testing"
)

// TestPrettyXML is the one test of the XML pretty-printer's exact output; the case
// goldens leave Report.Pretty out so that a change here rewrites one test, not every
// case.
func TestPrettyXML(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"nested elements are indented, whitespace between them dropped",
			`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1">` + "\n\t" +
				`<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">https://sts.windows.net/t/</saml:Issuer>` +
				`<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:Response>`,
			`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1">
  <saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">https://sts.windows.net/t/</saml:Issuer>
  <samlp:Status>
    <samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>
  </samlp:Status>
</samlp:Response>
`},
		{"mixed content and comments stay on one line, as they are",
			`<NameID>alice<!--x-->@contoso.com<b>!</b></NameID>`,
			"<NameID>alice<!--x-->@contoso.com<b>!</b></NameID>\n"},
		{"an element with only whitespace is empty",
			"<a>\n  </a>", "<a/>\n"},
		{"text and attribute values are escaped",
			`<a v="1&amp;2 &quot;q&quot;&#xA;">x &lt; y &amp; z</a>`,
			"<a v=\"1&amp;2 &quot;q&quot;&#xA;\">x &lt; y &amp; z</a>\n"},
		{"the XML declaration is left out",
			`<?xml version="1.0" encoding="UTF-8"?><a/>`, "<a/>\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := parseXML([]byte(tc.in))
			if err != nil {
				t.Fatalf("parseXML(%q): %v", tc.in, err)
			}
			if got := prettyXML(d, len(tc.in)); got != tc.want {
				t.Errorf("prettyXML(%q) =\n%s\nwant\n%s", tc.in, got, tc.want)
			}
		})
	}
}

// TestPrettyJWT: the header and the payload, each indented, joined by a line with a
// dot; a part that is not JSON is shown as it decodes.
func TestPrettyJWT(t *testing.T) {
	enc := base64.RawURLEncoding.EncodeToString
	for _, tc := range []struct{ name, header, payload, want string }{
		{"JSON", `{"alg":"RS256","kid":"k1"}`, `{"aud":"a","groups":["g1","g2"]}`,
			"{\n  \"alg\": \"RS256\",\n  \"kid\": \"k1\"\n}\n.\n{\n  \"aud\": \"a\",\n  \"groups\": [\n    \"g1\",\n    \"g2\"\n  ]\n}"},
		{"not JSON", `{"alg":"none"}`, `not json`, "{\n  \"alg\": \"none\"\n}\n.\nnot json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := prettyJWT(&jwtParts{rawHeader: enc([]byte(tc.header)), rawPayload: enc([]byte(tc.payload))})
			if got != tc.want {
				t.Errorf("prettyJWT(%s.%s) =\n%s\nwant\n%s", tc.header, tc.payload, got, tc.want)
			}
		})
	}
}
