package directory_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/directory"
)

// A secret's value reaches neither fmt's verbs, nor slog, nor JSON, alone or inside
// another value; the field itself still holds it for the one reader that needs it.
func TestPasswordNeverPrinted(t *testing.T) {
	p := directory.Password{KeyID: "7d6c5b4a-3f2e-4d1c-8b0a-9f8e7d6c5b4a", Hint: "Xy2", Value: "Xy28Q~secretsecretsecretsecretsecretsecr",
		Start: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), End: time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC)}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("added", "password", p)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("added", "password", p)
	js, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	nested, err := json.Marshal(map[string]any{"secret": p, "list": []directory.Password{p}})
	if err != nil {
		t.Fatal(err)
	}
	type holder struct{ P directory.Password }
	shown := map[string]string{
		"String":   p.String(),
		"GoString": p.GoString(),
		"Sprint":   fmt.Sprint(p),
		"%v":       fmt.Sprintf("%v", p),
		"%+v":      fmt.Sprintf("%+v", p),
		"%#v":      fmt.Sprintf("%#v", p),
		"%s":       fmt.Sprintf("%s", p),
		"nested":   fmt.Sprintf("%v %+v %#v", holder{p}, &holder{p}, []directory.Password{p}),
		"slog":     logs.String(),
		"JSON":     string(js),
		"JSON in":  string(nested),
	}
	for how, s := range shown {
		if strings.Contains(s, p.Value) || strings.Contains(s, "secretsecret") {
			t.Errorf("%s printed %q, which holds the secret", how, s)
		}
		if !strings.Contains(s, p.KeyID) {
			t.Errorf("%s printed %q, want the Secret ID", how, s)
		}
	}
	var back map[string]any
	if err := json.Unmarshal(js, &back); err != nil || back["key_id"] != p.KeyID || back["hint"] != "Xy2" || back["end"] != "2027-01-02T00:00:00Z" {
		t.Errorf("JSON = %s (%v), want key_id, hint, start and end", js, err)
	}
	if p.Value != "Xy28Q~secretsecretsecretsecretsecretsecr" {
		t.Error("the value itself was lost")
	}
}

// The types the wizard stores keep the JSON names of its saved state.
func TestStoredNames(t *testing.T) {
	b, err := json.Marshal(struct {
		T directory.Tenant
		A directory.App
		P directory.Principal
		S directory.Assignment
	}{directory.Tenant{ID: "t"}, directory.App{AppID: "a", ObjectID: "o", ServicePrincipalID: "s", DisplayName: "d"},
		directory.Principal{ID: "p", Type: "User", DisplayName: "n", UserPrincipalName: "u", Mail: "m"},
		directory.Assignment{ID: "i", PrincipalID: "p", PrincipalType: "User", PrincipalDisplayName: "n"}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"T":{"id":"t"},"A":{"object_id":"o","app_id":"a","service_principal_id":"s","display_name":"d"},` +
		`"P":{"id":"p","type":"User","display_name":"n","upn":"u","mail":"m"},` +
		`"S":{"id":"i","principal_id":"p","principal_type":"User","principal_display_name":"n"}}`
	if string(b) != want {
		t.Errorf("JSON = %s\nwant %s", b, want)
	}
}
