// Package inspect decodes SAML messages, JWTs, OIDC responses and HAR files offline,
// verifies their signatures against what the user trusts, and explains every problem
// in Entra's terms with the fix.
//
// It performs no I/O: callers read files and fetch URLs, then hand bytes to Inspect and
// to the Parse* helpers for trust material. Time comes from Options.Now, never the clock.
// It imports nothing else of the project.
package inspect

import (
	"crypto"
	"crypto/x509"
	"sort"
	"time"
)

// Kinds of message a Report describes. They are part of the JSON contract.
const (
	KindSAMLResponse       = "saml-response"
	KindSAMLAssertion      = "saml-assertion"
	KindSAMLAuthnRequest   = "saml-authn-request"
	KindSAMLLogoutRequest  = "saml-logout-request"
	KindSAMLLogoutResponse = "saml-logout-response"
	KindSAMLMetadata       = "saml-metadata"
	KindJWT                = "jwt"
	KindOIDCError          = "oidc-error"
	KindHAR                = "har"
)

// Severity of a Finding.
type Severity string

// Severities, from most to least serious.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Finding codes. They are stable: scripts and the wizard branch on them.
const (
	CodeSignatureAbsent       = "signature-absent"
	CodeSignatureInvalid      = "signature-invalid"
	CodeSignatureWrapped      = "signature-wrapped"
	CodeCertUntrusted         = "cert-untrusted"
	CodeCertExpired           = "cert-expired"
	CodeWeakAlgorithm         = "weak-algorithm"
	CodeExpired               = "expired"
	CodeNotYetValid           = "not-yet-valid"
	CodeAudienceMismatch      = "audience-mismatch"
	CodeRecipientMismatch     = "recipient-mismatch"
	CodeDestinationMismatch   = "destination-mismatch"
	CodeInResponseToMismatch  = "in-response-to-mismatch"
	CodeIssuerMismatch        = "issuer-mismatch"
	CodeTenantMismatch        = "tenant-mismatch"
	CodeStatusError           = "status-error"
	CodeEmailMissing          = "email-missing"
	CodeGroupsObjectIDs       = "groups-object-ids"
	CodeGroupsOverage         = "groups-overage"
	CodeNameIDTransient       = "nameid-transient"
	CodeMultipleAssertions    = "multiple-assertions"
	CodeEncryptedNoKey        = "encrypted-no-key"
	CodeJWTAlgNone            = "jwt-alg-none"
	CodeJWTAlgUnexpected      = "jwt-alg-unexpected"
	CodeNonceMismatch         = "nonce-mismatch"
	CodeXMLDoctype            = "xml-doctype"
	CodeInputTooLarge         = "input-too-large"
	CodeInputMalformed        = "input-malformed"
	CodeXMLTooDeep            = "xml-too-deep"
	CodeNameIDComment         = "nameid-comment"
	CodeDecryptFailed         = "decrypt-failed"
	CodeClientIDMismatch      = "client-id-mismatch"
	CodeAuthnRequestRejected  = "authn-request-rejected"
	CodeIssueInstantStale     = "issue-instant-stale"
	CodeSubjectConfirmation   = "subject-confirmation-missing"
	CodeUnknownKey            = "unknown-key"
	CodeAccessTokenNotForYou  = "access-token-not-for-you"
	CodeMetadataCertExpiring  = "cert-expiring"
	CodeSignatureRedirectOnly = "query-signature"
	CodeTimeUnreadable        = "time-unreadable"
	CodeXMLTooManyAttrs       = "xml-too-many-attributes"
)

// Report is what Inspect learns about one message. Its JSON form is the stable
// contract of `ssowizard inspect --json` (see DESIGN.md); fields beyond the contract
// are additions, never renames.
type Report struct {
	Kind string `json:"kind"`
	// Verdict summarises the findings: "error" when any finding is an error;
	// "unverified" when none is, but what a message of its kind must prove was not
	// proven (Unverified says what); "warning" when any finding is a warning; else
	// "ok". Only "ok" and "warning" mean verified and as expected.
	Verdict string `json:"verdict"`
	// Unverified says why the verdict is not "ok": what was not verified (no trusted
	// key, no time to check validity at, an expectation given that could not be compared).
	Unverified []string `json:"unverified,omitempty"`
	// NotChecked names the checks not made because no expectation was given for them
	// (an audience without --sp-entity-id …): a verified message is only as expected
	// as the expectations it was checked against.
	NotChecked []string `json:"not_checked,omitempty"`

	// Input describes how the message was carried (binding, encodings peeled off).
	Input *InputInfo `json:"input,omitempty"`
	// Source locates a message inside a HAR or SAML-tracer file.
	Source *Source `json:"source,omitempty"`

	ID           string  `json:"id,omitempty"`
	IssueInstant string  `json:"issue_instant,omitempty"`
	Issuer       string  `json:"issuer,omitempty"`
	Destination  string  `json:"destination,omitempty"`
	InResponseTo string  `json:"in_response_to,omitempty"`
	Status       *Status `json:"status,omitempty"`

	Subject      *Subject `json:"subject,omitempty"`
	Audiences    []string `json:"audiences,omitempty"`
	NotBefore    string   `json:"not_before,omitempty"`
	NotOnOrAfter string   `json:"not_on_or_after,omitempty"`
	AuthnContext string   `json:"authn_context,omitempty"`
	AuthnInstant string   `json:"authn_instant,omitempty"`
	SessionIndex string   `json:"session_index,omitempty"`

	Signature *Signature `json:"signature,omitempty"`
	// Claims are SAML attributes or JWT claims. When a valid signature exists they are
	// read only from the element it covers; ClaimsSigned says whether that was so.
	Claims       []Claim `json:"claims,omitempty"`
	ClaimsSigned bool    `json:"claims_signed"`

	// What the assertion's checks need beyond the reported fields.
	audienceSets      [][]string // one per AudienceRestriction
	conditions        int        // how many Conditions elements
	unknownConditions []string   // conditions not understood
	confNotBefore     string     // the bearer SubjectConfirmationData's NotBefore
	assertionIssued   string     // the assertion's IssueInstant
	assertionRead     bool       // an assertion was read
	// fromSP marks a logout message issued by the expected SP: like an AuthnRequest, it
	// vouches for no one to the SP, and Entra checks its signature if it requires one.
	fromSP bool
	// summary counts a streamed capture's messages, which its report does not hold.
	summary *captureSummary
	// Encrypted is true when the message carried an EncryptedAssertion.
	Encrypted bool `json:"encrypted,omitempty"`

	// Request holds what an AuthnRequest or LogoutRequest asks for.
	Request *RequestInfo `json:"request,omitempty"`
	// Metadata holds what an EntityDescriptor publishes.
	Metadata *MetadataInfo `json:"metadata,omitempty"`
	// Header is a JWT's JOSE header.
	Header map[string]any `json:"header,omitempty"`
	// Token describes the other parts of a token endpoint response (never their values).
	Token *TokenInfo `json:"token,omitempty"`

	Findings []Finding `json:"findings"`

	// Messages holds one report per message found in a HAR or SAML-tracer export.
	Messages []*Report `json:"messages,omitempty"`

	// Pretty is the decoded message, indented for people (XML or JSON).
	Pretty string `json:"pretty,omitempty"`
}

// InputInfo says how the message was found in the input.
type InputInfo struct {
	// Format is the outer form: xml, base64, deflate-base64, url, query, form, jwt,
	// token-response, har, saml-tracer.
	Format string `json:"format"`
	// Binding is the SAML binding the input implies: HTTP-POST or HTTP-Redirect.
	Binding    string `json:"binding,omitempty"`
	Parameter  string `json:"parameter,omitempty"`
	RelayState string `json:"relay_state,omitempty"`
	SigAlg     string `json:"sig_alg,omitempty"`
	Size       int    `json:"size"`
}

// Source locates a message inside a capture.
type Source struct {
	Entry   int    `json:"entry"`
	Method  string `json:"method,omitempty"`
	URL     string `json:"url,omitempty"`
	Status  int    `json:"status,omitempty"`
	Started string `json:"started,omitempty"`
	// Where is "request-query", "request-body", "response-body", "redirect" or "fragment".
	Where string `json:"where,omitempty"`
}

// Status is a SAML Status or an OIDC error.
type Status struct {
	Code    string  `json:"code"`
	SubCode string  `json:"sub_code,omitempty"`
	Message string  `json:"message,omitempty"`
	AADSTS  *AADSTS `json:"aadsts,omitempty"`
}

// AADSTS is an Entra error code with what it means and what the admin does.
type AADSTS struct {
	Code    string `json:"code"` // e.g. "AADSTS50011"
	Meaning string `json:"meaning"`
	Fix     string `json:"fix,omitempty"`
}

// Subject is a SAML Subject, or for a JWT the sub claim.
type Subject struct {
	NameID          string `json:"name_id"`
	Format          string `json:"format,omitempty"`
	SPNameQualifier string `json:"sp_name_qualifier,omitempty"`
	// Confirmation is the bearer SubjectConfirmationData.
	Confirmation *Confirmation `json:"confirmation,omitempty"`
}

// Confirmation is a SubjectConfirmation with its data.
type Confirmation struct {
	Method       string `json:"method,omitempty"`
	Recipient    string `json:"recipient,omitempty"`
	InResponseTo string `json:"in_response_to,omitempty"`
	NotOnOrAfter string `json:"not_on_or_after,omitempty"`
}

// Signature statuses.
const (
	SigValid     = "valid"
	SigInvalid   = "invalid"
	SigAbsent    = "absent"
	SigUntrusted = "untrusted"
)

// Signature describes what was signed and how it checked out.
type Signature struct {
	Status string `json:"status"`
	// Signed names the elements covered by a valid signature: response, assertion,
	// request, query (redirect binding), metadata, token.
	Signed          []string `json:"signed"`
	Algorithm       string   `json:"algorithm,omitempty"`
	DigestAlgorithm string   `json:"digest_algorithm,omitempty"`
	CertSHA256      string   `json:"cert_sha256,omitempty"`
	CertSHA1        string   `json:"cert_sha1,omitempty"`
	CertSubject     string   `json:"cert_subject,omitempty"`
	CertNotAfter    string   `json:"cert_not_after,omitempty"`
	KeyID           string   `json:"key_id,omitempty"`
	// TrustedBy says what made the key trusted: certificate, metadata, fingerprint,
	// jwks, or embedded (the message's own certificate: proves integrity only).
	TrustedBy string `json:"trusted_by,omitempty"`
}

// Claim is one SAML attribute or JWT claim.
type Claim struct {
	Name     string   `json:"name"`
	Friendly string   `json:"friendly"`
	Values   []string `json:"values"`
	// About says what the claim means in Entra's terms, when known.
	About string `json:"about,omitempty"`
}

// RequestInfo is what an AuthnRequest or LogoutRequest asks of the IdP.
type RequestInfo struct {
	ACSURL                string   `json:"acs_url,omitempty"`
	ProtocolBinding       string   `json:"protocol_binding,omitempty"`
	NameIDPolicyFormat    string   `json:"name_id_policy_format,omitempty"`
	AllowCreate           *bool    `json:"allow_create,omitempty"`
	ForceAuthn            bool     `json:"force_authn,omitempty"`
	IsPassive             bool     `json:"is_passive,omitempty"`
	AuthnContextClassRefs []string `json:"authn_context_class_refs,omitempty"`
	AuthnContextCompare   string   `json:"authn_context_comparison,omitempty"`
	NameID                string   `json:"name_id,omitempty"`
	SessionIndex          string   `json:"session_index,omitempty"`
}

// MetadataInfo is what a SAML EntityDescriptor publishes.
type MetadataInfo struct {
	EntityID     string         `json:"entity_id"`
	Role         string         `json:"role"` // idp, sp or both
	SSOURLs      []Endpoint     `json:"sso_urls,omitempty"`
	SLOURLs      []Endpoint     `json:"slo_urls,omitempty"`
	ACSURLs      []Endpoint     `json:"acs_urls,omitempty"`
	NameIDFormat []string       `json:"name_id_formats,omitempty"`
	Certificates []CertInfo     `json:"certificates,omitempty"`
	ValidUntil   string         `json:"valid_until,omitempty"`
	TenantID     string         `json:"tenant_id,omitempty"`
	Extra        map[string]any `json:"-"`
}

// Endpoint is a metadata service location.
type Endpoint struct {
	Binding  string `json:"binding"`
	Location string `json:"location"`
	Index    string `json:"index,omitempty"`
}

// CertInfo describes one certificate.
type CertInfo struct {
	Use       string `json:"use,omitempty"` // signing, encryption, or empty for both
	Subject   string `json:"subject"`
	SHA256    string `json:"sha256"`
	SHA1      string `json:"sha1"`
	NotBefore string `json:"not_before"`
	NotAfter  string `json:"not_after"`
}

// TokenInfo describes a token endpoint response around its id_token.
type TokenInfo struct {
	TokenType       string `json:"token_type,omitempty"`
	Scope           string `json:"scope,omitempty"`
	ExpiresIn       int64  `json:"expires_in,omitempty"`
	HasAccessToken  bool   `json:"has_access_token"`
	HasRefreshToken bool   `json:"has_refresh_token"`
	HasIDToken      bool   `json:"has_id_token"`
}

// Finding is one problem, or one notable fact, with its fix in Entra's terms.
type Finding struct {
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Fix      string   `json:"fix,omitempty"`
}

// Options carries what the user trusts and expects. The zero value inspects with no
// trust input (signatures checked against embedded certificates, reported untrusted)
// and no expectations, at the zero time (callers set Now).
type Options struct {
	// Certs are trusted signing certificates (from --cert or --metadata).
	Certs []*x509.Certificate
	// CertSource names where Certs came from: "certificate" or "metadata".
	CertSource string
	// Fingerprints are trusted SHA-256 certificate fingerprints.
	Fingerprints [][32]byte
	// Keys are trusted JWT verification keys (from --jwks).
	Keys *KeySet
	// IdPEntityID is the issuer the IdP metadata or discovery document declares.
	IdPEntityID string

	SPEntityID string
	ACS        string
	ClientID   string
	Tenant     string // tenant GUID or verified domain
	RequestID  string
	Nonce      string

	// Now is the time checks are made at. Skew is the tolerance either side.
	Now  time.Time
	Skew time.Duration
	// AtCaptureTime checks each message of a HAR at the moment the browser recorded it
	// (its entry's startedDateTime) instead of at Now: a capture is evidence of what
	// happened then, and at Now every message in it has long expired. Messages without
	// a recorded time are checked at Now.
	AtCaptureTime bool

	// SPKey decrypts EncryptedAssertions.
	SPKey crypto.PrivateKey

	// MaxInputBytes bounds the input and every decoded layer; 0 means DefaultMaxInputBytes.
	MaxInputBytes int
}

// DefaultMaxInputBytes bounds inputs and every decompressed layer. HAR files are
// larger than single messages, so they get DefaultMaxHARBytes.
const (
	DefaultMaxInputBytes = 1 << 20
	DefaultMaxHARBytes   = 64 << 20
	// MaxXMLDepth bounds element nesting; Entra's responses nest 7 deep.
	MaxXMLDepth = 64
)

func (o *Options) maxBytes() int {
	if o.MaxInputBytes > 0 {
		return o.MaxInputBytes
	}
	return DefaultMaxInputBytes
}

// add appends a finding.
func (r *Report) add(code string, sev Severity, msg, fix string) {
	r.Findings = append(r.Findings, Finding{Code: code, Severity: sev, Message: msg, Fix: fix})
}

// Has reports whether the report carries a finding with the code.
func (r *Report) Has(code string) bool {
	for _, f := range r.Findings {
		if f.Code == code {
			return true
		}
	}
	return false
}

// Verdicts, from best to worst.
const (
	VerdictOK         = "ok"
	VerdictWarning    = "warning"
	VerdictUnverified = "unverified"
	VerdictError      = "error"
)

// finish computes the verdict, for this report and every nested one. It may run more
// than once (a capture finishes its messages, then Inspect finishes the capture).
func (r *Report) finish() {
	r.Verdict = VerdictOK
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	for _, m := range r.Messages {
		m.finish()
		r.Verdict = worse(r.Verdict, m.Verdict)
	}
	for _, f := range r.Findings {
		r.Verdict = worse(r.Verdict, string(f.Severity))
	}
	if r.Verdict != VerdictError {
		// A rejected message needs no list of what it failed to prove as well.
		for _, why := range r.derivedUnverified() {
			r.Unverified = appendUnique(r.Unverified, why)
		}
	}
	if len(r.Unverified) > 0 {
		r.Verdict = worse(r.Verdict, VerdictUnverified)
	}
	sortFindings(r.Findings)
}

// unverified records that something the verdict depends on was not verified.
func (r *Report) unverified(why string) { r.Unverified = appendUnique(r.Unverified, why) }

// notChecked records a check not made for want of an expectation.
func (r *Report) notChecked(what string) { r.NotChecked = appendUnique(r.NotChecked, what) }

// Reasons a message is not verified, derived from what the inspector established.
const (
	whyNoTrustedSignature = "no signature by a key you trust covers the message's content"
	whyNoTime             = "no time was given, so its validity period was not checked"
	whyCodeOnly           = "an authorization code proves nothing until the app redeems it; inspect the token response"
)

// derivedUnverified says what a message of r's kind must prove and did not. A message
// that vouches for a user (a SAML Response or Assertion, a JWT) or ends a session (a
// logout message) is verified only by a valid signature with a key the user trusts:
// a signature checked with the message's own certificate proves only that nothing
// changed it. An AuthnRequest and metadata vouch for no one: the inspector checks
// their shape against Entra's rules, and Entra itself accepts unsigned requests unless
// the app requires signed ones, so their verdict does not wait on a signature.
func (r *Report) derivedUnverified() []string {
	switch r.Kind {
	case KindSAMLResponse, KindSAMLAssertion, KindJWT:
		if !r.ClaimsSigned {
			return []string{whyNoTrustedSignature}
		}
	case KindSAMLLogoutRequest, KindSAMLLogoutResponse:
		if r.fromSP {
			return nil
		}
		if s := r.Signature; s == nil || s.Status != SigValid || s.TrustedBy == "" || s.TrustedBy == "embedded" {
			return []string{whyNoTrustedSignature}
		}
	case KindOIDCCode:
		return []string{whyCodeOnly}
	}
	return nil
}

func worse(a, b string) string {
	rank := map[string]int{VerdictOK: 0, "info": 0, VerdictWarning: 1, VerdictUnverified: 2, VerdictError: 3}
	if rank[b] > rank[a] {
		if b == "info" {
			return a
		}
		return b
	}
	return a
}

// OK reports whether the message was verified and is as expected: no finding is an
// error and nothing it must prove went unproven. Warnings do not change it.
func (r *Report) OK() bool {
	return (r.Verdict == VerdictOK || r.Verdict == VerdictWarning) && len(r.Unverified) == 0
}

// sortFindings orders findings errors first, then warnings, then information,
// keeping the order they were found in within each severity.
func sortFindings(fs []Finding) {
	rank := map[Severity]int{SeverityError: 0, SeverityWarning: 1, SeverityInfo: 2}
	sort.SliceStable(fs, func(i, j int) bool { return rank[fs[i].Severity] < rank[fs[j].Severity] })
}

// captureSummary counts the messages of a capture inspected as a stream.
type captureSummary struct{ messages, rejected, unverified int }
