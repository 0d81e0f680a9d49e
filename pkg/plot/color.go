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
