package ui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"time"

	"fyne.io/fyne/v2"
)

// Bounds of the screenshot tour.
const (
	tourWait  = 90 * time.Second       // for a screen to settle (the first harness start makes keys)
	tourPoll  = 50 * time.Millisecond  // how often it looks
	tourFrame = 400 * time.Millisecond // for the window to paint what changed
)

// Grab reads what a window shows. Screenshots uses it when the canvas's own Capture
// reads nothing: Mesa's software OpenGL under Xvfb reads back an empty front buffer.
type Grab func(w fyne.Window) (image.Image, error)

// Screenshots shows each main screen in turn and writes it to dir as a PNG: an opened
// setup (setup.png), the start screen in the light and the dark theme (start.png,
// start-dark.png), the harness panel running (harness.png) and the Inspector with the
// example inspected (inspector.png). It returns the files written. Call it off the UI
// goroutine once the window is shown; it leaves the light theme chosen. grab may be nil.
func (m *Main) Screenshots(ctx context.Context, dir string, grab Grab) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("screenshots: %w", err)
	}
	sh := m.sh
	var files []string
	shoot := func(name string) error {
		if err := m.settle(ctx, func() bool { return true }); err != nil {
			return fmt.Errorf("screenshot %s: %w", name, err)
		}
		time.Sleep(tourFrame)
		path := filepath.Join(dir, name)
		var err error
		fyne.DoAndWait(func() { err = writePNG(path, m.Window, grab) })
		if err != nil {
			return err
		}
		files = append(files, path)
		return nil
	}
	theme := func(dark bool) { fyne.DoAndWait(func() { sh.dark.SetChecked(dark) }) }

	if sh.setup == nil {
		return nil, errors.New("screenshots: the window has no Setup tab")
	}
	theme(false)
	// A first run opens the demo setup by itself; otherwise start one.
	if err := m.settle(ctx, func() bool { return true }); err != nil {
		return nil, err
	}
	fyne.DoAndWait(func() {
		if sh.setup.opened == nil {
			sh.setup.start.startDemo()
		}
	})
	if err := m.settle(ctx, func() bool { return sh.setup.opened != nil }); err != nil {
		return nil, fmt.Errorf("screenshots: the demo setup did not open: %w", err)
	}
	if err := shoot("setup.png"); err != nil {
		return files, err
	}
	fyne.DoAndWait(sh.setup.back)
	if err := shoot("start.png"); err != nil {
		return files, err
	}
	theme(true)
	if err := shoot("start-dark.png"); err != nil {
		return files, err
	}
	theme(false)

	hasHarness := false
	fyne.DoAndWait(func() { hasHarness = sh.selectTab("Harness") })
	if hasHarness {
		if err := shoot("harness.png"); err != nil {
			return files, err
		}
	}
	hasExample := false
	fyne.DoAndWait(func() { hasExample = sh.loadExample() })
	if hasExample {
		if err := shoot("inspector.png"); err != nil {
			return files, err
		}
	}
	fyne.DoAndWait(func() { sh.selectTab("Setup") })
	return files, nil
}

// settle waits until no async work is pending and done reports true, looking on the UI
// goroutine.
func (m *Main) settle(ctx context.Context, done func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, tourWait)
	defer cancel()
	for {
		ok := false
		fyne.DoAndWait(func() { ok = m.sh.pending.Load() == 0 && done() })
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(tourPoll):
		}
	}
}

// writePNG writes what the window shows to path: the canvas's capture, or grab's when
// the capture is empty.
func writePNG(path string, w fyne.Window, grab Grab) error {
	img := w.Canvas().Capture()
	if blank(img) && grab != nil {
		var err error
		if img, err = grab(w); err != nil {
			return fmt.Errorf("screenshot %s: %w", path, err)
		}
	}
	if blank(img) {
		return fmt.Errorf("screenshot %s: the window's capture is empty", path)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(f, paletted(img)); err != nil {
		f.Close()
		return fmt.Errorf("screenshot %s: %w", path, err)
	}
	return f.Close()
}

// blank reports whether img has no opaque pixel, sampling every 16th row and column.
func blank(img image.Image) bool {
	if img == nil {
		return true
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 16 {
		for x := b.Min.X; x < b.Max.X; x += 16 {
			if _, _, _, a := img.At(x, y).RGBA(); a != 0 {
				return false
			}
		}
	}
	return true
}

// paletted maps img to its 256 most frequent colours, each pixel to the nearest of them:
// a window has few colours beside the shades of anti-aliased text, and a paletted PNG is
// a fraction of the size.
func paletted(img image.Image) *image.Paletted {
	b := img.Bounds()
	counts := map[color.NRGBA]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			counts[color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)]++
		}
	}
	cs := make([]color.NRGBA, 0, len(counts))
	for c := range counts {
		cs = append(cs, c)
	}
	sort.Slice(cs, func(i, j int) bool {
		if counts[cs[i]] != counts[cs[j]] {
			return counts[cs[i]] > counts[cs[j]]
		}
		return colorKey(cs[i]) < colorKey(cs[j])
	})
	pal := make(color.Palette, 0, 256)
	for _, c := range cs[:min(len(cs), 256)] {
		pal = append(pal, c)
	}
	out := image.NewPaletted(b, pal)
	index := map[color.NRGBA]uint8{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			i, ok := index[c]
			if !ok {
				i = uint8(pal.Index(c))
				index[c] = i
			}
			out.SetColorIndex(x, y, i)
		}
	}
	return out
}

func colorKey(c color.NRGBA) uint32 {
	return uint32(c.R)<<24 | uint32(c.G)<<16 | uint32(c.B)<<8 | uint32(c.A)
}
