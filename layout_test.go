// Package ssowizard_test holds the checks that keep the repository's layout honest: which
// package may import what (DESIGN.md, "Dependency direction").
package ssowizard_test

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/ssowizard/ssowizard"

// imports maps a package directory (relative to the module root, slash-separated) to the
// set of import paths its files use.
type imports map[string]map[string]bool

// scanImports reads the imports of every Go file under root, split into those of
// non-test files and those of test files. testdata, node_modules and dot directories
// are skipped, as the go tool skips them.
func scanImports(root string) (prod, tests imports, err error) {
	prod, tests = imports{}, imports{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(rel)
		into := prod
		if strings.HasSuffix(path, "_test.go") {
			into = tests
		}
		if into[dir] == nil {
			into[dir] = map[string]bool{}
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			into[dir][p] = true
		}
		return nil
	})
	return prod, tests, err
}

func under(dir, prefix string) bool { return dir == prefix || strings.HasPrefix(dir, prefix+"/") }

// violations lists every import that breaks DESIGN.md's dependency rules, sorted.
// kind is "code" or "tests": tests may reach further (an external test of the inspector
// may use the harness's response builder) but never Fyne or the Graph SDK.
func violations(kind string, imps imports) []string {
	var out []string
	for dir, set := range imps {
		for imp := range set {
			local, isLocal := strings.CutPrefix(imp, module+"/")
			var why string
			switch {
			case strings.HasPrefix(imp, "fyne.io/") && !(under(dir, "cmd") || under(dir, "wizard/ui") || under(dir, "assets")):
				why = "only cmd, wizard/ui and assets may import Fyne"
			case (strings.HasPrefix(imp, "github.com/microsoftgraph/") ||
				strings.HasPrefix(imp, "github.com/Azure/azure-sdk-for-go/sdk/azidentity")) && !under(dir, "graph"):
				why = "only package graph may import msgraph-sdk-go or azidentity"
			case !isLocal:
			case under(local, "cmd"):
				why = "nothing imports the command"
			// The inspector stands alone; its internal fixture generator is tooling that
			// builds messages with the harness's builder, and ships in no binary.
			case kind == "code" && under(dir, "inspect") && !under(dir, "inspect/internal") && !under(local, "inspect"):
				why = "the inspector imports nothing else of the project"
			case kind == "code" && under(dir, "sp") && !under(local, "inspect") && !under(local, "sp"):
				why = "the embedded SP imports only the inspector of the project"
			case under(dir, "harness") && (under(local, "wizard") || under(local, "graph") || under(local, "replay")):
				why = "the harness stands below the wizard and the Graph client"
			// wizard/check still reads the emulator's secret and redirect-URI rules until
			// the Entra vocabulary takes their place (issue 15, part 3).
			case kind == "code" && under(dir, "wizard/ui") && under(local, "harness") && local != "harness":
				why = "the window draws the facts the harness hands out, not the emulator's model"
			case kind == "code" && under(dir, "wizard") && !under(dir, "wizard/check") && !under(dir, "wizard/ui") && under(local, "harness"):
				why = "the wizard engine does not reach into the emulator: cmd wires the harness in, and replay rebuilds its tenant"
			case kind == "code" && under(local, "replay") && !under(dir, "cmd") && !under(dir, "replay"):
				why = "only the command replays an evidence bundle"
			case under(dir, "wizard") && !under(dir, "wizard/ui") && under(local, "wizard/ui"):
				why = "the wizard engine must not depend on its window"
			case kind == "code" && under(dir, "graph") && (under(local, "wizard") || under(local, "harness")):
				why = "the Graph client reaches the harness by configuration, not by import"
			}
			if why != "" {
				out = append(out, fmt.Sprintf("%s (%s) imports %s: %s", dir, kind, imp, why))
			}
		}
	}
	sort.Strings(out)
	return out
}

// TestDependencyDirection fails when a package of this module imports what DESIGN.md
// forbids it.
func TestDependencyDirection(t *testing.T) {
	prod, tests, err := scanImports(".")
	if err != nil {
		t.Fatalf("scan the module: %v", err)
	}
	if len(prod["inspect"]) == 0 || len(prod["cmd/ssowizard"]) == 0 {
		t.Fatalf("the scan missed known packages (found %d): is the test running at the module root?", len(prod))
	}
	for _, v := range append(violations("code", prod), violations("tests", tests)...) {
		t.Error(v)
	}
}

// TestViolationsAreCaught proves the check can fail: a planted tree breaking each rule
// must be reported rule by rule, and the one allowed import must not be.
func TestViolationsAreCaught(t *testing.T) {
	root := t.TempDir()
	plant := func(dir, file, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, dir, file), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	plant("wizard", "w.go", "package wizard\nimport _ \"fyne.io/fyne/v2\"\n")
	plant("harness/idp", "i.go", "package idp\nimport _ \"github.com/microsoftgraph/msgraph-sdk-go\"\n")
	plant("inspect", "x.go", "package inspect\nimport _ \""+module+"/harness/tenant\"\n")
	plant("inspect", "x_test.go", "package inspect\nimport _ \""+module+"/harness/entrasaml\"\n")
	plant("sp", "s.go", "package sp\nimport _ \""+module+"/harness/robot\"\n")
	plant("sp", "s_test.go", "package sp\nimport _ \""+module+"/harness\"\n")
	plant("wizard/store", "s.go", "package store\nimport _ \""+module+"/wizard/ui\"\n")
	plant("wizard", "b.go", "package wizard\nimport _ \""+module+"/harness/tenant\"\n")
	plant("wizard", "b_test.go", "package wizard_test\nimport _ \""+module+"/replay\"\n")
	plant("wizard/ui", "u.go", "package ui\nimport _ \""+module+"/replay\"\n")
	plant("wizard/ui", "h.go", "package ui\nimport (\n_ \""+module+"/harness\"\n_ \""+module+"/harness/idp\"\n)\n")
	plant("harness/idp", "r.go", "package idp\nimport _ \""+module+"/replay\"\n")
	plant("graph", "g.go", "package graph\nimport _ \"github.com/microsoftgraph/msgraph-sdk-go\"\n")
	plant("graph", "g_test.go", "package graph\nimport _ \"fyne.io/fyne/v2/test\"\n")

	prod, tests, err := scanImports(root)
	if err != nil {
		t.Fatal(err)
	}
	got := append(violations("code", prod), violations("tests", tests)...)
	sort.Strings(got)
	want := []string{
		"graph (tests) imports fyne.io/fyne/v2/test: only cmd, wizard/ui and assets may import Fyne",
		"harness/idp (code) imports github.com/microsoftgraph/msgraph-sdk-go: only package graph may import msgraph-sdk-go or azidentity",
		"inspect (code) imports " + module + "/harness/tenant: the inspector imports nothing else of the project",
		"sp (code) imports " + module + "/harness/robot: the embedded SP imports only the inspector of the project",
		"wizard (code) imports fyne.io/fyne/v2: only cmd, wizard/ui and assets may import Fyne",
		"wizard/store (code) imports " + module + "/wizard/ui: the wizard engine must not depend on its window",
		"wizard (code) imports " + module + "/harness/tenant: the wizard engine does not reach into the emulator: cmd wires the harness in, and replay rebuilds its tenant",
		"wizard/ui (code) imports " + module + "/replay: only the command replays an evidence bundle",
		"wizard/ui (code) imports " + module + "/harness/idp: the window draws the facts the harness hands out, not the emulator's model",
		"harness/idp (code) imports " + module + "/replay: the harness stands below the wizard and the Graph client",
	}
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("violations in the planted tree:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
