package secret

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeRing is a keyring whose failures a test chooses.
type fakeRing struct {
	mu       sync.Mutex
	items    map[string]string
	setErr   error
	getErr   error
	getOther bool          // Get answers another value than was stored
	hang     chan struct{} // Set waits until it is closed
	deletes  int
}

func (f *fakeRing) Set(service, user, password string) error {
	if f.hang != nil {
		<-f.hang
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.setErr != nil {
		return f.setErr
	}
	if f.items == nil {
		f.items = map[string]string{}
	}
	f.items[service+"|"+user] = password
	return nil
}

func (f *fakeRing) Get(service, user string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.getErr != nil {
		return "", f.getErr
	}
	if f.getOther {
		return "something else", nil
	}
	return f.items[service+"|"+user], nil
}

func (f *fakeRing) Delete(service, user string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deletes++
	delete(f.items, service+"|"+user)
	return nil
}

func TestChoose(t *testing.T) {
	tests := []struct {
		name        string
		ring        *fakeRing
		wantKind    string
		wantErr     string
		wantDeletes int
	}{
		{"working keyring", &fakeRing{}, "keyring", "", 1},
		{"set refused", &fakeRing{setErr: errors.New("no secret service")}, "memory", "store a probe item", 0},
		{"get refused", &fakeRing{getErr: errors.New("locked")}, "memory", "read the probe item back", 1},
		{"wrong value back", &fakeRing{getOther: true}, "memory", "another value", 1},
		{"no answer", &fakeRing{hang: make(chan struct{})}, "memory", "did not answer within", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Only the keyring that never answers is meant to time out: the others get
			// a minute, which a busy machine under -race cannot miss as it could 100 ms.
			timeout := time.Minute
			if tt.ring.hang != nil {
				timeout = 100 * time.Millisecond
			}
			finished, err := probe("svc", tt.ring, timeout)
			if tt.ring.hang != nil {
				close(tt.ring.hang) // let the abandoned probe end, as a slow keyring would
			}
			select {
			case <-finished:
			case <-time.After(10 * time.Second):
				t.Fatal("the probe goroutine did not end")
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("probe = %v, want an error containing %q", err, tt.wantErr)
			}
			if tt.ring.deletes != tt.wantDeletes || len(tt.ring.items) != 0 {
				t.Errorf("after the probe: %d deletes, items %v; want %d deletes and no item left", tt.ring.deletes, tt.ring.items, tt.wantDeletes)
			}

			fresh := &fakeRing{setErr: tt.ring.setErr, getErr: tt.ring.getErr, getOther: tt.ring.getOther}
			if tt.ring.hang != nil {
				fresh.hang = make(chan struct{})
				defer close(fresh.hang)
			}
			k, err := choose("svc", fresh, timeout)
			if k.Kind() != tt.wantKind || (err == nil) != (tt.wantErr == "") {
				t.Errorf("choose = %s keeper, %v; want %s", k.Kind(), err, tt.wantKind)
			}
		})
	}
}

// TestNewOnThisMachine: New falls back to memory exactly when the keyring probe fails
// (as it does without a Secret Service, on CI), and the keeper it gives works.
func TestNewOnThisMachine(t *testing.T) {
	k := New("ssowizard-test")
	finished, probeErr := probe("ssowizard-test", osKeyring{}, probeTimeout)
	select {
	case <-finished:
	case <-time.After(10 * time.Second):
		t.Log("the keyring probe is still running")
	}
	t.Logf("New gave a %s keeper; the probe said %v", k.Kind(), probeErr)
	if (k.Kind() == "memory") != (probeErr != nil) {
		t.Errorf("New().Kind() = %q but the probe said %v", k.Kind(), probeErr)
	}
	if err := k.Put("s", "n", "v"); err != nil {
		t.Fatal(err)
	}
	defer k.Delete("s", "n")
	if v, ok, err := k.Get("s", "n"); v != "v" || !ok || err != nil {
		t.Errorf("Get = %q, %v, %v; want v", v, ok, err)
	}
}
