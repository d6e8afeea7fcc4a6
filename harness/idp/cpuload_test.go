package idp_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/crewjam/saml"
	"github.com/crewjam/saml/samlsp"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

var (
	cpuLogins  = flag.Int("cpuload.logins", 0, "TestHarnessLoginCPU: SAML logins to drive through a harness in its own process (0 skips)")
	cpuClients = flag.Int("cpuload.clients", 4, "TestHarnessLoginCPU: concurrent browser-like clients")
	cpuProfile = flag.String("cpuload.profile", "", "TestHarnessLoginCPU: write the harness process's CPU profile here")
	memProfile = flag.String("cpuload.memprofile", "", "TestHarnessLoginCPU: write the harness process's allocation profile here")
)

const cpuChildEnv = "SSOWIZARD_CPULOAD_CHILD"

// TestHarnessLoadChild is the harness process of TestHarnessLoginCPU: started by it
// (this test binary run again), it serves the demo tenant, prints its facts as one JSON
// line and runs until its standard input closes.
func TestHarnessLoadChild(t *testing.T) {
	dir := os.Getenv(cpuChildEnv)
	if dir == "" {
		t.Skip("run by TestHarnessLoginCPU only")
	}
	harness.TuneGCForServing() // as ssowizard harness does
	srv, err := harness.Start(context.Background(), harness.Config{StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	line, _ := json.Marshal(srv.Facts())
	fmt.Printf("%s\n", line)
	io.Copy(io.Discard, os.Stdin)
}

// procCPU is a process's user+system CPU time so far, from /proc/PID/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which ends with the last ')'.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const hz = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / hz, nil
}

// procMem reads VmRSS and VmHWM (peak) of a process, in KiB.
func procMem(pid int) (rss, peak int64) {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	for _, l := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(l, ":")
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = n
		case "VmHWM":
			peak = n
		}
	}
	return rss, peak
}

// TestHarnessLoginCPU drives a harness running in its own process over HTTPS as
// browsers do: each of -cpuload.clients clients signs in once through the login form,
// then runs SP-initiated SAML logins on its session (AuthnRequest by redirect, the
// auto-post page, the signed Response verified by crewjam's SP). It reports the
// harness's CPU per login, measured from /proc over the run, beside the cost of one
// RSA-2048 SHA-256 signature measured here on one core, and the harness's memory. It
// has no time limit to meet: it measures.
func TestHarnessLoginCPU(t *testing.T) {
	if *cpuLogins <= 0 {
		t.Skip("a measurement: run with -cpuload.logins N (make bench does)")
	}
	args := []string{"-test.run=^TestHarnessLoadChild$", "-test.count=1"}
	if *cpuProfile != "" {
		args = append(args, "-test.cpuprofile="+*cpuProfile)
	}
	if *memProfile != "" {
		args = append(args, "-test.memprofile="+*memProfile, "-test.memprofilerate=4096")
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), cpuChildEnv+"="+t.TempDir())
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	var facts harness.Facts
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err != nil || json.Unmarshal(line, &facts) != nil {
		t.Fatalf("harness child: %v %q", err, line)
	}
	go io.Copy(io.Discard, stdout)
	pem, err := os.ReadFile(facts.CACert)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	transport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConnsPerHost: 4}

	mdResp, err := (&http.Client{Transport: transport}).Get(facts.BaseURL + "/" + facts.TenantID + "/federationmetadata/2007-06/federationmetadata.xml?appid=" + tenant.DemoAppID)
	if err != nil {
		t.Fatal(err)
	}
	md, _ := io.ReadAll(mdResp.Body)
	mdResp.Body.Close()
	ed, err := samlsp.ParseMetadata(bytes.TrimPrefix(md, []byte("\xef\xbb\xbf")))
	if err != nil {
		t.Fatal(err)
	}
	kp := spKeyPair(t)
	acs, _ := url.Parse(tenant.DemoReplyURL)
	sp := &testSP{kp: kp, metadata: md, sp: &saml.ServiceProvider{EntityID: tenant.DemoEntityID, Key: kp.Key, Certificate: kp.Cert,
		AcsURL: *acs, IDPMetadata: ed, AuthnNameIDFormat: saml.EmailAddressNameIDFormat}}
	u, _ := url.Parse(facts.BaseURL)
	clients := make([]*browser, *cpuClients)
	for i := range clients {
		jar, _ := cookiejar.New(nil)
		b := &browser{t: t, c: &http.Client{Transport: transport, Jar: jar}, host: u.Host}
		b.c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if req.URL.Host != b.host {
				return http.ErrUseLastResponse
			}
			return nil
		}
		samlLogin(t, b, sp, false, alice, alicePassword)
		clients[i] = b
	}

	cpu0, err := procCPU(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	var left atomic.Int64
	left.Store(int64(*cpuLogins))
	var failed atomic.Int64
	var wg sync.WaitGroup
	for _, b := range clients {
		wg.Add(1)
		go func(b *browser) {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				if err := samlRoundTrip(b.c, sp); err != nil {
					if failed.Add(1) == 1 {
						t.Errorf("login: %v", err)
					}
				}
			}
		}(b)
	}
	wg.Wait()
	wall := time.Since(began)
	cpu1, _ := procCPU(cmd.Process.Pid)
	rss, peak := procMem(cmd.Process.Pid)
	if failed.Load() > 0 {
		t.Fatalf("%d of %d logins failed", failed.Load(), *cpuLogins)
	}

	// One signature of the default Entra login (RSA-2048, PKCS#1 v1.5, SHA-256), on one
	// core of the same machine in the same run.
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	sum := sha256.Sum256([]byte("SignedInfo"))
	// CPU time of this thread (not wall time: the machine is shared).
	runtime.LockOSThread()
	threadCPU := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	const sigs = 500
	rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:]) // warm
	s0 := threadCPU()
	for i := 0; i < sigs; i++ {
		if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:]); err != nil {
			t.Fatal(err)
		}
	}
	sig := (threadCPU() - s0) / sigs
	runtime.UnlockOSThread()

	n := time.Duration(*cpuLogins)
	perLogin := (cpu1 - cpu0) / n
	t.Logf("%d SAML logins by %d HTTPS clients in %v (%.0f logins/s)", *cpuLogins, *cpuClients, wall.Round(time.Millisecond), float64(*cpuLogins)/wall.Seconds())
	t.Logf("harness CPU per login %v; one RSA-2048 signature %v; signature share %.0f%%", perLogin, sig, 100*float64(sig)/float64(perLogin))
	t.Logf("harness memory: RSS %d KiB, peak %d KiB", rss, peak)
}
