package console

import (
	"fmt"
	"math"
	"strings"
)

// Charts are drawn on the server as inline SVG, so that the console needs
// no JavaScript, no chart library and no CDN. Every chart has a text
// alternative (its title and a table of the same numbers), as WCAG asks of
// images that carry information.

// palette has colours with at least 3:1 contrast against white (WCAG
// 1.4.11), distinguishable with the common colour-vision deficiencies, in the
// order series take them.
var palette = []string{"#0b5cad", "#b3261e", "#1b7f3b", "#8a4b00", "#6b3fa0", "#00707a", "#a3195b", "#4d5b00"}

// series is one line or one set of bars.
type series struct {
	Name   string
	Values []float64 // NaN: no value at that label
	// Color overrides the palette where colour carries meaning (breached
	// is red).
	Color string
}

// color is the series' colour: its own, or the palette's i-th.
func (s series) color(i int) string {
	if s.Color != "" {
		return s.Color
	}
	return palette[i%len(palette)]
}

// chartIn is what a chart shows: labels along x, series of values.
type chartIn struct {
	ID     string
	Title  string
	Labels []string
	Series []series
	// Max fixes the y axis' top (1 for shares); 0 scales to the data.
	Max float64
	// Percent shows y values as percentages.
	Percent bool
	// Bars draws grouped bars instead of lines.
	Bars bool
}

type point struct{ X, Y float64 }

type tick struct {
	Pos   float64
	Label string
}

type line struct {
	Color  string
	Name   string
	Points string
	Dots   []point
	Dash   string
}

type bar struct {
	X, Y, W, H float64
	Color      string
	Title      string
}

type legend struct {
	Color, Name, Dash string
}

// chartView is a chart laid out for the template, all coordinates in SVG
// user units.
type chartView struct {
	ID, Title     string
	IsBar         bool
	Horizontal    bool
	Width, Height float64
	Left, Top     float64
	Right, Bottom float64
	YTicks        []tick
	XTicks        []tick
	Lines         []line
	Bars          []bar
	Legend        []legend
	// Table repeats the numbers for screen readers and for people who
	// prefer them.
	Head []string
	Rows [][]string
}

// dashes tell lines apart without colour.
var dashes = []string{"", "6 3", "2 3", "8 3 2 3"}

// layout places a chart. format writes a y value for labels and the table.
func layout(in chartIn, format func(float64) string) chartView {
	v := chartView{ID: in.ID, Title: in.Title, IsBar: in.Bars, Width: 720, Height: 260, Left: 56, Top: 12, Right: 704, Bottom: 220}
	top := in.Max
	if top == 0 {
		for _, s := range in.Series {
			for _, x := range s.Values {
				if !math.IsNaN(x) && x > top {
					top = x
				}
			}
		}
		top = niceCeil(top)
	}
	if top == 0 {
		top = 1
	}
	y := func(x float64) float64 { return v.Bottom - (v.Bottom-v.Top)*x/top }
	for i := 0; i <= 4; i++ {
		val := top * float64(i) / 4
		v.YTicks = append(v.YTicks, tick{Pos: y(val), Label: format(val)})
	}
	n := len(in.Labels)
	if n == 0 {
		return v
	}
	step := (v.Right - v.Left) / float64(n)
	x := func(i int) float64 { return v.Left + step*(float64(i)+0.5) }
	every := max(1, (n+11)/12) // at most a dozen x labels
	for i, l := range in.Labels {
		if i%every == 0 {
			v.XTicks = append(v.XTicks, tick{Pos: x(i), Label: l})
		}
	}
	for si, s := range in.Series {
		color := s.color(si)
		if in.Bars {
			w := step * 0.8 / float64(len(in.Series))
			for i, val := range s.Values {
				if math.IsNaN(val) {
					continue
				}
				bx := v.Left + step*float64(i) + step*0.1 + w*float64(si)
				v.Bars = append(v.Bars, bar{X: bx, Y: y(val), W: w, H: v.Bottom - y(val), Color: color,
					Title: fmt.Sprintf("%s %s: %s", s.Name, in.Labels[i], format(val))})
			}
			v.Legend = append(v.Legend, legend{Color: color, Name: s.Name})
			continue
		}
		l := line{Color: color, Name: s.Name, Dash: dashes[si%len(dashes)]}
		var pts []string
		for i, val := range s.Values {
			if math.IsNaN(val) {
				continue
			}
			p := point{X: x(i), Y: y(val)}
			l.Dots = append(l.Dots, p)
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", p.X, p.Y))
		}
		l.Points = strings.Join(pts, " ")
		v.Lines = append(v.Lines, l)
		v.Legend = append(v.Legend, legend{Color: color, Name: s.Name, Dash: l.Dash})
	}
	v.table(in, format)
	return v
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten, so that axis ticks
// at quarters read well.
func niceCeil(x float64) float64 {
	if x <= 0 {
		return 0
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 4, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

// stacked lays out a horizontal stacked bar per label, the series stacked
// left to right: long category names stay readable at the left.
func stacked(in chartIn, format func(float64) string) chartView {
	const rowH = 28.0
	v := chartView{ID: in.ID, Title: in.Title, IsBar: true, Horizontal: true, Width: 720, Left: 220, Top: 8, Right: 700}
	v.Bottom = v.Top + rowH*float64(len(in.Labels))
	v.Height = v.Bottom + 28
	top := 0.0
	for i := range in.Labels {
		sum := 0.0
		for _, s := range in.Series {
			if x := s.Values[i]; !math.IsNaN(x) {
				sum += x
			}
		}
		top = max(top, sum)
	}
	top = niceCeil(top)
	if top == 0 {
		top = 1
	}
	x := func(val float64) float64 { return v.Left + (v.Right-v.Left)*val/top }
	for i := 0; i <= 4; i++ {
		val := top * float64(i) / 4
		v.XTicks = append(v.XTicks, tick{Pos: x(val), Label: format(val)})
	}
	for i, l := range in.Labels {
		y := v.Top + rowH*float64(i)
		v.YTicks = append(v.YTicks, tick{Pos: y + rowH/2, Label: l})
		at := 0.0
		for si, s := range in.Series {
			val := s.Values[i]
			if math.IsNaN(val) || val == 0 {
				continue
			}
			v.Bars = append(v.Bars, bar{X: x(at), Y: y + 4, W: x(at+val) - x(at), H: rowH - 8,
				Color: s.color(si), Title: fmt.Sprintf("%s, %s: %s", l, s.Name, format(val))})
			at += val
		}
	}
	for si, s := range in.Series {
		v.Legend = append(v.Legend, legend{Color: s.color(si), Name: s.Name})
	}
	v.table(in, format)
	return v
}

// table repeats the chart's numbers as rows of text.
func (v *chartView) table(in chartIn, format func(float64) string) {
	v.Head = append([]string{""}, make([]string, 0, len(in.Series))...)
	for _, s := range in.Series {
		v.Head = append(v.Head, s.Name)
	}
	for i, l := range in.Labels {
		row := []string{l}
		for _, s := range in.Series {
			if math.IsNaN(s.Values[i]) {
				row = append(row, "–")
			} else {
				row = append(row, format(s.Values[i]))
			}
		}
		v.Rows = append(v.Rows, row)
	}
}
