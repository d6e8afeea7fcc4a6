//go:build !unix

package graph_test

import "testing"

// fakeBrowser needs a named pipe and xdg-open: the browser sign-in tests run on Linux.
func fakeBrowser(t *testing.T) func(gaveUp <-chan struct{}) (string, error) {
	t.Skip("pkg/browser runs xdg-open on Linux only")
	return nil
}
