package tenant

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// Marshal encodes a valid tenant as a tenant file: indented JSON in the order of the
// tenant's own lists, so that Parse then Marshal is byte-stable and diffs stay small.
func Marshal(t *Tenant) ([]byte, error) {
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("refusing to write an invalid tenant: %w", err)
	}
	// Empty lists are written as [], never null, for the person who adds to them.
	// (Validate has made sure there are domains.)
	out := *t
	if out.Users == nil {
		out.Users = []User{}
	}
	if out.Groups == nil {
		out.Groups = []Group{}
	}
	if out.Apps == nil {
		out.Apps = []App{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // URLs keep their & and < readable for people editing the file
	enc.SetIndent("", "  ")
	if err := enc.Encode(&out); err != nil {
		return nil, fmt.Errorf("encode tenant: %w", err)
	}
	return buf.Bytes(), nil
}

// Save writes the tenant file atomically: to a temporary file beside path, synced, then
// renamed over it, so a crash or an error leaves the old file whole. The file is private
// to its owner (0600): it holds passwords and secrets.
func Save(path string, t *Tenant) error {
	data, err := Marshal(t)
	if err != nil {
		return fmt.Errorf("save tenant %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("save tenant %s: %w", path, err)
	}
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("save tenant %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("save tenant %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("save tenant %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save tenant %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save tenant %s: %w", path, err)
	}
	committed = true
	// The rename is durable once the directory is synced; some systems cannot sync a
	// directory, and the file itself is already safe, so a failure here is not reported.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Clone returns a deep copy that shares nothing with t.
func (t *Tenant) Clone() *Tenant {
	c := *t
	c.Domains = slices.Clone(t.Domains)
	c.Scenarios = slices.Clone(t.Scenarios)
	c.Users = make([]User, len(t.Users))
	for i := range t.Users {
		c.Users[i] = t.Users[i].clone()
	}
	c.Groups = make([]Group, len(t.Groups))
	for i := range t.Groups {
		c.Groups[i] = t.Groups[i].clone()
	}
	c.Apps = make([]App, len(t.Apps))
	for i := range t.Apps {
		c.Apps[i] = t.Apps[i].clone()
	}
	if t.Domains == nil {
		c.Domains = nil
	}
	if t.Users == nil {
		c.Users = nil
	}
	if t.Groups == nil {
		c.Groups = nil
	}
	if t.Apps == nil {
		c.Apps = nil
	}
	return &c
}

func (u User) clone() User {
	u.Groups = slices.Clone(u.Groups)
	return u
}

func (g Group) clone() Group {
	g.Groups = slices.Clone(g.Groups)
	return g
}

func (a App) clone() App {
	a.RedirectURIs = slices.Clone(a.RedirectURIs)
	a.IdentifierURIs = slices.Clone(a.IdentifierURIs)
	a.Secrets = slices.Clone(a.Secrets)
	a.OptionalClaims = slices.Clone(a.OptionalClaims)
	a.Assignments = slices.Clone(a.Assignments)
	a.Scenarios = slices.Clone(a.Scenarios)
	a.GraphPermissions = slices.Clone(a.GraphPermissions)
	a.SAML.Certificates = slices.Clone(a.SAML.Certificates)
	return a
}
