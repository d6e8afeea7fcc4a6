//go:build race

package main

// raceEnabled: the tests run with -race, so binaries they build use it too and reuse
// the packages the test binary already compiled that way (a cold build of Fyne's cgo
// otherwise takes minutes on CI's two cores).
const raceEnabled = true
