package ui

import (
	"fmt"
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// luminance is a colour's relative luminance per WCAG 2.x (sRGB, linearised).
func luminance(c color.Color) float64 {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(n.R) + 0.7152*lin(n.G) + 0.0722*lin(n.B)
}

// contrast is the WCAG 2.x contrast ratio of two opaque colours.
func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// over is c drawn with alpha a over the opaque colour bg.
func over(c color.Color, a uint8, bg color.Color) color.Color {
	cn, bn := color.NRGBAModel.Convert(c).(color.NRGBA), color.NRGBAModel.Convert(bg).(color.NRGBA)
	mix := func(x, y uint8) uint8 { return uint8((int(x)*int(a) + int(y)*(255-int(a)) + 127) / 255) }
	return color.NRGBA{R: mix(cn.R, bn.R), G: mix(cn.G, bn.G), B: mix(cn.B, bn.B), A: 0xff}
}

func TestContrastArithmetic(t *testing.T) {
	// WCAG's own end points, and Fyne's disabled grey on white the issue measured.
	for _, tc := range []struct {
		a, b color.Color
		want float64
	}{
		{color.Black, color.White, 21},
		{color.White, color.White, 1},
		{color.NRGBA{R: 0xe3, G: 0xe3, B: 0xe3, A: 0xff}, color.White, 1.28},
		{color.NRGBA{R: 0x76, G: 0x76, B: 0x76, A: 0xff}, color.White, 4.54},
	} {
		if got := contrast(tc.a, tc.b); math.Abs(got-tc.want) > 0.01 {
			t.Errorf("contrast(%v, %v) = %.3f, want %.2f", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestThemeContrast measures, in both variants of the theme the window uses, every
// colour text is drawn in against every background it is drawn on, the text on the
// filled colours (a primary button, the badges), and the banner's text on its tint:
// each at least 4.5:1, WCAG 2.x AA for text.
func TestThemeContrast(t *testing.T) {
	test.NewTempApp(t) // the built-in theme asks the app for its primary colour
	th := &legibleTheme{Theme: theme.DefaultTheme()}
	text := []fyne.ThemeColorName{
		theme.ColorNameForeground, theme.ColorNameDisabled, theme.ColorNamePlaceHolder,
		theme.ColorNamePrimary, theme.ColorNameHyperlink,
		theme.ColorNameSuccess, theme.ColorNameWarning, theme.ColorNameError,
	}
	backgrounds := []fyne.ThemeColorName{
		theme.ColorNameBackground, theme.ColorNameOverlayBackground, theme.ColorNameHeaderBackground,
		theme.ColorNameInputBackground, theme.ColorNameMenuBackground,
		theme.ColorNameButton, theme.ColorNameDisabledButton,
	}
	filled := map[fyne.ThemeColorName]fyne.ThemeColorName{
		theme.ColorNameForegroundOnPrimary: theme.ColorNamePrimary,
		theme.ColorNameForegroundOnSuccess: theme.ColorNameSuccess,
		theme.ColorNameForegroundOnWarning: theme.ColorNameWarning,
		theme.ColorNameForegroundOnError:   theme.ColorNameError,
	}
	const aa = 4.5
	for _, v := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
		vname := map[fyne.ThemeVariant]string{theme.VariantLight: "light", theme.VariantDark: "dark"}[v]
		check := func(what string, fg, bg color.Color) {
			if r := contrast(fg, bg); r < aa {
				t.Errorf("%s, %s: %.2f:1 (%s on %s), want at least %.1f:1", vname, what, r, hexColor(fg), hexColor(bg), aa)
			}
		}
		for _, bg := range backgrounds {
			for _, fg := range text {
				check(fmt.Sprintf("%s on %s", fg, bg), th.Color(fg, v), th.Color(bg, v))
			}
		}
		for fg, bg := range filled {
			check(fmt.Sprintf("%s on %s", fg, bg), th.Color(fg, v), th.Color(bg, v))
		}
		// A focused button: the focus tint over its fill must show (a primary button
		// looked the same focused or not) and keep its text legible.
		focus := th.Color(theme.ColorNameFocus, v)
		fa := color.NRGBAModel.Convert(focus).(color.NRGBA).A
		for fg, bg := range map[fyne.ThemeColorName]fyne.ThemeColorName{
			theme.ColorNameForeground:          theme.ColorNameButton,
			theme.ColorNameForegroundOnPrimary: theme.ColorNamePrimary,
			theme.ColorNameForegroundOnError:   theme.ColorNameError,
		} {
			fill := th.Color(bg, v)
			focused := over(focus, fa, fill)
			check(fmt.Sprintf("%s on a focused %s button", fg, bg), th.Color(fg, v), focused)
			if r := contrast(fill, focused); r < 1.2 {
				t.Errorf("%s, a focused %s button differs from an unfocused one by %.2f:1 (%s, %s), want at least 1.2:1", vname, bg, r, hexColor(focused), hexColor(fill))
			}
		}
		for _, lv := range []level{levelOK, levelWarning, levelError} {
			name, _ := bannerStyle(lv)
			tint := over(th.Color(name, v), bannerTint, th.Color(theme.ColorNameBackground, v))
			check(fmt.Sprintf("the banner's text on its %s tint", name), th.Color(theme.ColorNameForeground, v), tint)
		}
	}
}

func hexColor(c color.Color) string {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	return fmt.Sprintf("#%02X%02X%02X", n.R, n.G, n.B)
}

// TestWindowUsesLegibleTheme: over Fyne's default theme (the window's), the shell's
// themes set the legible colours whether or not a variant was chosen, and keep them
// when one is.
func TestWindowUsesLegibleTheme(t *testing.T) {
	a := test.NewTempApp(t)
	a.Settings().SetTheme(theme.DefaultTheme())
	th := newThemes(a)
	disabled := func(v fyne.ThemeVariant) string {
		return hexColor(a.Settings().Theme().Color(theme.ColorNameDisabled, v))
	}
	th.apply()
	if got, want := disabled(theme.VariantLight), hexColor(legibleColors[theme.VariantLight][theme.ColorNameDisabled]); got != want {
		t.Errorf("with no variant chosen, disabled text is %s, want the legible %s", got, want)
	}
	th.set(true)
	if got, want := disabled(theme.VariantLight), hexColor(legibleColors[theme.VariantDark][theme.ColorNameDisabled]); got != want {
		t.Errorf("in the dark theme, disabled text is %s, want the legible %s", got, want)
	}
	th.set(false)
	if got, want := disabled(theme.VariantDark), hexColor(legibleColors[theme.VariantLight][theme.ColorNameDisabled]); got != want {
		t.Errorf("in the light theme, disabled text is %s, want the legible %s", got, want)
	}
}
