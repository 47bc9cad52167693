//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"jobfit.dev/jobfit/hack/sim/report"
	"jobfit.dev/jobfit/hack/sim/trace"
	"jobfit.dev/jobfit/hack/stack"
)

// TestSimSmoke replays a few minutes of the synthetic morning at high speed
// in all three modes with hack/sim, killing the packing scheduler for a
// minute of trace time, and checks invariants only, never timings: every
// job ran on a node of the arch it asked for, none was disrupted while
// running, the accounting is consistent, and both reports were written.
func TestSimSmoke(t *testing.T) {
	if why := stack.NoStackTools(); why != "" {
		t.Skip(why)
	}
	dir := t.TempDir()
	jobsFile := filepath.Join(dir, "jobs.json")
	jsonFile, htmlFile := filepath.Join(dir, "report.json"), filepath.Join(dir, "report.html")
	sim := func(args ...string) {
		cmd := exec.Command("go", append([]string{"run", "./hack/sim"}, args...)...)
		cmd.Dir = "../.."
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "go run ./hack/sim %s\n%s", strings.Join(args, " "), out)
		t.Logf("go run ./hack/sim %s\n%s", strings.Join(args, " "), out)
	}
	sim("--write-sample", jobsFile, "--sample-seed", "7", "--sample-length", "30m")
	// A poll timeout far beyond any wait: "every job ran" is about the
	// stack provisioning nodes for every job, not about how fast, on a
	// machine that may be busy.
	const length = 5 * time.Minute
	sim("--trace", jobsFile, "--length", length.String(), "--speed", "20", "--poll-timeout", "2h", "--compare",
		"--kill-scheduler", "2m+1m", "--json", jsonFile, "--html", htmlFile, "--logs", filepath.Join(dir, "logs"))

	f, err := os.Open(jobsFile)
	require.NoError(t, err)
	defer f.Close()
	tr, err := trace.Read(f)
	require.NoError(t, err)
	tr.Truncate(length)
	require.NotEmpty(t, tr.Jobs)

	raw, err := os.ReadFile(jsonFile)
	require.NoError(t, err)
	var rep report.Report
	require.NoError(t, json.Unmarshal(raw, &rep))
	require.Len(t, rep.Runs, 3)
	for i, mode := range []string{"reactive", "reactive-binpack", "jobfit"} {
		r := rep.Runs[i]
		assert.Equal(t, mode, r.Mode)
		assert.Equal(t, len(tr.Jobs), r.Jobs, "%s: every job replayed", mode)
		assert.Zero(t, r.FailedPollTimeout, "%s: every job ran", mode)
		assert.Zero(t, r.WrongArch, "%s: every job on a node of its arch", mode)
		assert.Zero(t, r.DisruptedRunning, "%s: no running job disrupted", mode)
		assert.Positive(t, r.NodesLaunched, "%s: Karpenter launched nodes", mode)
		assert.Positive(t, r.NodeSeconds.Total, "%s", mode)
		assert.Positive(t, r.Cost, "%s", mode)
		assert.Positive(t, r.Utilization, "%s", mode)
		assert.LessOrEqual(t, r.Utilization, 1.0, "%s: requests fit in the nodes", mode)
		assert.Positive(t, r.NodeSecondsLowerBound, "%s", mode)
		assert.LessOrEqual(t, r.NodeSecondsLowerBound, r.NodeSeconds.Total, "%s: no run beats the fluid bound", mode)
		assert.Positive(t, r.Pulls.Jobs, "%s: fresh nodes pulled images", mode)
		if mode == "reactive" {
			assert.Nil(t, r.SchedulerKill, "no packing scheduler to kill")
		} else if assert.NotNil(t, r.SchedulerKill, mode) {
			k := r.SchedulerKill
			assert.Equal(t, [2]float64{120, 180}, [2]float64{k.Start, k.End}, "%s: the window", mode)
			assert.Zero(t, k.FailedPollTimeout, "%s: no job created in the window failed", mode)
			assert.Zero(t, k.FailedPendingAtKill, "%s: no job pending at the kill failed", mode)
			if mode == "reactive-binpack" {
				assert.Zero(t, k.DefaultScheduler, "without jobfit nothing falls back: the runner names the packing scheduler")
			}
		}
		switch mode {
		case "reactive":
			assert.Zero(t, r.PackedJobs, "no packing scheduler")
		case "reactive-binpack":
			assert.Equal(t, r.Jobs, r.PackedJobs, "the runner's scheduler_name on every pod")
		default:
			assert.Positive(t, r.PackedJobs, "the shipped policy names the packing scheduler")
		}
	}
	page, err := os.ReadFile(htmlFile)
	require.NoError(t, err)
	assert.Contains(t, string(page), "<svg")
	assert.NotContains(t, string(page), "<script", "self-contained: no scripts to fetch")
}
