package check

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ssowizard/ssowizard/directory"
	"github.com/ssowizard/ssowizard/entra"
	"github.com/ssowizard/ssowizard/inspect"
)

const basicSAMLConfig = enterpriseSAMLApp + " > Basic SAML Configuration"

// urnPattern is the shape of a URN (RFC 8141): urn, a namespace identifier, a
// namespace-specific string.
var urnPattern = regexp.MustCompile(`(?i)^urn:[a-z0-9][a-z0-9-]{0,31}:\S+$`)

// EntityID checks the form of an SP Entity ID (Entra's Identifier): an absolute URI or a
// urn:, without white space.
func EntityID(s string) Result {
	const id, field = "entity-id", fieldEntityID
	fix := "Enter the Entity ID exactly as the vendor gives it, e.g. https://vendor.example/saml or urn:vendor:sso."
	switch {
	case strings.TrimSpace(s) == "":
		return fail(id+"-empty", field, "The Entity ID is empty.", fix)
	case strings.IndexFunc(s, isSpaceOrInvisible) >= 0:
		return fail(id+"-whitespace", field, "The Entity ID has a space, line break or invisible character in it, so the vendor's AuthnRequest Issuer would not equal it (AADSTS700016).",
			"Remove it, or copy the Entity ID again from the vendor's instructions.")
	case utf8.RuneCountInString(s) > maxURILength:
		return fail(id+"-too-long", field, fmt.Sprintf("The Entity ID has %d characters, more than the %d Entra accepts.", utf8.RuneCountInString(s), maxURILength),
			"Ask the vendor for a shorter Entity ID.")
	}
	if _, isURN := cutPrefixFold(s, "urn:"); isURN {
		if !urnPattern.MatchString(s) {
			return fail(id+"-urn", field, "The Entity ID starts with urn: but is not a well-formed URN (urn:namespace:name).", fix)
		}
		return ok(id, field, "The Entity ID is a URN, a form Entra accepts.")
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() {
		r := fail(id+"-not-absolute", field, "The Entity ID has no scheme, but Entra's Identifier must be an absolute URI or a urn:.", fix)
		if err == nil && strings.Contains(s, ".") {
			r.Fix = fmt.Sprintf("Enter it exactly as the vendor gives it, probably https://%s, and ask the vendor if unsure.", s)
		}
		return r
	}
	if (u.Scheme == "http" || u.Scheme == "https") && u.Host == "" {
		return fail(id+"-not-absolute", field, "The Entity ID is a web address without a host.", fix)
	}
	return ok(id, field, "The Entity ID is an absolute URI, a form Entra accepts.")
}

// EntityIDUnique checks that no app of the tenant other than selfAppID (the app being
// set up, by Application ID) already has entityID among its Identifiers: Entra requires
// each Identifier to be unique in the tenant, and refuses to save a duplicate.
// Identifiers are compared ignoring case, to be on the safe side.
func EntityIDUnique(entityID, selfAppID string, apps []directory.AppDetails) Result {
	const id, field = "entity-id-unique", fieldEntityID
	e := strings.TrimSpace(entityID)
	var others []string
	for _, a := range apps {
		if selfAppID != "" && strings.EqualFold(a.AppID, selfAppID) {
			continue
		}
		for _, u := range a.IdentifierURIs {
			if strings.EqualFold(strings.TrimSpace(u), e) {
				others = append(others, appName(a.App))
				break
			}
		}
	}
	if len(others) == 0 {
		return ok(id, field, "No other app of the tenant uses this Entity ID.")
	}
	return fail("entity-id-taken", field,
		fmt.Sprintf("The Entity ID %s is already the Identifier of %s, and Entra requires each Identifier to be unique in the tenant.", e, joinAnd(others)),
		"Ask the vendor for a distinct Entity ID (many let you append a unique suffix), or remove it from the other app if that app is no longer used.").
		with("Entra refuses the duplicate with: Another object with the same value for property identifierUris already exists.")
}

// Certificate describes a signing certificate.
type Certificate struct {
	Subject    string    `json:"subject"`
	Thumbprint string    `json:"thumbprint"` // SHA-1, upper-case hex, as the portal shows it
	SHA256     string    `json:"sha256"`     // upper-case hex
	NotBefore  time.Time `json:"not_before"`
	NotAfter   time.Time `json:"not_after"`
	Source     string    `json:"source,omitempty"` // where it came from: "metadata", "file"
}

// CertificateOf describes c, noting where it came from ("metadata", "file").
func CertificateOf(c *x509.Certificate, source string) Certificate {
	s1 := sha1.Sum(c.Raw)
	s256 := sha256.Sum256(c.Raw)
	return Certificate{
		Subject:    c.Subject.String(),
		Thumbprint: strings.ToUpper(hex.EncodeToString(s1[:])),
		SHA256:     strings.ToUpper(hex.EncodeToString(s256[:])),
		NotBefore:  c.NotBefore,
		NotAfter:   c.NotAfter,
		Source:     source,
	}
}

// Metadata is what the wizard keeps of Entra's federation metadata.
type Metadata struct {
	EntityID     string // the IdP's entityID: the issuer of its SAML responses
	SSOURL       string // the SingleSignOnService location, HTTP-Redirect preferred
	Certificates []Certificate
}

// tenantWideSubject is the subject of the keys Entra signs with for the whole tenant
// (WS-Federation, tokens); the tenant's own federation metadata lists them, while an
// app's SAML signing certificate is the app's own.
const tenantWideSubject = "accounts.accesscontrol.windows.net"

// IdPMetadata reads Entra's federation metadata (a UTF-8 BOM is fine) and checks it:
// IdP metadata, not an SP's; an SSO URL; every signing certificate with its expiry
// (expired: Error, unless another listed certificate is valid during a rollover; within
// 60 days: Warning, as Entra's notices start at 60, 30 and 7 days); the tenant-wide
// document taken for the app's; and, through Issuer, its entityID.
func IdPMetadata(xml []byte, tenantID string, now time.Time) (Metadata, []Result) {
	const field = fieldIdPMetadata
	fetch := "Download the Federation Metadata XML from " + enterpriseSAMLApp + " > SAML Certificates again, or use its App Federation Metadata Url."
	md, err := inspect.ParseMetadata(xml)
	if err != nil {
		return Metadata{}, []Result{fail("metadata-invalid", field, "The IdP metadata could not be read.", fetch).with(err.Error())}
	}
	if md.Info.Role == "sp" {
		return Metadata{}, []Result{fail("metadata-not-idp", field,
			"This is a service provider's metadata (probably the vendor's), not Entra's IdP metadata.", fetch)}
	}
	out := Metadata{EntityID: md.EntityID}
	for _, e := range md.Info.SSOURLs {
		if strings.HasSuffix(e.Binding, ":HTTP-Redirect") {
			out.SSOURL = e.Location
			break
		}
	}
	if out.SSOURL == "" && len(md.Info.SSOURLs) > 0 {
		out.SSOURL = md.Info.SSOURLs[0].Location
	}
	var rs []Result
	if out.SSOURL == "" {
		rs = append(rs, fail("metadata-no-sso-url", field, "The metadata lists no SingleSignOnService URL.", fetch))
	}
	if len(md.SigningCerts) == 0 {
		rs = append(rs, fail("metadata-no-certificate", field, "The metadata lists no signing certificate.", fetch))
	}
	anyValid := false
	for _, c := range md.SigningCerts {
		out.Certificates = append(out.Certificates, CertificateOf(c, "metadata"))
		if !now.Before(c.NotBefore) && now.Before(c.NotAfter) {
			anyValid = true
		}
	}
	tenantWide := false
	for _, c := range out.Certificates {
		rs = append(rs, certificateExpiry(c, now, anyValid, field))
		if strings.Contains(c.Subject, tenantWideSubject) {
			tenantWide = true
		}
	}
	if tenantWide {
		rs = append(rs, warn("metadata-tenant-wide", field,
			"This looks like the tenant-wide federation metadata, whose certificates are Entra's token keys rather than your app's SAML signing certificate.",
			"Use the App Federation Metadata Url (the one ending in ?appid=…) from "+enterpriseSAMLApp+" > SAML Certificates."))
	}
	rs = append(rs, Issuer(md.EntityID, tenantID))
	if !Failed(rs) {
		rs = append(rs, ok("metadata", field, fmt.Sprintf("The metadata is Entra's IdP metadata with %s.", plural(len(out.Certificates), "signing certificate"))))
	}
	return out, rs
}

// certificateExpiry judges one signing certificate at now. An expired certificate
// listed beside a valid one (a rollover Entra has not cleaned up) only warns.
func certificateExpiry(c Certificate, now time.Time, anyValid bool, field string) Result {
	what := "SAML signing certificate " + c.Thumbprint
	if now.Before(c.NotBefore) {
		return warn("certificate-not-yet-valid", field,
			fmt.Sprintf("The %s is valid only from %s.", what, c.NotBefore.UTC().Format("2006-01-02 15:04 UTC")),
			"Keep the active certificate until then, or check the clock of this computer.")
	}
	r := Expiry(what, c.NotAfter, now)
	r.ID = "certificate-" + r.ID
	r.Field = field
	switch r.Severity {
	case Error:
		r.Fix = "In " + enterpriseSAMLApp + " > SAML Certificates, add a new certificate, make it active, and give the vendor the new metadata or fingerprint."
		if anyValid {
			r.Severity = Warning
			r.Fix = "Give the vendor the valid certificate, and remove the expired one in " + enterpriseSAMLApp + " > SAML Certificates."
		}
	case Warning:
		r.Fix = "In " + enterpriseSAMLApp + " > SAML Certificates, add a new certificate, make it active on a date agreed with the vendor, and give them the new metadata or fingerprint."
		r.Detail = "Entra e-mails the notification addresses 60, 30 and 7 days before a signing certificate expires."
	}
	return r
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// CertificateFile reads a signing certificate as the portal downloads it (Certificate
// (Base64), PEM or raw DER) and checks each certificate's expiry at now.
func CertificateFile(b []byte, now time.Time) ([]Certificate, []Result) {
	const field = fieldCertificate
	certs, err := inspect.ParseCertificates(b)
	if err != nil {
		return nil, []Result{fail("certificate-invalid", field, "The certificate could not be read.",
			"Download Certificate (Base64) from "+enterpriseSAMLApp+" > SAML Certificates again.").with(err.Error())}
	}
	var out []Certificate
	var rs []Result
	for _, c := range certs {
		cert := CertificateOf(c, "file")
		out = append(out, cert)
		rs = append(rs, certificateExpiry(cert, now, false, field))
	}
	return out, rs
}

// Fingerprint reads a certificate fingerprint: a SHA-1 thumbprint (40 hex digits, as
// the portal shows it) or a SHA-256 fingerprint (64, as openssl x509 -sha256
// -fingerprint prints it), with or without colons, spaces or openssl's "… Fingerprint="
// prefix, in either case. normalized is upper-case hex without separators, or "" when r
// failed.
func Fingerprint(s string) (normalized string, r Result) {
	const id, field = "fingerprint", fieldFingerprint
	fix := "Copy the Thumbprint from " + enterpriseSAMLApp + " > SAML Certificates, or run openssl x509 -in cert.pem -noout -sha256 -fingerprint on the downloaded certificate."
	t := strings.TrimSpace(s)
	if t == "" {
		return "", fail(id+"-empty", field, "The fingerprint is empty.", fix)
	}
	if strings.Contains(t, "-----BEGIN") || len(t) > 200 {
		return "", fail(id+"-is-certificate", field, "This is a certificate, not its fingerprint.", fix)
	}
	invisible := strings.IndexFunc(t, func(r rune) bool { return unicode.Is(unicode.Cf, r) }) >= 0
	if i := strings.LastIndex(t, "="); i >= 0 {
		t = t[i+1:]
	}
	t = strings.Map(func(r rune) rune {
		if r == ':' || isSpaceOrInvisible(r) {
			return -1
		}
		return r
	}, t)
	if !isHex(t) {
		return "", fail(id+"-not-hex", field, "The fingerprint has characters other than hexadecimal digits, colons and spaces.", fix)
	}
	t = strings.ToUpper(t)
	var msg string
	switch len(t) {
	case 40:
		msg = "The fingerprint is a SHA-1 thumbprint, the form the Entra portal shows."
	case 64:
		msg = "The fingerprint is a SHA-256 fingerprint."
	default:
		return "", fail(id+"-length", field,
			fmt.Sprintf("The fingerprint has %d hexadecimal digits, but a SHA-1 thumbprint has 40 and a SHA-256 fingerprint 64.", len(t)),
			fix)
	}
	r = ok(id, field, msg)
	if invisible {
		r.Detail = "An invisible character, as the Windows certificate dialog copies along, was removed."
	}
	return t, r
}

// FingerprintMatches checks that fp is the fingerprint (SHA-1 or SHA-256) of one of
// certs, the signing certificates from Entra's metadata.
func FingerprintMatches(fp string, certs []Certificate) Result {
	const id, field = "fingerprint-match", fieldFingerprint
	norm, r := Fingerprint(fp)
	if r.Failed() {
		return r
	}
	if len(certs) == 0 {
		return fail("fingerprint-no-certificate", field, "There is no signing certificate to compare the fingerprint with.",
			"Give the IdP metadata or the certificate first.")
	}
	var listed []string
	for _, c := range certs {
		for _, have := range []string{c.Thumbprint, c.SHA256} {
			h, _ := Fingerprint(have)
			if h != "" && h == norm {
				return ok(id, field, fmt.Sprintf("The fingerprint is that of the signing certificate %s, valid until %s.",
					c.Subject, c.NotAfter.UTC().Format("2006-01-02")))
			}
		}
		if len(norm) == 64 {
			listed = append(listed, c.SHA256)
		} else {
			listed = append(listed, c.Thumbprint)
		}
	}
	return fail("fingerprint-mismatch", field,
		fmt.Sprintf("The fingerprint is that of none of the %s Entra lists for this app.", plural(len(certs), "signing certificate")),
		"Take the fingerprint of the active certificate in "+enterpriseSAMLApp+" > SAML Certificates, where Thumbprint is its SHA-1 form.").
		with("Listed: " + strings.Join(listed, ", ") + ".")
}

// Issuer checks the IdP issuer (Entity ID) an SP must expect from Entra's SAML
// responses: https://sts.windows.net/{tenant-id}/ with the lower-case GUID and the
// trailing slash, of tenantID when given as a GUID. It names the usual mistakes: the
// OIDC v2.0 issuer, the Login URL, the missing slash, another tenant.
func Issuer(s, tenantID string) Result {
	const id, field = "issuer", fieldIssuer
	t := strings.TrimSpace(s)
	tid := strings.ToLower(strings.TrimSpace(tenantID))
	if !entra.IsGUID(tid) {
		tid = ""
	}
	want := func(guid string) string { return entra.STSIssuer(strings.ToLower(guid)) }
	fixFor := func(guid string) string {
		if tid != "" {
			guid = tid
		}
		if guid == "" {
			return "Copy the Microsoft Entra Identifier from " + enterpriseSAMLApp + " > Set up your app, which reads https://sts.windows.net/{tenant-id}/."
		}
		return fmt.Sprintf("Use exactly %s, the Microsoft Entra Identifier shown in %s > Set up your app.", want(guid), enterpriseSAMLApp)
	}
	if t == "" {
		return fail(id+"-empty", field, "The issuer is empty.", fixFor(""))
	}
	u, err := url.Parse(t)
	if err != nil || u.Host == "" {
		return fail(id+"-not-entra", field, "The issuer is not a URL of Entra.", fixFor(""))
	}
	seg := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
	guid := ""
	if entra.IsGUID(seg[0]) {
		guid = seg[0]
	}
	host := strings.ToLower(u.Host)
	switch {
	case host == "login.microsoftonline.com" && len(seg) >= 2 && seg[1] == "v2.0":
		return fail(id+"-v2", field, "This is the OpenID Connect v2.0 issuer, but Entra's SAML responses carry the issuer https://sts.windows.net/{tenant-id}/.", fixFor(guid))
	case host == "login.microsoftonline.com":
		return fail(id+"-login-url", field, "This is Entra's Login URL (or the logout issuer), not the issuer of its SAML responses.", fixFor(guid))
	case host != "sts.windows.net":
		return fail(id+"-not-entra", field, fmt.Sprintf("The issuer's host is %s, but Entra's SAML responses are issued by sts.windows.net.", u.Host), fixFor(guid))
	case guid == "":
		return fail(id+"-no-tenant-id", field, "The issuer does not carry the tenant ID (a GUID) after https://sts.windows.net/, as Entra's does.", fixFor(""))
	case tid != "" && !strings.EqualFold(guid, tid):
		return fail(id+"-other-tenant", field, fmt.Sprintf("The issuer names tenant %s, not tenant %s.", guid, tid), fixFor(guid))
	case u.Scheme != "https":
		return fail(id+"-scheme", field, "The issuer must start with https://, as Entra's does.", fixFor(guid))
	case len(seg) == 1:
		return fail(id+"-trailing-slash", field, "The issuer lacks the trailing slash Entra's has, and SPs compare issuers as exact strings.", fixFor(guid))
	case t != want(guid):
		if strings.EqualFold(t, want(guid)) {
			return fail(id+"-case", field, "The issuer differs from Entra's in letter case, and SPs compare issuers as exact strings.", fixFor(guid))
		}
		return fail(id+"-format", field, "The issuer has more after the tenant ID than Entra's https://sts.windows.net/{tenant-id}/.", fixFor(guid))
	}
	return ok(id, field, "The issuer is Entra's SAML issuer for the tenant.")
}
