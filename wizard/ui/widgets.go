package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// wrapLabel is a label that wraps at word boundaries, so nothing is cut off.
func wrapLabel(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// errorLabel is a hidden wrapping label for a field's error sentence.
func errorLabel() *widget.Label {
	l := wrapLabel("")
	l.Importance = widget.DangerImportance
	l.Hide()
	return l
}

func warnLabel(text string) *widget.Label {
	l := wrapLabel(text)
	l.Importance = widget.WarningImportance
	return l
}

func heading(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameSubHeadingText
	return l
}

func importance(lv level) widget.Importance {
	switch lv {
	case levelError:
		return widget.DangerImportance
	case levelWarning:
		return widget.WarningImportance
	}
	return widget.SuccessImportance
}

// bannerStyle is the theme colour and icon of a verdict.
func bannerStyle(lv level) (fyne.ThemeColorName, fyne.Resource) {
	switch lv {
	case levelError:
		return theme.ColorNameError, theme.NewErrorThemedResource(theme.ErrorIcon())
	case levelWarning:
		return theme.ColorNameWarning, theme.NewWarningThemedResource(theme.WarningIcon())
	}
	return theme.ColorNameSuccess, theme.NewSuccessThemedResource(theme.ConfirmIcon())
}

// bannerTint is the alpha of the banner's tint over the background.
const bannerTint = 0x30

// banner is the verdict line, framed and tinted with the theme's success, warning or
// error colour; the text keeps the foreground colour so it reads on any theme.
func banner(text string, lv level) fyne.CanvasObject {
	name, icon := bannerStyle(lv)
	c := themeColor(name)
	r, g, b, _ := c.RGBA()
	rect := canvas.NewRectangle(color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: bannerTint})
	rect.StrokeColor = c
	rect.StrokeWidth = 2
	rect.CornerRadius = theme.InputRadiusSize()
	t := canvas.NewText(text, themeColor(theme.ColorNameForeground))
	t.TextStyle = fyne.TextStyle{Bold: true}
	t.TextSize = theme.TextSubHeadingSize()
	img := widget.NewIcon(icon)
	return container.NewStack(rect, container.NewPadded(container.NewBorder(nil, nil, img, nil, t)))
}

func themeColor(n fyne.ThemeColorName) color.Color {
	return theme.Current().Color(n, fyne.CurrentApp().Settings().ThemeVariant())
}

var (
	_ fyne.Layout = (*columnsLayout)(nil)
	_ fyne.Layout = (*minSizeLayout)(nil)
)

// columnsLayout lays its objects out in rows of len(weights) cells, each column taking
// its weight of the width and each row the height of its tallest cell.
type columnsLayout struct {
	weights []float32
}

func newColumnsLayout(weights ...float32) *columnsLayout { return &columnsLayout{weights: weights} }

func (c *columnsLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	n := len(c.weights)
	free := size.Width - pad*float32(n-1)
	y := float32(0)
	for start := 0; start < len(objs); start += n {
		row := objs[start:min(start+n, len(objs))]
		// Size the cells to their widths first: a wrapping label's height depends on it.
		x := float32(0)
		for i, o := range row {
			w := free * c.weights[i]
			o.Move(fyne.NewPos(x, y))
			o.Resize(fyne.NewSize(w, o.MinSize().Height))
			x += w + pad
		}
		h := float32(0)
		for _, o := range row {
			h = max(h, o.MinSize().Height)
		}
		for _, o := range row {
			o.Resize(fyne.NewSize(o.Size().Width, h))
		}
		y += h + pad
	}
}

func (c *columnsLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	n := len(c.weights)
	pad := theme.Padding()
	var w, h float32
	for start := 0; start < len(objs); start += n {
		rowH := float32(0)
		for i, o := range objs[start:min(start+n, len(objs))] {
			m := o.MinSize()
			rowH = max(rowH, m.Height)
			w = max(w, m.Width/c.weights[i])
		}
		h += rowH + pad
	}
	if h > 0 {
		h -= pad
	}
	return fyne.NewSize(w+pad*float32(n-1), h)
}

// minSizeLayout stretches its objects over the whole space and asks for at least min:
// a list has no height of its own, and the shell's minimum sets the window's.
type minSizeLayout struct {
	min fyne.Size
}

func (m *minSizeLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (m *minSizeLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	s := m.min
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s
}

// openFileDialog makes the file-open dialog; the caller shows it. A failure to open
// goes to fail; the chosen file's name goes to use with a reader of at most
// maxInputBytes of it, to run off the UI goroutine (it closes the file). Cancelling
// does nothing.
func openFileDialog(win fyne.Window, fail func(error), use func(name string, read func() ([]byte, error))) *dialog.FileDialog {
	return dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil {
			fail(err)
			return
		}
		if rc == nil {
			return // cancelled
		}
		name := rc.URI().Name()
		use(name, func() ([]byte, error) {
			defer rc.Close()
			return readBounded(rc, name)
		})
	}, win)
}

// enterButton is a button that Enter (Return) presses when it has the focus, as Space
// does: Fyne's buttons take Space only, and a keyboard user expects both.
type enterButton struct {
	widget.Button
}

func newEnterButton(label string, icon fyne.Resource, tapped func()) *enterButton {
	b := &enterButton{}
	b.Text, b.Icon, b.OnTapped = label, icon, tapped
	b.ExtendBaseWidget(b)
	return b
}

// TypedKey presses the button on Enter or Return, and otherwise does what a button does.
func (b *enterButton) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter {
		ev = &fyne.KeyEvent{Name: fyne.KeySpace, Physical: ev.Physical}
	}
	b.Button.TypedKey(ev)
}

// keyEntry is an entry that leaves the window's own shortcuts (Ctrl+1… for the tabs)
// to the window: a focused Fyne entry takes every shortcut and drops those it does not
// know, so the tabs could not be switched from the keyboard while typing.
type keyEntry struct {
	widget.Entry
	win fyne.Window
}

// newKeyEntry is an entry of kind "line", "password" or "multiline" in the window win.
func newKeyEntry(win fyne.Window, kind string) *keyEntry {
	e := &keyEntry{win: win}
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	switch kind {
	case "password":
		e.Password = true // the entry adds its reveal button itself
	case "multiline":
		e.MultiLine = true
		e.Wrapping = fyne.TextWrapOff
	}
	e.ExtendBaseWidget(e)
	return e
}

// TypedShortcut hands the window's tab shortcuts to the window, and the rest (copy,
// paste, select all…) to the entry.
func (e *keyEntry) TypedShortcut(s fyne.Shortcut) {
	if cs, ok := s.(*desktop.CustomShortcut); ok && e.win != nil && isTabShortcut(cs) {
		if h, ok := e.win.Canvas().(fyne.Shortcutable); ok {
			h.TypedShortcut(s)
			return
		}
	}
	e.Entry.TypedShortcut(s)
}

// isTabShortcut reports whether s is one of the shell's Ctrl+1… tab shortcuts.
func isTabShortcut(s *desktop.CustomShortcut) bool {
	return s.Modifier == fyne.KeyModifierShortcutDefault && len(s.KeyName) == 1 && s.KeyName >= "1" && s.KeyName <= "9"
}
