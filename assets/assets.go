// Package assets holds the files the app embeds: its icon and the example messages the
// screens offer, so a build is one self-contained binary.
package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

//go:embed icon.png
var iconPNG []byte

// Icon is the application icon, as the window and the packager use it.
var Icon = fyne.NewStaticResource("icon.png", iconPNG)
