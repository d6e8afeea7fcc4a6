// Package ui holds the Fyne screens of ssowizard: the window shell with its tabs
// (Setup, Harness, Inspector), the start screen that begins or resumes a setup, the
// harness panel and the Inspector. It receives what it needs through Deps from the
// composition root in cmd/ssowizard and keeps no package-level state.
package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/inspect"
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
	// Example makes the example of "Load example", fresh at each call so its message is
	// inside its validity window when inspected; nil hides the button. It may be slow (the
	// first call makes a key) and is called off the UI goroutine.
	Example func() (Example, error)

	// Engine runs and keeps setups, ready to use. When it is nil, OpenEngine opens one
	// on first need; when both are nil the wizard is left out of the window.
	Engine *wizard.Engine
	// OpenEngine opens the engine (its database, the keyring): it may be slow and is
	// called once, off the UI goroutine, so the window shows before it is done. It is
	// used only when Engine is nil.
	OpenEngine func(ctx context.Context) (*wizard.Engine, error)
	// DemoOnFirstRun starts a demo setup (demo ticket, OIDC, manual mode, the local
	// harness) when there is no saved setup, so a first start walks the whole journey.
	DemoOnFirstRun bool
	// Target returns where a session's steps act: "harness" (the embedded local Entra,
	// started on first use, with its seeded user completing test logins) or "entra"
	// (a real tenant). It may be slow and is called off the UI goroutine. In automatic
	// mode on a real tenant the admin signs in to Microsoft Graph with a device code
	// when a step first needs Graph: the target then calls signIn, from any goroutine,
	// and the window shows the code and the page to enter it on.
	Target func(ctx context.Context, name string, mode wizard.Mode, signIn func(SignIn)) (*wizard.Target, error)
	// OpenURL opens a link in the system browser (the Entra admin center's blades);
	// nil hides the buttons that would.
	OpenURL func(u string) error
	// Harness starts and stops the embedded local Entra; nil leaves the Harness tab out.
	Harness HarnessControl
}

// Example is what "Load example" loads: an Entra-shaped message from the demo tenant,
// the federation metadata that publishes the certificate it was signed with, and what
// it was made for. The Inspector trusts that metadata and sets those expectations, so the
// example shows a verified result; "Forget" clears the trust like any other.
type Example struct {
	// Message is the input, as the browser posts it (a base64 SAMLResponse).
	Message []byte
	// Metadata is the example app's federation metadata, carrying the signing certificate.
	Metadata []byte
	// SPEntityID and ACS are the vendor's Identifier and Reply URL the message was made for.
	SPEntityID string
	ACS        string
}

// SignIn is a device-code sign-in to Microsoft Graph waiting for the admin: open URL,
// enter Code, sign in as an administrator. Message is Entra's own sentence for it.
type SignIn struct {
	Message string
	URL     string
	Code    string
}

// HarnessControl runs the embedded local Entra for the Harness tab. Its methods are
// safe to call from any goroutine; Start and Stop may be slow and are called off the UI
// goroutine.
type HarnessControl interface {
	// Start starts the harness, or returns the one already running.
	Start(ctx context.Context) (*harness.Server, error)
	// Stop stops the harness; stopping one that is not running does nothing.
	Stop(ctx context.Context) error
	// Server returns the running harness, or nil.
	Server() *harness.Server
}

// Main is the main window and the shell in it.
type Main struct {
	// Window is the main window; ShowAndRun it.
	Window fyne.Window
	sh     *shell
}

// NewMain builds the main window with the shell and its screens. It does no slow work:
// the engine is opened and the harness started later, off the UI goroutine.
func NewMain(d Deps) *Main {
	w := d.App.NewWindow("ssowizard")
	sh := newShell(d, w, screens(d))
	w.SetContent(sh.content)
	w.Resize(fyne.NewSize(1280, 860))
	sh.start()
	return &Main{Window: w, sh: sh}
}

// NewMainWindow builds the main window with the shell and its screens.
func NewMainWindow(d Deps) fyne.Window { return NewMain(d).Window }

// NewContent builds the shell and its screens as the content of the window w, routes
// files dropped on w to the screen shown, and returns the content.
func NewContent(d Deps, w fyne.Window) fyne.CanvasObject {
	sh := newShell(d, w, screens(d))
	w.SetContent(sh.content)
	sh.start()
	return sh.content
}
