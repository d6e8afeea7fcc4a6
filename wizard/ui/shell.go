package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// screen is one entry of the shell, as data: the Wizard and Harness screens join the
// Inspector here.
type screen struct {
	Title string
	Intro string
	View  func(e *env) fyne.CanvasObject
}

// screens lists the shell's screens in the order of their tabs: the Setup first when
// there is an engine to run setups.
func screens(d Deps) []screen {
	var out []screen
	if d.Engine != nil {
		out = append(out, screen{
			Title: "Setup",
			Intro: setupIntro,
			View:  func(e *env) fyne.CanvasObject { return newSetupHost(e).view() },
		})
	}
	return append(out, screen{
		Title: "Inspector",
		Intro: "Decode and check a SAML message, a JWT, a token response or a HAR capture, offline. " +
			"Add the IdP's certificate, metadata or JWKS under Trust and expectations to check who signed it.",
		View: func(e *env) fyne.CanvasObject { return newInspector(e).view() },
	})
}

// env is what a screen's view gets from the shell.
type env struct {
	win  fyne.Window
	deps Deps
	// dropped receives files dropped on the window while the screen is shown; nil
	// when the screen takes no files.
	dropped func([]fyne.URI)
	// settled runs after each async result is applied; tests wait on it.
	settled func()
}

// async runs work off the UI goroutine, then applies the function it returns on the
// UI goroutine. It is the only way the screens update widgets from a goroutine.
func (e *env) async(work func() (apply func())) {
	go func() {
		apply := work()
		fyne.Do(func() {
			apply()
			if e.settled != nil {
				e.settled()
			}
		})
	}()
}

// now is the injected clock.
func (e *env) now() time.Time { return e.deps.Now() }

// copy puts a value on the clipboard.
func (e *env) copy(v string) {
	e.deps.App.Clipboard().SetContent(v)
}

// shell holds the screens as tabs.
type shell struct {
	tabs    *container.AppTabs
	envs    []*env
	content fyne.CanvasObject
}

// newShell builds the shell with the given screens for the window w.
func newShell(d Deps, w fyne.Window, scs []screen) *shell {
	if d.Now == nil {
		d.Now = time.Now
	}
	sh := &shell{tabs: container.NewAppTabs()}
	for _, sc := range scs {
		e := &env{win: w, deps: d}
		intro := widget.NewLabel(sc.Intro)
		intro.Wrapping = fyne.TextWrapWord
		sh.tabs.Append(container.NewTabItem(sc.Title, container.NewBorder(intro, nil, nil, nil, sc.View(e))))
		sh.envs = append(sh.envs, e)
	}
	w.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) {
		if e := sh.envs[sh.tabs.SelectedIndex()]; e.dropped != nil {
			e.dropped(uris)
		}
	})
	sh.content = sh.tabs
	return sh
}
