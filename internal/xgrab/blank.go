package xgrab

import (
	"fmt"
	"image"
)

// Least that a picture must show to count as drawn: text alone brings dozens of colours
// (anti-aliasing), and no one colour may cover nearly all of it. A window not yet painted
// is one colour (black or white) throughout.
const (
	minColours       = 16
	maxShareOfOneCol = 0.98
)

// CheckDrawn returns nil when img shows something drawn, and otherwise says why it looks
// blank.
func CheckDrawn(img image.Image) error {
	b := img.Bounds()
	total := b.Dx() * b.Dy()
	if total == 0 {
		return fmt.Errorf("the picture is empty (%dx%d)", b.Dx(), b.Dy())
	}
	counts := map[[3]uint32]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			counts[[3]uint32{r >> 8, g >> 8, bl >> 8}]++
		}
	}
	most := 0
	for _, n := range counts {
		most = max(most, n)
	}
	if len(counts) < minColours {
		return fmt.Errorf("the %dx%d picture has %d colours, fewer than the %d of a drawn window", b.Dx(), b.Dy(), len(counts), minColours)
	}
	if share := float64(most) / float64(total); share > maxShareOfOneCol {
		return fmt.Errorf("one colour covers %.1f%% of the %dx%d picture", 100*share, b.Dx(), b.Dy())
	}
	return nil
}
