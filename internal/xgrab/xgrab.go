//go:build linux && cgo

// Package xgrab reads what an X11 window shows, straight from the X server: under Xvfb
// the pixels of an OpenGL window are there even when the application's own capture of its
// front buffer comes back empty. It serves `make screenshots` (the app's own window) and
// the Windows smoke test, which looks at the window an .exe opens under wine.
package xgrab

/*
#cgo LDFLAGS: -lX11
#include <stdlib.h>
#include <string.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>

static int shift(unsigned long mask) {
	int s = 0;
	while (mask && !(mask & 1)) { mask >>= 1; s++; }
	return s;
}

static int quiet(Display *d, XErrorEvent *e) { return 0; }

// grab reads a window's pixels as RGBA into *out (malloc'd, freed by the caller).
static int grab(unsigned long win, int *w, int *h, unsigned char **out) {
	Display *d = XOpenDisplay(NULL);
	if (!d) return 1;
	XSetErrorHandler(quiet);
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

// search walks the tree under win for a viewable window named name (WM_NAME), depth
// first; 0 when there is none.
static unsigned long search(Display *d, Window win, const char *name, int depth) {
	if (depth > 8) return 0;
	char *got = NULL;
	if (XFetchName(d, win, &got) && got) {
		int same = strcmp(got, name) == 0;
		XFree(got);
		XWindowAttributes a;
		if (same && XGetWindowAttributes(d, win, &a) && a.map_state == IsViewable) return win;
	}
	Window root, parent, *kids = NULL;
	unsigned int n = 0;
	if (!XQueryTree(d, win, &root, &parent, &kids, &n)) return 0;
	unsigned long found = 0;
	for (unsigned int i = 0; i < n && !found; i++) found = search(d, kids[i], name, depth + 1);
	if (kids) XFree(kids);
	return found;
}

// find returns the first viewable window named name on the default display: 0 when
// there is none, -1 (as unsigned) when the display cannot be opened.
static unsigned long find(const char *name) {
	Display *d = XOpenDisplay(NULL);
	if (!d) return (unsigned long)-1;
	XSetErrorHandler(quiet);
	unsigned long w = search(d, DefaultRootWindow(d), name, 0);
	XCloseDisplay(d);
	return w;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"unsafe"
)

// Window returns the pixels an X11 window (by its XID) shows on the display named by
// $DISPLAY.
func Window(xid uint64) (*image.NRGBA, error) {
	var width, height C.int
	var buf *C.uchar
	if rc := C.grab(C.ulong(xid), &width, &height, &buf); rc != 0 {
		return nil, fmt.Errorf("reading the X11 window %#x failed (step %d)", xid, int(rc))
	}
	defer C.free(unsafe.Pointer(buf))
	img := image.NewNRGBA(image.Rect(0, 0, int(width), int(height)))
	copy(img.Pix, unsafe.Slice((*byte)(unsafe.Pointer(buf)), len(img.Pix)))
	return img, nil
}

// ErrNoDisplay is returned when $DISPLAY names no X server that answers.
var ErrNoDisplay = errors.New("no X display to open (check $DISPLAY)")

// Find returns the XID of a viewable window whose title is exactly name, and false when
// none is shown yet.
func Find(name string) (uint64, bool, error) {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	w := C.find(cs)
	if w == ^C.ulong(0) {
		return 0, false, ErrNoDisplay
	}
	return uint64(w), w != 0, nil
}
