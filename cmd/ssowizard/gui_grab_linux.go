//go:build linux && cgo

package main

import (
	"errors"
	"image"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"

	"github.com/ssowizard/ssowizard/internal/xgrab"
)

// grabWindow reads what an X11 window shows, for `make screenshots` under Xvfb, where
// the canvas's own capture reads an empty OpenGL front buffer.
func grabWindow(w fyne.Window) (image.Image, error) {
	nw, ok := w.(driver.NativeWindow)
	if !ok {
		return nil, errors.New("the window has no native handle")
	}
	var handle uintptr
	nw.RunNative(func(ctx any) {
		if x, ok := ctx.(driver.X11WindowContext); ok {
			handle = x.WindowHandle
		}
	})
	if handle == 0 {
		return nil, errors.New("the window is not an X11 window")
	}
	return xgrab.Window(uint64(handle))
}
