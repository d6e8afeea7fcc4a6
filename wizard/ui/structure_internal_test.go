package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// renderStructure writes what the canvas shows as indented lines, one per widget: its
// kind, its text and its state (importance, style, disabled, checked, selected), in
// the order they appear. It holds no position or size, and a label's text is whole
// rather than cut into the lines it wraps to, so a font or theme change, or a text
// whose glyphs differ in width from run to run, leaves it as it was. Hidden objects
// and pure decoration (rectangles, lines) are left out.
func renderStructure(c fyne.Canvas) string {
	var b strings.Builder
	walkStructure(&b, c.Content(), 0)
	for _, o := range c.Overlays().List() {
		b.WriteString("overlay\n")
		walkStructure(&b, o, 1)
	}
	return b.String()
}

func walkStructure(b *strings.Builder, o fyne.CanvasObject, depth int) {
	if o == nil || (reflect.ValueOf(o).Kind() == reflect.Pointer && reflect.ValueOf(o).IsNil()) || !o.Visible() {
		return
	}
	o = extended(o)
	line := func(kind string, attrs ...string) { writeLine(b, depth, kind, attrs...) }
	children := func(objs ...fyne.CanvasObject) {
		for _, c := range objs {
			walkStructure(b, c, depth+1)
		}
	}
	switch v := o.(type) {
	case *widget.Label:
		line("label", styleAttr(v.TextStyle), importanceAttr(v.Importance), sizeNameAttr(v.SizeName), strconv.Quote(v.Text))
	case *widget.Button:
		line("button", importanceAttr(v.Importance), disabledAttr(v.Disabled()), resourceAttr("icon", v.Icon), strconv.Quote(v.Text))
	case *widget.Entry:
		kind := "entry"
		if v.MultiLine {
			kind = "multiline-entry"
		}
		text := strconv.Quote(v.Text)
		if v.Password {
			kind, text = "password-entry", fmt.Sprintf("(%d characters)", len([]rune(v.Text)))
		}
		placeholder := ""
		if v.PlaceHolder != "" {
			placeholder = "placeholder=" + strconv.Quote(v.PlaceHolder)
		}
		line(kind, disabledAttr(v.Disabled()), placeholder, text)
	case *widget.Check:
		line("check", flagAttr("checked", v.Checked), disabledAttr(v.Disabled()), strconv.Quote(v.Text))
	case *widget.RadioGroup:
		line("radio", disabledAttr(v.Disabled()), "selected="+strconv.Quote(v.Selected))
		for _, opt := range v.Options {
			writeLine(b, depth+1, "option", flagAttr("selected", opt == v.Selected), strconv.Quote(opt))
		}
	case *widget.Select:
		line("select", disabledAttr(v.Disabled()), "selected="+strconv.Quote(v.Selected), "options="+quoteAll(v.Options))
	case *widget.Hyperlink:
		u := ""
		if v.URL != nil {
			u = "url=" + strconv.Quote(v.URL.String())
		}
		line("link", u, strconv.Quote(v.Text))
	case *widget.Icon:
		line("icon", resourceAttr("", v.Resource))
	case *widget.Separator:
		line("separator")
	case *widget.ProgressBarInfinite:
		line("progress", flagAttr("running", v.Running()))
	case *widget.ProgressBar:
		line("progress", fmt.Sprintf("value=%g", v.Value))
	case *widget.RichText:
		line("richtext")
		for _, s := range v.Segments {
			writeLine(b, depth+1, fmt.Sprintf("%T", s)[len("*widget."):], strconv.Quote(s.Textual()))
		}
	case *widget.Accordion:
		line("accordion")
		for _, it := range v.Items {
			writeLine(b, depth+1, "item", flagAttr("open", it.Open), strconv.Quote(it.Title))
			if it.Open {
				walkStructure(b, it.Detail, depth+2)
			}
		}
	case *container.AppTabs:
		line("tabs")
		for _, it := range v.Items {
			writeLine(b, depth+1, "tab", flagAttr("selected", it == v.Selected()), strconv.Quote(it.Text))
			if it == v.Selected() {
				walkStructure(b, it.Content, depth+2)
			}
		}
	case *container.Split:
		line("split", flagAttr("horizontal", v.Horizontal))
		children(v.Leading, v.Trailing)
	case *container.Scroll:
		line("scroll")
		children(v.Content)
	case *fyne.Container:
		shown := false
		for _, c := range v.Objects {
			shown = shown || c.Visible()
		}
		if !shown {
			return
		}
		line(layoutKind(v.Layout))
		children(v.Objects...)
	case *canvas.Text:
		line("text", styleAttr(v.TextStyle), strconv.Quote(v.Text))
	case *canvas.Image:
		line("image", resourceAttr("", v.Resource))
	case *canvas.Rectangle, *canvas.Line, *canvas.Circle, *canvas.LinearGradient, *canvas.RadialGradient:
	case fyne.Widget:
		line(strings.TrimPrefix(fmt.Sprintf("%T", v), "*"))
		children(test.WidgetRenderer(v).Objects()...)
	default:
		line(fmt.Sprintf("%T", v))
	}
}

// extended is the widget o extends (a struct whose first field embeds one of Fyne's,
// like enterButton's widget.Button), else o: it shows as what it extends.
func extended(o fyne.CanvasObject) fyne.CanvasObject {
	v := reflect.ValueOf(o)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct || v.Elem().NumField() == 0 ||
		strings.HasPrefix(v.Elem().Type().PkgPath(), "fyne.io/") {
		return o
	}
	f := v.Elem().Type().Field(0)
	if !f.Anonymous || !f.IsExported() || f.Type.PkgPath() != "fyne.io/fyne/v2/widget" || f.Type.Name() == "BaseWidget" || f.Type.Name() == "DisableableWidget" {
		return o
	}
	if w, ok := v.Elem().Field(0).Addr().Interface().(fyne.CanvasObject); ok {
		return w
	}
	return o
}

func writeLine(b *strings.Builder, depth int, kind string, attrs ...string) {
	b.WriteString(strings.Repeat("  ", depth))
	b.WriteString(kind)
	for _, a := range attrs {
		if a != "" {
			b.WriteString(" " + a)
		}
	}
	b.WriteString("\n")
}

// layoutKind names a container by its layout: what groups its children, not where.
func layoutKind(l fyne.Layout) string {
	if l == nil {
		return "container"
	}
	name := strings.TrimPrefix(fmt.Sprintf("%T", l), "*")
	name = strings.TrimPrefix(name, "layout.")
	name = strings.TrimSuffix(name, "Layout")
	if _, ok := l.(*layout.CustomPaddedLayout); ok {
		name = "padded"
	}
	return strings.ToLower(name[:1]) + name[1:]
}

func styleAttr(s fyne.TextStyle) string {
	var out []string
	for _, f := range []struct {
		on   bool
		name string
	}{{s.Bold, "bold"}, {s.Italic, "italic"}, {s.Monospace, "monospace"}, {s.Symbol, "symbol"}, {s.Underline, "underline"}} {
		if f.on {
			out = append(out, f.name)
		}
	}
	return strings.Join(out, " ")
}

var importanceNames = map[widget.Importance]string{
	widget.HighImportance: "high", widget.LowImportance: "low", widget.DangerImportance: "danger",
	widget.WarningImportance: "warning", widget.SuccessImportance: "success",
}

func importanceAttr(i widget.Importance) string {
	if i == widget.MediumImportance {
		return ""
	}
	if n, ok := importanceNames[i]; ok {
		return "importance=" + n
	}
	return fmt.Sprintf("importance=%d", i)
}

func sizeNameAttr(n fyne.ThemeSizeName) string {
	if n == "" {
		return ""
	}
	return "size=" + string(n)
}

func disabledAttr(d bool) string { return flagAttr("disabled", d) }

func flagAttr(name string, on bool) string {
	if on {
		return name
	}
	return ""
}

func resourceAttr(name string, r fyne.Resource) string {
	if r == nil {
		return ""
	}
	if name == "" {
		return r.Name()
	}
	return name + "=" + r.Name()
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, " ") + "]"
}

// assertStructure compares renderStructure's lines for the canvas with the golden
// testdata/name, after replacing what varies between runs (ports, temporary paths)
// with stable stand-ins, given as old, new pairs.
func assertStructure(t *testing.T, name string, c fyne.Canvas, pairs ...string) {
	t.Helper()
	assertGolden(t, name, strings.NewReplacer(pairs...).Replace(renderStructure(c)))
}

// assertGolden compares got with testdata/name, rewriting it under -update; what
// differs is written to testdata/failed/name.
func assertGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the golden: %v (run with -update to write it)", err)
	}
	if got != string(want) {
		failed := filepath.Join("testdata", "failed", name)
		os.MkdirAll(filepath.Dir(failed), 0o755)
		os.WriteFile(failed, []byte(got), 0o644)
		t.Errorf("what is shown differs from %s; what was rendered is in %s", path, failed)
	}
}

// TestRenderStructure: what a window shows, whole texts and states in order, the
// same at any width; hidden widgets and decoration are left out.
func TestRenderStructure(t *testing.T) {
	test.NewTempApp(t)
	hidden := widget.NewLabel("hidden")
	hidden.Hide()
	run := widget.NewButton("Check", nil)
	run.Importance = widget.HighImportance
	run.Disable()
	done := widget.NewCheck("Done", nil)
	done.SetChecked(true)
	url := widget.NewEntry()
	url.SetPlaceHolder("https://…")
	long := widget.NewLabel("The SAML signing certificate B94C3D51F146C57683DA9FD51CFF5ED09501674A is valid until 2029-11-23.")
	long.Wrapping = fyne.TextWrapWord
	title := widget.NewLabelWithStyle("Step 1", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	w := test.NewTempWindow(t, container.NewVBox(title, hidden, long, container.NewHBox(run, done), url))
	const want = `vBox
  label bold "Step 1"
  label "The SAML signing certificate B94C3D51F146C57683DA9FD51CFF5ED09501674A is valid until 2029-11-23."
  hBox
    button importance=high disabled "Check"
    check checked "Done"
  entry placeholder="https://…" ""
`
	for _, width := range []float32{200, 900} {
		w.Resize(fyne.NewSize(width, 400))
		if got := renderStructure(w.Canvas()); got != want {
			t.Errorf("renderStructure at width %v =\n%s\nwant\n%s", width, got, want)
		}
	}
}
