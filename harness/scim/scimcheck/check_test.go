package scimcheck_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ssowizard/ssowizard/harness/scim/scimcheck"
	"github.com/ssowizard/ssowizard/harness/scim/scimclient"
	"github.com/ssowizard/ssowizard/harness/scim/scimserver"
)

const token = "test-token"

// receiver serves the embedded SCIM server at /scim, optionally behind a wrapper
// that changes one behaviour the way a vendor might.
func receiver(t *testing.T, wrap func(http.Handler) http.Handler) (*scimserver.Server, string) {
	t.Helper()
	s := scimserver.New(scimserver.Options{BearerToken: token})
	var h http.Handler = http.StripPrefix("/scim", s)
	if wrap != nil {
		h = wrap(h)
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/", h)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return s, ts.URL + "/scim"
}

func run(t *testing.T, url, tok string) *scimcheck.Report {
	t.Helper()
	rep, err := scimcheck.Run(context.Background(), scimcheck.Options{TenantURL: url, Auth: scimclient.Auth{BearerToken: tok}})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

func dump(rep *scimcheck.Report) string {
	b, _ := json.MarshalIndent(rep.Checks, "", " ")
	return string(b) + "\nstopped: " + rep.Stopped
}

func TestEmbeddedReceiverPassesBothModes(t *testing.T) {
	s, url := receiver(t, nil)
	rep := run(t, url, token)
	if !rep.OK {
		t.Fatalf("report not OK:\n%s", dump(rep))
	}
	if n := len(rep.Checks); n != 2*14 {
		t.Errorf("%d checks, want %d:\n%s", n, 2*14, dump(rep))
	}
	if u, g := s.Users(), s.Groups(); len(u) != 0 || len(g) != 0 {
		t.Errorf("left behind %d users and %d groups", len(u), len(g))
	}
	// Entra's default dialect reached the server as documented.
	var sawFalse, sawBool, sawPathless bool
	for _, r := range s.Requests() {
		sawFalse = sawFalse || strings.Contains(r.Body, `{"op":"Replace","path":"active","value":"False"}`)
		sawBool = sawBool || strings.Contains(r.Body, `{"op":"replace","path":"active","value":false}`)
		sawPathless = sawPathless || strings.Contains(r.Body, `{"op":"replace","value":{`)
	}
	if !sawFalse || !sawBool || !sawPathless {
		t.Errorf("requests: default disable seen %v, compliant disable seen %v, pathless replace seen %v; want all", sawFalse, sawBool, sawPathless)
	}
}

func TestWrongTokenStopsWithOneSentence(t *testing.T) {
	s, url := receiver(t, nil)
	rep := run(t, url, "wrong")
	if rep.OK || !strings.Contains(rep.Stopped, "refused the credentials (HTTP 401)") {
		t.Fatalf("Stopped = %q, OK = %v; want the 401 sentence", rep.Stopped, rep.OK)
	}
	if len(s.Requests()) != 1 {
		t.Errorf("%d requests after a 401, want 1 (Test Connection only)", len(s.Requests()))
	}
}

func TestNotSCIMStops(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html>login</html>"))
	}))
	defer ts.Close()
	rep := run(t, ts.URL+"/scim", token)
	if rep.OK || !strings.Contains(rep.Stopped, "did not answer as a SCIM service") {
		t.Fatalf("Stopped = %q; want the not-SCIM sentence", rep.Stopped)
	}
}

func TestPlainHTTPRefusedUnlessLoopback(t *testing.T) {
	_, err := scimcheck.Run(context.Background(), scimcheck.Options{TenantURL: "http://scim.example.com/scim"})
	if err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Fatalf("Run(http non-loopback) = %v, want the plain-http refusal", err)
	}
}

// A vendor that reads booleans strictly, as scimmy does, breaks on Entra's default
// disable and works with the flag; the check says so and cleans up either way.
func TestStringActiveRejectedReportsFlag(t *testing.T) {
	strict := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPatch {
				var body strings.Builder
				buf := make([]byte, 4096)
				n, _ := r.Body.Read(buf)
				body.Write(buf[:n])
				if strings.Contains(body.String(), `"value":"False"`) {
					w.Header().Set("Content-Type", "application/scim+json")
					w.WriteHeader(400)
					w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidValue","detail":"active must be boolean"}`))
					return
				}
				r.Body = http.NoBody
				r2 := r.Clone(r.Context())
				r2.Body = ioNopCloser(body.String())
				r2.ContentLength = int64(body.Len())
				next.ServeHTTP(w, r2)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	s, url := receiver(t, strict)
	rep := run(t, url, token)
	if rep.OK {
		t.Fatalf("report OK, want the disable failure:\n%s", dump(rep))
	}
	var failed []string
	for _, c := range rep.Checks {
		if c.Result == scimcheck.Fail {
			failed = append(failed, c.Mode+"/"+c.Step)
			if !strings.Contains(c.Fix, "aadOptscim062020") {
				t.Errorf("fix %q does not mention the flag", c.Fix)
			}
		}
	}
	if strings.Join(failed, ",") != "entra-default/disable user" {
		t.Errorf("failed checks = %v, want only entra-default/disable user\n%s", failed, dump(rep))
	}
	if u, g := s.Users(), s.Groups(); len(u) != 0 || len(g) != 0 || len(rep.Leftovers) != 0 {
		t.Errorf("left behind %d users, %d groups, leftovers %v", len(u), len(g), rep.Leftovers)
	}
}

func ioNopCloser(s string) *nopCloser { return &nopCloser{strings.NewReader(s)} }

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

// An endpoint that stores a user and then answers the POST with an error leaves no id
// to delete; the check finds the user by its userName and deletes it anyway.
func TestCreatedDespiteErrorIsCleanedUp(t *testing.T) {
	lying := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/Users") {
				next.ServeHTTP(httptest.NewRecorder(), r)
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusBadGateway)
				w.Write([]byte("<html>bad gateway</html>"))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	s, url := receiver(t, lying)
	rep := run(t, url, token)
	if rep.OK {
		t.Fatalf("report OK despite failed creates:\n%s", dump(rep))
	}
	if u := s.Users(); len(u) != 0 || len(rep.Leftovers) != 0 {
		t.Errorf("left %d users behind, leftovers %v", len(u), rep.Leftovers)
	}
}
