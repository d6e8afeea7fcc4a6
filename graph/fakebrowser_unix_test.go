//go:build unix

package graph_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// fakeBrowser puts an xdg-open on PATH that writes the URL it is asked to open to a
// named pipe, for the test to act as the browser; it returns a function that waits for
// that URL, or until gaveUp is closed (the credential returned without opening one).
func fakeBrowser(t *testing.T) func(gaveUp <-chan struct{}) (string, error) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("pkg/browser runs xdg-open on Linux only")
	}
	dir := t.TempDir()
	pipe := filepath.Join(dir, "opened")
	if err := syscall.Mkfifo(pipe, 0o600); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\nprintf '%s\\n' \"$1\" > '" + pipe + "'\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	// A reader still waiting when the test ends is let go: opening the pipe for
	// writing without blocking succeeds only when someone reads it.
	t.Cleanup(func() {
		if w, err := os.OpenFile(pipe, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
	})
	return func(gaveUp <-chan struct{}) (string, error) {
		got := make(chan []byte, 1)
		go func() {
			b, _ := os.ReadFile(pipe)
			got <- b
		}()
		select {
		case b := <-got:
			if u := strings.TrimSpace(string(b)); u != "" {
				return u, nil
			}
		case <-gaveUp:
		}
		return "", errors.New("the browser was never opened")
	}
}
