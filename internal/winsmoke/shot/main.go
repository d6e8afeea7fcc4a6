//go:build linux && cgo

// Command shot waits for an X11 window with a given title to show something drawn, saves
// it as a PNG and exits 0; it exits 1 when the window has not appeared, or stayed blank,
// by the deadline, and 3 as soon as the process given by -pid has ended without showing
// it. The Windows smoke test runs it beside the .exe under wine and Xvfb.
package main

import (
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"time"

	"github.com/ssowizard/ssowizard/internal/xgrab"
)

func main() {
	name := flag.String("name", "ssowizard", "the window's title")
	out := flag.String("out", "window.png", "write the screenshot to `FILE`")
	wait := flag.Duration("timeout", 3*time.Minute, "give up after this long")
	pid := flag.Int("pid", 0, "give up as soon as the process `PID` (the program that opens the window) has ended")
	flag.Parse()
	img, err := await(*name, *pid, time.Now().Add(*wait))
	if img != nil {
		if werr := save(*out, img); werr != nil {
			fmt.Fprintf(os.Stderr, "shot: %v\n", werr)
			os.Exit(1)
		}
		fmt.Printf("shot: %s, %dx%d\n", *out, img.Bounds().Dx(), img.Bounds().Dy())
	}
	if errors.Is(err, errExited) {
		fmt.Fprintf(os.Stderr, "shot: %v\n", err)
		os.Exit(3)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "shot: %v\n", err)
		os.Exit(1)
	}
}

// errExited is returned when the process that should open the window has ended.
var errExited = errors.New("the program ended before its window showed")

// await polls for the window until it shows something drawn, the deadline passes or the
// process pid (when not 0) ends; it returns the last picture it took, drawn or not.
func await(name string, pid int, deadline time.Time) (image.Image, error) {
	var last image.Image
	lastErr := fmt.Errorf("no window titled %q appeared", name)
	for {
		xid, ok, err := xgrab.Find(name)
		if errors.Is(err, xgrab.ErrNoDisplay) {
			return nil, err
		}
		if ok {
			img, err := xgrab.Window(xid)
			if err == nil {
				last = img
				if err = xgrab.CheckDrawn(img); err == nil {
					return img, nil
				}
			}
			lastErr = fmt.Errorf("the window %q looks blank: %w", name, err)
		}
		if time.Now().After(deadline) {
			return last, lastErr
		}
		if pid != 0 {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
				return last, fmt.Errorf("%w (%v)", errExited, lastErr)
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func save(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
