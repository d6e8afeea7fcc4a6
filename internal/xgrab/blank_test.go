package xgrab

import (
	"image"
	"image/color"
	"testing"
)

func TestCheckDrawn(t *testing.T) {
	solid := func(c color.Color) image.Image {
		img := image.NewNRGBA(image.Rect(0, 0, 200, 100))
		for y := 0; y < 100; y++ {
			for x := 0; x < 200; x++ {
				img.Set(x, y, c)
			}
		}
		return img
	}
	// A light window with a band of grey shades across its middle, as text draws.
	drawn := solid(color.White).(*image.NRGBA)
	for y := 40; y < 60; y++ {
		for x := 0; x < 200; x++ {
			drawn.Set(x, y, color.Gray{Y: uint8(x)})
		}
	}
	// Few colours: two halves.
	halves := solid(color.White).(*image.NRGBA)
	for y := 0; y < 50; y++ {
		for x := 0; x < 200; x++ {
			halves.Set(x, y, color.Black)
		}
	}
	// Many colours, but in a speck on an otherwise black window.
	speck := solid(color.Black).(*image.NRGBA)
	for x := 0; x < 40; x++ {
		speck.Set(x, 0, color.Gray{Y: uint8(x + 1)})
	}
	for _, c := range []struct {
		name  string
		img   image.Image
		drawn bool
	}{
		{"black", solid(color.Black), false},
		{"white", solid(color.White), false},
		{"empty", image.NewNRGBA(image.Rect(0, 0, 0, 0)), false},
		{"two halves", halves, false},
		{"speck", speck, false},
		{"text band", drawn, true},
	} {
		err := CheckDrawn(c.img)
		if (err == nil) != c.drawn {
			t.Errorf("CheckDrawn(%s) = %v, want drawn %v", c.name, err, c.drawn)
		}
	}
}
