package tenant_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ssowizard/ssowizard/harness/tenant"
)

// TestOnChange: every accepted change reaches the hook before the method returns, a
// refused one does not, and the hook's tenant is a copy.
func TestOnChange(t *testing.T) {
	s := demoStore(t)
	var got []*tenant.Tenant
	s.OnChange(func(tn *tenant.Tenant) {
		s.Apps() // reading the store from the hook must not deadlock
		got = append(got, tn)
	})
	cases := []struct {
		name    string
		change  func() error
		calls   int
		applied func(*tenant.Tenant) bool
	}{
		{"add app", func() error {
			_, err := s.AddApp(tenant.App{DisplayName: "Hooked"})
			return err
		}, 1, func(tn *tenant.Tenant) bool { return tn.Apps[len(tn.Apps)-1].DisplayName == "Hooked" }},
		{"scenarios", func() error { return s.SetScenarios("", []string{"slow"}) }, 1,
			func(tn *tenant.Tenant) bool { return reflect.DeepEqual(tn.Scenarios, []string{"slow"}) }},
		{"refused change", func() error { return s.SetScenarios("", []string{"no-such-scenario"}) }, 0, nil},
		{"missing app", func() error { return s.GrantConsent("00000000-0000-0000-0000-000000000001") }, 0, nil},
	}
	for _, tc := range cases {
		before := len(got)
		err := tc.change()
		if (err == nil) != (tc.calls > 0) {
			t.Fatalf("%s: error %v", tc.name, err)
		}
		if n := len(got) - before; n != tc.calls {
			t.Fatalf("%s: the hook was called %d times, want %d", tc.name, n, tc.calls)
		}
		if tc.calls > 0 {
			last := got[len(got)-1]
			if !tc.applied(last) {
				t.Errorf("%s: the hook's tenant lacks the change", tc.name)
			}
			if !reflect.DeepEqual(last, s.Snapshot()) {
				t.Errorf("%s: the hook's tenant differs from the store's", tc.name)
			}
		}
	}
	got[len(got)-1].Apps = nil
	if len(s.Apps()) == 0 {
		t.Error("changing the hook's tenant changed the store")
	}
}

// TestOnChangeConcurrent: under concurrent writers (run with -race) the hook is called
// one at a time, never with an older tenant after a newer one, and last with the final
// tenant.
func TestOnChangeConcurrent(t *testing.T) {
	s := demoStore(t)
	var (
		inHook atomic.Int32
		mu     sync.Mutex
		counts []int
		last   *tenant.Tenant
	)
	s.OnChange(func(tn *tenant.Tenant) {
		if inHook.Add(1) != 1 {
			t.Error("two hook calls at once")
		}
		defer inHook.Add(-1)
		runtime.Gosched() // give an overlapping call its chance to show
		mu.Lock()
		counts = append(counts, len(tn.Apps))
		last = tn
		mu.Unlock()
	})
	start := len(s.Apps())
	const writers = 24
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			if _, err := s.AddApp(tenant.App{DisplayName: fmt.Sprintf("App %d", i)}); err != nil {
				t.Errorf("AddApp: %v", err)
			}
		})
	}
	wg.Wait()
	for i := 1; i < len(counts); i++ {
		if counts[i] <= counts[i-1] {
			t.Fatalf("hook saw %d apps after %d: an older tenant after a newer one (%v)", counts[i], counts[i-1], counts)
		}
	}
	if len(counts) == 0 || counts[len(counts)-1] != start+writers || !reflect.DeepEqual(last, s.Snapshot()) {
		t.Errorf("the last hook call saw %v apps, want %d and the final tenant", counts, start+writers)
	}
}

// TestLoadSavedKeepsMissingServicePrincipal: an app registered through Graph has no
// service principal; LoadSaved keeps it so, where Load (a hand-written file) gives one.
func TestLoadSavedKeepsMissingServicePrincipal(t *testing.T) {
	s := demoStore(t)
	app, err := s.AddApp(tenant.App{DisplayName: "Registered only"})
	if err != nil || app.ServicePrincipalID != "" {
		t.Fatalf("AddApp = %+v, %v; want no service principal", app, err)
	}
	path := filepath.Join(t.TempDir(), "tenant.json")
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	saved, err := tenant.LoadSaved(path, nil)
	if err != nil {
		t.Fatalf("LoadSaved = %v", err)
	}
	if !reflect.DeepEqual(saved, s.Snapshot()) {
		t.Error("LoadSaved(Save(store)) differs from the store")
	}
	hand, err := tenant.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		tn   *tenant.Tenant
		want bool
	}{{"LoadSaved", saved, false}, {"Load", hand, true}} {
		for _, a := range c.tn.Apps {
			if a.AppID == app.AppID && (a.ServicePrincipalID != "") != c.want {
				t.Errorf("%s: service principal %q, want one: %v", c.name, a.ServicePrincipalID, c.want)
			}
		}
	}
}
