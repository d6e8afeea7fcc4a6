package inspect

// The fixtures under testdata/cases are generated from internal/fixtures; the goldens
// (expected.json) are written by `go test -update`.
//go:generate go run ./internal/fixturegen -testdata testdata
