package harness

import (
	"os"
	"runtime/debug"
)

// TuneGCForServing sets the collector of a process whose job is serving the harness
// (ssowizard harness). A SAML login allocates about 150 KB on a heap of a few
// megabytes, so Go's default (GOGC=100) collects hundreds of times a second under load;
// 400 trades some 20 MB of heap for about a tenth of the CPU per login. A GOGC set in
// the environment wins. The app's window, which also embeds the harness, keeps Go's
// default: this is for the serving process only.
func TuneGCForServing() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}
