package secret_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/ssowizard/ssowizard/wizard/secret"
)

// value is shaped like an Entra client secret (ENTRA.md), made up for the tests.
const value = "Abc8Q~testonlyNOTaREALsecret.value_-~xyz"

// semantics checks the Keeper contract, whatever holds the secrets.
func semantics(t *testing.T, k secret.Keeper) {
	t.Helper()
	type op struct {
		do            string // put, get, delete
		session, name string
		value         string
		wantValue     string
		wantOK        bool
		wantErr       bool
	}
	ops := []op{
		{do: "get", session: "s1", name: "client_secret"},
		{do: "delete", session: "s1", name: "client_secret"}, // missing is not an error
		{do: "put", session: "s1", name: "client_secret", value: value},
		{do: "get", session: "s1", name: "client_secret", wantValue: value, wantOK: true},
		{do: "get", session: "s2", name: "client_secret"},               // sessions apart
		{do: "get", session: "s1", name: "token"},                       // names apart
		{do: "put", session: "s1", name: "client_secret", value: "new"}, // replaces
		{do: "get", session: "s1", name: "client_secret", wantValue: "new", wantOK: true},
		{do: "put", session: "s1", name: "a/b", value: "slash in name"},
		{do: "get", session: "s1", name: "a/b", wantValue: "slash in name", wantOK: true},
		{do: "put", session: "s1", name: "empty", value: ""},
		{do: "get", session: "s1", name: "empty", wantValue: "", wantOK: true},
		{do: "delete", session: "s1", name: "client_secret"},
		{do: "get", session: "s1", name: "client_secret"},
		{do: "get", session: "s1", name: "a/b", wantValue: "slash in name", wantOK: true},
		{do: "put", session: "", name: "x", value: value, wantErr: true},
		{do: "put", session: "s1", name: "", value: value, wantErr: true},
		{do: "put", session: "s/1", name: "x", value: value, wantErr: true},
		{do: "get", session: "", name: "x", wantErr: true},
		{do: "delete", session: "s1", name: "", wantErr: true},
	}
	for i, o := range ops {
		var err error
		switch o.do {
		case "put":
			err = k.Put(o.session, o.name, o.value)
		case "delete":
			err = k.Delete(o.session, o.name)
		case "get":
			var got string
			var ok bool
			got, ok, err = k.Get(o.session, o.name)
			if got != o.wantValue || ok != o.wantOK {
				t.Errorf("%d: Get(%q, %q) = %q, %v; want %q, %v", i, o.session, o.name, got, ok, o.wantValue, o.wantOK)
			}
		}
		if (err != nil) != o.wantErr {
			t.Errorf("%d: %s(%q, %q) error = %v, want error %v", i, o.do, o.session, o.name, err, o.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), value) {
			t.Errorf("%d: %s error %q contains the secret", i, o.do, err)
		}
	}
}

func TestMemory(t *testing.T) {
	k := secret.Memory()
	if k.Kind() != "memory" {
		t.Errorf("Memory().Kind() = %q", k.Kind())
	}
	semantics(t, k)
	if other := secret.Memory(); other.Put("s", "n", "v") != nil {
		t.Fatal("Put on a second keeper failed")
	} else if _, ok, _ := k.Get("s", "n"); ok {
		t.Error("two Memory keepers share their secrets")
	}
}

// TestMemoryPrintsNoSecret: printing or logging the keeper must not show what it holds.
func TestMemoryPrintsNoSecret(t *testing.T) {
	k := secret.Memory()
	if err := k.Put("s", "client_secret", value); err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("keeper", "k", k)
	for _, shown := range []string{fmt.Sprint(k), fmt.Sprintf("%+v", k), fmt.Sprintf("%#v", k), logged.String()} {
		if strings.Contains(shown, value) || !strings.Contains(shown, "1 secrets") {
			t.Errorf("the keeper prints as %q: want its count and no secret", shown)
		}
	}
}

// TestKeyring runs the keyring keeper against go-keyring's in-memory mock. Not
// parallel: the mock is go-keyring's package state.
func TestKeyring(t *testing.T) {
	keyring.MockInit()
	k := secret.Keyring("ssowizard-test")
	if k.Kind() != "keyring" {
		t.Errorf("Keyring().Kind() = %q", k.Kind())
	}
	semantics(t, k)

	// The keys are "session/name" under the service.
	if err := k.Put("s9", "client_secret", value); err != nil {
		t.Fatal(err)
	}
	if got, err := keyring.Get("ssowizard-test", "s9/client_secret"); err != nil || got != value {
		t.Errorf("keyring.Get(service, \"s9/client_secret\") = %q, %v; want the secret", got, err)
	}
	if _, ok, _ := secret.Keyring("another-service").Get("s9", "client_secret"); ok {
		t.Error("a keeper of another service sees the secret")
	}
}

// TestKeyringErrorsHideTheValue: a keyring whose errors quote what it was given must
// not carry the secret into ours, while errors.Is still finds the cause.
func TestKeyringErrorsHideTheValue(t *testing.T) {
	cause := errors.New("org.freedesktop.Secret.Error: cannot store '" + value + "'")
	// Get and Delete are given no secret to quote.
	unknown := errors.New("org.freedesktop.DBus.Error.ServiceUnknown")
	tests := []struct {
		name    string
		init    func()
		call    func(k secret.Keeper) error
		wantIs  error
		wantMsg string
	}{
		{"put failing", func() { keyring.MockInitWithError(cause) }, func(k secret.Keeper) error { return k.Put("s", "client_secret", value) }, cause, "[secret]"},
		{"get failing", func() { keyring.MockInitWithError(unknown) }, func(k secret.Keeper) error { _, _, err := k.Get("s", "client_secret"); return err }, unknown, "client_secret"},
		{"delete failing", func() { keyring.MockInitWithError(unknown) }, func(k secret.Keeper) error { return k.Delete("s", "client_secret") }, unknown, "client_secret"},
		{"too big", func() { keyring.MockInitWithError(keyring.ErrSetDataTooBig) }, func(k secret.Keeper) error { return k.Put("s", "client_secret", value) }, nil, "too large"},
	}
	defer keyring.MockInit()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.init()
			err := tt.call(secret.Keyring("ssowizard-test"))
			if err == nil {
				t.Fatal("no error from a failing keyring")
			}
			for _, shown := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
				if strings.Contains(shown, value) {
					t.Errorf("error shows the secret: %s", shown)
				}
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q, want it to contain %q", err, tt.wantMsg)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(%v, cause) = false", err)
			}
			for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
				if strings.Contains(e.Error(), value) {
					t.Errorf("unwrapping the error reaches the secret: %q", e)
				}
			}
		})
	}
}
