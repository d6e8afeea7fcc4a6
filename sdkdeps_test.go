package ssowizard_test

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// graphSDK are the module paths whose cold compile (minutes, gigabytes) only the
// Graph client should pay for.
var graphSDK = []string{"github.com/microsoftgraph/", "github.com/microsoft/kiota-"}

// mayPullSDK are the packages allowed to depend, even indirectly, on the Graph SDK: the
// client itself and the composition root that builds it.
var mayPullSDK = []string{module + "/graph", module + "/cmd/ssowizard"}

// TestGraphSDKStaysInGraph fails when a package other than graph (and the command)
// depends on the Graph SDK through any chain of imports, tests included: the import
// rule in TestDependencyDirection checks direct imports only.
func TestGraphSDKStaysInGraph(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	cmd := exec.Command("go", "list", "-deps", "-test", "-f", "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v: %s", err, stderr.String())
	}
	checked := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || !strings.HasPrefix(fields[0], module+"/") && fields[0] != module {
			continue
		}
		// Test variants read "pkg [pkg.test]", "pkg_test [pkg.test]" or "pkg.test": the
		// package is the first word, less its test suffix.
		pkg := strings.TrimSuffix(strings.TrimSuffix(fields[0], ".test"), "_test")
		allowed := false
		for _, p := range mayPullSDK {
			if pkg == p || strings.HasPrefix(pkg, p+"/") {
				allowed = true
			}
		}
		checked++
		if allowed {
			continue
		}
		for _, dep := range fields[1:] {
			for _, sdk := range graphSDK {
				if strings.HasPrefix(dep, sdk) {
					t.Errorf("%s depends on %s: only %v may pull the Graph SDK", fields[0], dep, mayPullSDK)
				}
			}
		}
	}
	if checked < 10 {
		t.Fatalf("go list named %d packages of the module: is the test running at the module root?", checked)
	}
}
