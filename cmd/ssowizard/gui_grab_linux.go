//go:build linux && cgo

package main

/*
#cgo LDFLAGS: -lX11
#include <stdlib.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>

static int shift(unsigned long mask) {
	int s = 0;
	while (mask && !(mask & 1)) { mask >>= 1; s++; }
	return s;
}

// grab reads an X11 window's pixels as RGBA into *out (malloc'd, freed by the caller).
static int grab(unsigned long win, int *w, int *h, unsigned char **out) {
	Display *d = XOpenDisplay(NULL);
	if (!d) return 1;
	XWindowAttributes a;
	if (!XGetWindowAttributes(d, (Window)win, &a)) { XCloseDisplay(d); return 2; }
	XImage *im = XGetImage(d, (Window)win, 0, 0, a.width, a.height, AllPlanes, ZPixmap);
	if (!im) { XCloseDisplay(d); return 3; }
	int rs = shift(im->red_mask), gs = shift(im->green_mask), bs = shift(im->blue_mask);
	unsigned char *buf = malloc((size_t)a.width * a.height * 4);
	if (!buf) { XDestroyImage(im); XCloseDisplay(d); return 4; }
	for (int y = 0; y < a.height; y++) {
		for (int x = 0; x < a.width; x++) {
			unsigned long p = XGetPixel(im, x, y);
			unsigned char *o = buf + ((size_t)y * a.width + x) * 4;
			o[0] = (p & im->red_mask) >> rs;
			o[1] = (p & im->green_mask) >> gs;
			o[2] = (p & im->blue_mask) >> bs;
			o[3] = 255;
		}
	}
	*w = a.width; *h = a.height; *out = buf;
	XDestroyImage(im);
	XCloseDisplay(d);
	return 0;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"unsafe"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
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
	var width, height C.int
	var buf *C.uchar
	if rc := C.grab(C.ulong(handle), &width, &height, &buf); rc != 0 {
		return nil, fmt.Errorf("reading the X11 window failed (step %d)", int(rc))
	}
	defer C.free(unsafe.Pointer(buf))
	img := image.NewNRGBA(image.Rect(0, 0, int(width), int(height)))
	copy(img.Pix, unsafe.Slice((*byte)(unsafe.Pointer(buf)), len(img.Pix)))
	return img, nil
}
