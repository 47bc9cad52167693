package trace

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadJobsAPIPages(t *testing.T) {
	f, err := os.Open("testdata/jobs-page.json")
	require.NoError(t, err)
	defer f.Close()
	tr, err := Read(f)
	require.NoError(t, err)
	require.Len(t, tr.Jobs, 2)
	assert.Equal(t, map[string]int{"manual": 1, "skipped": 1, "canceled": 1}, tr.Skipped)

	// Sorted by arrival: 08:00+01:00 is 07:00Z.
	rspec, build := tr.Jobs[0], tr.Jobs[1]
	assert.Equal(t, int64(8), rspec.ID)
	assert.Equal(t, time.Date(2026, 1, 5, 7, 0, 0, 0, time.UTC), rspec.Arrival.UTC())
	assert.Equal(t, 2*time.Minute, rspec.Run, "no duration: finished_at - started_at")
	assert.Empty(t, rspec.Tags)

	assert.Equal(t, Job{
		ID: 7, Name: "build:arm64", Stage: "build", PipelineID: 6, ProjectID: 1,
		Tags:    []string{"docker runner", "arm64"},
		Arrival: time.Date(2026, 1, 5, 8, 1, 2, 123000000, time.UTC),
		Run:     247333 * time.Millisecond,
	}, build)
	assert.Equal(t, rspec.Arrival, tr.Start())
	assert.Equal(t, build.Arrival.Add(build.Run), tr.End())
}

func TestReadNDJSONAndMixed(t *testing.T) {
	in := `{"id":1,"created_at":"2026-01-05T08:00:00Z","duration":60,"status":"success"}
{"id":2,"created_at":"2026-01-05T08:00:30Z","duration":30,"status":"success"}
[{"id":3,"created_at":"2026-01-05T07:59:00Z","duration":10,"status":"success"}]`
	tr, err := Read(strings.NewReader(in))
	require.NoError(t, err)
	require.Len(t, tr.Jobs, 3)
	assert.Equal(t, []int64{3, 1, 2}, []int64{tr.Jobs[0].ID, tr.Jobs[1].ID, tr.Jobs[2].ID})
}

func TestReadBadInput(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"not JSON", `hello`, "job 0: not JSON"},
		{"truncated", `[{"id":1,"created_at":"2026-01-05T08:00:00Z","duration":1}`, "job 0: not JSON"},
		{"a number instead of a job", `[1]`, "job 0: want a job object, got 1"},
		{"a string at the top", `"jobs"`, `job 0: want a job object or an array of jobs, got "jobs"`},
		{"missing created_at", `[{"id":1,"duration":5}]`, "job 0 (id 1): field created_at: missing"},
		{"created_at not a time", `[{"id":1,"created_at":"yesterday","duration":5}]`, `job 0 (id 1): field created_at: "yesterday" is not an RFC 3339 time`},
		{"created_at a number", `[{"id":1,"created_at":17,"duration":5}]`, "job 0: field created_at: want string, got number"},
		{"duration a string", `[{"id":1,"created_at":"2026-01-05T08:00:00Z","duration":"5s"}]`, "job 0: field duration: want float64, got string"},
		{"negative duration", `[{"id":1,"created_at":"2026-01-05T08:00:00Z","duration":-1}]`, "job 0 (id 1): field duration: must not be negative"},
		{"tag_list not a list", `[{"id":1,"created_at":"2026-01-05T08:00:00Z","tag_list":"arm64"}]`, "job 0: field tag_list: want []string, got string"},
		{"missing id", `[{"created_at":"2026-01-05T08:00:00Z","duration":1}]`, "job 0: field id: missing"},
		{"bad started_at", `[{"id":1,"created_at":"2026-01-05T08:00:00Z","started_at":"noon"}]`, `job 0 (id 1): field started_at: "noon" is not an RFC 3339 time`},
		{"index counts across pages", `[{"id":1,"created_at":"2026-01-05T08:00:00Z","duration":1}][{"id":2,"duration":1}]`, "job 1 (id 2): field created_at: missing"},
		{"pipeline id a string", `[{"id":1,"created_at":"2026-01-05T08:00:00Z","duration":1,"pipeline":{"id":"six"}}]`, "job 0: field pipeline.id: want int64, got string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tc.in))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestSampleIsSeededAndReadable(t *testing.T) {
	a, err := Sample(SampleOptions{Seed: 1})
	require.NoError(t, err)
	b, err := Sample(SampleOptions{Seed: 1})
	require.NoError(t, err)
	c, err := Sample(SampleOptions{Seed: 2})
	require.NoError(t, err)
	assert.Equal(t, a, b, "same seed, same morning")
	assert.NotEqual(t, a, c)

	tr, err := Read(strings.NewReader(string(a)))
	require.NoError(t, err)
	assert.Empty(t, tr.Skipped)
	assert.Greater(t, len(tr.Jobs), 500, "a busy two-hour morning")
	stages := map[string]int{}
	pipelines := map[int64]bool{}
	for _, j := range tr.Jobs {
		stages[j.Stage]++
		pipelines[j.PipelineID] = true
		assert.Positive(t, j.Run)
		assert.LessOrEqual(t, j.Run, maxRunTime)
		assert.Contains(t, j.Tags, "kubernetes")
	}
	assert.Greater(t, stages["test"], stages["build"], "test fans out wider than build")
	assert.Equal(t, len(pipelines), stages["deploy"]-countExtraDeploys(tr), "one deploy job per pipeline at least")
	assert.Less(t, tr.Jobs[len(tr.Jobs)-1].Arrival.Sub(tr.Start()), 3*time.Hour)
}

// countExtraDeploys counts deploy jobs beyond the first of each pipeline.
func countExtraDeploys(tr *Trace) int {
	seen, extra := map[int64]bool{}, 0
	for _, j := range tr.Jobs {
		if j.Stage != "deploy" {
			continue
		}
		if seen[j.PipelineID] {
			extra++
		}
		seen[j.PipelineID] = true
	}
	return extra
}

func TestTruncate(t *testing.T) {
	raw, err := Sample(SampleOptions{Seed: 3, Length: time.Hour})
	require.NoError(t, err)
	tr, err := Read(strings.NewReader(string(raw)))
	require.NoError(t, err)
	n := len(tr.Jobs)
	tr.Truncate(10 * time.Minute)
	assert.Less(t, len(tr.Jobs), n)
	for _, j := range tr.Jobs {
		assert.Less(t, j.Arrival.Sub(tr.Start()), 10*time.Minute)
	}
}
