package charts

import (
	"image"
	"image/color"
	"image/draw"
	"math"

	"github.com/go-text/typesetting/font"
	ot "github.com/go-text/typesetting/font/opentype"
	"golang.org/x/image/vector"
)

// point is a position in pixels, y growing down.
type point struct{ x, y float64 }

// canvas is the image a chart is drawn on, with anti-aliased shapes
// and text.
type canvas struct {
	img *image.RGBA
	z   vector.Rasterizer
}

func newCanvas(width, height int, bg color.RGBA) *canvas {
	c := &canvas{img: image.NewRGBA(image.Rect(0, 0, width, height))}
	draw.Draw(c.img, c.img.Bounds(), image.NewUniform(bg), image.Point{}, draw.Src)
	c.z.DrawOp = draw.Over
	return c
}

// rect fills the box between the corners, snapped to whole pixels so
// bars and grid lines have crisp edges.
func (c *canvas) rect(x0, y0, x1, y1 float64, col color.RGBA) {
	r := image.Rect(round(x0), round(y0), round(x1), round(y1)).Canon()
	draw.Draw(c.img, r, image.NewUniform(col), image.Point{}, draw.Over)
}

func round(v float64) int { return int(math.Round(v)) }

// fill fills the polygons as one shape, inside clip. Each polygon is
// turned the same way round first, so where two overlap (a line and its
// round joint) they add up instead of cutting a hole.
func (c *canvas) fill(polys [][]point, col color.RGBA, clip image.Rectangle) {
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range polys {
		for _, q := range p {
			minX, minY, maxX, maxY = min(minX, q.x), min(minY, q.y), max(maxX, q.x), max(maxY, q.y)
		}
	}
	if minX > maxX {
		return
	}
	r := image.Rect(int(math.Floor(minX)), int(math.Floor(minY)), int(math.Ceil(maxX)), int(math.Ceil(maxY)))
	r = r.Intersect(clip).Intersect(c.img.Bounds())
	if r.Empty() {
		return
	}
	c.z.Reset(r.Dx(), r.Dy())
	ox, oy := float64(r.Min.X), float64(r.Min.Y)
	for _, p := range polys {
		if len(p) < 3 {
			continue
		}
		reverse := area(p) < 0
		for i := range p {
			q := p[i]
			if reverse {
				q = p[len(p)-1-i]
			}
			if i == 0 {
				c.z.MoveTo(float32(q.x-ox), float32(q.y-oy))
			} else {
				c.z.LineTo(float32(q.x-ox), float32(q.y-oy))
			}
		}
		c.z.ClosePath()
	}
	c.z.Draw(c.img, r, image.NewUniform(col), image.Point{})
}

// area is the signed area of p (the shoelace formula).
func area(p []point) float64 {
	a := 0.0
	for i := range p {
		j := (i + 1) % len(p)
		a += p[i].x*p[j].y - p[j].x*p[i].y
	}
	return a / 2
}

// segment is the rectangle a line of the given width from a to b covers.
func segment(a, b point, width float64) []point {
	dx, dy := b.x-a.x, b.y-a.y
	l := math.Hypot(dx, dy)
	if l == 0 {
		return nil
	}
	nx, ny := -dy/l*width/2, dx/l*width/2
	return []point{{a.x + nx, a.y + ny}, {b.x + nx, b.y + ny}, {b.x - nx, b.y - ny}, {a.x - nx, a.y - ny}}
}

// circle approximates a circle with a polygon fine enough for its size.
func circle(c point, r float64) []point {
	n := max(12, int(r*2))
	p := make([]point, n)
	for i := range p {
		a := 2 * math.Pi * float64(i) / float64(n)
		p[i] = point{c.x + r*math.Cos(a), c.y + r*math.Sin(a)}
	}
	return p
}

// stroke draws a line through pts with round joints and ends.
func (c *canvas) stroke(pts []point, width float64, col color.RGBA, clip image.Rectangle) {
	var polys [][]point
	for i, p := range pts {
		polys = append(polys, circle(p, width/2))
		if i > 0 {
			if s := segment(pts[i-1], p, width); s != nil {
				polys = append(polys, s)
			}
		}
	}
	c.fill(polys, col, clip)
}

// dashed draws a dashed straight line from a to b.
func (c *canvas) dashed(a, b point, width, on, off float64, col color.RGBA) {
	l := math.Hypot(b.x-a.x, b.y-a.y)
	if l == 0 {
		return
	}
	ux, uy := (b.x-a.x)/l, (b.y-a.y)/l
	var polys [][]point
	for d := 0.0; d < l; d += on + off {
		e := min(d+on, l)
		polys = append(polys, segment(point{a.x + ux*d, a.y + uy*d}, point{a.x + ux*e, a.y + uy*e}, width))
	}
	c.fill(polys, col, c.img.Bounds())
}

// drawText draws tx with the left end of its baseline at x, y.
func (c *canvas) drawText(tx text, x, y float64, col color.RGBA) {
	if len(tx.runs) == 0 || tx.inkRight <= tx.inkLeft {
		return
	}
	r := image.Rect(
		int(math.Floor(x+tx.inkLeft))-1, int(math.Floor(y+tx.inkTop))-1,
		int(math.Ceil(x+tx.inkRight))+1, int(math.Ceil(y+tx.inkBottom))+1,
	).Intersect(c.img.Bounds())
	if r.Empty() {
		return
	}
	c.z.Reset(r.Dx(), r.Dy())
	pen := x - float64(r.Min.X)
	base := y - float64(r.Min.Y)
	for _, run := range tx.runs {
		scale := f64(run.Size) / float64(run.Face.Upem())
		for _, g := range run.Glyphs {
			outline, ok := run.Face.GlyphData(g.GlyphID).(font.GlyphOutline)
			if ok {
				c.outline(outline, pen+f64(g.XOffset), base-f64(g.YOffset), scale)
			}
			pen += f64(g.Advance)
		}
	}
	c.z.Draw(c.img, r, image.NewUniform(col), image.Point{})
}

// outline adds one glyph's outline, in font units with y growing up,
// to the rasteriser at the origin ox, oy.
func (c *canvas) outline(o font.GlyphOutline, ox, oy, scale float64) {
	at := func(p ot.SegmentPoint) (float32, float32) {
		return float32(ox + float64(p.X)*scale), float32(oy - float64(p.Y)*scale)
	}
	open := false
	for _, s := range o.Segments {
		switch s.Op {
		case ot.SegmentOpMoveTo:
			if open {
				c.z.ClosePath()
			}
			c.z.MoveTo(at(s.Args[0]))
			open = true
		case ot.SegmentOpLineTo:
			c.z.LineTo(at(s.Args[0]))
		case ot.SegmentOpQuadTo:
			x1, y1 := at(s.Args[0])
			x2, y2 := at(s.Args[1])
			c.z.QuadTo(x1, y1, x2, y2)
		case ot.SegmentOpCubeTo:
			x1, y1 := at(s.Args[0])
			x2, y2 := at(s.Args[1])
			x3, y3 := at(s.Args[2])
			c.z.CubeTo(x1, y1, x2, y2, x3, y3)
		}
	}
	if open {
		c.z.ClosePath()
	}
}
