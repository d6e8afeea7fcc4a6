package sp

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/crewjam/saml"
	"github.com/crewjam/saml/samlsp"

	"github.com/ssowizard/ssowizard/inspect"
)

// DefaultACS is the ACS the SAML login listens on: any free port, as Entra ignores the
// port of http://127.0.0.1 reply URLs.
const DefaultACS = "http://127.0.0.1:0/saml/acs"

// SAMLConfig configures a SAML test login.
type SAMLConfig struct {
	Common
	// IdPMetadata is the IdP's metadata document (Entra's App Federation Metadata,
	// a byte order mark allowed). Every signing certificate it lists is trusted.
	IdPMetadata []byte
	// EntityID is the SP's Entity ID: the Identifier registered in Entra.
	EntityID string
	// ACS is the loopback reply URL; empty means DefaultACS.
	ACS string
	// Key and Certificate are the SP's own key pair, published in its metadata and used
	// to decrypt encrypted assertions; nil generates one for this SP's lifetime.
	Key         crypto.Signer
	Certificate *x509.Certificate
}

// SAML is a SAML service provider bound to one IdP.
type SAML struct {
	cfg    SAMLConfig
	idp    *saml.EntityDescriptor
	certs  []*x509.Certificate
	ssoURL string
	busy   sync.Mutex

	mu   sync.Mutex
	seen map[string]bool // response and assertion IDs accepted: each is accepted once
}

// NewSAML reads the IdP metadata and prepares the SP.
func NewSAML(cfg SAMLConfig) (*SAML, error) {
	if cfg.EntityID == "" {
		return nil, errors.New("no Entity ID: give the Identifier (Entity ID) registered in Entra's Basic SAML Configuration")
	}
	md := bytes.TrimPrefix(cfg.IdPMetadata, []byte("\xef\xbb\xbf"))
	parsed, err := inspect.ParseMetadata(md)
	if err != nil {
		return nil, fmt.Errorf("the IdP metadata does not parse (%v): download the App Federation Metadata again", err)
	}
	if len(parsed.SigningCerts) == 0 {
		return nil, errors.New("the IdP metadata lists no signing certificate: download the App Federation Metadata again")
	}
	ed, err := samlsp.ParseMetadata(md)
	if err != nil {
		return nil, fmt.Errorf("the IdP metadata does not parse (%v): download the App Federation Metadata again", err)
	}
	s := &SAML{cfg: cfg, idp: ed, certs: parsed.SigningCerts, seen: map[string]bool{}}
	s.ssoURL = s.sp(nil).GetSSOBindingLocation(saml.HTTPRedirectBinding)
	if s.ssoURL == "" {
		return nil, errors.New("the IdP metadata has no SingleSignOnService for the HTTP-Redirect binding")
	}
	if s.cfg.Key == nil || s.cfg.Certificate == nil {
		if s.cfg.Key, s.cfg.Certificate, err = selfSigned(cfg.EntityID, cfg.now()); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// maxMetadataBytes bounds an IdP metadata document; Entra's is about 20 KB.
const maxMetadataBytes = 1 << 20

// LoadIdPMetadata reads IdP metadata from an https URL (plain http only on loopback,
// since metadata carries the certificates every response is trusted by) with client,
// or from a file.
func LoadIdPMetadata(ctx context.Context, client *http.Client, src string) ([]byte, error) {
	if !strings.HasPrefix(src, "https://") && !strings.HasPrefix(src, "http://") {
		b, err := os.ReadFile(src)
		if err != nil {
			return nil, fmt.Errorf("read the IdP metadata: %w", err)
		}
		return b, nil
	}
	u, err := url.Parse(src)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%q is not a URL", src)
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Host) {
		return nil, fmt.Errorf("refusing IdP metadata over plain http from %s: use the https URL", u.Host)
	}
	if client == nil {
		client = http.DefaultClient
	}
	b, err := getDoc(ctx, client, src, "")
	if err != nil {
		return nil, fmt.Errorf("fetch the IdP metadata: %w", err)
	}
	return b, nil
}

// selfSigned makes the SP's key pair.
func selfSigned(cn string, now time.Time) (crypto.Signer, *x509.Certificate, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, fmt.Errorf("generate the SP key: %w", err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("make the SP certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	return key, cert, err
}

// sp is crewjam's SP for one ACS URL (nil: the configured one, port dropped).
func (s *SAML) sp(acs *url.URL) *saml.ServiceProvider {
	if acs == nil {
		acs = s.registeredACS()
	}
	return &saml.ServiceProvider{
		EntityID:    s.cfg.EntityID,
		Key:         s.cfg.Key,
		Certificate: s.cfg.Certificate,
		AcsURL:      *acs,
		IDPMetadata: s.idp,
		// Unspecified lets Entra send the Name ID the admin configured, which is what
		// the test must show.
		AuthnNameIDFormat: saml.UnspecifiedNameIDFormat,
	}
}

// registeredACS is the ACS as it is registered: with port 0 (any) the port is left
// out, as Entra matches loopback reply URLs without it.
func (s *SAML) registeredACS() *url.URL {
	raw := s.cfg.ACS
	if raw == "" {
		raw = DefaultACS
	}
	u, err := url.Parse(raw)
	if err != nil {
		return &url.URL{}
	}
	if u.Port() == "0" {
		u.Host = u.Hostname()
	}
	return u
}

// Metadata is the SP's metadata, for the admin to upload in Entra's Basic SAML
// Configuration: Entity ID, ACS (POST binding) and the SP certificate.
func (s *SAML) Metadata() ([]byte, error) {
	ed := s.sp(nil).Metadata()
	// The SP takes the response by POST only: an Artifact endpoint would invite a
	// binding it cannot answer.
	for i := range ed.SPSSODescriptors {
		d := &ed.SPSSODescriptors[i]
		var acs []saml.IndexedEndpoint
		for _, e := range d.AssertionConsumerServices {
			if e.Binding == saml.HTTPPostBinding {
				acs = append(acs, e)
			}
		}
		d.AssertionConsumerServices = acs
	}
	b, err := xml.MarshalIndent(ed, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("write SP metadata: %w", err)
	}
	return append([]byte(xml.Header), b...), nil
}

// responseHead is what the ACS reads of a response before accepting it as this login's.
type responseHead struct {
	XMLName      xml.Name
	ID           string `xml:"ID,attr"`
	InResponseTo string `xml:"InResponseTo,attr"`
	Assertion    []struct {
		ID string `xml:"ID,attr"`
	} `xml:"Assertion"`
}

func decodeB64(s string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, s))
}

// Login performs one SP-initiated test login: an AuthnRequest by the redirect binding,
// the response POSTed to the loopback ACS, checked by crewjam/saml and explained by the
// inspector. A failed login is a Result with OK false; the error is for logins that
// could not be attempted or were cancelled.
func (s *SAML) Login(ctx context.Context) (*Result, error) {
	if !s.busy.TryLock() {
		return nil, errBusy
	}
	defer s.busy.Unlock()
	c := &s.cfg
	relay, err := c.token(24)
	if err != nil {
		return nil, err
	}
	var requestID string
	check := func(p url.Values) error {
		if p.Get("SAMLResponse") == "" {
			return errors.New("the post carries no SAMLResponse")
		}
		if subtle.ConstantTimeCompare([]byte(p.Get("RelayState")), []byte(relay)) != 1 {
			return errors.New("the RelayState is not the one this login sent: the response answers another sign-in, or was sent unasked")
		}
		x, err := decodeB64(p.Get("SAMLResponse"))
		if err != nil {
			return errors.New("the SAMLResponse is not base64")
		}
		var head responseHead
		if err := xml.Unmarshal(x, &head); err != nil || head.XMLName.Local != "Response" {
			return errors.New("the SAMLResponse is not a SAML Response")
		}
		if head.InResponseTo != requestID {
			return fmt.Errorf("the response answers request %q, not this login's %s: an unsolicited, replayed or misdirected response", head.InResponseTo, requestID)
		}
		return s.once(&head)
	}
	lb, err := listenLoopback(s.acsOrDefault(), []string{http.MethodPost}, check, c.now)
	if err != nil {
		return nil, err
	}
	defer lb.close()
	acs, _ := url.Parse(lb.uri)
	sp := s.sp(acs)
	req, err := sp.MakeAuthenticationRequest(s.ssoURL, saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		return nil, fmt.Errorf("make the AuthnRequest: %w", err)
	}
	// The request's time is the SP's injected clock; crewjam's TimeNow is never touched.
	req.IssueInstant = c.now()
	requestID = req.ID
	u, err := req.Redirect(relay, sp)
	if err != nil {
		return nil, fmt.Errorf("encode the AuthnRequest: %w", err)
	}
	res := &Result{Protocol: ProtocolSAML, SignInURL: u.String(), RedirectURI: lb.uri, RequestID: requestID}
	lb.start()
	started := time.Now()
	if err := c.open(u.String()); err != nil {
		return nil, &OpenError{URL: u.String(), Err: err}
	}
	cb, err := lb.wait(ctx, c.timeout())
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			res.Report = noCallbackReport(inspect.KindSAMLResponse, c.timeout(), err)
			res.finish(started, time.Time{}, time.Now(), false)
			return res, nil
		}
		return nil, fmt.Errorf("login cancelled: %w", err)
	}
	cbAt := time.Now()
	ok := s.finishLogin(res, sp, cb.params.Get("SAMLResponse"), acs)
	res.finish(started, cbAt, time.Now(), ok)
	return res, nil
}

// once accepts a response's and its assertions' IDs the first time only.
func (s *SAML) once(head *responseHead) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := []string{head.ID}
	for _, a := range head.Assertion {
		ids = append(ids, a.ID)
	}
	for _, id := range ids {
		if id != "" && s.seen[id] {
			return fmt.Errorf("the response or assertion %s was already accepted once: a replay", id)
		}
	}
	for _, id := range ids {
		if id != "" {
			s.seen[id] = true
		}
	}
	return nil
}

// LoginIdPInitiated performs an IdP-initiated test login, as My Apps or the portal's
// Test button starts one: the browser opens launchURL (the app's User access URL) and
// Entra posts an unsolicited Response to the registered ACS, which must therefore be
// the configured ACS with its port. Only a response that answers no request is taken
// (one with InResponseTo is someone else's), and the result says it was unsolicited:
// nothing binds such a response to this browser, so an SP should accept it only when,
// as here, it is asked to.
func (s *SAML) LoginIdPInitiated(ctx context.Context, launchURL string) (*Result, error) {
	if !s.busy.TryLock() {
		return nil, errBusy
	}
	defer s.busy.Unlock()
	c := &s.cfg
	if u, err := url.Parse(c.ACS); c.ACS == "" || err != nil || u.Port() == "" || u.Port() == "0" {
		return nil, errors.New("an IdP-initiated login needs the ACS with its port, exactly as registered: Entra posts to the reply URL itself")
	}
	var relay string
	check := func(p url.Values) error {
		if p.Get("SAMLResponse") == "" {
			return errors.New("the post carries no SAMLResponse")
		}
		x, err := decodeB64(p.Get("SAMLResponse"))
		if err != nil {
			return errors.New("the SAMLResponse is not base64")
		}
		var head responseHead
		if err := xml.Unmarshal(x, &head); err != nil || head.XMLName.Local != "Response" {
			return errors.New("the SAMLResponse is not a SAML Response")
		}
		if head.InResponseTo != "" {
			return fmt.Errorf("the response answers request %q, but this IdP-initiated login sent none", head.InResponseTo)
		}
		relay = p.Get("RelayState")
		return s.once(&head)
	}
	lb, err := listenLoopback(c.ACS, []string{http.MethodPost}, check, c.now)
	if err != nil {
		return nil, err
	}
	defer lb.close()
	acs, _ := url.Parse(lb.uri)
	sp := s.sp(acs)
	sp.AllowIDPInitiated = true
	res := &Result{Protocol: ProtocolSAML, SignInURL: launchURL, RedirectURI: lb.uri, Unsolicited: true}
	lb.start()
	started := time.Now()
	if err := c.open(launchURL); err != nil {
		return nil, &OpenError{URL: launchURL, Err: err}
	}
	cb, err := lb.wait(ctx, c.timeout())
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			res.Report = noCallbackReport(inspect.KindSAMLResponse, c.timeout(), err)
			res.finish(started, time.Time{}, time.Now(), false)
			return res, nil
		}
		return nil, fmt.Errorf("login cancelled: %w", err)
	}
	cbAt := time.Now()
	res.RelayState = relay
	ok := s.finishLogin(res, sp, cb.params.Get("SAMLResponse"), acs)
	msg := "The response was unsolicited (IdP-initiated, as from My Apps or the portal's Test button): it answers no request of this SP, so nothing ties it to this browser; it was accepted because this test asked for an IdP-initiated login."
	if relay != "" {
		msg += " RelayState: " + relay + "."
	}
	addFinding(res.Report, CodeUnsolicited, inspect.SeverityInfo, msg,
		"An SP that accepts unsolicited responses must still check the signature, audience, recipient and times, and should send the user to a fixed page, never to a RelayState it does not know.")
	res.finish(started, cbAt, time.Now(), ok)
	return res, nil
}

func (s *SAML) acsOrDefault() string {
	if s.cfg.ACS != "" {
		return s.cfg.ACS
	}
	return DefaultACS
}

// finishLogin verifies the response and explains it; it reports whether crewjam
// accepted it.
func (s *SAML) finishLogin(res *Result, sp *saml.ServiceProvider, b64 string, acs *url.URL) bool {
	c := &s.cfg
	res.Artifact = &Artifact{Kind: "saml_response", Value: b64}
	opts := inspect.Options{Certs: s.certs, CertSource: "metadata", IdPEntityID: s.idp.EntityID,
		SPEntityID: c.EntityID, ACS: acs.String(), RequestID: res.RequestID, Tenant: c.Tenant,
		Now: c.now(), Skew: c.Skew}
	opts.SPKey = c.Key
	res.Report = inspect.Inspect([]byte(b64), opts)
	if st := res.Report.Status; st != nil && st.AADSTS != nil {
		res.AADSTS = st.AADSTS
	}
	failedStatus := res.Report.Status != nil && !strings.HasSuffix(res.Report.Status.Code, ":Success")
	x, _ := decodeB64(b64)
	var possible []string
	if res.RequestID != "" {
		possible = []string{res.RequestID}
	}
	_, err := sp.ParseXMLResponse(x, possible, *acs)
	if err != nil {
		var ire *saml.InvalidResponseError
		reason := err.Error()
		if errors.As(err, &ire) && ire.PrivateErr != nil {
			reason = ire.PrivateErr.Error()
		}
		switch {
		case failedStatus && res.Report.Has(inspect.CodeStatusError):
			// The inspector's status-error says it, with the AADSTS explanation.
		case failedStatus:
			msg := "Entra answered with a SAML Status other than Success"
			fix := "Read the status message."
			if res.AADSTS != nil {
				msg = "Entra answered " + res.AADSTS.Code + ": " + res.AADSTS.Meaning
				fix = res.AADSTS.Fix
			}
			addFinding(res.Report, CodeIdPError, inspect.SeverityError, msg, fix)
		default:
			addFinding(res.Report, CodeSPRejected, inspect.SeverityError,
				"crewjam/saml, the SP library, refused the response: "+reason+".",
				"See the other findings for the cause.")
		}
		return false
	}
	nameIDFinding(res.Report)
	claims := claimMap(res.Report)
	upnDomain(res.Report, first(claims, "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"), c.ExpectedDomain)
	if res.Report.Has(inspect.CodeGroupsOverage) {
		addFinding(res.Report, CodeGroupsOverageUnresolved, inspect.SeverityInfo,
			"The user is in too many groups to list in the assertion; a SAML login brings no token to ask Microsoft Graph for them, so the SP did not resolve them.",
			"The vendor reads groups.link with its own Graph token (GroupMember.Read.All), or the admin assigns groups to the app and sets the groups claim to \"Groups assigned to the application\".")
	}
	return true
}
