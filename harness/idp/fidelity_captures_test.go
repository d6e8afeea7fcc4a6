package idp_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
)

// orderedKeys lists a JSON object's keys in document order.
func orderedKeys(t *testing.T, b []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %v", err)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// The harness's v2 discovery document against Entra's, captured (testdata/entra):
// the same properties in the same order, the same values wherever a value is not a
// location (URLs are compared by path, the tenant in them replaced), and the same
// caching and CORS headers.
func TestDiscoveryMatchesCapture(t *testing.T) {
	real, err := os.ReadFile("testdata/entra/discovery-v2.json")
	if err != nil {
		t.Fatal(err)
	}
	const realTenant = "88888888-8888-8888-8888-888888888888"
	srv, _ := start(t)
	resp, err := srv.Client().Get(srv.BaseURL + "/" + srv.TenantID + "/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	resp.Body.Close()

	if got, want := orderedKeys(t, body.Bytes()), orderedKeys(t, real); !reflect.DeepEqual(got, want) {
		t.Errorf("properties\n got %v\nwant %v", got, want)
	}
	var got, want map[string]any
	json.Unmarshal(body.Bytes(), &got)
	json.Unmarshal(real, &want)
	// Where Entra names its own hosts, the harness names its origin: the rest of the
	// value must match.
	local := func(v any) any {
		s, ok := v.(string)
		if !ok {
			return v
		}
		for _, origin := range []string{"https://login.microsoftonline.com", "https://graph.microsoft.com", srv.BaseURL} {
			s = strings.Replace(s, origin, "ORIGIN", 1)
		}
		s = strings.ReplaceAll(s, srv.TenantID, "TENANT")
		return strings.ReplaceAll(s, realTenant, "TENANT")
	}
	for k, w := range want {
		switch k {
		case "cloud_graph_host_name", "msgraph_host":
			// Graph is the harness itself.
			continue
		}
		if g := got[k]; !reflect.DeepEqual(local(g), local(w)) {
			t.Errorf("%s = %v, Entra's %v", k, g, w)
		}
	}

	f, err := os.Open("testdata/entra/discovery-v2.headers")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, _ := strings.Cut(sc.Text(), ": ")
		if g := resp.Header.Get(name); g != value {
			t.Errorf("header %s = %q, Entra's %q", name, g, value)
		}
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status %d", resp.StatusCode)
	}
}
