package inspect

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// Where fixes point in the Entra admin center.
const (
	bladeSSO        = "Entra admin center > Enterprise applications > your app > Single sign-on"
	fixEntityID     = bladeSSO + " > Basic SAML Configuration > Identifier (Entity ID)"
	fixReplyURL     = bladeSSO + " > Basic SAML Configuration > Reply URL (Assertion Consumer Service URL)"
	fixCertificates = bladeSSO + " > SAML Certificates"
	fixClaims       = bladeSSO + " > Attributes & Claims"
)

// SAML status and confirmation URIs.
const (
	statusSuccess    = "urn:oasis:names:tc:SAML:2.0:status:Success"
	cmBearer         = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
	nameIDTransient  = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
	nameIDEmail      = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	nameIDPersistent = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	nameIDUnspec     = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
)

// inspectSAML inspects one decoded SAML XML document (Response, Assertion, AuthnRequest,
// LogoutRequest, LogoutResponse, EntityDescriptor/EntitiesDescriptor). in says how it
// was carried (may be nil). It returns an unfinished Report: the caller calls r.finish().
func inspectSAML(doc []byte, in *InputInfo, opts *Options) *Report {
	if opts == nil {
		opts = &Options{}
	}
	r := &Report{Input: in}
	if len(doc) > opts.maxBytes() {
		r.add(CodeInputTooLarge, SeverityError,
			fmt.Sprintf("The XML is %d bytes, over the %d-byte limit; it was not parsed.", len(doc), opts.maxBytes()),
			"Entra's SAML messages are a few kilobytes; if this one is genuine, raise the input limit.")
		return r
	}
	doc = trimBOM(doc)
	d, err := parseXML(doc)
	if err != nil {
		var se *xmlSafetyError
		if errors.As(err, &se) {
			// Refused unread as an attack, yet worth naming: an XXE payload wrapped around a
			// Response is a rejected Response (exit 1), not unreadable input (exit 2).
			// Malformed input stays kindless: it is unreadable.
			if se.code == CodeXMLDoctype || se.code == CodeXMLTooDeep || se.code == CodeXMLTooManyAttrs {
				r.Kind = sniffKind(doc)
			}
			r.add(se.code, SeverityError, se.msg, safetyFix(se.code))
		} else {
			r.add(CodeInputMalformed, SeverityError, "The XML could not be read: "+err.Error()+".", "")
		}
		return r
	}
	root := d.Root()
	trust := newTrustSet(opts)
	switch {
	case is(root, nsProtocol, "Response"):
		r.Kind = KindSAMLResponse
		inspectResponse(r, root, opts, trust)
	case is(root, nsAssertion, "Assertion"):
		r.Kind = KindSAMLAssertion
		inspectBareAssertion(r, root, opts, trust)
	case is(root, nsProtocol, "AuthnRequest"):
		r.Kind = KindSAMLAuthnRequest
		inspectAuthnRequest(r, root, opts, trust)
	case is(root, nsProtocol, "LogoutRequest"):
		r.Kind = KindSAMLLogoutRequest
		inspectLogout(r, root, opts, trust)
	case is(root, nsProtocol, "LogoutResponse"):
		r.Kind = KindSAMLLogoutResponse
		inspectLogout(r, root, opts, trust)
	case is(root, nsMetadata, "EntityDescriptor"), is(root, nsMetadata, "EntitiesDescriptor"):
		r.Kind = KindSAMLMetadata
		inspectMetadata(r, root, doc, opts, trust)
	default:
		r.add(CodeInputMalformed, SeverityError,
			fmt.Sprintf("The XML root element is <%s> in namespace %q, which is not a SAML 2.0 message or metadata.", root.Tag, root.NamespaceURI()),
			"Give a SAML Response, Assertion, AuthnRequest, LogoutRequest, LogoutResponse or EntityDescriptor.")
	}
	r.Pretty = prettyXML(d, len(doc))
	return r
}

func safetyFix(code string) string {
	switch code {
	case CodeXMLDoctype:
		return "Entra never sends a DOCTYPE: treat this message as hostile, or strip the declaration if you built it by hand."
	case CodeXMLTooDeep:
		return "Entra never nests that deep: treat this message as hostile."
	case CodeXMLTooManyAttrs:
		return "Entra never writes that many attributes: treat this message as hostile."
	}
	return "Check that the whole message was copied (base64 and URL encodings intact) and that nothing edited it."
}

// inspectResponse reads a Response: header, status, signatures, the assertion, checks.
func inspectResponse(r *Report, root *etree.Element, opts *Options, trust *trustSet) {
	wrapped := wrappingEvidence(root)
	rs := verifyEnveloped(root, "response", trust)
	// Header and status come from the verified element when the Response is signed.
	resp := root
	if rs.valid() {
		resp = rs.verified
	}
	readHeader(r, resp)
	readStatus(r, resp)
	if r.Status == nil || r.Status.Code == "" {
		// StatusResponseType requires a Status (SAML core 3.2.2), and only Success
		// signs anyone in: a Response without one says nothing either way.
		r.add(CodeStatusError, SeverityError, "The Response has no Status code; SAML requires one, and only Success means the sign-in succeeded.", "Treat the message as not Entra's: Entra always sends a Status.")
	}

	assertions := children(resp, nsAssertion, "Assertion")
	encrypted := children(resp, nsAssertion, "EncryptedAssertion")
	origAssertions := children(root, nsAssertion, "Assertion")
	checks := []*sigCheck{rs}
	if n := len(assertions) + len(encrypted); n > 1 {
		r.add(CodeMultipleAssertions, SeverityError,
			fmt.Sprintf("The Response carries %d assertions; Entra sends exactly one, and an SP that reads one while verifying another can be fooled, so no claims are reported.", n),
			"Treat the message as forged: Entra never sends several assertions.")
		valid := 0
		for _, a := range origAssertions {
			c := verifyEnveloped(a, "assertion", trust)
			checks = append(checks, c)
			if c.valid() {
				valid++
			}
		}
		if valid > 0 && valid < len(origAssertions)+len(encrypted) {
			wrapped = append(wrapped, "an assertion without a valid signature stands beside a signed one")
		}
		summarizeSignatures(r, checks, opts, wrapped, absentResponse)
		return
	}

	var src, orig *etree.Element // the assertion to read, and its original for comment checks
	var covering *sigCheck       // the signature that covers src
	switch {
	case len(encrypted) == 1:
		r.Encrypted = true
		dec, as, ok := decryptAssertion(r, encrypted[0], opts, trust)
		if !ok {
			summarizeSignatures(r, checks, opts, wrapped, Finding{})
			if r.Has(CodeSignatureWrapped) {
				r.Signature.Status = SigInvalid
			}
			return
		}
		checks = append(checks, as)
		orig = dec
		switch {
		case rs.valid():
			src, covering = dec, rs // the ciphertext itself was signed
		case as.valid():
			src, covering = as.verified, as
		default:
			src = dec
		}
	case len(assertions) == 1:
		orig = origAssertions[0]
		as := verifyEnveloped(orig, "assertion", trust)
		checks = append(checks, as)
		switch {
		case rs.valid():
			src, covering = assertions[0], rs
		case as.valid():
			src, covering = as.verified, as
		default:
			src = orig
		}
	}

	errorResponse := r.Status != nil && r.Status.Code != statusSuccess && src == nil
	absent := absentResponse
	if errorResponse {
		absent = Finding{Code: CodeSignatureAbsent, Severity: SeverityInfo, Message: "The error Response is unsigned; its status is what matters."}
	}
	summarizeSignatures(r, checks, opts, wrapped, absent)
	if len(wrapped) > 0 {
		return
	}
	if src == nil {
		if !errorResponse {
			r.add(CodeInputMalformed, SeverityError, "The Response carries no assertion and no error status.", "")
		}
		checkResponseHeader(r, opts)
		return
	}
	r.ClaimsSigned = covering.trusted() && !anyInvalid(checks)
	readAssertion(r, src, orig)
	checkResponseHeader(r, opts)
	checkAssertion(r, opts)
}

// inspectBareAssertion reads an Assertion given on its own (e.g. cut from a response).
func inspectBareAssertion(r *Report, root *etree.Element, opts *Options, trust *trustSet) {
	wrapped := wrappingEvidence(root)
	as := verifyEnveloped(root, "assertion", trust)
	summarizeSignatures(r, []*sigCheck{as}, opts, wrapped, absentResponse)
	if len(wrapped) > 0 {
		return
	}
	src := root
	if as.valid() {
		src = as.verified
	}
	r.ClaimsSigned = as.trusted()
	r.ID = attr(src, "ID")
	r.IssueInstant = attr(src, "IssueInstant")
	readAssertion(r, src, root)
	checkIssuer(r, opts)
	checkAssertion(r, opts)
}

var absentResponse = Finding{
	Code:     CodeSignatureAbsent,
	Severity: SeverityError,
	Message:  "Neither the Response nor the Assertion is signed; an SP must refuse an unsigned assertion.",
	Fix:      fixCertificates + " > Edit: set Signing Option to Sign SAML assertion (Entra's default) or Sign SAML response and assertion.",
}

func anyInvalid(checks []*sigCheck) bool {
	for _, c := range checks {
		if c.present && !c.valid() {
			return true
		}
	}
	return false
}

// wrappingEvidence looks for the structures of signature wrapping attacks (XSW1–8 in
// Somorovsky et al., "On Breaking SAML"): an element ID used twice, an Assertion or
// Response anywhere but where SAML puts it, a Signature anywhere but as a direct child
// of the message or of its assertion. Entra never produces any of these.
func wrappingEvidence(root *etree.Element) []string {
	var why []string
	ids := map[string]*etree.Element{}
	var walk func(el *etree.Element, depth int)
	walk = func(el *etree.Element, depth int) {
		for _, a := range el.Attr {
			if a.Space == "" && (a.Key == "ID" || a.Key == "Id" || a.Key == "id") {
				if prev, dup := ids[a.Value]; dup {
					why = append(why, fmt.Sprintf("the ID %q is used by both %s and %s", a.Value, describePath(prev), describePath(el)))
				} else {
					ids[a.Value] = el
				}
			}
		}
		if depth > 0 {
			parent := el.Parent()
			switch {
			case is(el, nsProtocol, "Response"):
				why = append(why, "a Response is nested at "+describePath(el))
			case is(el, nsAssertion, "Assertion"), is(el, nsAssertion, "EncryptedAssertion"):
				if parent != root || !is(root, nsProtocol, "Response") {
					why = append(why, "an assertion is hidden at "+describePath(el))
				}
			case is(el, nsDSig, "Signature"):
				if parent != root && !(parent.Parent() == root && is(parent, nsAssertion, "Assertion")) {
					why = append(why, "a Signature sits at "+describePath(el))
				}
			}
		}
		if is(el, nsAssertion, "EncryptedAssertion") {
			return // ciphertext: its KeyInfo legitimately holds ds elements
		}
		for _, t := range el.Child {
			if c, ok := t.(*etree.Element); ok {
				walk(c, depth+1)
			}
		}
	}
	walk(root, 0)
	return why
}

// readHeader reads the attributes and Issuer common to protocol messages.
func readHeader(r *Report, el *etree.Element) {
	r.ID = attr(el, "ID")
	r.IssueInstant = attr(el, "IssueInstant")
	r.Destination = attr(el, "Destination")
	r.InResponseTo = attr(el, "InResponseTo")
	r.Issuer = trimmedText(child(el, nsAssertion, "Issuer"))
}

// readStatus reads a protocol Status and reports a non-Success one with Entra's meaning.
func readStatus(r *Report, el *etree.Element) {
	st := child(el, nsProtocol, "Status")
	if st == nil {
		return
	}
	code := child(st, nsProtocol, "StatusCode")
	s := &Status{
		Code:    attr(code, "Value"),
		SubCode: attr(child(code, nsProtocol, "StatusCode"), "Value"),
		Message: trimmedText(child(st, nsProtocol, "StatusMessage")),
	}
	s.AADSTS = ExplainAADSTS(s.Message)
	r.Status = s
	if s.Code == statusSuccess {
		return
	}
	msg := fmt.Sprintf("The IdP answered with status %s", shortURN(s.Code))
	if s.SubCode != "" {
		msg += " / " + shortURN(s.SubCode)
	}
	fix := "Read the status message: it says what the IdP refused."
	if s.Message != "" {
		msg += ": " + strings.TrimSuffix(s.Message, ".")
	}
	if s.AADSTS != nil {
		msg += ". " + s.AADSTS.Code + " means: " + s.AADSTS.Meaning
		if s.AADSTS.Fix != "" {
			fix = s.AADSTS.Fix
		}
	}
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	r.add(CodeStatusError, SeverityError, msg, fix)
}

// shortURN keeps the last segment of a status URN: "Requester", "Success".
func shortURN(s string) string {
	if i := strings.LastIndex(s, ":"); i >= 0 {
		return s[i+1:]
	}
	return s
}

// readAssertion fills the report from an assertion. src is the element to read (the
// verified copy when a signature covers it); orig is the same assertion as it appears in
// the message, where comments survive, to detect comment injection.
func readAssertion(r *Report, src, orig *etree.Element) {
	if r.Issuer == "" {
		r.Issuer = trimmedText(child(src, nsAssertion, "Issuer"))
	} else if ai := trimmedText(child(src, nsAssertion, "Issuer")); ai != "" && ai != r.Issuer {
		r.add(CodeIssuerMismatch, SeverityError,
			fmt.Sprintf("The Response issuer %q differs from the Assertion issuer %q; Entra uses the same value in both.", r.Issuer, ai),
			"Treat the message as tampered with or assembled from two sources.")
	}
	if nid := path(orig, nsAssertion, "Subject", nsAssertion, "NameID"); nid != nil && splitText(nid) {
		r.add(CodeNameIDComment, SeverityError,
			fmt.Sprintf("The NameID contains an XML comment or split text (%q in full); an SP that reads only the first text node sees a different user than the one signed. This is the comment-injection attack.", text(nid)),
			"Treat the message as forged; SPs must read the whole canonical text of NameID.")
	}
	for _, av := range findAll(orig, nsAssertion, "AttributeValue") {
		if splitText(av) {
			r.add(CodeNameIDComment, SeverityError,
				fmt.Sprintf("An attribute value contains an XML comment or split text (%q in full); an SP that reads only the first text node is fooled.", text(av)),
				"Treat the message as forged; Entra never puts comments inside values.")
			break
		}
	}

	r.assertionIssued, r.assertionRead = attr(src, "IssueInstant"), true
	subj := child(src, nsAssertion, "Subject")
	if subj != nil {
		nid := child(subj, nsAssertion, "NameID")
		s := &Subject{NameID: text(nid), Format: attr(nid, "Format"), SPNameQualifier: attr(nid, "SPNameQualifier")}
		for _, sc := range children(subj, nsAssertion, "SubjectConfirmation") {
			if attr(sc, "Method") != cmBearer {
				continue
			}
			scd := child(sc, nsAssertion, "SubjectConfirmationData")
			s.Confirmation = &Confirmation{
				Method:       cmBearer,
				Recipient:    attr(scd, "Recipient"),
				InResponseTo: attr(scd, "InResponseTo"),
				NotOnOrAfter: attr(scd, "NotOnOrAfter"),
			}
			r.confNotBefore = attr(scd, "NotBefore")
			break
		}
		r.Subject = s
	}
	conds := children(src, nsAssertion, "Conditions")
	r.conditions = len(conds)
	if len(conds) == 1 {
		cond := conds[0]
		r.NotBefore = attr(cond, "NotBefore")
		r.NotOnOrAfter = attr(cond, "NotOnOrAfter")
		for _, t := range cond.Child {
			c, ok := t.(*etree.Element)
			if !ok {
				continue
			}
			switch {
			case is(c, nsAssertion, "AudienceRestriction"):
				var set []string
				for _, a := range children(c, nsAssertion, "Audience") {
					set = append(set, trimmedText(a))
					r.Audiences = append(r.Audiences, trimmedText(a))
				}
				r.audienceSets = append(r.audienceSets, set)
			case is(c, nsAssertion, "OneTimeUse"), is(c, nsAssertion, "ProxyRestriction"):
				// Understood: OneTimeUse asks the SP not to cache the assertion, and
				// ProxyRestriction limits reissuing it; neither changes its validity now.
			default:
				r.unknownConditions = append(r.unknownConditions, c.Tag)
			}
		}
	}
	if as := child(src, nsAssertion, "AuthnStatement"); as != nil {
		r.AuthnInstant = attr(as, "AuthnInstant")
		r.SessionIndex = attr(as, "SessionIndex")
		r.AuthnContext = trimmedText(path(as, nsAssertion, "AuthnContext", nsAssertion, "AuthnContextClassRef"))
	}
	for _, st := range children(src, nsAssertion, "AttributeStatement") {
		for _, a := range children(st, nsAssertion, "Attribute") {
			name := attr(a, "Name")
			friendly, about := friendlyName(name)
			if fn := attr(a, "FriendlyName"); fn != "" && about == "" {
				friendly = fn
			}
			c := Claim{Name: name, Friendly: friendly, About: about, Values: []string{}}
			for _, v := range children(a, nsAssertion, "AttributeValue") {
				c.Values = append(c.Values, text(v))
			}
			r.Claims = append(r.Claims, c)
		}
	}
}

// findAll returns every descendant of el named ns:tag.
func findAll(el *etree.Element, ns, tag string) []*etree.Element {
	if el == nil {
		return nil
	}
	return appendAll(nil, el, ns, tag)
}

func appendAll(out []*etree.Element, el *etree.Element, ns, tag string) []*etree.Element {
	for _, t := range el.Child {
		if c, ok := t.(*etree.Element); ok {
			if is(c, ns, tag) {
				out = append(out, c)
			}
			out = appendAll(out, c, ns, tag)
		}
	}
	return out
}

// summarizeSignatures turns the signature checks into r.Signature and findings.
// wrapped carries wrapping evidence; absent is the finding to add when nothing is
// signed (none when its Code is empty).
func summarizeSignatures(r *Report, checks []*sigCheck, opts *Options, wrapped []string, absent Finding) {
	sig := &Signature{Status: SigAbsent, Signed: []string{}}
	r.Signature = sig
	var first *sigCheck
	present, invalid, untrusted := false, false, false
	for _, c := range checks {
		if c == nil || !c.present {
			continue
		}
		present = true
		if first == nil || (!first.valid() && c.valid()) {
			first = c
		}
		if !c.valid() {
			invalid = true
			r.add(CodeSignatureInvalid, SeverityError,
				fmt.Sprintf("The %s signature is invalid: %s.", c.what, c.err),
				"If the message was edited or re-encoded after it was signed, inspect the original capture; otherwise the SP must refuse it.")
			continue
		}
		sig.Signed = appendUnique(sig.Signed, c.what)
		if !c.trusted() {
			untrusted = true
		}
	}
	if len(wrapped) > 0 {
		r.add(CodeSignatureWrapped, SeverityError,
			"The message has the shape of a signature wrapping attack: "+strings.Join(wrapped, "; ")+". No claims are reported from it.",
			"Treat the message as forged. Entra never produces these structures; an SP that accepted it is vulnerable to XSW.")
		sig.Status = SigInvalid
		sig.Signed = []string{}
	}
	switch {
	case !present:
		if absent.Code != "" && len(wrapped) == 0 {
			r.Findings = append(r.Findings, absent)
		}
		return
	case len(wrapped) > 0:
	case invalid:
		sig.Status = SigInvalid
	case untrusted:
		sig.Status = SigUntrusted
	default:
		sig.Status = SigValid
	}
	if first == nil {
		return
	}
	sig.Algorithm = first.alg
	sig.DigestAlgorithm = first.digestAlg
	cert := first.key.cert
	if cert == nil {
		cert = first.embedded
	}
	if first.valid() {
		sig.TrustedBy = first.key.trustedBy
		if sig.TrustedBy == "" {
			sig.TrustedBy = "embedded"
		}
	}
	if cert != nil {
		sig.CertSHA256 = certSHA256(cert)
		sig.CertSHA1 = certSHA1(cert)
		sig.CertSubject = cert.Subject.String()
		sig.CertNotAfter = cert.NotAfter.UTC().Format(time.RFC3339)
	}
	for _, c := range checks {
		if !c.valid() {
			continue
		}
		if c.key.foreign {
			r.add(CodeCertUntrusted, SeverityError,
				fmt.Sprintf("The %s is signed by the certificate it carries (%s, SHA-256 %s), which is not among the %s: either the IdP's signing certificate changed or the trust material is for another app or tenant.", c.what, c.key.cert.Subject, certSHA256(c.key.cert), trustDescribe(opts)),
				fixCertificates+": check which certificate is Active, download it (Certificate (Base64)) or the App Federation Metadata Url, and give the vendor the same one.")
			break
		}
		if c.key.trustedBy == "" {
			r.add(CodeCertUntrusted, SeverityWarning,
				"No certificate, metadata or fingerprint was given, so the signature was checked with the certificate the message itself carries: this proves the message was not altered, not that Entra signed it.",
				"Pass the IdP's certificate (--cert), metadata (--metadata) or SHA-256 fingerprint (--fingerprint), from "+fixCertificates+".")
			break
		}
	}
	if sig.Algorithm == "rsa-sha1" || sig.DigestAlgorithm == "sha1" {
		r.add(CodeWeakAlgorithm, SeverityWarning,
			fmt.Sprintf("The signature uses SHA-1 (%s, digest %s), which is deprecated and refused by many SPs.", sig.Algorithm, sig.DigestAlgorithm),
			fixCertificates+" > Edit > Signing Algorithm: SHA-256.")
	}
	if cert != nil && !opts.Now.IsZero() && cert.NotAfter.Before(opts.Now) {
		r.add(CodeCertExpired, SeverityWarning,
			fmt.Sprintf("The signing certificate %s expired on %s, %s before the checked time. The signature itself still verifies and Entra keeps signing with the active certificate after it expires, so whether sign-in fails depends on the SP: those that check certificate dates refuse it.",
				cert.Subject, cert.NotAfter.UTC().Format(time.RFC3339), days(opts.Now.Sub(cert.NotAfter))),
			fixCertificates+": create a new certificate, make it Active, and give the vendor the new certificate or metadata.")
	}
}

func trustDescribe(opts *Options) string { return newTrustSet(opts).describe() }

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// days renders a duration in days when it is long, else as Go prints it.
func days(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	}
	return d.Round(time.Second).String()
}

func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// parseSAMLTime reads an xs:dateTime as SAML core 1.3.3 requires it: UTC, with the Z.
// A time without a zone is local to nobody knows where, so it is refused rather than guessed.
func parseSAMLTime(s string) (time.Time, bool) {
	if s == "" || !strings.HasSuffix(s, "Z") {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// checkResponseHeader compares the Response header with what the user expects.
func checkResponseHeader(r *Report, opts *Options) {
	if opts.ACS != "" && r.Destination != "" && r.Destination != opts.ACS {
		r.add(CodeDestinationMismatch, SeverityError,
			fmt.Sprintf("The Response Destination is %q, but the SP's ACS URL is %q%s.", r.Destination, opts.ACS, diffHint(r.Destination, opts.ACS)),
			"Make the Reply URL equal the SP's ACS URL exactly: "+fixReplyURL+".")
	}
	if opts.ACS == "" {
		r.notChecked("destination and recipient: no ACS URL was given (--acs)")
	}
	if opts.RequestID == "" {
		r.notChecked("InResponseTo: no request ID was given (--request-id), so an unsolicited or replayed response was not ruled out")
	}
	if opts.RequestID != "" && r.InResponseTo != opts.RequestID {
		if r.InResponseTo == "" {
			r.add(CodeInResponseToMismatch, SeverityError,
				fmt.Sprintf("The Response has no InResponseTo: it is IdP-initiated (started from My Apps or the portal's Test button), but the SP sent request %q.", opts.RequestID),
				"Start sign-in from the SP, or enable IdP-initiated sign-in in the SP; in Entra set "+bladeSSO+" > Basic SAML Configuration > Sign on URL to the SP's login page so My Apps starts SP-initiated.")
		} else {
			r.add(CodeInResponseToMismatch, SeverityError,
				fmt.Sprintf("The Response answers request %q, but the SP's request was %q: a stale tab, a replay, or a second login in flight.", r.InResponseTo, opts.RequestID),
				"Start a fresh sign-in from the SP in one tab; check that the SP keeps the request ID in a session that survives the round trip (SameSite cookies).")
		}
	}
	checkIssuer(r, opts)
}

// checkIssuer compares the issuer (and tenantid claim) with the expected IdP.
func checkIssuer(r *Report, opts *Options) {
	if opts.IdPEntityID == "" && !isGUID(opts.Tenant) {
		r.notChecked("issuer: no IdP entity ID (--metadata) or tenant ID (--tenant) was given")
	}
	if r.Issuer == "" {
		return
	}
	tid := ""
	if isGUID(opts.Tenant) {
		tid = strings.ToLower(opts.Tenant)
	}
	switch {
	case opts.IdPEntityID != "":
		if r.Issuer != opts.IdPEntityID {
			r.add(CodeIssuerMismatch, SeverityError,
				fmt.Sprintf("The issuer is %q, but the IdP entity ID expected is %q%s.", r.Issuer, opts.IdPEntityID, diffHint(r.Issuer, opts.IdPEntityID)),
				"Give the SP the Microsoft Entra Identifier shown in "+bladeSSO+" > Set up your app (https://sts.windows.net/{tenant-id}/, trailing slash included).")
		}
	case tid != "":
		got := entraTenantFromIssuer(r.Issuer)
		want := "https://sts.windows.net/" + tid + "/"
		if got != "" && got != tid {
			r.add(CodeTenantMismatch, SeverityError,
				fmt.Sprintf("The response was issued by tenant %s, not the expected tenant %s.", got, tid),
				"Sign in through the right tenant's app: the SP's IdP metadata, SSO URL and certificate must all come from tenant "+tid+".")
		} else if r.Issuer != want {
			r.add(CodeIssuerMismatch, SeverityError,
				fmt.Sprintf("The issuer is %q; Entra tenant %s issues SAML as %q%s.", r.Issuer, tid, want, diffHint(r.Issuer, want)),
				"Give the SP the Microsoft Entra Identifier shown in "+bladeSSO+" > Set up your app, trailing slash included.")
		}
	}
	if tid != "" {
		if c := findClaim(r.Claims, claimTenantID); c != nil && len(c.Values) > 0 && !strings.EqualFold(c.Values[0], tid) && !r.Has(CodeTenantMismatch) {
			r.add(CodeTenantMismatch, SeverityError,
				fmt.Sprintf("The tenantid claim is %s, not the expected tenant %s.", c.Values[0], tid),
				"Sign in through the expected tenant's app.")
		}
	}
}

// diffHint points at the first difference of two near-identical strings.
func diffHint(got, want string) string {
	if strings.EqualFold(got, want) {
		return " (they differ only in letter case)"
	}
	if strings.TrimSuffix(got, "/") == strings.TrimSuffix(want, "/") {
		return " (they differ only by a trailing slash)"
	}
	return ""
}

// checkAssertion applies the checks that need the assertion's content.
func checkAssertion(r *Report, opts *Options) {
	var conf *Confirmation
	if r.Subject != nil {
		conf = r.Subject.Confirmation
	}
	if conf == nil {
		r.add(CodeSubjectConfirmation, SeverityError,
			"The assertion has no bearer SubjectConfirmation, so an SP cannot tie it to this browser sign-in and must refuse it.",
			"Entra always adds one: treat the assertion as not Entra's, or hand-built.")
	}
	checkConditions(r, opts)
	if conf != nil {
		if conf.Recipient == "" {
			r.add(CodeRecipientMismatch, SeverityError,
				"The bearer SubjectConfirmationData has no Recipient; the Web SSO profile requires one naming the SP's ACS URL, so the assertion could be replayed to any SP.",
				"Entra always sets Recipient: treat the assertion as not Entra's.")
		} else if opts.ACS != "" && conf.Recipient != opts.ACS {
			r.add(CodeRecipientMismatch, SeverityError,
				fmt.Sprintf("The assertion's Recipient is %q, but the SP's ACS URL is %q%s.", conf.Recipient, opts.ACS, diffHint(conf.Recipient, opts.ACS)),
				"Set "+fixReplyURL+" to exactly the SP's ACS URL, and make it the default if there are several.")
		}
		// SAML profiles 4.1.4.3: the InResponseTo that counts is the one inside the
		// assertion, which its signature covers; the Response header's may be unsigned.
		if opts.RequestID != "" && conf.InResponseTo != opts.RequestID && !r.Has(CodeInResponseToMismatch) {
			got := "no InResponseTo"
			if conf.InResponseTo != "" {
				got = fmt.Sprintf("InResponseTo %q", conf.InResponseTo)
			}
			r.add(CodeInResponseToMismatch, SeverityError,
				fmt.Sprintf("The assertion's bearer confirmation carries %s, but the SP's request was %q: only the assertion's own value is signed with it, so it must match.", got, opts.RequestID),
				"Start a fresh sign-in from the SP.")
		}
		if r.confNotBefore != "" {
			r.add(CodeSubjectConfirmation, SeverityError,
				"The bearer SubjectConfirmationData carries NotBefore, which the Web SSO profile forbids (SAML profiles 4.1.4.2); Entra never sends it.",
				"Treat the assertion as not Entra's.")
		}
		if conf.NotOnOrAfter == "" {
			r.add(CodeExpired, SeverityError,
				"The bearer SubjectConfirmationData has no NotOnOrAfter, so the assertion could be delivered at any time; the Web SSO profile requires one (SAML profiles 4.1.4.2) and Entra sets it 5 minutes ahead.",
				"Treat the assertion as not Entra's.")
		}
	}
	checkTimes(r, opts, conf)
	checkClaims(r)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkConditions applies the Conditions (SAML core 2.5.1): every AudienceRestriction
// must name the SP (several are a conjunction, 2.5.1.4), and a condition the inspector
// does not understand makes the assertion Indeterminate (2.5.1.5), which is not valid.
func checkConditions(r *Report, opts *Options) {
	switch {
	case r.conditions == 0:
		r.add(CodeAudienceMismatch, SeverityError,
			"The assertion has no Conditions, so no audience restriction: it is valid for any SP. The Web SSO profile requires an AudienceRestriction naming the SP (SAML profiles 4.1.4.2), and Entra always sends one.",
			"Treat the assertion as not Entra's.")
		return
	case r.conditions > 1:
		r.add(CodeAudienceMismatch, SeverityError,
			fmt.Sprintf("The assertion has %d Conditions elements; SAML allows one, and readers disagree on which counts.", r.conditions),
			"Treat the assertion as forged.")
		return
	case len(r.audienceSets) == 0:
		r.add(CodeAudienceMismatch, SeverityError,
			"The assertion has no AudienceRestriction: it is valid for any SP. The Web SSO profile requires one naming the SP (SAML profiles 4.1.4.2), and Entra always sends one.",
			"Treat the assertion as not Entra's.")
	}
	if len(r.unknownConditions) > 0 {
		r.add(CodeAudienceMismatch, SeverityError,
			fmt.Sprintf("The Conditions hold %s, which this inspector does not understand; SAML core 2.5.1.5 makes the assertion Indeterminate then, so it is not valid. Entra sends only AudienceRestriction.", strings.Join(r.unknownConditions, ", ")),
			"Treat the assertion as not Entra's.")
	}
	if opts.SPEntityID == "" {
		r.notChecked("audience: no SP entity ID was given (--sp-entity-id)")
		return
	}
	for _, set := range r.audienceSets {
		if contains(set, opts.SPEntityID) {
			continue
		}
		first := ""
		if len(set) > 0 {
			first = set[0]
		}
		r.add(CodeAudienceMismatch, SeverityError,
			fmt.Sprintf("The assertion is for audience %q, but the SP's entity ID is %q%s; every AudienceRestriction must name the SP.", strings.Join(set, ", "), opts.SPEntityID, diffHint(first, opts.SPEntityID)),
			"Set "+fixEntityID+" to exactly the SP's entity ID ("+opts.SPEntityID+").")
		return
	}
}

// checkTimes checks the validity window at opts.Now with opts.Skew either side. A time
// that is present but unreadable fails the check: skipping it would pass a day-old
// assertion whose NotOnOrAfter lacks its Z.
func checkTimes(r *Report, opts *Options, conf *Confirmation) {
	unreadable := func(what, s string) bool {
		if s == "" {
			return false
		}
		if _, ok := parseSAMLTime(s); ok {
			return false
		}
		r.add(CodeTimeUnreadable, SeverityError,
			fmt.Sprintf("The %s %q is not a UTC xs:dateTime ending in Z, as SAML requires, so the validity period cannot be checked.", what, s),
			"Treat the assertion as not Entra's: Entra writes times such as 2026-11-23T17:00:00.000Z.")
		return true
	}
	// Every xs:dateTime is checked, including those no check reads (the message's
	// IssueInstant, AuthnInstant): a message an SP cannot even unmarshal is not valid.
	bad := false
	if r.IssueInstant == "" || (r.assertionRead && r.assertionIssued == "") {
		r.add(CodeTimeUnreadable, SeverityError, "The message or its assertion has no IssueInstant, which SAML requires of every Response and Assertion.", "Treat the message as not Entra's.")
		bad = true
	}
	bad = unreadable("IssueInstant", r.IssueInstant) || bad
	bad = unreadable("Assertion IssueInstant", r.assertionIssued) || bad
	bad = unreadable("AuthnInstant", r.AuthnInstant) || bad
	bad = unreadable("Conditions NotBefore", r.NotBefore) || bad
	bad = unreadable("Conditions NotOnOrAfter", r.NotOnOrAfter) || bad
	if conf != nil {
		bad = unreadable("SubjectConfirmationData NotOnOrAfter", conf.NotOnOrAfter) || bad
	}
	if bad {
		return
	}
	if opts.Now.IsZero() {
		r.add(CodeTimeNotChecked, SeverityWarning, "No current time was given, so the validity period was not checked.", "Pass --now, or let the tool use the clock.")
		r.unverified(whyNoTime)
		return
	}
	now, skew := opts.Now, opts.Skew
	if nb, ok := parseSAMLTime(r.NotBefore); ok && now.Add(skew).Before(nb) {
		r.add(CodeNotYetValid, SeverityError,
			fmt.Sprintf("The assertion is not valid before %s, but was checked at %s: %s too early (skew allowance %s). Entra sets NotBefore to the IssueInstant with no skew buffer, so an SP whose clock is even slightly behind Entra's refuses fresh assertions.",
				fmtTime(nb), fmtTime(now), nb.Sub(now).Round(time.Second), skew),
			"Synchronise the SP's clock with NTP, or allow a clock skew of a few minutes in the SP's SAML settings; Entra's NotBefore cannot be changed.")
	}
	expired := func(what, s string) {
		t, ok := parseSAMLTime(s)
		if !ok || now.Add(-skew).Before(t) {
			return
		}
		r.add(CodeExpired, SeverityError,
			fmt.Sprintf("The %s expired at %s, but was checked at %s: %s late (skew allowance %s).", what, fmtTime(t), fmtTime(now), now.Sub(t).Round(time.Second), skew),
			"Sign in again for a fresh response (Entra's assertions live 70 minutes, their bearer confirmation 5); if it was fresh, the SP's clock is ahead: synchronise it with NTP.")
	}
	expired("assertion (Conditions NotOnOrAfter)", r.NotOnOrAfter)
	if conf != nil {
		expired("bearer confirmation (SubjectConfirmationData NotOnOrAfter)", conf.NotOnOrAfter)
	}
}

// checkClaims reports what Entra's claims configuration commonly gets wrong.
func checkClaims(r *Report) {
	if r.Subject != nil && r.Subject.Format == nameIDTransient {
		r.add(CodeNameIDTransient, SeverityWarning,
			"The NameID format is transient: it changes at every sign-in, so an SP that links accounts by NameID creates a new user each time.",
			fixClaims+" > Unique User Identifier (Name ID): choose Persistent or Email address; if the SP's AuthnRequest asks for transient in NameIDPolicy, change it in the SP, since the request wins.")
	}
	email := findClaim(r.Claims, claimEmail, "email", "mail")
	hasEmail := email != nil && len(email.Values) > 0 && email.Values[0] != ""
	switch {
	case hasEmail:
	case r.Subject != nil && looksLikeEmail(r.Subject.NameID):
		// The classic case: a user without a mailbox. The NameID (the UPN by default)
		// looks like an address, so SPs keyed on NameID work, but SPs that read the
		// emailaddress attribute for JIT provisioning or matching find nothing.
		r.add(CodeEmailMissing, SeverityWarning,
			"No emailaddress claim: Entra leaves it out when the user's mail attribute is empty. The NameID "+r.Subject.NameID+" looks like an address (by default it is the UPN, which need not be a mailbox), so SPs that read the NameID are fine, but SPs that provision or match users by the emailaddress attribute cannot.",
			fixClaims+": set the emailaddress claim's source to user.userprincipalname for users without a mailbox, or fill the user's Email (mail) in Users > the user > Properties.")
	default:
		r.add(CodeEmailMissing, SeverityWarning,
			"No emailaddress claim, and the NameID is not an email address: SPs that identify users by email cannot match this user. Entra leaves the emailaddress claim out when the user's mail attribute is empty.",
			fixClaims+": add (or fix) the emailaddress claim, source user.mail, or user.userprincipalname for users without a mailbox.")
	}
	if g := findClaim(r.Claims, claimGroups); g != nil && len(g.Values) > 0 {
		allGUID := true
		for _, v := range g.Values {
			allGUID = allGUID && isGUID(v)
		}
		if allGUID {
			r.add(CodeGroupsObjectIDs, SeverityInfo,
				"The groups claim carries "+plural(len(g.Values), "group object ID")+" (GUIDs), not names: an SP that creates groups on the fly will name them by GUID.",
				fixClaims+" > the groups claim > Edit: set Source attribute to sAMAccountName (groups synced from AD) or tick Emit group name for cloud-only groups.")
		}
	}
	if findClaim(r.Claims, claimGroupsLink) != nil {
		r.add(CodeGroupsOverage, SeverityWarning,
			"The user is in more groups than a SAML token carries (150), so Entra sent a groups.link Graph URL instead of the list; SPs that do not call Graph see no groups.",
			fixClaims+" > the groups claim > Edit: choose Groups assigned to the application, and assign only the groups the SP needs.")
	}
}

func looksLikeEmail(s string) bool {
	at := strings.LastIndex(s, "@")
	return at > 0 && strings.Contains(s[at:], ".")
}

// sniffedRoots maps the root element names of SAML documents to their kinds.
var sniffedRoots = regexp.MustCompile(`<(?:[A-Za-z_][A-Za-z0-9_.-]*:)?(Response|Assertion|AuthnRequest|LogoutRequest|LogoutResponse|EntityDescriptor|EntitiesDescriptor)[\s/>]`)

// sniffKind names the kind of a document that was refused before parsing, from the
// first SAML root element name it carries, or "" when it carries none. It is a label
// for the report only: nothing is read from the document on its strength.
func sniffKind(doc []byte) string {
	m := sniffedRoots.FindSubmatch(doc)
	if m == nil {
		return ""
	}
	switch string(m[1]) {
	case "Response":
		return KindSAMLResponse
	case "Assertion":
		return KindSAMLAssertion
	case "AuthnRequest":
		return KindSAMLAuthnRequest
	case "LogoutRequest":
		return KindSAMLLogoutRequest
	case "LogoutResponse":
		return KindSAMLLogoutResponse
	default:
		return KindSAMLMetadata
	}
}
