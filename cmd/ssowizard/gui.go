package main

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"fyne.io/fyne/v2/app"

	"github.com/ssowizard/ssowizard/assets"
	"github.com/ssowizard/ssowizard/harness/inspect"
	"github.com/ssowizard/ssowizard/wizard/ui"
)

// appID identifies the app to the desktop (preferences, storage); FyneApp.toml agrees.
const appID = "io.github.ssowizard"

// runGUI opens the window and blocks until it is closed.
func runGUI(e *env) int {
	if runtime.GOOS == "linux" && os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		fmt.Fprintln(e.stderr, "ssowizard: no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset); run it from a desktop session, or use a command such as 'ssowizard inspect FILE' (see 'ssowizard help').")
		return exitUsage
	}
	fetch, err := newFetcher(nil)
	if err != nil {
		fmt.Fprintf(e.stderr, "ssowizard: %v.\n", err)
		return exitUsage
	}
	example := &exampleSigner{now: time.Now}
	a := app.NewWithID(appID)
	a.SetIcon(assets.Icon)
	w := ui.NewMainWindow(ui.Deps{
		App:     a,
		Inspect: inspect.Inspect,
		Fetch:   fetch.Fetch,
		Now:     time.Now,
		Example: example.response,
	})
	w.ShowAndRun()
	return exitOK
}
