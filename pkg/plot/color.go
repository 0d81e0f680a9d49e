package plot

import (
	"hash/fnv"
	"image/color"
)

// qualitative is a colour-blind-safe qualitative palette (Okabe & Ito 2008, plus
// darker variants), used for series without a fixed colour.
var qualitative = []color.RGBA{
	{0, 114, 178, 255},   // blue
	{213, 94, 0, 255},    // vermillion
	{0, 158, 115, 255},   // bluish green
	{204, 121, 167, 255}, // reddish purple
	{230, 159, 0, 255},   // orange
	{86, 180, 233, 255},  // sky blue
	{120, 120, 120, 255}, // grey
	{140, 86, 75, 255},   // brown
	{240, 228, 66, 255},  // yellow
}

// kindColors gives each task kind its own hue so figures read alike.
var kindColors = map[string]color.RGBA{
	"structural": {0, 114, 178, 255},
	"lexical":    {0, 158, 115, 255},
	"semantic":   {213, 94, 0, 255},
	"control":    {120, 120, 120, 255},
}

// KindColor returns the fixed colour of a task kind (structural, lexical,
// semantic, control), or a stable colour derived from the name for other kinds.
func KindColor(kind string) color.Color {
	if c, ok := kindColors[kind]; ok {
		return c
	}
	return Color(kind)
}

// Color returns a stable colour for a label: the same label always gets the same
// colour, in every figure and every run.
func Color(label string) color.Color {
	h := fnv.New32a()
	h.Write([]byte(label))
	return qualitative[h.Sum32()%uint32(len(qualitative))]
}

// withAlpha returns c with its alpha (and premultiplied channels) scaled to a/255.
func withAlpha(c color.Color, a uint8) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), a}
}

// KindShade returns the i-th shade (0, 1, 2, ...) of a kind's hue: tasks of one kind
// share a hue and differ in lightness, so a figure reads by kind first.
func KindShade(kind string, i int) color.Color {
	r, g, b, _ := KindColor(kind).RGBA()
	// Alternate darker and lighter steps around the base colour.
	f := []float64{1, 0.65, 1.35, 0.45, 1.6}[i%5]
	sh := func(v uint32) uint8 {
		x := float64(v>>8) * f
		if f > 1 {
			x = float64(v>>8) + (255-float64(v>>8))*(f-1)
		}
		return uint8(min(255, x))
	}
	return color.RGBA{sh(r), sh(g), sh(b), 255}
}
