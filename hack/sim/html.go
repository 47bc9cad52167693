package main

import (
	"bytes"
	"fmt"
	"html/template"
	"image/color"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"jobfit.dev/jobfit/hack/sim/report"
)

// modeCharts is the chart data of one mode.
type modeCharts struct {
	Mode   string
	Series report.Series
	Jobs   []report.JobResult
	Outage *report.Window
	// Kill is the packing scheduler's kill window, if any.
	Kill *report.Window
}

var (
	colorPending  = color.RGBA{R: 214, G: 39, B: 40, A: 255}
	colorRunning  = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	colorSpot     = color.RGBA{R: 44, G: 160, B: 44, A: 255}
	colorOnDemand = color.RGBA{R: 255, G: 127, B: 14, A: 255}
	colorOutage   = color.RGBA{R: 120, G: 120, B: 120, A: 255}
	colorKill     = color.RGBA{R: 148, G: 103, B: 189, A: 255}
)

// timelineSVG charts pending and running jobs and nodes by capacity type
// over trace minutes, with the spot outage's start and end as vertical
// lines.
func timelineSVG(c modeCharts) (template.HTML, error) {
	p := plot.New()
	p.Title.Text = c.Mode + ": jobs and nodes over trace time"
	p.X.Label.Text = "trace time (minutes)"
	p.Y.Label.Text = "count"
	p.Legend.Top, p.Legend.Left = true, true
	for _, l := range []struct {
		name string
		ys   []float64
		col  color.Color
	}{
		{"pending jobs", c.Series.Pending, colorPending}, {"running jobs", c.Series.Running, colorRunning},
		{"spot nodes", c.Series.NodesSpot, colorSpot}, {"on-demand nodes", c.Series.NodesOD, colorOnDemand},
	} {
		xy := make(plotter.XYs, len(c.Series.At))
		for i := range xy {
			xy[i].X, xy[i].Y = c.Series.At[i]/60, l.ys[i]
		}
		line, err := plotter.NewLine(xy)
		if err != nil {
			return "", fmt.Errorf("charting %s: %w", l.name, err)
		}
		line.Color, line.Width = l.col, vg.Points(1.5)
		p.Add(line)
		p.Legend.Add(l.name, line)
	}
	top := 1.0
	for _, ys := range [][]float64{c.Series.Pending, c.Series.Running, c.Series.NodesSpot, c.Series.NodesOD} {
		for _, y := range ys {
			top = max(top, y)
		}
	}
	if err := markWindow(p, c.Outage, top, colorOutage, "spot outage start/end"); err != nil {
		return "", err
	}
	if err := markWindow(p, c.Kill, top, colorKill, "packing scheduler killed/restarted"); err != nil {
		return "", err
	}
	return render(p, 9*vg.Inch, 3.5*vg.Inch)
}

// markWindow draws w's start and end as dashed vertical lines up to top;
// nothing for no window.
func markWindow(p *plot.Plot, w *report.Window, top float64, col color.Color, name string) error {
	if w == nil {
		return nil
	}
	for _, at := range []float64{w.Start, w.End} {
		l, err := plotter.NewLine(plotter.XYs{{X: at / 60, Y: 0}, {X: at / 60, Y: top}})
		if err != nil {
			return fmt.Errorf("charting %s: %w", name, err)
		}
		l.Color, l.Dashes = col, []vg.Length{vg.Points(4), vg.Points(4)}
		p.Add(l)
	}
	legend := plotter.DefaultLineStyle
	legend.Color, legend.Dashes = col, []vg.Length{vg.Points(4), vg.Points(4)}
	p.Legend.Add(name, &plotter.Line{LineStyle: legend})
	return nil
}

// waitHistogramSVG charts the start waits of one mode, in seconds.
func waitHistogramSVG(c modeCharts, pollTimeout float64) (template.HTML, error) {
	waits := make(plotter.Values, len(c.Jobs))
	for i, j := range c.Jobs {
		waits[i] = j.Wait(pollTimeout)
	}
	p := plot.New()
	p.Title.Text = c.Mode + ": start wait per job"
	p.X.Label.Text = "start wait (s of trace time)"
	p.Y.Label.Text = "jobs"
	h, err := plotter.NewHist(waits, 30)
	if err != nil {
		return "", fmt.Errorf("charting waits: %w", err)
	}
	h.FillColor = colorRunning
	p.Add(h)
	return render(p, 4.5*vg.Inch, 3*vg.Inch)
}

func render(p *plot.Plot, w, h vg.Length) (template.HTML, error) {
	wt, err := p.WriterTo(w, h, "svg")
	if err != nil {
		return "", fmt.Errorf("rendering a chart: %w", err)
	}
	var b bytes.Buffer
	if _, err := wt.WriteTo(&b); err != nil {
		return "", fmt.Errorf("rendering a chart: %w", err)
	}
	// The SVG is made here by gonum/plot from numbers, never from input text.
	return template.HTML(b.String()), nil
}

var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>jobfit replay</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}.row{display:flex;flex-wrap:wrap;gap:1em}</style>
</head><body>
<h1>jobfit replay</h1>
<p>{{.Summary}}</p>
<table><tr><th>figure</th>{{range .Runs}}<th>{{.Mode}}</th>{{end}}</tr>
{{range .Rows}}<tr><td>{{.Name}}</td>{{range .Values}}<td>{{.}}</td>{{end}}</tr>{{end}}
</table>
<p>reactive is Karpenter alone with the default scheduler; reactive-binpack adds the packing scheduler (kube-scheduler scoring MostAllocated), named by every job pod;
jobfit is jobfit's scaler with the packing scheduler running. Waits include image pulls.
Utilization is the CPU the job pods requested while they held a node over the allocatable CPU of the nodes while they existed;
the lower bound is the fewest node-seconds that could have held those requests on the largest node the NodePools allow.</p>
<h2>Jobs and nodes over time</h2>
<p>Pending jobs (red) are pods created and not yet Running: each rise is a burst of arrivals that found no free node and waited for one to boot.
Running jobs (blue) follow the trace. Spot (green) and on-demand (orange) nodes show what was paid for; the gap between nodes and running jobs is idle capacity: headroom, or nodes waiting for consolidation.</p>
{{range .Timelines}}<div>{{.}}</div>{{end}}
<h2>Start waits</h2>
<p>Each bar counts jobs by how long their pod waited to run. Jobs that never ran count at the poll timeout.</p>
<div class="row">{{range .Histograms}}<div>{{.}}</div>{{end}}</div>
</body></html>
`))

func writeHTML(path string, o *options, rep report.Report, charts []modeCharts) error {
	data := struct {
		Summary               string
		Runs                  []report.Run
		Rows                  []row
		Timelines, Histograms []template.HTML
	}{Runs: rep.Runs, Rows: rows(rep)}
	data.Summary = fmt.Sprintf("Trace %s, speed %g, boot %s, poll timeout %s, first image pull %s", traceName(o), o.Speed, o.Boot, o.PollTimeout, o.Pull)
	if o.SpotOutage != "" {
		data.Summary += ", spot outage " + o.SpotOutage
	}
	if o.KillScheduler != "" {
		data.Summary += ", packing scheduler killed " + o.KillScheduler
	}
	for _, c := range charts {
		t, err := timelineSVG(c)
		if err != nil {
			return err
		}
		h, err := waitHistogramSVG(c, o.PollTimeout.Seconds())
		if err != nil {
			return err
		}
		data.Timelines, data.Histograms = append(data.Timelines, t), append(data.Histograms, h)
	}
	var b bytes.Buffer
	if err := page.Execute(&b, data); err != nil {
		return fmt.Errorf("writing the HTML page: %w", err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing --html: %w", err)
	}
	return nil
}

func traceName(o *options) string {
	if o.Sample {
		length := "its full length"
		if o.SampleLength > 0 {
			length = o.SampleLength.String()
		}
		return fmt.Sprintf("synthetic %s (seed %d, %s)", o.SampleShape, o.SampleSeed, length)
	}
	return o.Trace
}
