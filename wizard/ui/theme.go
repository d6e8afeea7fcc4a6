package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// prefTheme is the preference that keeps the chosen theme: "light" or "dark"; unset
// follows the system.
const prefTheme = "theme"

var _ fyne.Theme = (*variantTheme)(nil)

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

// apply sets the chosen theme; with no choice saved the system's variant stays.
func (t *themes) apply() {
	switch t.app.Preferences().String(prefTheme) {
	case "dark":
		t.app.Settings().SetTheme(&variantTheme{Theme: t.base, variant: theme.VariantDark})
	case "light":
		t.app.Settings().SetTheme(&variantTheme{Theme: t.base, variant: theme.VariantLight})
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
