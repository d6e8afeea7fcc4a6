// Package ui holds the Fyne screens of ssowizard: the window shell and its screens,
// the Inspector first. It receives what it needs through Deps from the composition
// root in cmd/ssowizard and keeps no package-level state.
package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"

	"github.com/ssowizard/ssowizard/harness/inspect"
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
	return newShell(d, w, screens()).content
}
