package inspect

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// authnRequestMaxAge is how old an AuthnRequest's IssueInstant may be before the
// inspector warns that Entra may answer AADSTS76026. Entra does not document its
// threshold; a request older than this was not sent by a sign-in in progress anyway.
const authnRequestMaxAge = 5 * time.Minute

const (
	bindingPOST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
	fixSPSide   = "Change it in the SP's SAML settings (the AuthnRequest is the SP's)."
)

// entraNameIDFormats are the NameIDPolicy formats Entra accepts in an AuthnRequest.
var entraNameIDFormats = map[string]bool{
	nameIDPersistent: true,
	nameIDEmail:      true,
	nameIDUnspec:     true,
	nameIDTransient:  true,
}

// inspectAuthnRequest reads an AuthnRequest and applies the rules Entra enforces.
func inspectAuthnRequest(r *Report, root *etree.Element, opts *Options, trust *trustSet) {
	src := inspectRequestSignature(r, root, opts, trust)
	readHeader(r, src)
	req := &RequestInfo{
		ACSURL:          attr(src, "AssertionConsumerServiceURL"),
		ProtocolBinding: attr(src, "ProtocolBinding"),
		ForceAuthn:      isTrue(attr(src, "ForceAuthn")),
		IsPassive:       isTrue(attr(src, "IsPassive")),
	}
	if p := child(src, nsProtocol, "NameIDPolicy"); p != nil {
		req.NameIDPolicyFormat = attr(p, "Format")
		if ac := attr(p, "AllowCreate"); ac != "" {
			b := isTrue(ac)
			req.AllowCreate = &b
		}
	}
	if rac := child(src, nsProtocol, "RequestedAuthnContext"); rac != nil {
		req.AuthnContextCompare = attr(rac, "Comparison")
		for _, c := range children(rac, nsAssertion, "AuthnContextClassRef") {
			req.AuthnContextClassRefs = append(req.AuthnContextClassRefs, trimmedText(c))
		}
	}
	r.Request = req

	reject := func(msg, fix string) { r.add(CodeAuthnRequestRejected, SeverityError, msg, fix) }
	if r.ID == "" {
		reject("The AuthnRequest has no ID; Entra refuses it as an invalid request (AADSTS75005).", fixSPSide)
	} else if c := r.ID[0]; c >= '0' && c <= '9' {
		reject(fmt.Sprintf("The AuthnRequest ID %q starts with a digit; Entra refuses it as an invalid request (AADSTS75005), because an XML ID must start with a letter or underscore.", r.ID),
			"Make the SP generate IDs starting with a letter or underscore (e.g. \"_\" + random hex). "+fixSPSide)
	}
	if child(src, nsAssertion, "Subject") != nil {
		reject("The AuthnRequest carries a Subject element, which Entra does not support; it refuses the request as invalid (AADSTS75005).",
			"Remove the Subject (login hint) from the SP's AuthnRequest. "+fixSPSide)
	}
	if f := req.NameIDPolicyFormat; f != "" && !entraNameIDFormats[f] {
		reject(fmt.Sprintf("The NameIDPolicy Format %q is not one Entra supports (persistent, emailAddress, unspecified, transient): Entra answers AADSTS75016.", f),
			"Set the SP's requested NameID format to unspecified or emailAddress, or leave NameIDPolicy out. "+fixSPSide)
	}
	if req.NameIDPolicyFormat == nameIDTransient {
		r.add(CodeNameIDTransient, SeverityWarning,
			"The AuthnRequest asks for a transient NameID, and the request wins over Entra's claim settings: the user gets a new identifier at every sign-in.",
			"Ask for persistent, emailAddress or unspecified in the SP's settings.")
	}
	if c := req.AuthnContextCompare; len(req.AuthnContextClassRefs) > 0 && c != "" && c != "exact" {
		reject(fmt.Sprintf("RequestedAuthnContext uses Comparison=%q; Entra supports only exact and refuses the request.", c),
			"Set Comparison to exact, or leave RequestedAuthnContext out (it also causes AADSTS75011 when the user signed in another way). "+fixSPSide)
	}
	if req.ProtocolBinding != "" && req.ProtocolBinding != bindingPOST {
		r.add(CodeAuthnRequestRejected, SeverityWarning,
			fmt.Sprintf("The request asks for the response by %q; Entra always POSTs the response (HTTP-POST binding).", req.ProtocolBinding),
			"Configure the SP's ACS for the HTTP-POST binding.")
	}
	if opts.ACS != "" && req.ACSURL != "" && req.ACSURL != opts.ACS {
		reject(fmt.Sprintf("The request's AssertionConsumerServiceURL %q differs from the expected reply URL %q%s: unless it is also registered, Entra answers AADSTS50011.", req.ACSURL, opts.ACS, diffHint(req.ACSURL, opts.ACS)),
			"Register the exact URL in "+fixReplyURL+", or make the SP send the registered one.")
	}
	if opts.SPEntityID != "" && r.Issuer != opts.SPEntityID {
		reject(fmt.Sprintf("The request's Issuer %q is not the app's Identifier %q%s: Entra answers AADSTS700016 (application not found).", r.Issuer, opts.SPEntityID, diffHint(r.Issuer, opts.SPEntityID)),
			"Make "+fixEntityID+" equal the SP's entity ID exactly, character for character.")
	}
	if t, ok := parseSAMLTime(r.IssueInstant); ok && !opts.Now.IsZero() {
		age := opts.Now.Sub(t)
		switch {
		case age > authnRequestMaxAge+opts.Skew:
			r.add(CodeIssueInstantStale, SeverityError,
				fmt.Sprintf("The request was issued at %s, %s before the checked time %s: Entra refuses stale requests (AADSTS76026).", fmtTime(t), age.Round(time.Second), fmtTime(opts.Now)),
				"Start a fresh sign-in; if the request is fresh, the SP's clock is behind: synchronise it with NTP.")
		case -age > opts.Skew+time.Minute:
			r.add(CodeIssueInstantStale, SeverityError,
				fmt.Sprintf("The request's IssueInstant %s is %s ahead of the checked time %s: the SP's clock is ahead, and Entra may refuse the request (AADSTS76026).", fmtTime(t), (-age).Round(time.Second), fmtTime(opts.Now)),
				"Synchronise the SP's clock with NTP.")
		}
	}
}

// inspectRequestSignature verifies an enveloped signature on an SP-signed message (POST
// binding) and returns the element to read: the verified copy when it verified. A
// redirect-binding message carries its signature in the query instead
// (checkRedirectSignature), so its absence here is no finding.
func inspectRequestSignature(r *Report, root *etree.Element, opts *Options, trust *trustSet) *etree.Element {
	wrapped := wrappingEvidence(root)
	sc := verifyEnveloped(root, "request", trust)
	absent := Finding{}
	if r.Input == nil || !strings.Contains(r.Input.Binding, "Redirect") {
		absent = Finding{Code: CodeSignatureAbsent, Severity: SeverityInfo,
			Message: "The message carries no XML signature. Entra accepts unsigned requests unless the app requires signed ones (AADSTS76021)."}
	}
	summarizeSignatures(r, []*sigCheck{sc}, opts, wrapped, absent)
	if sc.valid() && len(wrapped) == 0 {
		return sc.verified
	}
	return root
}

func isTrue(s string) bool { return s == "true" || s == "1" }

// inspectLogout reads a LogoutRequest or LogoutResponse.
func inspectLogout(r *Report, root *etree.Element, opts *Options, trust *trustSet) {
	src := inspectRequestSignature(r, root, opts, trust)
	readHeader(r, src)
	readStatus(r, src)
	r.fromSP = opts.SPEntityID != "" && r.Issuer == opts.SPEntityID
	if r.Kind == KindSAMLLogoutRequest {
		nid := child(src, nsAssertion, "NameID")
		r.Request = &RequestInfo{NameID: text(nid), SessionIndex: trimmedText(child(src, nsProtocol, "SessionIndex"))}
		if nid != nil {
			r.Subject = &Subject{NameID: text(nid), Format: attr(nid, "Format")}
		}
	}
	if r.Kind != KindSAMLLogoutResponse {
		return
	}
	// Entra's LogoutResponse issuer is https://login.microsoftonline.com/{tid}/, not the
	// https://sts.windows.net/{tid}/ of its metadata, so only the tenants are compared.
	want := strings.ToLower(opts.Tenant)
	if !isGUID(want) {
		want = entraTenantFromIssuer(opts.IdPEntityID)
	}
	if got := entraTenantFromIssuer(r.Issuer); got != "" && want != "" && got != want {
		r.add(CodeTenantMismatch, SeverityError,
			fmt.Sprintf("The logout response was issued by tenant %s, not the expected tenant %s.", got, want),
			"Use the logout URL of the expected tenant's app ("+bladeSSO+" > Set up your app > Logout URL).")
	}
}

// inspectMetadata reads an EntityDescriptor: endpoints, certificates and their expiry.
func inspectMetadata(r *Report, root *etree.Element, doc []byte, opts *Options, trust *trustSet) {
	md, err := ParseMetadata(doc)
	if err != nil {
		r.add(CodeInputMalformed, SeverityError, strings.TrimSuffix(err.Error(), ".")+".", "Download the metadata again (App Federation Metadata Url) and give it unmodified.")
		return
	}
	r.Metadata = &md.Info
	r.Issuer = md.EntityID
	if is(root, nsMetadata, "EntityDescriptor") {
		if sc := verifyEnveloped(root, "metadata", trust); sc.present {
			// Most SPs never check a metadata signature, and metadata is often saved
			// re-indented, which breaks it: a bad signature here is a warning, and
			// metadata given with no trust input is not flagged as untrusted.
			scratch := &Report{}
			summarizeSignatures(scratch, []*sigCheck{sc}, opts, wrappingEvidence(root), Finding{})
			r.Signature = scratch.Signature
			for _, f := range scratch.Findings {
				switch {
				case f.Code == CodeCertUntrusted && !trust.given():
					continue
				case f.Code == CodeSignatureInvalid:
					f.Severity = SeverityWarning
					f.Fix = "Download the metadata again and keep it byte for byte (no re-indenting) if the SP checks its signature."
				}
				r.Findings = append(r.Findings, f)
			}
		}
	}
	if !opts.Now.IsZero() {
		for _, c := range md.Info.Certificates {
			na, err := time.Parse(time.RFC3339, c.NotAfter)
			if err != nil {
				continue
			}
			left := na.Sub(opts.Now)
			switch {
			case left < 0:
				r.add(CodeCertExpired, SeverityWarning,
					fmt.Sprintf("The %s certificate %s (SHA-256 %s) expired on %s, %s ago.", certUse(c), c.Subject, c.SHA256, c.NotAfter, days(-left)),
					fixCertificates+": create a new certificate, make it Active, and give the vendor the new metadata.")
			case left < 30*24*time.Hour:
				r.add(CodeMetadataCertExpiring, SeverityWarning,
					fmt.Sprintf("The %s certificate %s (SHA-256 %s) expires on %s, in %s.", certUse(c), c.Subject, c.SHA256, c.NotAfter, days(left)),
					fixCertificates+": add a new certificate now, give the vendor the metadata listing both, then make the new one Active before the old one expires.")
			}
		}
	}
	if tid := strings.ToLower(opts.Tenant); isGUID(tid) && md.Info.TenantID != "" && md.Info.TenantID != tid {
		r.add(CodeTenantMismatch, SeverityError,
			fmt.Sprintf("The metadata is tenant %s's, not the expected tenant %s.", md.Info.TenantID, tid),
			"Download the App Federation Metadata Url of the app in the expected tenant ("+bladeSSO+" > SAML Certificates).")
	}
	if opts.IdPEntityID != "" && md.Info.Role != "sp" && md.EntityID != opts.IdPEntityID {
		r.add(CodeIssuerMismatch, SeverityError,
			fmt.Sprintf("The metadata's entityID is %q, not the expected IdP %q%s.", md.EntityID, opts.IdPEntityID, diffHint(md.EntityID, opts.IdPEntityID)), "")
	}
}

func certUse(c CertInfo) string {
	if c.Use == "" {
		return "signing"
	}
	return c.Use
}

// checkRedirectSignature verifies the HTTP-Redirect binding signature (SAML bindings
// §3.4.4.1): the octet string is "SAMLRequest=…&RelayState=…&SigAlg=…" (or SAMLResponse)
// built from the query's values exactly as they were URL-encoded in rawQuery, in that
// order, RelayState only when present. It sets r.Signature (signed: ["query"]) and adds
// findings (signature-invalid, weak-algorithm for rsa-sha1, cert-untrusted…).
// msgParam is the parameter the shown message was read from; ambiguousSAMLParams has
// made sure it appears once, written plainly, so its raw value here is the same
// occurrence the message was decoded from.
func checkRedirectSignature(r *Report, msgParam, rawQuery string, opts *Options) {
	if opts == nil {
		opts = &Options{}
	}
	raw := map[string]string{}
	for _, kv := range strings.Split(strings.TrimPrefix(rawQuery, "?"), "&") {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := raw[k]; dup && k != "" {
			r.Signature = &Signature{Status: SigInvalid, Signed: []string{}}
			r.add(CodeSignatureInvalid, SeverityError,
				fmt.Sprintf("The query repeats the parameter %s, so which value was signed is ambiguous.", k), "Treat the URL as tampered with.")
			return
		}
		raw[k] = v
	}
	sigRaw, hasSig := raw["Signature"]
	if !hasSig {
		if r.Signature == nil || r.Signature.Status == SigAbsent {
			r.Signature = &Signature{Status: SigAbsent, Signed: []string{}}
			r.add(CodeSignatureAbsent, SeverityInfo,
				"The redirect-binding query carries no Signature. Entra accepts unsigned requests unless the app requires signed ones (AADSTS76021).", "")
		}
		return
	}
	sig := &Signature{Status: SigInvalid, Signed: []string{}}
	r.Signature = sig
	invalid := func(why, fix string) {
		r.add(CodeSignatureInvalid, SeverityError, "The redirect-binding signature is invalid: "+why+".", fix)
	}
	msgRaw, ok := raw[msgParam]
	if !ok {
		invalid("the query has a Signature but neither SAMLRequest nor SAMLResponse", "")
		return
	}
	algRaw, ok := raw["SigAlg"]
	if !ok {
		invalid("the query has a Signature but no SigAlg", "The SP must send SigAlg with the signature.")
		return
	}
	alg, err := url.QueryUnescape(algRaw)
	sm, known := signatureMethods[alg]
	if err != nil || !known {
		invalid(fmt.Sprintf("SigAlg %q is not supported (rsa-sha256 or rsa-sha1 expected)", alg), "Sign with RSA-SHA256.")
		return
	}
	sig.Algorithm = sm.name
	octets := msgParam + "=" + msgRaw
	if rs, ok := raw["RelayState"]; ok {
		octets += "&RelayState=" + rs
	}
	octets += "&SigAlg=" + algRaw
	sigText, err := url.QueryUnescape(sigRaw)
	if err != nil {
		invalid("the Signature parameter is not valid URL encoding", "")
		return
	}
	// An unencoded '+' in base64 became a space when unescaped.
	value, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(sigText, " ", "+"))
	if err != nil {
		invalid("the Signature parameter is not valid base64", "")
		return
	}
	trust := newTrustSet(opts)
	if len(trust.certs) == 0 {
		sig.Status = SigUntrusted
		msg := "The redirect binding carries no certificate, so the query signature can only be checked against a certificate you give; none was given."
		if len(trust.fingerprints) > 0 {
			msg = "The redirect binding carries no certificate, so a fingerprint cannot check the query signature: the certificate itself is needed."
		}
		r.add(CodeCertUntrusted, SeverityWarning, msg,
			"Pass the signer's certificate (--cert) or metadata (--metadata): the SP's signing certificate for a request, Entra's (from "+fixCertificates+") for a logout message from Entra.")
		weakAlg(r, sig)
		return
	}
	k := trust.findKey([]byte(octets), value, sm.hash, nil)
	if k.err != "" {
		invalid(k.err+" (the octet string is "+msgParam+", RelayState when present, then SigAlg, exactly as URL-encoded in the query)",
			"Check that the URL was copied whole and not re-encoded; otherwise the signer's key is not the one given.")
		weakAlg(r, sig)
		return
	}
	sig.Status = SigValid
	sig.Signed = []string{"query"}
	sig.TrustedBy = k.trustedBy
	sig.CertSHA256 = certSHA256(k.cert)
	sig.CertSHA1 = certSHA1(k.cert)
	sig.CertSubject = k.cert.Subject.String()
	sig.CertNotAfter = fmtTime(k.cert.NotAfter)
	weakAlg(r, sig)
	if !opts.Now.IsZero() && k.cert.NotAfter.Before(opts.Now) {
		r.add(CodeCertExpired, SeverityWarning,
			fmt.Sprintf("The signing certificate %s expired on %s, %s before the checked time; the signature verifies, but signers that check dates refuse it.", k.cert.Subject, fmtTime(k.cert.NotAfter), days(opts.Now.Sub(k.cert.NotAfter))),
			"Renew the signing certificate and exchange the new one.")
	}
}

func weakAlg(r *Report, sig *Signature) {
	if sig.Algorithm == "rsa-sha1" {
		r.add(CodeWeakAlgorithm, SeverityWarning,
			"The query is signed with RSA-SHA1, which is deprecated and refused by many parties.",
			"Sign with RSA-SHA256 (in the SP's settings for requests; for Entra's own messages "+fixCertificates+" > Edit > Signing Algorithm: SHA-256).")
	}
}
