package harness_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

func startIn(t *testing.T, dir string, now func() time.Time) *harness.Server {
	t.Helper()
	srv, err := harness.Start(context.Background(), harness.Config{StateDir: dir, Now: now})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func getJSON(t *testing.T, c *http.Client, url string, v any) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d %s", url, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// identity is what must survive a restart: the CA and the signing key.
func identity(t *testing.T, srv *harness.Server) (ca [32]byte, kid string) {
	t.Helper()
	var set struct{ Keys []struct{ Kid string } }
	getJSON(t, srv.Client(), srv.BaseURL+"/common/discovery/v2.0/keys", &set)
	if len(set.Keys) != 1 {
		t.Fatalf("keys = %v", set)
	}
	return sha256.Sum256(srv.CACert.Raw), set.Keys[0].Kid
}

func TestStateKeptAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	first := startIn(t, dir, nil)
	ca1, kid1 := identity(t, first)
	first.Close()

	second := startIn(t, dir, nil)
	ca2, kid2 := identity(t, second)
	if ca1 != ca2 || kid1 != kid2 {
		t.Errorf("after restart CA %x→%x kid %s→%s, want both kept", ca1[:4], ca2[:4], kid1, kid2)
	}
	for _, name := range []string{"ca-key.pem", "tls-key.pem", "token-signing-key.pem"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v mode %v, want 0600", name, err, fi.Mode().Perm())
		}
	}
	if second.CACertPath != filepath.Join(dir, "ca.pem") {
		t.Errorf("CACertPath = %q", second.CACertPath)
	}
	// The TLS certificate covers every loopback name.
	port := second.BaseURL[strings.LastIndex(second.BaseURL, ":"):]
	for _, host := range []string{"127.0.0.1", "localhost"} {
		var doc map[string]any
		getJSON(t, second.Client(), "https://"+host+port+"/common/v2.0/.well-known/openid-configuration", &doc)
	}

	// A missing key file is regenerated, and only what depends on it changes.
	second.Close()
	os.Remove(filepath.Join(dir, "token-signing-key.pem"))
	third := startIn(t, dir, nil)
	ca3, kid3 := identity(t, third)
	if ca3 != ca1 || kid3 == kid1 {
		t.Errorf("after deleting the signing key: CA kept %t, kid changed %t; want true, true", ca3 == ca1, kid3 != kid1)
	}
}

func TestStateRenewedWhenExpired(t *testing.T) {
	dir := t.TempDir()
	// An expired CA (and a TLS certificate it signed) left in the state directory.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "old CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().AddDate(-11, 0, 0), NotAfter: time.Now().AddDate(0, 0, -1)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	os.WriteFile(filepath.Join(dir, "ca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(filepath.Join(dir, "ca-key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)

	srv := startIn(t, dir, nil)
	ca, _ := identity(t, srv) // TLS verified against the new CA
	if ca == sha256.Sum256(der) || !srv.CACert.NotAfter.After(time.Now().AddDate(5, 0, 0)) {
		t.Errorf("expired CA kept (or renewed one ends %v)", srv.CACert.NotAfter)
	}
	onDisk, _ := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if blk, _ := pem.Decode(onDisk); blk == nil || sha256.Sum256(blk.Bytes) != ca {
		t.Error("renewed CA not written to ca.pem")
	}
}

func TestFacts(t *testing.T) {
	srv := startIn(t, t.TempDir(), nil)
	b, err := json.Marshal(srv.Facts())
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	json.Unmarshal(b, &f)
	for _, k := range []string{"base_url", "tenant_id", "tenant_name", "authority", "graph_url", "ca_cert", "users", "apps"} {
		if _, ok := f[k]; !ok {
			t.Errorf("facts lack %q: %s", k, b)
		}
	}
	facts := srv.Facts()
	if facts.TenantID != tenant.DemoTenantID || facts.Authority != srv.BaseURL+"/"+tenant.DemoTenantID+"/v2.0" || facts.GraphURL != srv.BaseURL+"/v1.0" {
		t.Errorf("facts = %+v", facts)
	}
	if len(facts.Users) != 7 || facts.Users[0].UPN != "alice@contoso.example" || facts.Users[0].Password != "Demo.Alice.2026" {
		t.Errorf("facts users = %+v", facts.Users)
	}
	if facts.TenantName != srv.Store.Snapshot().DisplayName || facts.TenantName == "" {
		t.Errorf("facts tenant name = %q, want the tenant's display name", facts.TenantName)
	}
	// The window's harness panel marks guests and administrators from these facts.
	kinds := map[string][2]bool{}
	for _, u := range facts.Users {
		kinds[strings.SplitN(u.UPN, "@", 2)[0]] = [2]bool{u.Guest, u.Admin}
	}
	if kinds["alice"] != [2]bool{false, false} || kinds["admin"] != [2]bool{false, true} || kinds["carol_fabrikam.example#EXT#"] != [2]bool{true, false} {
		t.Errorf("facts users' guest and admin = %v, want carol a guest and admin an administrator only", kinds)
	}
	app, _ := srv.Store.AppByID(tenant.DemoAppID)
	setup, _ := srv.Store.AppByID(tenant.DemoSetupAppID)
	if len(facts.Apps) != 2 || facts.Apps[1].AppID != tenant.DemoSetupAppID || facts.Apps[1].ClientSecret != setup.Secrets[0].Value {
		t.Errorf("facts apps = %+v, want the setup app second with its secret", facts.Apps)
	}
	if len(facts.Apps) == 0 || facts.Apps[0].ClientSecret != app.Secrets[0].Value || facts.Apps[0].AppID != tenant.DemoAppID ||
		!strings.HasSuffix(facts.Apps[0].SAMLMetadataURL, "/federationmetadata/2007-06/federationmetadata.xml?appid="+tenant.DemoAppID) {
		t.Errorf("facts apps = %+v", facts.Apps)
	}
}

// TestDiscoveryRightAfterStart: discovery answers as soon as Start returns. How soon
// is logged, not asserted: the target is 100 ms (a few on a quiet machine, 15
// with -race), and a busy machine may miss any such bound without anything being wrong.
func TestDiscoveryRightAfterStart(t *testing.T) {
	dir := t.TempDir()
	startIn(t, dir, nil).Close() // keys made; what is timed is a start with state
	began := time.Now()
	srv := startIn(t, dir, nil)
	var doc map[string]any
	getJSON(t, srv.Client(), srv.Authority+"/.well-known/openid-configuration", &doc)
	took := time.Since(began)
	t.Logf("start to discovery answered: %v", took)
	if doc["issuer"] == nil {
		t.Errorf("discovery right after Start = %v, want the document", doc)
	}
}

func TestStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := harness.Start(ctx, harness.Config{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-srv.Done():
	case <-time.After(time.Minute): // a hang guard: it stops in milliseconds
		t.Fatal("server still running a minute after its context ended")
	}
	if _, err := srv.Client().Get(srv.BaseURL + "/common/discovery/v2.0/keys"); err == nil {
		t.Error("server answers after stopping")
	}
}

func TestStartRefusals(t *testing.T) {
	if _, err := harness.Start(context.Background(), harness.Config{}); err == nil {
		t.Error("Start without a state directory succeeded")
	}
	bad := filepath.Join(t.TempDir(), "tenant.json")
	os.WriteFile(bad, []byte(`{"tenant_id": 5}`), 0o600)
	if _, err := harness.Start(context.Background(), harness.Config{StateDir: t.TempDir(), TenantFile: bad}); err == nil || !strings.Contains(err.Error(), "tenant_id") {
		t.Errorf("Start with a bad tenant file = %v, want the bad field named", err)
	}
}

// The harness must not pull in the SDKs that only package graph may import (their
// compile alone costs minutes), nor the GUI.
func TestHarnessImportsNoSDKOrGUI(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "-test", "github.com/ssowizard/ssowizard/harness/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/Azure/azure-sdk-for-go", "github.com/AzureAD/microsoft-authentication-library-for-go", "github.com/microsoftgraph/", "fyne.io/"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("harness depends on %s", dep)
			}
		}
	}
}
