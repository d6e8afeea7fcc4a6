// Package secret keeps the secrets a setup handles (client secret values, tokens) out of
// the database, logs and exports: in the OS keyring where there is one, and otherwise in
// process memory only, so they are asked for again after a restart.
//
// No error of this package contains a secret value.
package secret

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
)

// Keeper holds secrets by session and name.
type Keeper interface {
	// Put stores value as the secret name of session, replacing any before it.
	Put(session, name, value string) error
	// Get returns the secret name of session; ok is false when there is none.
	Get(session, name string) (value string, ok bool, err error)
	// Delete removes the secret name of session; a missing secret is not an error.
	Delete(session, name string) error
	// Kind is "keyring" or "memory": where the secrets live.
	Kind() string
}

// checkKey refuses an empty session or name, and a session holding "/", the separator
// of the keyring's "session/name" keys (a name may hold it: the first "/" splits).
func checkKey(session, name string) error {
	switch {
	case session == "":
		return errors.New("the secret has no session")
	case strings.Contains(session, "/"):
		return fmt.Errorf("the session %q holds a \"/\", which secret keys cannot", session)
	case name == "":
		return fmt.Errorf("the secret of session %q has no name", session)
	}
	return nil
}

// Memory returns a Keeper holding secrets in this process only.
func Memory() Keeper { return &memory{secrets: map[[2]string]string{}} }

type memory struct {
	mu      sync.Mutex
	secrets map[[2]string]string // by {session, name}
}

func (m *memory) Put(session, name, value string) error {
	if err := checkKey(session, name); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.secrets[[2]string{session, name}] = value
	return nil
}

func (m *memory) Get(session, name string) (string, bool, error) {
	if err := checkKey(session, name); err != nil {
		return "", false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.secrets[[2]string{session, name}]
	return v, ok, nil
}

func (m *memory) Delete(session, name string) error {
	if err := checkKey(session, name); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.secrets, [2]string{session, name})
	return nil
}

func (m *memory) Kind() string { return "memory" }

// String describes the keeper without any secret, so printing it (%v, %+v) is safe.
func (m *memory) String() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return fmt.Sprintf("secret.Memory(%d secrets)", len(m.secrets))
}

// GoString is String, so %#v shows no secret either.
func (m *memory) GoString() string { return m.String() }

// LogValue is String, so slog shows no secret.
func (m *memory) LogValue() slog.Value { return slog.StringValue(m.String()) }

// backend is the part of go-keyring the keeper uses; tests of the probe give it a fake
// that fails or hangs.
type backend interface {
	Set(service, user, password string) error
	Get(service, user string) (string, error)
	Delete(service, user string) error
}

// osKeyring is go-keyring's package-level provider: the OS keyring, or its mock after
// keyring.MockInit.
type osKeyring struct{}

func (osKeyring) Set(service, user, password string) error {
	return keyring.Set(service, user, password)
}
func (osKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (osKeyring) Delete(service, user string) error        { return keyring.Delete(service, user) }

// Keyring returns a Keeper in the OS keyring (go-keyring) under service, each secret
// under the user name "session/name". It does not check that a keyring is there: New
// does.
func Keyring(service string) Keeper { return &ring{service: service, b: osKeyring{}} }

type ring struct {
	service string
	b       backend
}

func (r *ring) Put(session, name, value string) error {
	if err := checkKey(session, name); err != nil {
		return err
	}
	if err := r.b.Set(r.service, session+"/"+name, value); err != nil {
		if errors.Is(err, keyring.ErrSetDataTooBig) {
			return fmt.Errorf("the secret %q of session %q is too large for the keyring", name, session)
		}
		return fmt.Errorf("keep the secret %q of session %q in the keyring: %w", name, session, redact(err, value))
	}
	return nil
}

func (r *ring) Get(session, name string) (string, bool, error) {
	if err := checkKey(session, name); err != nil {
		return "", false, err
	}
	v, err := r.b.Get(r.service, session+"/"+name)
	if errors.Is(err, keyring.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read the secret %q of session %q from the keyring: %w", name, session, redact(err, v))
	}
	return v, true, nil
}

func (r *ring) Delete(session, name string) error {
	if err := checkKey(session, name); err != nil {
		return err
	}
	err := r.b.Delete(r.service, session+"/"+name)
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("delete the secret %q of session %q from the keyring: %w", name, session, err)
	}
	return nil
}

func (r *ring) Kind() string { return "keyring" }

// String names the keyring service; a ring holds no secret itself.
func (r *ring) String() string { return fmt.Sprintf("secret.Keyring(%q)", r.service) }

// redacted is an error from the keyring whose message quoted the secret: it shows the
// message with the value cut out, and answers errors.Is for what it wraps without
// handing out the original (errors.Unwrap gives nothing).
type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string        { return r.msg }
func (r *redacted) Is(target error) bool { return errors.Is(r.err, target) }
func (r *redacted) GoString() string     { return r.msg }
func (r *redacted) LogValue() slog.Value { return slog.StringValue(r.msg) }

// redact returns err, or a redacted copy when its message contains value.
func redact(err error, value string) error {
	if value == "" || !strings.Contains(err.Error(), value) {
		return err
	}
	return &redacted{msg: strings.ReplaceAll(err.Error(), value, "[secret]"), err: err}
}

// probeTimeout bounds the keyring probe: without a Secret Service on D-Bus, go-keyring
// can wait far longer than a person should.
const probeTimeout = 2 * time.Second

// New returns a Keeper in the OS keyring under service when a probe (store, read back
// and delete a throwaway item, within 2 s) succeeds, and Memory() otherwise.
func New(service string) Keeper {
	k, _ := choose(service, osKeyring{}, probeTimeout)
	return k
}

// choose is New with the backend and the time limit given; it also returns why the
// keyring was not taken.
func choose(service string, b backend, timeout time.Duration) (Keeper, error) {
	_, err := probe(service, b, timeout)
	if err != nil {
		return Memory(), err
	}
	return &ring{service: service, b: b}, nil
}

// probe stores, reads back and deletes a random item in the keyring. It gives up after
// timeout; the probe then goes on in its goroutine, which finished closes when it ends.
func probe(service string, b backend, timeout time.Duration) (finished <-chan struct{}, err error) {
	token := make([]byte, 16)
	rand.Read(token)
	user, value := "ssowizard-probe/"+hex.EncodeToString(token[:8]), hex.EncodeToString(token[8:])
	done := make(chan struct{})
	result := make(chan error, 1)
	go func() {
		defer close(done)
		result <- func() error {
			if err := b.Set(service, user, value); err != nil {
				return fmt.Errorf("store a probe item: %w", err)
			}
			got, err := b.Get(service, user)
			if err != nil {
				b.Delete(service, user)
				return fmt.Errorf("read the probe item back: %w", err)
			}
			if err := b.Delete(service, user); err != nil {
				return fmt.Errorf("delete the probe item: %w", err)
			}
			if got != value {
				return errors.New("the keyring gave back another value than the probe stored")
			}
			return nil
		}()
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case err := <-result:
		if err != nil {
			return done, fmt.Errorf("the keyring is not usable: %w", err)
		}
		return done, nil
	case <-timer.C:
		return done, fmt.Errorf("the keyring did not answer within %v", timeout)
	}
}
