package sp

import (
	"context"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// maxCallbackBytes bounds a callback's form body. Entra's SAMLResponse for a user with
// many groups is tens of kilobytes; a megabyte leaves room and stays safe.
const maxCallbackBytes = 1 << 20

// callback is one request the loopback listener accepted: its parameters (query or
// form) and when it came.
type callback struct {
	params url.Values
	at     time.Time
}

// checkFunc decides whether a callback belongs to the login in flight. A non-nil error
// refuses it with that sentence; the login keeps waiting for the right one.
type checkFunc func(params url.Values) error

// loopback is the listener a login's callback arrives on.
type loopback struct {
	ln      net.Listener
	srv     *http.Server
	uri     string // the callback URL with its real port
	path    string
	methods []string
	check   checkFunc
	now     func() time.Time

	mu       sync.Mutex
	accepted bool
	got      chan callback
}

// errNotLoopback is a redirect URI the SP cannot listen on.
type errNotLoopback struct{ uri string }

func (e *errNotLoopback) Error() string {
	return fmt.Sprintf("the SP receives the answer on this computer only, so its callback must be an http://127.0.0.1:PORT/… URL; %q is not: register http://127.0.0.1/callback (or /saml/acs) in Entra and use it", e.uri)
}

// listenLoopback parses a callback URL (http, host 127.0.0.1 or localhost, any port,
// 0 meaning any free one) and listens on it.
func listenLoopback(raw string, methods []string, check checkFunc, now func() time.Time) (*loopback, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
		(u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost") {
		return nil, &errNotLoopback{raw}
	}
	port := 0
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 0 || port > 65535 {
			return nil, &errNotLoopback{raw}
		}
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	// 127.0.0.1 even for localhost: a name could resolve to another interface, and
	// Entra matches both while ignoring the port (RFC 8252 §7.3).
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		if addrInUse(err) {
			return nil, fmt.Errorf("port %d on 127.0.0.1 is already in use by another program; close it, or choose another port in the callback URL (port 0 takes any free one, and Entra ignores the port of http://127.0.0.1 redirect URIs)", port)
		}
		return nil, fmt.Errorf("listen on 127.0.0.1:%d for the callback: %w", port, err)
	}
	real := *u
	real.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	l := &loopback{ln: ln, uri: real.String(), path: path, methods: methods, check: check, now: now, got: make(chan callback, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("/", l.serve)
	l.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	return l, nil
}

// start serves callbacks. It comes after listen because the callback URL (its port)
// goes into the request that check compares against.
func (l *loopback) start() {
	go l.srv.Serve(l.ln)
}

// close stops the listener; a callback arriving after it finds nobody.
func (l *loopback) close() {
	l.ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	l.srv.Shutdown(ctx)
}

// wait returns the accepted callback, or an error when ctx ends or timeout passes.
func (l *loopback) wait(ctx context.Context, timeout time.Duration) (callback, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case cb := <-l.got:
		return cb, nil
	case <-ctx.Done():
		return callback{}, ctx.Err()
	case <-t.C:
		return callback{}, context.DeadlineExceeded
	}
}

// isLoopbackHost reports whether a Host header names this computer.
func isLoopbackHost(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func (l *loopback) serve(w http.ResponseWriter, r *http.Request) {
	// A page on another site can make the browser send requests here, and a DNS
	// rebinding attack can make them look same-origin; only a request addressed to a
	// loopback name, from this computer, is a callback.
	peer, _, _ := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(peer); ip == nil || !ip.IsLoopback() {
		refuse(w, http.StatusForbidden, "This callback accepts requests from this computer only.")
		return
	}
	if !isLoopbackHost(r.Host) {
		refuse(w, http.StatusForbidden, "This callback answers only requests addressed to 127.0.0.1 or localhost.")
		return
	}
	if r.URL.Path != l.path {
		refuse(w, http.StatusNotFound, "Nothing here: the login's callback is "+l.path+".")
		return
	}
	allowed := false
	for _, m := range l.methods {
		allowed = allowed || r.Method == m
	}
	if !allowed {
		refuse(w, http.StatusMethodNotAllowed, "The callback does not take "+r.Method+" requests.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxCallbackBytes)
	if err := r.ParseForm(); err != nil {
		refuse(w, http.StatusBadRequest, "The callback's parameters could not be read.")
		return
	}
	params := r.Form
	if r.Method == http.MethodPost {
		params = r.PostForm
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.accepted {
		refuse(w, http.StatusConflict, "This login has already received its answer; a second one is refused. Start a new test login.")
		return
	}
	if err := l.check(params); err != nil {
		refuse(w, http.StatusBadRequest, "Refused: "+err.Error()+".")
		return
	}
	l.accepted = true
	l.got <- callback{params: params, at: l.now()}
	page(w, http.StatusOK, "Test login received", "ssowizard has the answer and is checking it. You can close this window.")
}

var pageTmpl = template.Must(template.New("p").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body style="font-family:sans-serif;margin:60px auto;max-width:560px"><h1 id="sp-result">{{.Title}}</h1><p>{{.Text}}</p></body></html>
`))

func page(w http.ResponseWriter, status int, title, text string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	pageTmpl.Execute(w, struct{ Title, Text string }{title, text})
}

func refuse(w http.ResponseWriter, status int, text string) {
	page(w, status, "Callback refused", text)
}
