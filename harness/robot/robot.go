// Package robot is a scripted browser that signs in at the harness the way a person
// would: it opens a sign-in URL, follows redirects, fills the login form with one
// seeded test user's name and password, accepts the consent page, and posts the
// auto-posting forms (SAML's to the ACS, OIDC's form_post) on to the loopback SP, until
// a page has no form left to submit. It is what completes the test step's sign-in when
// the wizard runs against the harness with no person at the keyboard.
//
// It goes only where a test login should: to the origin of the URL it was given (the
// harness) and to this computer's loopback addresses (the SP's callback). A redirect or
// a form anywhere else is refused with ErrUnsafeTarget before anything is sent, and the
// password is posted to the harness's origin only.
package robot

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ssowizard/ssowizard/entra"
)

// Bounds of one play: a sign-in takes three or four pages, consent one more.
const (
	maxSteps       = 10               // forms submitted
	maxRedirects   = 10               // per request, as browsers bound them
	maxBody        = 1 << 20          // bytes of a page read
	requestTimeout = 30 * time.Second // per request, when the client sets none
	openTimeout    = 2 * time.Minute  // a whole play started by Open
)

// ErrUnsafeTarget is wrapped by Play's error when a redirect or a form leads away from
// the harness and this computer; nothing was sent there.
var ErrUnsafeTarget = errors.New("robot: refused to leave the harness and this computer")

// ErrSignInRefused is wrapped by Play's error when the login form came back after the
// test user's name and password were submitted: the harness refused them. The page
// returned beside it shows why (Page.AADSTS).
var ErrSignInRefused = errors.New("robot: the harness refused the test user's sign-in")

// Page is where the browser is: the page's final URL (after redirects; it may carry the
// callback's query), its status and its body (at most 1 MiB).
type Page struct {
	URL    string
	Status int
	Body   string

	// delivered is an AADSTS code in an answer the browser carried on to the SP (a
	// SAMLResponse's StatusMessage, a form_post error_description), which the SP's own
	// page does not repeat.
	delivered int
}

// AADSTS returns the Entra error code the sign-in ended with, or 0: the code shown on
// the page (Entra's error page, or the login page after a refused password), else the
// one in the URL's error_description (an OIDC error redirected to the callback), else
// one in an answer the browser posted to the SP on its way here (a SAML error status).
func (p Page) AADSTS() int {
	if n := entra.CodeIn(p.Body); n != 0 {
		return n
	}
	if u, err := url.Parse(p.URL); err == nil {
		if n := entra.CodeIn(u.Query().Get("error_description")); n != 0 {
			return n
		}
	}
	return p.delivered
}

// Browser is one person's browser: a cookie jar (so a second sign-in finds the first's
// session, as in a real browser) and the test user it types in. Safe for concurrent use.
type Browser struct {
	c        *http.Client
	login    string
	password string

	mu     sync.Mutex
	runs   []*run        // opened and not yet waited for, oldest first
	opened chan struct{} // closed (and replaced) by each Open, to wake Wait
}

// run is one play started by Open.
type run struct {
	done chan struct{}
	page Page
	err  error
}

// originKey carries the origin a play started at to the client's redirect check.
type originKey struct{}

// New returns a browser that signs in as login with password. client is copied (nil
// means a default one) and given a cookie jar of its own, a timeout per request when
// it has none, and a redirect policy: at most 10 in a row, and never away from the
// harness and this computer. For the harness, pass harness.Server.Client(), which
// trusts the harness CA.
func New(client *http.Client, login, password string) *Browser {
	c := &http.Client{}
	if client != nil {
		*c = *client
	}
	c.Jar, _ = cookiejar.New(nil) // never fails without options
	if c.Timeout == 0 {
		c.Timeout = requestTimeout
	}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("robot: more than %d redirects in a row", maxRedirects)
		}
		origin, _ := req.Context().Value(originKey{}).(string)
		if !allowed(origin, req.URL) {
			// Stop here and hand back the redirect, for Play to refuse by name.
			return http.ErrUseLastResponse
		}
		return nil
	}
	return &Browser{c: c, login: login, password: password, opened: make(chan struct{})}
}

// Play opens url and goes on as a person would: follows redirects, fills the login
// form, accepts the consent page, posts auto-posting forms (to the loopback SP
// included), until a page has no form it can submit, and returns that page. It stops
// with an error after 10 forms, at a redirect or form leading elsewhere than url's
// origin and loopback (ErrUnsafeTarget), and when the login form comes back after the
// password was submitted (ErrSignInRefused); the page returned beside an error is the
// last one reached.
func (b *Browser) Play(ctx context.Context, rawURL string) (Page, error) {
	start, err := parseStart(rawURL)
	if err != nil {
		return Page{}, err
	}
	origin := originOf(start)
	ctx = context.WithValue(ctx, originKey{}, origin)

	p, err := b.do(ctx, http.MethodGet, start, nil)
	delivered := 0
	signedIn := false
	for step := 0; ; step++ {
		p.delivered = delivered
		if err != nil {
			return p, err
		}
		base, perr := url.Parse(p.URL)
		if perr != nil {
			return p, nil // cannot happen: the URL is the one just requested
		}
		f, ok := chooseForm(p.Body, base)
		if !ok {
			return p, nil
		}
		if step == maxSteps {
			return p, fmt.Errorf("robot: still given forms after %d; the sign-in does not end", maxSteps)
		}
		if !allowed(origin, f.action) {
			return p, fmt.Errorf("%w: a form posts to %s", ErrUnsafeTarget, redact(f.action))
		}
		if f.password {
			if signedIn {
				return p, refused(p)
			}
			if originOf(f.action) != origin {
				return p, fmt.Errorf("%w: the login form posts to %s, not to the harness %s", ErrUnsafeTarget, redact(f.action), origin)
			}
			f.values.Set("login", b.login)
			f.values.Set("passwd", b.password)
			signedIn = true
		}
		if n := carriedCode(f.values); n != 0 {
			delivered = n
		}
		p, err = b.submit(ctx, f)
	}
}

func parseStart(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("robot: the sign-in address is not an http or https URL; give the URL the SP opens")
	}
	return u, nil
}

func refused(p Page) error {
	if code := p.AADSTS(); code != 0 {
		return fmt.Errorf("%w (AADSTS%d); check the test user's name and password in the harness tenant", ErrSignInRefused, code)
	}
	return fmt.Errorf("%w; check the test user's name and password in the harness tenant", ErrSignInRefused)
}

// carriedCode is an AADSTS code in an answer posted on to the SP.
func carriedCode(v url.Values) int {
	if n := entra.CodeIn(v.Get("error_description")); n != 0 {
		return n
	}
	if s := v.Get("SAMLResponse"); s != "" {
		if xml, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s)); err == nil {
			return entra.CodeIn(string(xml))
		}
	}
	return 0
}

// Open is an sp.Common.Open: it plays url in the background (for at most two minutes)
// and returns at once. Wait returns where the play ended.
func (b *Browser) Open(rawURL string) error {
	if _, err := parseStart(rawURL); err != nil {
		return err
	}
	r := &run{done: make(chan struct{})}
	b.mu.Lock()
	b.runs = append(b.runs, r)
	close(b.opened)
	b.opened = make(chan struct{})
	b.mu.Unlock()
	go func() {
		defer close(r.done)
		ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
		defer cancel()
		r.page, r.err = b.Play(ctx, rawURL)
	}()
	return nil
}

// Wait returns the page and error of the oldest play started by Open that has not been
// waited for, once it has ended. With none started yet it waits for the next Open
// (the SP calls Open from its own goroutine, perhaps after Wait is called). It returns
// ctx's error when ctx ends first, leaving the play to a later Wait.
func (b *Browser) Wait(ctx context.Context) (Page, error) {
	var r *run
	for r == nil {
		b.mu.Lock()
		if len(b.runs) > 0 {
			r = b.runs[0]
		}
		opened := b.opened
		b.mu.Unlock()
		if r != nil {
			break
		}
		select {
		case <-opened:
		case <-ctx.Done():
			return Page{}, ctx.Err()
		}
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		return Page{}, ctx.Err()
	}
	b.mu.Lock()
	if len(b.runs) > 0 && b.runs[0] == r {
		b.runs = b.runs[1:]
	}
	b.mu.Unlock()
	return r.page, r.err
}

// submit sends a form as a browser does: POST as a urlencoded body, GET as the query.
func (b *Browser) submit(ctx context.Context, f form) (Page, error) {
	if f.method == http.MethodGet {
		u := *f.action
		u.RawQuery = f.values.Encode()
		return b.do(ctx, http.MethodGet, &u, nil)
	}
	return b.do(ctx, http.MethodPost, f.action, f.values)
}

// do makes one request, its redirects followed, and reads the page it ends on.
func (b *Browser) do(ctx context.Context, method string, u *url.URL, form url.Values) (Page, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return Page{}, fmt.Errorf("robot: %s %s: %w", method, redact(u), err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		return Page{URL: u.String()}, fmt.Errorf("robot: %s %s: %w", method, redact(u), unwrapURLError(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	p := Page{URL: resp.Request.URL.String(), Status: resp.StatusCode, Body: string(data)}
	if err != nil {
		return p, fmt.Errorf("robot: read %s: %w", redact(resp.Request.URL), err)
	}
	if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		// The redirect check stopped here: the next hop is not the harness or loopback.
		next, err := resp.Request.URL.Parse(loc)
		if err != nil {
			return p, fmt.Errorf("robot: %s redirects to an unreadable Location", redact(resp.Request.URL))
		}
		return p, fmt.Errorf("%w: a redirect leads to %s", ErrUnsafeTarget, redact(next))
	}
	return p, nil
}

// unwrapURLError drops url.Error's repetition of the method and the whole URL, which
// can carry codes and tokens in its query.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redact is a URL without its query and fragment, for messages.
func redact(u *url.URL) string {
	c := *u
	c.RawQuery, c.Fragment, c.User = "", "", nil
	return c.String()
}

// originOf is scheme://host:port, lower case, with the default port made explicit.
func originOf(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// allowed reports whether the browser may go to u from a play that started at origin:
// that origin (the harness), or http(s) on this computer's loopback (the SP).
func allowed(origin string, u *url.URL) bool {
	if u == nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
		return false
	}
	if origin != "" && originOf(u) == origin {
		return true
	}
	h := strings.ToLower(u.Hostname())
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
