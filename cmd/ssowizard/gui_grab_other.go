//go:build !linux || !cgo

package main

import "github.com/ssowizard/ssowizard/wizard/ui"

// grabWindow is only needed under Xvfb; elsewhere the canvas's capture is used.
var grabWindow ui.Grab
