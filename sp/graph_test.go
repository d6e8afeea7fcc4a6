package sp_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ssowizard/ssowizard/inspect"
	"github.com/ssowizard/ssowizard/sp"
)

// TestOverageResolvedThroughGraph: with a Graph URL, the SP lists an overage user's
// groups with the access token, as a vendor must. The harness serves no Graph yet, so
// a test server stands in and checks what the SP sent.
func TestOverageResolvedThroughGraph(t *testing.T) {
	srv := startHarness(t)
	var mu sync.Mutex
	var gotAuth, gotPath, gotMethod, gotBody string
	var refuse atomic.Bool
	graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if refuse.Load() {
			http.Error(w, `{"error":{"code":"Authorization_RequestDenied"}}`, http.StatusForbidden)
			return
		}
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		gotAuth, gotPath, gotMethod, gotBody = r.Header.Get("Authorization"), r.URL.Path, r.Method, string(b)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"value": []string{"g1", "g2", "g3"}})
	}))
	defer graph.Close()
	o := newOpener(newBrowser(t, srv, erin, passwords[erin]))
	cfg := oidcConfig(t, srv, o)
	cfg.GraphURL = graph.URL
	cfg.UserInfo = true
	res, err := oidcLogin(t, srv, cfg)
	if err != nil {
		t.Fatal(err)
	}
	o.last(t)
	oid := claim(res, "oid")
	mu.Lock()
	if gotMethod != http.MethodPost || gotPath != "/v1.0/users/"+oid+"/getMemberObjects" ||
		gotAuth != "Bearer "+res.Artifact.AccessToken || !strings.Contains(gotBody, "securityEnabledOnly") {
		t.Errorf("Graph got %s %s auth %q body %q, want POST /v1.0/users/%s/getMemberObjects with the access token", gotMethod, gotPath, gotAuth, gotBody, oid)
	}
	mu.Unlock()
	if !slices.Equal(res.Groups, []string{"g1", "g2", "g3"}) || !hasCode(res, sp.CodeGroupsResolved) || hasCode(res, sp.CodeGroupsOverageUnresolved) {
		t.Errorf("Groups = %v, findings %v, want the three groups resolved", res.Groups, findingCodes(res))
	}
	if !hasCode(res, inspect.CodeGroupsOverage) {
		t.Errorf("findings %v lost the overage itself", findingCodes(res))
	}
	if hasCode(res, sp.CodeUserInfoFailed) {
		t.Errorf("userinfo failed against the harness: %v", res.Report.Findings)
	}

	// Graph refusing is a warning that says why, not a failed login.
	refuse.Store(true)
	res, err = oidcLogin(t, srv, cfg)
	if err != nil {
		t.Fatal(err)
	}
	o.last(t)
	if !res.OK || !hasCode(res, sp.CodeGroupsOverageUnresolved) || len(res.Groups) != 0 {
		t.Errorf("with Graph refusing: OK %v groups %v findings %v, want OK with groups-overage-unresolved", res.OK, res.Groups, findingCodes(res))
	}
}
