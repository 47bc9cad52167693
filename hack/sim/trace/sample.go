package trace

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// SampleOptions shape the synthetic trace.
type SampleOptions struct {
	// Seed makes the sample reproducible.
	Seed uint64
	// Shape is ShapeMorning (the default) or ShapeDay.
	Shape string
	// Start is the first pipeline's earliest time (default Monday
	// 2026-01-05 07:00 UTC for the morning, 08:00 for the day).
	Start time.Time
	// Length is how long pipelines keep arriving (default 2h for the
	// morning, 8h for the day; the day is cut there when shorter).
	Length time.Duration
}

// The shapes of the synthetic trace.
const (
	ShapeMorning = "morning"
	ShapeDay     = "day"
)

// Shapes are the shapes Sample knows.
var Shapes = []string{ShapeMorning, ShapeDay}

// The synthetic morning. Pipelines arrive as a Poisson process whose rate
// ramps from rampFrom to peakRate pipelines a minute over the first
// rampFor, then stays at the peak: a team arriving at work. Each pipeline
// fans out into three stages, each starting when the previous one ends
// (plus GitLab's stage transition, 2-5 s):
//
//	build   1-3 jobs, median 4 min     (one per arch the project builds)
//	test    3-8 jobs, median 3 min     (wider spread: unit, lint, integration)
//	deploy  1 job,    median 1 min     (on-demand for half the projects)
//
// Run times are log-normal around those medians, capped at 30 min. A
// project builds amd64 only (55%), both arches (30%) or arm64 only (15%);
// its test jobs run on its first arch.
const (
	rampFrom   = 0.3
	peakRate   = 1.2
	rampFor    = 30 * time.Minute
	maxRunTime = 30 * time.Minute
)

type stageShape struct {
	name          string
	minJobs, more int
	median        time.Duration
	sigma         float64
}

var stages = []stageShape{
	{name: "build", minJobs: 1, more: 0, median: 4 * time.Minute, sigma: 0.35},
	{name: "test", minJobs: 3, more: 6, median: 3 * time.Minute, sigma: 0.6},
	{name: "deploy", minJobs: 1, more: 1, median: 1 * time.Minute, sigma: 0.3},
}

// Sample generates the synthetic morning as a jobs-API export (one JSON
// array), so that it goes through the same reader as a real export.
func Sample(o SampleOptions) ([]byte, error) {
	rate, start, length := morningRate, 7, 2*time.Hour
	switch o.Shape {
	case "", ShapeMorning:
	case ShapeDay:
		rate, start, length = dayRate, 8, dayLength
	default:
		return nil, fmt.Errorf("sample shape %q: must be one of %v", o.Shape, Shapes)
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 1, 5, start, 0, 0, 0, time.UTC)
	}
	if o.Length <= 0 {
		o.Length = length
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x6a6f626669740000))
	var jobs []map[string]any
	jobID, pipelineID := int64(900000000), int64(550000)
	for at := o.Start; ; {
		at = at.Add(nextGap(rng, rate(at.Sub(o.Start))))
		if at.Sub(o.Start) >= o.Length {
			break
		}
		pipelineID++
		project := int64(4700 + rng.IntN(12))
		arches := projectArches(project)
		stageStart := at
		for _, st := range stages {
			n := st.minJobs + rng.IntN(st.more+1)
			if st.name == "build" {
				n = len(arches)
			}
			var longest time.Duration
			for i := range n {
				jobID++
				run := logNormal(rng, st.median, st.sigma)
				longest = max(longest, run)
				created := stageStart.Add(time.Duration(rng.IntN(3000)) * time.Millisecond)
				tags := []string{"kubernetes", arches[i%len(arches)]}
				if st.name == "deploy" && project%2 == 0 {
					tags = append(tags, "on-demand")
				}
				jobs = append(jobs, apiRecord(jobID, pipelineID, project, st.name, fmt.Sprintf("%s:%s:%d", st.name, tags[1], i), tags, created, run))
			}
			stageStart = stageStart.Add(longest + time.Duration(2000+rng.IntN(3000))*time.Millisecond)
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(jobs); err != nil {
		return nil, fmt.Errorf("encoding the sample: %w", err)
	}
	return b.Bytes(), nil
}

// nextGap is the exponential gap to the next pipeline at rate pipelines a
// minute.
func nextGap(rng *rand.Rand, rate float64) time.Duration {
	return time.Duration(rng.ExpFloat64() / rate * float64(time.Minute))
}

// morningRate is the morning's pipelines a minute, elapsed into it.
func morningRate(elapsed time.Duration) float64 {
	if elapsed < rampFor {
		return rampFrom + (peakRate-rampFrom)*float64(elapsed)/float64(rampFor)
	}
	return peakRate
}

func projectArches(project int64) []string {
	switch project % 20 {
	case 0, 1, 2:
		return []string{"arm64"}
	case 3, 4, 5, 6, 7, 8:
		return []string{"amd64", "arm64"}
	default:
		return []string{"amd64"}
	}
}

func logNormal(rng *rand.Rand, median time.Duration, sigma float64) time.Duration {
	d := time.Duration(float64(median) * math.Exp(sigma*rng.NormFloat64()))
	return min(d, maxRunTime).Round(time.Second)
}

// apiRecord is a job as GET /projects/:id/jobs returns it (the fields the
// replay reads, and enough of the rest to look like the real thing).
func apiRecord(id, pipeline, project int64, stage, name string, tags []string, created time.Time, run time.Duration) map[string]any {
	started := created.Add(2 * time.Second)
	finished := started.Add(run)
	return map[string]any{
		"id": id, "status": "success", "stage": stage, "name": name, "ref": "main", "tag": false,
		"allow_failure": false, "coverage": nil,
		"created_at":      created.Format(time.RFC3339Nano),
		"started_at":      started.Format(time.RFC3339Nano),
		"finished_at":     finished.Format(time.RFC3339Nano),
		"erased_at":       nil,
		"duration":        run.Seconds(),
		"queued_duration": 2.0,
		"tag_list":        tags,
		"pipeline": map[string]any{
			"id": pipeline, "project_id": project, "ref": "main", "status": "success", "source": "push",
		},
		"web_url": fmt.Sprintf("https://gitlab.example.com/acme/project-%d/-/jobs/%d", project, id),
	}
}
