// Package ui holds the Fyne screens of ssowizard: the window shell and its screens,
// the Inspector first. It receives what it needs through Deps from the composition
// root in cmd/ssowizard and keeps no package-level state.
package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"

	"github.com/ssowizard/ssowizard/harness/inspect"
	"github.com/ssowizard/ssowizard/wizard"
)

// Deps are what the screens need from the composition root. No globals.
type Deps struct {
	// App gives the clipboard and preferences.
	App fyne.App
	// Inspect checks one input; inspect.Inspect in production. It is called off the UI goroutine.
	Inspect func(input []byte, opts inspect.Options) *inspect.Report
	// Fetch reads metadata, JWKS and discovery URLs. It may be nil: URLs are then
	// refused with a sentence.
	Fetch func(ctx context.Context, url string) ([]byte, error)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Example makes an example Entra SAML response for "Load example", fresh at each call so
	// it is inside its validity window when inspected; nil hides the button.
	Example func() []byte

	// Engine runs and keeps setups; nil leaves the wizard out of the window.
	Engine *wizard.Engine
	// Target returns where a session's steps act: "harness" (the embedded local Entra,
	// started on first use, with its seeded user completing test logins) or "entra"
	// (a real tenant; automatic mode signs the admin in first). It may be slow and is
	// called off the UI goroutine.
	Target func(ctx context.Context, name string, mode wizard.Mode) (*wizard.Target, error)
	// OpenURL opens a link in the system browser (the Entra admin center's blades);
	// nil hides the buttons that would.
	OpenURL func(u string) error
}

// NewMainWindow builds the main window with the shell and its screens.
func NewMainWindow(d Deps) fyne.Window {
	w := d.App.NewWindow("ssowizard")
	w.SetContent(NewContent(d, w))
	w.Resize(fyne.NewSize(1280, 860))
	return w
}

// NewContent builds the shell and its screens for the window w, and routes files
// dropped on w to the screen shown. NewMainWindow uses it; tests put it in a test window.
func NewContent(d Deps, w fyne.Window) fyne.CanvasObject {
	return newShell(d, w, screens(d)).content
}
