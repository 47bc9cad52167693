// Package trace reads a GitLab jobs export (the JSON of GET
// /projects/:id/jobs) into the jobs the replay runs, and generates the
// built-in synthetic morning.
package trace

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Job is one job to replay.
type Job struct {
	ID         int64
	Name       string
	Stage      string
	PipelineID int64
	ProjectID  int64
	// Tags are the job's tag_list: the replay runs it as if a runner with
	// exactly these tags took it.
	Tags []string
	// Arrival is when the job's pod is created.
	Arrival time.Time
	// Run is how long the job's pod runs once Running.
	Run time.Duration
}

// Trace is a replayable list of jobs, sorted by arrival.
type Trace struct {
	Jobs []Job
	// Skipped counts the jobs left out, by reason.
	Skipped map[string]int
}

// Start is the first arrival (zero for an empty trace).
func (t *Trace) Start() time.Time {
	if len(t.Jobs) == 0 {
		return time.Time{}
	}
	return t.Jobs[0].Arrival
}

// End is the last moment a job could run: the latest arrival plus run time.
func (t *Trace) End() time.Time {
	var end time.Time
	for _, j := range t.Jobs {
		if e := j.Arrival.Add(j.Run); e.After(end) {
			end = e
		}
	}
	return end
}

// Truncate keeps the jobs that arrive within d of the start.
func (t *Trace) Truncate(d time.Duration) {
	start := t.Start()
	keep := t.Jobs[:0]
	for _, j := range t.Jobs {
		if j.Arrival.Sub(start) < d {
			keep = append(keep, j)
		}
	}
	t.Jobs = keep
}

// apiJob is the part of a jobs-API job the replay reads. Times are decoded
// by hand so that a bad one names its field.
type apiJob struct {
	ID         *int64   `json:"id"`
	Status     string   `json:"status"`
	Stage      string   `json:"stage"`
	Name       string   `json:"name"`
	CreatedAt  *string  `json:"created_at"`
	StartedAt  *string  `json:"started_at"`
	FinishedAt *string  `json:"finished_at"`
	Duration   *float64 `json:"duration"`
	TagList    []string `json:"tag_list"`
	Pipeline   *struct {
		ID        int64 `json:"id"`
		ProjectID int64 `json:"project_id"`
	} `json:"pipeline"`
}

// Read reads a jobs export: one JSON array, several arrays one after the
// other (pages), or one job object per line (NDJSON), in any mix. Jobs
// without a run time are skipped and counted by reason (their status:
// manual, skipped, canceled, ...). Bad input is an error naming the job's
// index (from 0, across pages) and the field.
func Read(r io.Reader) (*Trace, error) {
	dec := json.NewDecoder(r)
	t := &Trace{Skipped: map[string]int{}}
	index := 0
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("job %d: not JSON: %w", index, err)
		}
		var docs []json.RawMessage
		switch first(raw) {
		case '[':
			if err := json.Unmarshal(raw, &docs); err != nil {
				return nil, fmt.Errorf("job %d: %w", index, err)
			}
		case '{':
			docs = []json.RawMessage{raw}
		default:
			return nil, fmt.Errorf("job %d: want a job object or an array of jobs, got %s", index, abbrev(raw))
		}
		for _, doc := range docs {
			if err := t.add(index, doc); err != nil {
				return nil, err
			}
			index++
		}
	}
	sort.SliceStable(t.Jobs, func(i, k int) bool { return t.Jobs[i].Arrival.Before(t.Jobs[k].Arrival) })
	return t, nil
}

func (t *Trace) add(index int, doc json.RawMessage) error {
	if first(doc) != '{' {
		return fmt.Errorf("job %d: want a job object, got %s", index, abbrev(doc))
	}
	var a apiJob
	if err := json.Unmarshal(doc, &a); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("job %d: field %s: want %s, got %s", index, te.Field, te.Type, te.Value)
		}
		return fmt.Errorf("job %d: %w", index, err)
	}
	job, reason, err := convert(a)
	if err != nil {
		return fmt.Errorf("job %d%s: %w", index, idSuffix(a.ID), err)
	}
	if reason != "" {
		t.Skipped[reason]++
		return nil
	}
	t.Jobs = append(t.Jobs, job)
	return nil
}

func convert(a apiJob) (Job, string, error) {
	if a.ID == nil {
		return Job{}, "", errors.New("field id: missing")
	}
	created, err := parseTime("created_at", a.CreatedAt, true)
	if err != nil {
		return Job{}, "", err
	}
	started, err := parseTime("started_at", a.StartedAt, false)
	if err != nil {
		return Job{}, "", err
	}
	finished, err := parseTime("finished_at", a.FinishedAt, false)
	if err != nil {
		return Job{}, "", err
	}
	job := Job{ID: *a.ID, Name: a.Name, Stage: a.Stage, Tags: a.TagList, Arrival: created}
	if a.Pipeline != nil {
		job.PipelineID, job.ProjectID = a.Pipeline.ID, a.Pipeline.ProjectID
	}
	switch {
	case a.Duration != nil && *a.Duration < 0:
		return Job{}, "", fmt.Errorf("field duration: must not be negative, got %g", *a.Duration)
	case a.Duration != nil:
		job.Run = time.Duration(*a.Duration * float64(time.Second))
	case !started.IsZero() && !finished.IsZero() && !finished.Before(started):
		job.Run = finished.Sub(started)
	default:
		return Job{}, skipReason(a.Status), nil
	}
	return job, "", nil
}

// skipReason names why a job has no run time: its status, as GitLab
// spells it (manual, skipped, canceled, created, ...).
func skipReason(status string) string {
	if status == "" {
		return "no_run_time"
	}
	return status
}

func parseTime(field string, s *string, required bool) (time.Time, error) {
	if s == nil || *s == "" {
		if required {
			return time.Time{}, fmt.Errorf("field %s: missing", field)
		}
		return time.Time{}, nil
	}
	at, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		return time.Time{}, fmt.Errorf("field %s: %q is not an RFC 3339 time", field, *s)
	}
	return at, nil
}

func first(raw []byte) byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

func abbrev(raw []byte) string {
	s := strings.TrimSpace(string(raw))
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return s
}

func idSuffix(id *int64) string {
	if id == nil {
		return ""
	}
	return fmt.Sprintf(" (id %d)", *id)
}
