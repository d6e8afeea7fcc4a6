package idp

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ssowizard/ssowizard/harness/entrasaml"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

// Limits on what the SAML endpoint reads: a posted form, and a redirect-binding
// message once inflated (AuthnRequests are a few kilobytes).
const (
	maxSAMLInflated = 256 << 10
	// samlRequestMaxAge is how old an AuthnRequest's IssueInstant may be before the
	// request is refused as expired (AADSTS76026). Entra does not document its limit;
	// this is the inspector's, so both agree on what they call stale.
	samlRequestMaxAge = 5 * time.Minute
)

// registerSAML adds Entra's SAML endpoint and federation metadata to mux.
func (p *IdP) registerSAML(mux *http.ServeMux) {
	mux.HandleFunc("GET /{tenant}/saml2", p.saml2)
	mux.HandleFunc("POST /{tenant}/saml2", p.saml2)
	mux.HandleFunc("GET /api/signin/{appid}", p.samlIdPInitiated)
	mux.HandleFunc("GET /{tenant}/federationmetadata/2007-06/federationmetadata.xml", p.federationMetadata)
}

// SAMLEndpoint is the SAML SSO and SLO endpoint of the tenant on the harness, standing
// for https://login.microsoftonline.com/{tenant}/saml2.
func (p *IdP) SAMLEndpoint() string { return p.base + "/" + p.store.TenantID() + "/saml2" }

// SAMLMetadataURL is the app-specific federation metadata URL ("App Federation Metadata
// Url") of the app; with appID empty, the tenant's document.
func (p *IdP) SAMLMetadataURL(appID string) string {
	u := p.base + "/" + p.store.TenantID() + "/federationmetadata/2007-06/federationmetadata.xml"
	if appID != "" {
		u += "?appid=" + url.QueryEscape(appID)
	}
	return u
}

// samlMessage is a SAML protocol message as received, before it is understood.
type samlMessage struct {
	root       *etree.Element
	relayState string
	redirect   bool
	// For the redirect binding: the query signature and the octets it covers.
	sigAlg, signature string
	signedOctets      string
}

// samlAuthn is an AuthnRequest that has passed the checks made before sign-in.
type samlAuthn struct {
	id, issuer, acs, relayState string
	audience                    string // the Audience: the issuer, or spn:{appId}
	app                         tenant.App
	nameIDFormat                string
	authnRefs                   []string
	forceAuthn, isPassive       bool
	authTime                    time.Time // when the user signed in
}

// saml2 is /{tenant}/saml2: AuthnRequests by HTTP-Redirect or HTTP-POST, and
// LogoutRequests by HTTP-Redirect. Errors before the app and its reply URL are known
// are shown on Entra's error page; later ones go back to the reply URL as a Response
// with an error status.
func (p *IdP) saml2(w http.ResponseWriter, r *http.Request) {
	seg := r.PathValue("tenant")
	if !p.store.Resolves(seg) {
		p.errorPage(w, r, errTenantNotFound(seg))
		return
	}
	msg, aerr := readSAMLMessage(w, r)
	if aerr != nil {
		p.errorPage(w, r, aerr)
		return
	}
	switch msg.root.Tag {
	case "AuthnRequest":
		p.samlAuthnRequest(w, r, msg)
	case "LogoutRequest":
		if !msg.redirect {
			p.errorPage(w, r, errSAMLInvalid("Entra accepts a LogoutRequest only by the HTTP-Redirect binding."))
			return
		}
		p.samlLogout(w, r, msg)
	default:
		p.errorPage(w, r, errSAMLInvalid(fmt.Sprintf("The message is a %s; the endpoint takes an AuthnRequest or a LogoutRequest.", msg.root.Tag)))
	}
}

// readSAMLMessage decodes the SAMLRequest of either binding and parses it.
func readSAMLMessage(w http.ResponseWriter, r *http.Request) (*samlMessage, *aadError) {
	msg := &samlMessage{}
	var raw []byte
	if r.Method == http.MethodGet {
		msg.redirect = true
		q := r.URL.Query()
		v := q.Get("SAMLRequest")
		if v == "" && q.Get("SAMLResponse") != "" {
			return nil, errSAMLResponseUnexpected()
		}
		if v == "" {
			return nil, errSAMLMissing()
		}
		msg.relayState = q.Get("RelayState")
		msg.sigAlg, msg.signature = q.Get("SigAlg"), q.Get("Signature")
		msg.signedOctets = signedQuery(r.URL.RawQuery)
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, errSAMLInvalid("The SAMLRequest parameter is not base64.")
		}
		raw, err = inflate(b)
		if err != nil {
			return nil, errSAMLInvalid("The SAMLRequest parameter is not DEFLATE-compressed, as the HTTP-Redirect binding requires.")
		}
		if len(raw) > maxSAMLInflated {
			return nil, errSAMLInvalid(fmt.Sprintf("The SAMLRequest inflates to more than %d bytes.", maxSAMLInflated))
		}
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			return nil, errSAMLInvalid("The posted form could not be read.")
		}
		v := r.PostForm.Get("SAMLRequest")
		if v == "" && r.PostForm.Get("SAMLResponse") != "" {
			return nil, errSAMLResponseUnexpected()
		}
		if v == "" {
			return nil, errSAMLMissingPost()
		}
		msg.relayState = r.PostForm.Get("RelayState")
		var err error
		if raw, err = base64.StdEncoding.DecodeString(strings.TrimSpace(v)); err != nil {
			return nil, errSAMLInvalid("The SAMLRequest parameter is not base64.")
		}
	}
	if bytes.Contains(raw, []byte("<!DOCTYPE")) {
		return nil, errSAMLInvalid("The SAML request carries a DOCTYPE, which SAML never uses.")
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil || doc.Root() == nil {
		return nil, errSAMLInvalid("The SAML request is not well-formed XML.")
	}
	msg.root = doc.Root()
	if msg.root.NamespaceURI() != entrasaml.NSProtocol {
		return nil, errSAMLInvalid("The SAML request's root element is not in the SAML 2.0 protocol namespace.")
	}
	return msg, nil
}

// signedQuery rebuilds the octets a redirect-binding signature covers: SAMLRequest,
// RelayState and SigAlg exactly as they were URL-encoded in the request, in that order
// (SAML bindings §3.4.4.1). Re-encoding the decoded values would not do: encoders differ.
func signedQuery(raw string) string {
	var parts [3]string
	for _, kv := range strings.Split(raw, "&") {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "SAMLRequest":
			parts[0] = kv
		case "RelayState":
			parts[1] = kv
		case "SigAlg":
			parts[2] = kv
		}
	}
	var out []string
	for _, s := range parts {
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, "&")
}

// samlAuthnRequest applies Entra's AuthnRequest rules, then signs the user in.
func (p *IdP) samlAuthnRequest(w http.ResponseWriter, r *http.Request, msg *samlMessage) {
	root := msg.root
	id := root.SelectAttrValue("ID", "")
	instant := root.SelectAttrValue("IssueInstant", "")
	if id == "" || instant == "" || root.SelectAttrValue("Version", "") != "2.0" {
		p.errorPage(w, r, errSAMLInvalid("The AuthnRequest must carry ID, Version=\"2.0\" and IssueInstant."))
		return
	}
	if c := id[0]; '0' <= c && c <= '9' {
		p.errorPage(w, r, errSAMLBadID(id))
		return
	}
	issuer := ""
	if el := childNS(root, entrasaml.NSAssertion, "Issuer"); el != nil {
		issuer = strings.TrimSpace(el.Text())
	}
	app, ok := p.store.AppByIdentifierURI(issuer)
	audience := issuer
	if !ok && validAppID(issuer) {
		// The application ID is a service principal name too; not being a URI, it
		// comes back as the Audience with spn: in front.
		if app, ok = p.store.AppByID(issuer); ok {
			audience = "spn:" + app.AppID
		}
	}
	if issuer == "" || !ok {
		p.errorPage(w, r, errAppNotFound(http.StatusBadRequest, issuer, p.directoryName()))
		return
	}
	f := p.samlFaultsFor(app.AppID)
	p.delay(f.faults)
	req := &samlAuthn{id: id, issuer: issuer, audience: audience, app: app, relayState: msg.relayState,
		forceAuthn: root.SelectAttrValue("ForceAuthn", "") == "true" || root.SelectAttrValue("ForceAuthn", "") == "1",
		isPassive:  root.SelectAttrValue("IsPassive", "") == "true" || root.SelectAttrValue("IsPassive", "") == "1",
	}
	if acs := root.SelectAttrValue("AssertionConsumerServiceURL", ""); acs != "" {
		if _, ok := app.MatchRedirectURI(acs); !ok {
			p.errorPage(w, r, errReplyURLMismatch(app.AppID))
			return
		}
		req.acs = acs
	} else {
		// Without one, Entra answers at the app's default reply URL, the first registered.
		if len(app.RedirectURIs) == 0 {
			p.errorPage(w, r, errNoReplyAddress())
			return
		}
		req.acs = app.RedirectURIs[0]
	}

	// From here the reply URL is trusted: errors go back to it.
	if app.SAML.RequireSignedRequests {
		if e := p.checkRequestSignature(msg, &app); e != nil {
			p.samlStatus(w, r, req, entrasaml.StatusRequester, entrasaml.StatusRequestDenied, e)
			return
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, instant); err != nil {
		p.samlStatus(w, r, req, entrasaml.StatusRequester, "", errSAMLInvalidCode(75005, fmt.Sprintf("The IssueInstant '%s' is not an xs:dateTime.", instant)))
		return
	} else if age := p.now().Sub(t); age > samlRequestMaxAge {
		p.samlStatus(w, r, req, entrasaml.StatusRequester, entrasaml.StatusRequestDenied, errSAMLRequestExpired(t, age))
		return
	}
	if childNS(root, entrasaml.NSAssertion, "Subject") != nil {
		p.samlStatus(w, r, req, entrasaml.StatusRequester, entrasaml.StatusRequestUnsupported,
			errSAMLInvalidCode(75005, "The AuthnRequest carries a Subject element, which Entra does not support: leave the Subject out and let the user sign in."))
		return
	}
	if pol := childNS(root, entrasaml.NSProtocol, "NameIDPolicy"); pol != nil {
		req.nameIDFormat = pol.SelectAttrValue("Format", "")
		switch req.nameIDFormat {
		case "", entrasaml.NameIDPersistent, entrasaml.NameIDEmail, entrasaml.NameIDUnspecified, entrasaml.NameIDTransient:
		default:
			p.samlStatus(w, r, req, entrasaml.StatusRequester, entrasaml.StatusInvalidNameIDPolicy, errSAMLNameIDPolicy(req.nameIDFormat))
			return
		}
	}
	if rac := childNS(root, entrasaml.NSProtocol, "RequestedAuthnContext"); rac != nil {
		if cmp := rac.SelectAttrValue("Comparison", "exact"); cmp != "exact" {
			p.samlStatus(w, r, req, entrasaml.StatusRequester, entrasaml.StatusNoAuthnContext, errSAMLComparison(cmp))
			return
		}
		for _, el := range rac.ChildElements() {
			if el.Tag == "AuthnContextClassRef" {
				req.authnRefs = append(req.authnRefs, strings.TrimSpace(el.Text()))
			}
		}
	}
	p.SignIn(w, r, app, SignInOptions{ForceLogin: req.forceAuthn, Passive: req.isPassive},
		func(w http.ResponseWriter, r *http.Request, u *tenant.User, authTime time.Time) {
			req.authTime = authTime
			p.samlFinish(w, r, req, u)
		})
}

// childNS finds the first child element of el with that namespace and local name.
func childNS(el *etree.Element, ns, tag string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			return c
		}
	}
	return nil
}

// samlFinish answers a signed-in user (or none, for a passive request without a
// session) with a signed Response posted to the reply URL.
func (p *IdP) samlFinish(w http.ResponseWriter, r *http.Request, req *samlAuthn, u *tenant.User) {
	if u == nil {
		p.samlStatus(w, r, req, entrasaml.StatusResponder, entrasaml.StatusNoPassive, errLoginRequired())
		return
	}
	check, err := p.store.CheckAccess(req.app.AppID, u.ID)
	if err != nil {
		p.errorPage(w, r, errAppNotFound(http.StatusBadRequest, req.issuer, p.directoryName()))
		return
	}
	if !check.Access.Allowed() {
		p.samlStatus(w, r, req, entrasaml.StatusRequester, entrasaml.StatusRequestDenied, errNotAssigned(&req.app))
		return
	}
	f := p.samlFaultsFor(req.app.AppID)
	m := f.authnMethod()
	if len(req.authnRefs) > 0 && !slices.ContainsFunc(req.authnRefs, func(ref string) bool { return slices.Contains(m.satisfies, ref) }) {
		p.samlStatus(w, r, req, entrasaml.StatusRequester, entrasaml.StatusNoAuthnContext, errSAMLAuthnContext(m.name, requestedMethodName(req.authnRefs[0]), &req.app))
		return
	}
	xml, aerr, err := p.samlResponse(req, u, f)
	if aerr != nil {
		p.samlStatus(w, r, req, entrasaml.StatusResponder, "", aerr)
		return
	}
	if err != nil {
		p.log.Error("saml response", "client_id", req.app.AppID, "error", err)
		p.errorPage(w, r, &aadError{status: http.StatusInternalServerError, err: "server_error", code: 90033, msg: "A transient error has occurred while signing the SAML response. Please try again."})
		return
	}
	p.postToACS(w, req, xml)
}

// samlResponse builds the Response for the user as Entra shapes it for the app.
func (p *IdP) samlResponse(req *samlAuthn, u *tenant.User, f samlFaults) ([]byte, *aadError, error) {
	app := &req.app
	u = asSeen(u, f.faults)
	nameID, format, aerr := p.samlNameID(app, u, req.nameIDFormat, f)
	if aerr != nil {
		return nil, aerr, nil
	}
	user := entrasaml.User{
		ObjectID:          u.ID,
		UserPrincipalName: u.UPN,
		GivenName:         u.GivenName,
		Surname:           u.Surname,
		DisplayName:       u.DisplayName,
		IdentityProvider:  samlIdentityProvider(u),
		AuthnMethods:      f.authnMethod().methods,
	}
	if !f.noEmail {
		user.Mail = u.Mail
	}
	overage := f.groupsOverage
	if gc, err := p.store.GroupsClaim(app.AppID, u.ID, tenant.SAMLToken); err == nil && gc.Emit {
		overage = overage || gc.Overage
		user.Groups = gc.IDs
	}
	if overage {
		user.Groups = nil
	}
	signing, err := p.samlSigningFor(*app, f)
	if err != nil {
		return nil, nil, err
	}
	enc, err := p.encryptionCert(app)
	if err != nil {
		return nil, nil, err
	}
	resp, err := entrasaml.BuildResponse(entrasaml.ResponseOptions{
		TenantID:      p.store.TenantID(),
		Audience:      req.audience,
		ACS:           req.acs,
		InResponseTo:  req.id,
		User:          user,
		NameID:        nameID,
		NameIDFormat:  format,
		GroupsOverage: overage,
		Sign:          f.signMode(app),
		Algorithm:     f.algorithm(app),
		Signer:        signing.signer,
		EncryptTo:     enc,
		Now:           f.tokenTime(p.now()),
		AuthnInstant:  f.authnInstant(req.authTime),
		AuthnContext:  f.authnMethod().classRef,
	})
	if err != nil {
		return nil, nil, err
	}
	return resp.XML, nil, nil
}

// samlIdentityProvider is the identityprovider claim: the tenant's issuer for members
// (left to entrasaml), live.com for guests with a personal Microsoft account, and
// the home tenant's issuer for guests from another directory.
func samlIdentityProvider(u *tenant.User) string {
	switch {
	case !u.Guest:
		return ""
	case u.HomeTenantID == "":
		return "live.com"
	}
	return u.IdentityProvider()
}

// samlNameID picks the NameID value and format: a transient NameID when the request
// or the transient-nameid scenario asks for one, else the app's source; a Format the
// request names wins over the app's.
func (p *IdP) samlNameID(app *tenant.App, u *tenant.User, requested string, f samlFaults) (value, format string, e *aadError) {
	if f.transientNameID || requested == entrasaml.NameIDTransient {
		return "_" + randomID(32), entrasaml.NameIDTransient, nil
	}
	switch app.SAML.NameID {
	case tenant.NameIDMail:
		value, format = u.Mail, entrasaml.NameIDEmail
		if f.noEmail {
			value = ""
		}
		if value == "" {
			return "", "", &aadError{http.StatusBadRequest, "invalid_request", 501241, fmt.Sprintf(
				"The attribute user.mail, the source of the Name ID (Unique User Identifier) of the application '%s', is empty for the user '%s'.", app.AppID, u.UPN)}
		}
	case tenant.NameIDObjectID:
		value, format = u.ID, entrasaml.NameIDUnspecified
	case tenant.NameIDPersistent:
		value, format = p.store.Sub(u.ID, app.AppID), entrasaml.NameIDPersistent
	default:
		value, format = u.UPN, entrasaml.NameIDEmail
	}
	if requested != "" && requested != entrasaml.NameIDUnspecified {
		format = requested
	}
	return value, format, nil
}

// encryptionCert is the app's SP encryption certificate, or nil when it has none.
func (p *IdP) encryptionCert(app *tenant.App) (*x509.Certificate, error) {
	s := app.SAML.EncryptionCert
	if s == "" {
		return nil, nil
	}
	if c, ok := p.samlEnc.Load(s); ok {
		return c.(*x509.Certificate), nil
	}
	b, _ := pem.Decode([]byte(s))
	if b == nil {
		return nil, errors.New("the app's encryption certificate is not PEM")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("the app's encryption certificate: %w", err)
	}
	p.samlEnc.Store(s, c)
	return c, nil
}

// postToACS answers with the auto-submitting form that carries the Response to the
// reply URL, as Entra always answers by HTTP-POST.
func (p *IdP) postToACS(w http.ResponseWriter, req *samlAuthn, xml []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	// The page is written in three pieces around the base64 Response, with its length
	// known, so the Response is encoded once and never copied into a page or chunked.
	posted := make([]byte, base64.StdEncoding.EncodedLen(len(xml)))
	base64.StdEncoding.Encode(posted, xml)
	p.issued(IssuedSAMLResponse, posted)
	head, tail := entrasaml.AutoPostFormParts(req.acs, req.relayState)
	h.Set("Content-Length", strconv.Itoa(len(head)+len(posted)+len(tail)))
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, head)
	w.Write(posted)
	io.WriteString(w, tail)
}

// samlStatus sends an error back to the reply URL: an unsigned Response with the status
// and the AADSTS text (with Entra's trace line) in StatusMessage.
func (p *IdP) samlStatus(w http.ResponseWriter, r *http.Request, req *samlAuthn, code, sub string, e *aadError) {
	p.log.Info("refused", "endpoint", r.URL.Path, "aadsts", e.code, "delivery", "saml status", "client_id", req.app.AppID)
	resp, err := entrasaml.BuildResponse(entrasaml.ResponseOptions{
		TenantID:     p.store.TenantID(),
		ACS:          req.acs,
		InResponseTo: req.id,
		Status:       &entrasaml.Status{Code: code, SubCode: sub, Message: p.errorBody(r, e).ErrorDescription},
		Sign:         entrasaml.SignNone,
		Now:          p.now(),
	})
	if err != nil {
		p.errorPage(w, r, e)
		return
	}
	p.postToACS(w, req, resp.XML)
}

// checkRequestSignature verifies an AuthnRequest against the app's verification
// certificate: the query signature for the redirect binding, the enveloped signature
// for POST. nil means it is signed and verifies.
func (p *IdP) checkRequestSignature(msg *samlMessage, app *tenant.App) *aadError {
	cert, err := parseCertPEM(app.SAML.VerificationCert)
	if err != nil {
		return errSAMLUnsigned(app, "the application's verification certificate cannot be read")
	}
	if msg.redirect {
		if msg.signature == "" {
			return errSAMLUnsigned(app, "")
		}
		var h crypto.Hash
		switch msg.sigAlg {
		case string(entrasaml.RSASHA256):
			h = crypto.SHA256
		case string(entrasaml.RSASHA1):
			h = crypto.SHA1
		default:
			return errSAMLUnsigned(app, fmt.Sprintf("the SigAlg '%s' is not RSA-SHA256 or RSA-SHA1", msg.sigAlg))
		}
		sig, err := base64.StdEncoding.DecodeString(msg.signature)
		pub, ok := cert.PublicKey.(*rsa.PublicKey)
		if err != nil || !ok {
			return errSAMLUnsigned(app, "the signature cannot be read")
		}
		d := h.New()
		d.Write([]byte(msg.signedOctets))
		if rsa.VerifyPKCS1v15(pub, h, d.Sum(nil), sig) != nil {
			return errSAMLUnsigned(app, "the signature does not verify with the application's verification certificate")
		}
		return nil
	}
	if childNS(msg.root, entrasaml.NSDSig, "Signature") == nil {
		return errSAMLUnsigned(app, "")
	}
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
	vc.IdAttribute = "ID"
	if _, err := vc.Validate(msg.root); err != nil {
		return errSAMLUnsigned(app, "the signature does not verify with the application's verification certificate")
	}
	return nil
}

func parseCertPEM(s string) (*x509.Certificate, error) {
	b, _ := pem.Decode([]byte(s))
	if b == nil {
		return nil, errors.New("not PEM")
	}
	return x509.ParseCertificate(b.Bytes)
}

// samlLogout answers a LogoutRequest: it ends the browser's session and redirects a
// LogoutResponse to the app's logout URL, or shows the signed-out page when the app
// has none.
func (p *IdP) samlLogout(w http.ResponseWriter, r *http.Request, msg *samlMessage) {
	id := msg.root.SelectAttrValue("ID", "")
	issuer := ""
	if el := childNS(msg.root, entrasaml.NSAssertion, "Issuer"); el != nil {
		issuer = strings.TrimSpace(el.Text())
	}
	app, ok := p.store.AppByIdentifierURI(issuer)
	if !ok {
		p.errorPage(w, r, errAppNotFound(http.StatusBadRequest, issuer, p.directoryName()))
		return
	}
	p.endSession(w, r)
	if app.SAML.LogoutURL == "" {
		renderPage(w, http.StatusOK, pageData{Title: "You signed out of your account", Message: "It’s a good idea to close all browser windows."})
		return
	}
	xml, _, err := entrasaml.BuildLogoutResponse(entrasaml.LogoutResponseOptions{
		TenantID:     p.store.TenantID(),
		Issuer:       p.base + "/" + p.store.TenantID() + "/",
		Destination:  app.SAML.LogoutURL,
		InResponseTo: id,
		Now:          p.now(),
	})
	if err == nil {
		var to string
		if to, err = entrasaml.RedirectURL(app.SAML.LogoutURL, "SAMLResponse", xml, msg.relayState, nil, ""); err == nil {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
	}
	p.log.Error("saml logout response", "client_id", app.AppID, "error", err)
	p.errorPage(w, r, errSAMLInvalid("The LogoutResponse could not be built."))
}

// endSession forgets the browser's session and clears its cookie.
func (p *IdP) endSession(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		p.mu.Lock()
		delete(p.state.sessions, c.Value)
		p.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: strings.HasPrefix(p.base, "https://"), SameSite: http.SameSiteLaxMode})
}

// federationMetadata serves the tenant's federation metadata, or with ?appid= the
// app-specific document: every signing certificate of the app (the active one first,
// then those waiting in a rollover), signed, with a byte order mark as Entra has
// served it. The tenant document lists the tenant's token signing keys, which do not
// sign an app's SAML responses: SPs need the app-specific one.
func (p *IdP) federationMetadata(w http.ResponseWriter, r *http.Request) {
	seg := r.PathValue("tenant")
	if !p.store.Resolves(seg) {
		p.errorPage(w, r, errTenantNotFound(seg))
		return
	}
	o := entrasaml.MetadataOptions{TenantID: p.store.TenantID(), Endpoint: p.SAMLEndpoint()}
	if appID := r.URL.Query().Get("appid"); appID != "" {
		app, ok := p.store.AppByID(appID)
		if !ok {
			p.errorPage(w, r, errAppNotFound(http.StatusNotFound, appID, p.directoryName()))
			return
		}
		s, err := p.samlSigningFor(app, p.samlFaultsFor(app.AppID))
		if err != nil {
			p.log.Error("saml metadata", "client_id", app.AppID, "error", err)
			http.Error(w, "signing certificate unavailable", http.StatusInternalServerError)
			return
		}
		o.Certs, o.Signer, o.BOM = s.certs, s.signer, true
	} else {
		for _, k := range p.keys {
			o.Certs = append(o.Certs, k.Cert)
		}
		o.Signer = &entrasaml.KeyPair{Key: p.keys[0].Key, Cert: p.keys[0].Cert}
	}
	md, err := entrasaml.BuildMetadata(o)
	if err != nil {
		p.log.Error("saml metadata", "error", err)
		http.Error(w, "metadata unavailable", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Write(md)
}

// UserAccessURL is the app's "User access URL" (My Apps launcher), where a signed-in
// user starts an IdP-initiated SAML sign-in, as the My Apps tile and the portal's Test
// button do.
func (p *IdP) UserAccessURL(appID string) string {
	return p.base + "/api/signin/" + appID + "?tenantId=" + p.store.TenantID()
}

// samlIdPInitiated is the My Apps launch of a SAML app: the user signs in (or has a
// session), and Entra posts an unsolicited Response (no InResponseTo) to the app's
// default reply URL, for its first identifier, with the app's configured relay state.
func (p *IdP) samlIdPInitiated(w http.ResponseWriter, r *http.Request) {
	appID := r.PathValue("appid")
	if tid := r.URL.Query().Get("tenantId"); tid != "" && !p.store.Resolves(tid) {
		p.errorPage(w, r, errTenantNotFound(tid))
		return
	}
	if !validAppID(appID) {
		p.errorPage(w, r, errInvalidAppID(appID))
		return
	}
	app, ok := p.store.AppByID(appID)
	if !ok {
		p.errorPage(w, r, errAppNotFound(http.StatusBadRequest, appID, p.directoryName()))
		return
	}
	if len(app.IdentifierURIs) == 0 || len(app.RedirectURIs) == 0 {
		p.errorPage(w, r, errSAMLInvalidCode(75005, fmt.Sprintf("The application '%s' has no Identifier (Entity ID) and Reply URL for SAML single sign-on, so it cannot be signed in to from My Apps.", app.AppID)))
		return
	}
	f := p.samlFaultsFor(app.AppID)
	p.delay(f.faults)
	req := &samlAuthn{issuer: app.IdentifierURIs[0], audience: app.IdentifierURIs[0], app: app,
		acs: app.RedirectURIs[0], relayState: app.SAML.RelayState}
	p.SignIn(w, r, app, SignInOptions{},
		func(w http.ResponseWriter, r *http.Request, u *tenant.User, authTime time.Time) {
			req.authTime = authTime
			p.samlFinish(w, r, req, u)
		})
}

// inflaters are reused: a DEFLATE reader holds tens of kilobytes of tables, which a
// fresh one per AuthnRequest would allocate (and the collector reclaim) every login.
var inflaters sync.Pool

// inflate decompresses a redirect-binding message, reading at most one byte past
// maxSAMLInflated so the caller can tell it is too large.
func inflate(b []byte) ([]byte, error) {
	src := bytes.NewReader(b)
	var fr io.ReadCloser
	if v := inflaters.Get(); v != nil {
		fr = v.(io.ReadCloser)
		if err := fr.(flate.Resetter).Reset(src, nil); err != nil {
			return nil, err
		}
	} else {
		fr = flate.NewReader(src)
	}
	defer inflaters.Put(fr)
	return io.ReadAll(io.LimitReader(fr, maxSAMLInflated+1))
}
