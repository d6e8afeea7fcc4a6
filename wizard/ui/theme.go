package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// prefTheme is the preference that keeps the chosen theme: "light" or "dark"; unset
// follows the system.
const prefTheme = "theme"

var (
	_ fyne.Theme = (*variantTheme)(nil)
	_ fyne.Theme = (*legibleTheme)(nil)
)

// legibleTheme is the base theme with the colours text is drawn in changed so that
// every text colour reads against every background at WCAG 2.x AA (4.5:1), in both
// variants: Fyne's defaults draw disabled text (the steps not reached yet) #E3E3E3 on
// white (1.3:1), success green at 1.4:1 and warning orange at 2.2:1. The colours
// filled behind text (a primary button, an error badge) change with them, so the text
// on them reads too. TestThemeContrast measures every pair.
type legibleTheme struct {
	fyne.Theme
}

// legibleColors are the colours legibleTheme changes, by variant.
var legibleColors = map[fyne.ThemeVariant]map[fyne.ThemeColorName]color.Color{
	theme.VariantLight: {
		theme.ColorNameDisabled:            color.NRGBA{R: 0x6e, G: 0x6e, B: 0x6e, A: 0xff},
		theme.ColorNamePlaceHolder:         color.NRGBA{R: 0x6e, G: 0x6e, B: 0x6e, A: 0xff},
		theme.ColorNameSuccess:             color.NRGBA{R: 0x1b, G: 0x76, B: 0x20, A: 0xff},
		theme.ColorNameWarning:             color.NRGBA{R: 0xa8, G: 0x4a, B: 0x00, A: 0xff},
		theme.ColorNameError:               color.NRGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff},
		theme.ColorNamePrimary:             color.NRGBA{R: 0x15, G: 0x65, B: 0xc0, A: 0xff},
		theme.ColorNameHyperlink:           color.NRGBA{R: 0x15, G: 0x65, B: 0xc0, A: 0xff},
		theme.ColorNameForegroundOnPrimary: color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff},
		theme.ColorNameForegroundOnSuccess: color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff},
		theme.ColorNameForegroundOnWarning: color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff},
		theme.ColorNameForegroundOnError:   color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff},
		// Fyne's focus tint is the primary colour, faint: on a primary button it
		// vanishes. A shade of the text colour shows on every button.
		theme.ColorNameFocus: color.NRGBA{R: 0x00, G: 0x00, B: 0x00, A: 0x2a},
	},
	theme.VariantDark: {
		theme.ColorNameDisabled:            color.NRGBA{R: 0x96, G: 0x96, B: 0x96, A: 0xff},
		theme.ColorNamePlaceHolder:         color.NRGBA{R: 0xb2, G: 0xb2, B: 0xb2, A: 0xff},
		theme.ColorNameSuccess:             color.NRGBA{R: 0x43, G: 0xf4, B: 0x36, A: 0xff},
		theme.ColorNameWarning:             color.NRGBA{R: 0xff, G: 0x98, B: 0x00, A: 0xff},
		theme.ColorNameError:               color.NRGBA{R: 0xff, G: 0x66, B: 0x59, A: 0xff},
		theme.ColorNamePrimary:             color.NRGBA{R: 0x64, G: 0xb5, B: 0xf6, A: 0xff},
		theme.ColorNameHyperlink:           color.NRGBA{R: 0x64, G: 0xb5, B: 0xf6, A: 0xff},
		theme.ColorNameForegroundOnPrimary: color.NRGBA{R: 0x17, G: 0x17, B: 0x18, A: 0xff},
		theme.ColorNameForegroundOnSuccess: color.NRGBA{R: 0x17, G: 0x17, B: 0x18, A: 0xff},
		theme.ColorNameForegroundOnWarning: color.NRGBA{R: 0x17, G: 0x17, B: 0x18, A: 0xff},
		theme.ColorNameForegroundOnError:   color.NRGBA{R: 0x17, G: 0x17, B: 0x18, A: 0xff},
		theme.ColorNameFocus:               color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0x48},
	},
}

// Color is the legible colour where the base theme draws Fyne's default one and
// legibleColors has a replacement, else the base theme's: a theme of its own (the
// test theme, one set through FYNE_THEME) keeps its colours.
func (t *legibleTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	c := t.Theme.Color(n, v)
	if l, ok := legibleColors[v][n]; ok && sameColor(c, theme.DefaultTheme().Color(n, v)) {
		return l
	}
	return c
}

func sameColor(a, b color.Color) bool {
	ar, ag, ab, aa := a.RGBA()
	br, bg, bb, ba := b.RGBA()
	return ar == br && ag == bg && ab == bb && aa == ba
}

// variantTheme is a theme held to one variant, light or dark, whatever the system says.
type variantTheme struct {
	fyne.Theme
	variant fyne.ThemeVariant
}

// Color answers for the theme's own variant, not the one asked for.
func (t *variantTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return t.Theme.Color(n, t.variant)
}

// themes applies the light or dark theme the person chose, and remembers the choice in
// the app's preferences.
type themes struct {
	app  fyne.App
	base fyne.Theme
}

func newThemes(a fyne.App) *themes {
	base := a.Settings().Theme()
	if vt, ok := base.(*variantTheme); ok {
		base = vt.Theme
	}
	if lt, ok := base.(*legibleTheme); ok {
		base = lt.Theme
	}
	if base == nil {
		base = theme.DefaultTheme()
	}
	return &themes{app: a, base: base}
}

// dark reports whether the dark theme is in use: the one chosen, else the system's.
func (t *themes) dark() bool {
	switch t.app.Preferences().String(prefTheme) {
	case "dark":
		return true
	case "light":
		return false
	}
	return t.app.Settings().ThemeVariant() == theme.VariantDark
}

// apply sets the legible theme in the chosen variant; with no choice saved it follows
// the system's variant.
func (t *themes) apply() {
	legible := &legibleTheme{Theme: t.base}
	switch t.app.Preferences().String(prefTheme) {
	case "dark":
		t.app.Settings().SetTheme(&variantTheme{Theme: legible, variant: theme.VariantDark})
	case "light":
		t.app.Settings().SetTheme(&variantTheme{Theme: legible, variant: theme.VariantLight})
	default:
		t.app.Settings().SetTheme(legible)
	}
}

// set chooses the dark or the light theme, saves the choice and applies it.
func (t *themes) set(dark bool) {
	v := "light"
	if dark {
		v = "dark"
	}
	t.app.Preferences().SetString(prefTheme, v)
	t.apply()
}
