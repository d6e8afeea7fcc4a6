package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssowizard/ssowizard/inspect"
	"github.com/ssowizard/ssowizard/wizard"
	"github.com/ssowizard/ssowizard/wizard/secret"
	"github.com/ssowizard/ssowizard/wizard/store"
)

// screenIndex is the index of the screen titled title.
func screenIndex(t *testing.T, scs []screen, title string) int {
	t.Helper()
	for i, sc := range scs {
		if sc.Title == title {
			return i
		}
	}
	t.Fatalf("no screen titled %q", title)
	return -1
}

// shellRig is the whole shell in a test window, every screen's async results signalled
// on settled, and the Inspector's input recorded on inspected.
type shellRig struct {
	t         *testing.T
	app       fyne.App
	win       fyne.Window
	sh        *shell
	settled   chan struct{}
	inspected chan []byte
}

// newShellRig builds the shell for d in a test window. A nil d.Now is 2 hours after
// fixedNow, the time the test engine stamps setups with.
func newShellRig(t *testing.T, d Deps) *shellRig {
	t.Helper()
	r := &shellRig{t: t, settled: make(chan struct{}, 64), inspected: make(chan []byte, 8)}
	r.app = test.NewTempApp(t)
	d.App = r.app
	if d.Now == nil {
		d.Now = func() time.Time { return fixedNow.Add(2 * time.Hour) }
	}
	if d.Inspect == nil {
		d.Inspect = func(in []byte, _ inspect.Options) *inspect.Report {
			r.inspected <- in
			return acceptedReport()
		}
	}
	r.win = test.NewTempWindow(t, widget.NewLabel(""))
	scs := screens(d)
	for i := range scs {
		view := scs[i].View
		scs[i].View = func(e *env) fyne.CanvasObject {
			e.settled = func() { r.settled <- struct{}{} }
			return view(e)
		}
	}
	r.sh = newShell(d, r.win, scs)
	r.win.SetContent(r.sh.content)
	r.win.Resize(fyne.NewSize(1100, 900))
	r.sh.start()
	return r
}

// wait blocks until n async results have been applied.
func (r *shellRig) wait(n int) {
	r.t.Helper()
	for range n {
		select {
		case <-r.settled:
		case <-time.After(30 * time.Second):
			r.t.Fatal("no async result was applied within 30s")
		}
	}
}

// relayout lays the window out again, as the GL driver does on the next frame: a
// wrapping label knows its height only once it has its width.
func (r *shellRig) relayout() {
	size := r.win.Canvas().Size()
	r.win.Resize(size.AddWidthHeight(0, 1))
	r.win.Resize(size)
}

// newEngine is an engine on a fresh database whose clock stands at fixedNow.
func newEngine(t *testing.T) *wizard.Engine {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "ssowizard.db"))
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return &wizard.Engine{DB: db, Secrets: secret.Memory(), Now: func() time.Time { return fixedNow }}
}

// TestShellScreens: the tabs follow what Deps provide.
func TestShellScreens(t *testing.T) {
	for _, tc := range []struct {
		name string
		deps Deps
		want []string
	}{
		{"inspector only", Deps{}, []string{"Inspector"}},
		{"engine", Deps{Engine: newEngine(t)}, []string{"Setup", "Inspector"}},
		{"opened engine", Deps{OpenEngine: func(context.Context) (*wizard.Engine, error) { return nil, context.Canceled }}, []string{"Setup", "Inspector"}},
		{"harness", Deps{Harness: &testHarness{t: t}}, []string{"Harness", "Inspector"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newShellRig(t, tc.deps)
			var got []string
			for _, it := range r.sh.tabs.Items {
				got = append(got, it.Text)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("tabs = %v, want %v", got, tc.want)
			}
			if tc.deps.Engine != nil || tc.deps.OpenEngine != nil {
				r.wait(1) // the start screen's list
			}
		})
	}
}

// TestTabShortcuts: Ctrl+N shows the Nth tab, building it on the way.
func TestTabShortcuts(t *testing.T) {
	r := newShellRig(t, Deps{Engine: newEngine(t), Harness: &testHarness{t: t}})
	r.wait(1)
	sc, ok := r.win.Canvas().(fyne.Shortcutable)
	if !ok {
		t.Fatal("the test canvas takes no shortcuts")
	}
	for _, tc := range []struct {
		key  int
		want string
	}{{3, "Inspector"}, {2, "Harness"}, {1, "Setup"}, {3, "Inspector"}} {
		sc.TypedShortcut(tabShortcut(tc.key - 1))
		if got := r.sh.tabs.Selected().Text; got != tc.want {
			t.Errorf("after Ctrl+%d the tab is %s, want %s", tc.key, got, tc.want)
		}
		if !r.sh.built[r.sh.tabs.SelectedIndex()] {
			t.Errorf("after Ctrl+%d the %s tab is shown but not built", tc.key, tc.want)
		}
	}
}

// TestWindowSize: the window can shrink to the minimum and no smaller, and every screen
// fits the window's first size.
func TestWindowSize(t *testing.T) {
	r := newShellRig(t, Deps{Engine: newEngine(t), Harness: &testHarness{t: t}, Example: func() (Example, error) { return Example{}, nil }})
	r.wait(1)
	for i := range r.sh.screens {
		r.sh.tabs.SelectIndex(i)
	}
	got := r.sh.content.MinSize()
	if got.Width < minWindow.Width || got.Height < minWindow.Height {
		t.Errorf("MinSize = %v, want at least %v", got, minWindow)
	}
	if first := fyne.NewSize(1280, 860); got.Width > first.Width || got.Height > first.Height {
		t.Errorf("MinSize = %v: the screens do not fit the window's first size %v", got, first)
	}
}

// TestThemeToggle: the toggle applies the dark or light variant whatever the system's,
// keeps the choice in the preferences, and a new window starts with it.
func TestThemeToggle(t *testing.T) {
	r := newShellRig(t, Deps{})
	base := r.sh.themes.base
	bg := func() string {
		c := r.app.Settings().Theme().Color(theme.ColorNameBackground, theme.VariantLight)
		return colorString(c)
	}
	if r.sh.dark.Checked {
		t.Fatal("the test app's system variant is not dark, yet the toggle starts checked")
	}
	for _, tc := range []struct {
		dark    bool
		pref    string
		variant fyne.ThemeVariant
	}{{true, "dark", theme.VariantDark}, {false, "light", theme.VariantLight}, {true, "dark", theme.VariantDark}} {
		test.Tap(r.sh.dark)
		if r.sh.dark.Checked != tc.dark {
			t.Fatalf("after a tap the toggle is %v, want %v", r.sh.dark.Checked, tc.dark)
		}
		if got := r.app.Preferences().String(prefTheme); got != tc.pref {
			t.Errorf("preference %s = %q, want %q", prefTheme, got, tc.pref)
		}
		if want := colorString(base.Color(theme.ColorNameBackground, tc.variant)); bg() != want {
			t.Errorf("background = %s, want the %s variant's %s", bg(), tc.pref, want)
		}
	}
	r.relayout()
	assertMarkup(t, "shell_dark.xml", r.win.Canvas())

	// A new window of the same app starts dark.
	w2 := test.NewTempWindow(t, widget.NewLabel(""))
	sh2 := newShell(Deps{App: r.app}, w2, screens(Deps{}))
	if !sh2.dark.Checked || !sh2.themes.dark() {
		t.Error("a new window does not start with the dark theme chosen before")
	}
}

func colorString(c interface{ RGBA() (r, g, b, a uint32) }) string {
	r, g, b, a := c.RGBA()
	return fmt.Sprintf("%d,%d,%d,%d", r>>8, g>>8, b>>8, a>>8)
}
