package ui

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssowizard/ssowizard/wizard"
)

// minWindow is the smallest window the screens are laid out for: below it text would
// be cut off rather than wrapped.
var minWindow = fyne.NewSize(760, 540)

// screen is one entry of the shell, as data.
type screen struct {
	Title string
	Intro string
	// Inspects marks the screen that takes inputs other screens send to be inspected.
	Inspects bool
	View     func(e *env) fyne.CanvasObject
}

// screens lists the shell's screens in the order of their tabs: Setup when there is an
// engine to run setups, Harness when the local Entra can be run, and the Inspector.
func screens(d Deps) []screen {
	var out []screen
	if d.Engine != nil || d.OpenEngine != nil {
		out = append(out, screen{
			Title: "Setup",
			Intro: setupIntro,
			View:  func(e *env) fyne.CanvasObject { return newSetupTab(e).view() },
		})
	}
	if d.Harness != nil {
		out = append(out, screen{
			Title: "Harness",
			Intro: "The local Entra: a demo tenant on this computer with its own sign-in page, users and apps, for trying a setup or reproducing a customer's login offline.",
			View:  func(e *env) fyne.CanvasObject { return newHarnessPanel(e).view() },
		})
	}
	return append(out, screen{
		Title: "Inspector",
		Intro: "Decode and check a SAML message, a JWT, a token response or a HAR capture, offline. " +
			"Add the IdP's certificate, metadata or JWKS under Trust and expectations to check who signed it.",
		Inspects: true,
		View:     func(e *env) fyne.CanvasObject { return newInspector(e).view() },
	})
}

// env is what a screen's view gets from the shell.
type env struct {
	win  fyne.Window
	deps Deps
	sh   *shell
	// dropped receives files dropped on the window while the screen is shown; nil
	// when the screen takes no files.
	dropped func([]fyne.URI)
	// accept takes an input to inspect, named for people; set by the Inspector.
	accept func(name string, input []byte)
	// example loads the example and inspects it; set by the Inspector.
	example func()
	// shown runs each time the screen's tab is selected; nil when nothing needs it.
	shown func()
	// load starts the screen's first loading once it is in the window (so no result
	// can be applied while the window is still being built); nil when it loads nothing.
	load func()
	// settled runs after each async result is applied; tests wait on it.
	settled func()
	// signIn is the device-code dialog shown while a step waits for the admin to sign
	// in to Microsoft Graph; nil when none is.
	signIn dialog.Dialog
	// copied is the copy button that says "Copied", or nil.
	copied *copiedButton
}

// async runs work off the UI goroutine, then applies the function it returns on the
// UI goroutine. It is the only way the screens update widgets from a goroutine.
func (e *env) async(work func() (apply func())) {
	if e.sh != nil {
		e.sh.pending.Add(1)
	}
	go func() {
		apply := work()
		fyne.Do(func() {
			apply()
			if e.sh != nil {
				e.sh.pending.Add(-1)
			}
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

// copyButton is a button that puts value on the clipboard and then says so: it reads
// "Copied" with a tick until another copy button of the screen is used (nothing
// time-based). label may be empty for an icon-only button.
func (e *env) copyButton(label, value string) *widget.Button {
	var b *widget.Button
	b = widget.NewButtonWithIcon(label, theme.ContentCopyIcon(), func() {
		e.copy(value)
		if prev := e.copied; prev != nil && prev.btn != b {
			prev.btn.SetText(prev.label)
			prev.btn.SetIcon(theme.ContentCopyIcon())
		}
		e.copied = &copiedButton{btn: b, label: label}
		b.SetText("Copied")
		b.SetIcon(theme.ConfirmIcon())
	})
	return b
}

// copiedButton is the copy button that last copied, with its own label.
type copiedButton struct {
	btn   *widget.Button
	label string
}

// engine returns the wizard engine, opening it on first need. It may be slow: call it
// off the UI goroutine.
func (e *env) engine(ctx context.Context) (*wizard.Engine, error) {
	return e.sh.engine(ctx)
}

// inspect shows the Inspector with input in it, named for people, and inspects it.
func (e *env) inspect(name string, input []byte) {
	e.sh.inspect(name, input)
}

// shell holds the screens as tabs.
type shell struct {
	deps    Deps
	win     fyne.Window
	tabs    *container.AppTabs
	screens []screen
	envs    []*env
	built   []bool
	themes  *themes
	dark    *widget.Check
	content fyne.CanvasObject
	// setup and harness are the Setup and Harness tabs, once built.
	setup   *setupTab
	harness *harnessPanel
	// pending counts the async work not yet applied.
	pending atomic.Int32
	// live is set once the shell is in its window: screens built from then on load at once.
	live bool

	engineMu sync.Mutex
	eng      *wizard.Engine
}

// newShell builds the shell with the given screens for the window w: the screens, a
// light/dark toggle, and Ctrl+1… to switch tabs. Only the first
// screen is built now; the others are built when first shown, so the window opens fast.
func newShell(d Deps, w fyne.Window, scs []screen) *shell {
	if d.Now == nil {
		d.Now = time.Now
	}
	sh := &shell{deps: d, win: w, tabs: container.NewAppTabs(), eng: d.Engine, themes: newThemes(d.App)}
	sh.themes.apply()
	for _, sc := range scs {
		sh.screens = append(sh.screens, sc)
		sh.envs = append(sh.envs, &env{win: w, deps: d, sh: sh})
		sh.tabs.Append(container.NewTabItem(sc.Title, container.NewStack()))
	}
	sh.built = make([]bool, len(sh.screens))
	if len(sh.screens) > 0 {
		sh.build(0)
	}
	sh.tabs.OnSelected = func(*container.TabItem) {
		i := sh.tabs.SelectedIndex()
		if !sh.build(i) && sh.envs[i].shown != nil {
			sh.envs[i].shown()
		}
	}
	w.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) {
		if e := sh.envs[sh.tabs.SelectedIndex()]; e.dropped != nil {
			e.dropped(uris)
		}
	})
	for i := range sh.envs {
		if i >= 9 {
			break
		}
		w.Canvas().AddShortcut(tabShortcut(i), func(fyne.Shortcut) { sh.tabs.SelectIndex(i) })
	}

	sh.dark = widget.NewCheck("Dark theme", nil)
	sh.dark.Checked = sh.themes.dark()
	sh.dark.OnChanged = sh.themes.set
	// The toggle sits at the right end of the tab bar, over the tabs' empty space.
	overlay := container.NewVBox(container.NewHBox(layout.NewSpacer(), sh.dark))
	sh.content = container.New(&minSizeLayout{min: minWindow}, container.NewStack(sh.tabs, overlay))
	return sh
}

// build makes the view of the screen at index i unless it is made already; it reports
// whether it made it.
func (sh *shell) build(i int) bool {
	if sh.built[i] {
		return false
	}
	sh.built[i] = true
	sc, e := sh.screens[i], sh.envs[i]
	intro := widget.NewLabel(sc.Intro)
	intro.Wrapping = fyne.TextWrapWord
	item := sh.tabs.Items[i]
	item.Content = container.NewBorder(intro, nil, nil, nil, sc.View(e))
	sh.tabs.Refresh()
	if sh.live && e.load != nil {
		e.load()
	}
	return true
}

// start lets the screens load, once the shell is in its window.
func (sh *shell) start() {
	sh.live = true
	for i, e := range sh.envs {
		if sh.built[i] && e.load != nil {
			e.load()
		}
	}
}

// tabShortcut is Ctrl+N (⌘N on macOS) for the tab at index i.
func tabShortcut(i int) *desktop.CustomShortcut {
	return &desktop.CustomShortcut{KeyName: fyne.KeyName(fmt.Sprint(i + 1)), Modifier: fyne.KeyModifierShortcutDefault}
}

// selectTab shows the tab titled title; it reports whether there is one.
func (sh *shell) selectTab(title string) bool {
	for i, sc := range sh.screens {
		if sc.Title == title {
			sh.tabs.SelectIndex(i)
			return true
		}
	}
	return false
}

// engine returns the engine, opening it once; a failed open is tried again next time.
func (sh *shell) engine(ctx context.Context) (*wizard.Engine, error) {
	sh.engineMu.Lock()
	defer sh.engineMu.Unlock()
	if sh.eng != nil {
		return sh.eng, nil
	}
	if sh.deps.OpenEngine == nil {
		return nil, errors.New("saved setups are not available in this build")
	}
	eng, err := sh.deps.OpenEngine(ctx)
	if err != nil {
		return nil, err
	}
	sh.eng = eng
	return eng, nil
}

// inspect hands input to the Inspector and shows its tab.
func (sh *shell) inspect(name string, input []byte) {
	if e := sh.inspector(); e != nil && e.accept != nil {
		e.accept(name, input)
	}
}

// loadExample shows the Inspector and presses its "Load example"; it reports whether
// the Inspector offers an example.
func (sh *shell) loadExample() bool {
	e := sh.inspector()
	if e == nil || e.example == nil {
		return false
	}
	e.example()
	return true
}

// inspector builds and shows the Inspector's tab and returns its env; nil when the
// window has no Inspector.
func (sh *shell) inspector() *env {
	for i, sc := range sh.screens {
		if sc.Inspects {
			sh.build(i)
			sh.tabs.SelectIndex(i)
			return sh.envs[i]
		}
	}
	return nil
}
