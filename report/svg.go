package report

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Charts are computed in Go and written as inline SVG: no script, no
// external font or image, so a report stays one self-contained file and
// prints the same everywhere. They are drawn for black-and-white print:
// series differ by fill (solid, hatched, outlined), never by colour alone,
// and every bar carries its value as text.

// scale maps values from 0 to Max onto a panel's width (or a column
// chart's height); Ticks are the labelled marks of its axis.
type scale struct {
	Max   float64
	Ticks []tick
}

type tick struct {
	V     float64
	Label string
}

// niceStep returns a step of 1, 2 or 5 × 10^k that cuts max into about n
// intervals.
func niceStep(max float64, n int) float64 {
	raw := max / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	switch norm := raw / mag; {
	case norm <= 1:
		return mag
	case norm <= 2:
		return 2 * mag
	case norm <= 5:
		return 5 * mag
	default:
		return 10 * mag
	}
}

// linearScale returns a scale from 0 to a nice value at or above max, with
// ticks every nice step, each value shown in unit (1 for none) and written
// by label. integral keeps steps whole (counts).
func linearScale(max, unit float64, integral bool, label func(float64) string) scale {
	v := max / unit
	if v <= 0 || math.IsNaN(v) {
		v = 1
	}
	step := niceStep(v, 5)
	if integral && step < 1 {
		step = 1
	}
	top := math.Ceil(v/step-1e-9) * step
	s := scale{Max: top * unit}
	for i := 0; float64(i)*step <= top+step/2; i++ {
		k := math.Round(float64(i)*step*1e6) / 1e6 // 3 × 0.2 is not 0.6 in floating point
		s.Ticks = append(s.Ticks, tick{V: k * unit, Label: label(k)})
	}
	return s
}

// countScale is a scale of whole counts up to at least max.
func countScale(max float64) scale {
	return linearScale(max, 1, true, func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) })
}

// percentScale is the scale of a share, 0 to 1, marked in percent.
func percentScale() scale {
	s := scale{Max: 1}
	for _, p := range []float64{0, 25, 50, 75, 100} {
		s.Ticks = append(s.Ticks, tick{V: p / 100, Label: strconv.FormatFloat(p, 'f', 0, 64) + "%"})
	}
	return s
}

// durationScale is a scale of seconds up to at least max, marked in the
// unit that suits max (days, hours, minutes or seconds); it returns the
// unit's name for the axis label.
func durationScale(max float64) (scale, string) {
	unit, name := 1.0, "seconds"
	switch {
	case max >= 2*86400:
		unit, name = 86400, "days"
	case max >= 2*3600:
		unit, name = 3600, "hours"
	case max >= 2*60:
		unit, name = 60, "minutes"
	}
	return linearScale(max, unit, false, func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }), name
}

// barChart is a horizontal bar chart: one row per category, and side by
// side one or more panels, each with its own axis and one bar per series
// in every row. It suits any "figure per group" comparison: timeliness per
// request type and party, a trend, incidents per category.
type barChart struct {
	ID     string // unique in the page: it prefixes the ids inside the SVG
	Title  string // the SVG's <title> and aria-label
	Desc   string // the SVG's <desc>: what it shows, in a sentence
	Rows   []string
	Panels []barPanel
}

// barPanel is one panel of a barChart.
type barPanel struct {
	Title  string   // above the panel: what is measured
	Axis   string   // below the axis: the unit
	Series []string // legend names, one per bar of a row (no legend if one)
	Scale  scale
	Values [][]barValue // [row][series]
}

// barValue is one bar: its length in the scale's values and the text
// written at its end; or, when None is set, no bar but that text (no
// figure to draw, e.g. "no final answer").
type barValue struct {
	V     float64
	Label string
	None  string
}

// svgWriter accumulates SVG markup; every text it is given is escaped.
type svgWriter struct{ b strings.Builder }

func (w *svgWriter) f(format string, args ...any) { fmt.Fprintf(&w.b, format, args...) }

// text writes a <text> element; attrs are literal attributes.
func (w *svgWriter) text(x, y float64, attrs, s string) {
	w.f(`<text x="%s" y="%s"%s>%s</text>`, num(x), num(y), attrs, esc(s))
}

func esc(s string) string { return template.HTMLEscapeString(s) }

// num writes a coordinate with at most one decimal.
func num(x float64) string { return strconv.FormatFloat(math.Round(x*10)/10, 'f', -1, 64) }

// open writes the <svg> element with its title and description, and the
// fills of the series (solid, hatched, outlined).
func (w *svgWriter) open(id, title, desc string, width, height float64) {
	w.f(`<svg xmlns="http://www.w3.org/2000/svg" id="%s" class="chart" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-label="%s" font-family="Liberation Sans, Arial, Helvetica, sans-serif" font-size="12">`,
		esc(id), num(width), num(height), num(width), num(height), esc(title))
	w.f(`<title>%s</title><desc>%s</desc>`, esc(title), esc(desc))
	w.f(`<defs><pattern id="%s-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#222" stroke-width="2.5"/></pattern></defs>`, esc(id))
}

// fill is the fill and stroke of series i of a chart.
func fill(id string, i int) string {
	switch i % 3 {
	case 0:
		return `fill="#333" stroke="#000" stroke-width="0.5"`
	case 1:
		return fmt.Sprintf(`fill="url(#%s-hatch)" stroke="#000" stroke-width="0.8"`, esc(id))
	default:
		return `fill="#fff" stroke="#000" stroke-width="1"`
	}
}

const (
	chartWidth  = 720.0
	charWidth   = 6.6 // the width of an average character at 12 px, for layout
	barHeight   = 11.0
	barGap      = 2.0
	rowPadding  = 7.0
	panelGap    = 74.0 // room for the value written past the longest bar
	rightMargin = 84.0
)

// svg draws the chart.
func (c *barChart) svg() template.HTML {
	labelW := 60.0
	for _, r := range c.Rows {
		labelW = max(labelW, float64(utf8.RuneCountInString(r))*charWidth+14)
	}
	labelW = min(labelW, 240)
	series, legend := 1, false
	for _, p := range c.Panels {
		series = max(series, len(p.Series))
		legend = legend || len(p.Series) > 1
	}
	rowH := float64(series)*(barHeight+barGap) - barGap + 2*rowPadding
	top := 26.0
	if legend {
		top += 18
	}
	plotH := rowH * float64(max(len(c.Rows), 1))
	height := top + plotH + 44
	n := float64(max(len(c.Panels), 1))
	panelW := (chartWidth - labelW - rightMargin - panelGap*(n-1)) / n

	var w svgWriter
	w.open(c.ID, c.Title, c.Desc, chartWidth, height)
	// Row labels and separators.
	for i, r := range c.Rows {
		y := top + float64(i)*rowH
		w.text(labelW-8, y+rowH/2+4, ` text-anchor="end"`, r)
		if i > 0 {
			w.f(`<line x1="0" y1="%s" x2="%s" y2="%s" stroke="#ccc" stroke-width="0.5"/>`, num(y), num(chartWidth), num(y))
		}
	}
	for pi, p := range c.Panels {
		x0 := labelW + float64(pi)*(panelW+panelGap)
		w.text(x0, 14, ` font-weight="bold"`, p.Title)
		if len(p.Series) > 1 {
			lx := x0
			for si, name := range p.Series {
				w.f(`<rect x="%s" y="24" width="14" height="10" %s/>`, num(lx), fill(c.ID, si))
				w.text(lx+18, 33, ` font-size="11"`, name)
				lx += 18 + float64(utf8.RuneCountInString(name))*charWidth*0.92 + 14
			}
		}
		// Grid and ticks.
		for _, t := range p.Scale.Ticks {
			x := x0 + t.V/p.Scale.Max*panelW
			w.f(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#bbb" stroke-width="0.5" stroke-dasharray="2 2"/>`, num(x), num(top), num(x), num(top+plotH))
			w.f(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#000"/>`, num(x), num(top+plotH), num(x), num(top+plotH+4))
			w.text(x, top+plotH+16, ` text-anchor="middle" font-size="11"`, t.Label)
		}
		w.f(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#000"/>`, num(x0), num(top), num(x0), num(top+plotH))
		w.f(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#000"/>`, num(x0), num(top+plotH), num(x0+panelW), num(top+plotH))
		w.text(x0+panelW/2, top+plotH+34, ` text-anchor="middle"`, p.Axis)
		// Bars.
		for ri, vals := range p.Values {
			y := top + float64(ri)*rowH + rowPadding + float64(series-len(vals))*(barHeight+barGap)/2
			for si, v := range vals {
				by := y + float64(si)*(barHeight+barGap)
				if v.None != "" {
					w.text(x0+4, by+barHeight-2, ` font-size="10" font-style="italic"`, v.None)
					continue
				}
				bw := 0.0
				if p.Scale.Max > 0 {
					bw = min(v.V/p.Scale.Max, 1) * panelW
				}
				if v.V > 0 {
					bw = max(bw, 1.5)
				}
				if bw > 0 {
					w.f(`<rect x="%s" y="%s" width="%s" height="%s" %s/>`, num(x0), num(by), num(bw), num(barHeight), fill(c.ID, si))
				}
				w.text(x0+bw+4, by+barHeight-2, ` font-size="10"`, v.Label)
			}
		}
	}
	w.f(`</svg>`)
	return template.HTML(w.b.String()) // every text in it went through esc
}

// columnChart is a vertical bar chart of counts over a few ordered
// categories (ratings 1 to 5, days of a week).
type columnChart struct {
	ID, Title, Desc string
	XAxis, YAxis    string
	Columns         []column
	Scale           scale
}

// column is one category: its label under the axis, a second line under
// it (may be empty), its value and the text written above the column.
type column struct {
	Label, Sub string
	V          float64
	Text       string
}

// svg draws the chart.
func (c *columnChart) svg() template.HTML {
	const width, height = 520.0, 260.0
	const left, right, top, bottom = 58.0, 16.0, 16.0, 72.0
	plotW, plotH := width-left-right, height-top-bottom
	var w svgWriter
	w.open(c.ID, c.Title, c.Desc, width, height)
	for _, t := range c.Scale.Ticks {
		y := top + plotH - t.V/c.Scale.Max*plotH
		w.f(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#bbb" stroke-width="0.5" stroke-dasharray="2 2"/>`, num(left), num(y), num(left+plotW), num(y))
		w.f(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#000"/>`, num(left-4), num(y), num(left), num(y))
		w.text(left-7, y+4, ` text-anchor="end" font-size="11"`, t.Label)
	}
	w.f(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#000"/>`, num(left), num(top), num(left), num(top+plotH))
	w.f(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#000"/>`, num(left), num(top+plotH), num(left+plotW), num(top+plotH))
	slot := plotW / float64(max(len(c.Columns), 1))
	for i, col := range c.Columns {
		cx := left + slot*(float64(i)+0.5)
		h := 0.0
		if c.Scale.Max > 0 {
			h = min(col.V/c.Scale.Max, 1) * plotH
		}
		if h > 0 {
			w.f(`<rect x="%s" y="%s" width="%s" height="%s" %s/>`, num(cx-slot*0.3), num(top+plotH-h), num(slot*0.6), num(h), fill(c.ID, 0))
		}
		w.text(cx, top+plotH-h-5, ` text-anchor="middle" font-size="11"`, col.Text)
		w.text(cx, top+plotH+16, ` text-anchor="middle"`, col.Label)
		if col.Sub != "" {
			w.text(cx, top+plotH+30, ` text-anchor="middle" font-size="10"`, col.Sub)
		}
	}
	w.text(left+plotW/2, height-10, ` text-anchor="middle"`, c.XAxis)
	w.text(0, 0, fmt.Sprintf(` transform="translate(16 %s) rotate(-90)" text-anchor="middle"`, num(top+plotH/2)), c.YAxis)
	w.f(`</svg>`)
	return template.HTML(w.b.String()) // every text in it went through esc
}
