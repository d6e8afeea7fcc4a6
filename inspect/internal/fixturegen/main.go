// Command fixturegen writes the inspector's fixtures (testdata/cases/<case>/input and
// params.json) from the case definitions in package fixtures, at the fixed time and
// with the committed test keys, so the output is the same on every run. Run it
// through `go generate ./inspect`; -genkeys makes the keys the first time.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ssowizard/ssowizard/inspect/internal/fixtures"
)

func main() {
	dir := flag.String("testdata", "testdata", "the inspector's testdata directory")
	genkeys := flag.Bool("genkeys", false, "generate the test keys (once; refuses to overwrite)")
	flag.Parse()
	if err := run(*dir, *genkeys); err != nil {
		fmt.Fprintln(os.Stderr, "fixturegen:", err)
		os.Exit(1)
	}
}

func run(dir string, genkeys bool) error {
	keysDir := filepath.Join(dir, "keys")
	if genkeys {
		if err := fixtures.GenerateKeys(keysDir, fixtures.FixedNow); err != nil {
			return err
		}
	}
	keys, err := fixtures.LoadKeys(keysDir)
	if err != nil {
		return fmt.Errorf("load keys (run with -genkeys once): %w", err)
	}
	cases, err := fixtures.Build(fixtures.Env{Now: fixtures.FixedNow, Keys: keys, KeysDir: "../../keys"})
	if err != nil {
		return err
	}
	if err := fixtures.Write(filepath.Join(dir, "cases"), cases); err != nil {
		return err
	}
	fmt.Printf("fixturegen: wrote %d cases to %s\n", len(cases), filepath.Join(dir, "cases"))
	return nil
}
