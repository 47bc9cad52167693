package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/utils/ptr"

	"jobfit.dev/jobfit/hack/sim/report"
)

func TestWriteJobsCSV(t *testing.T) {
	charts := []modeCharts{
		{Mode: "reactive", Jobs: []report.JobResult{
			{Job: 0, Created: 1, Bound: ptr.To(2.0), Running: ptr.To(2.5), Pull: 20, IntentArch: "arm64", IntentCapacity: "spot",
				NodeArch: "arm64", NodeCapacity: "spot", Scheduler: "default-scheduler", NewNode: true},
		}},
		{Mode: "jobfit", Jobs: []report.JobResult{
			{Job: 0, Created: 1, Bound: ptr.To(1.2), Running: ptr.To(1.4), IntentArch: "arm64", IntentCapacity: "spot",
				NodeArch: "arm64", NodeCapacity: "spot", Scheduler: "jobfit-binpack", Preempted: true},
			{Job: 1, Attempt: 1, Created: 5, FailedPoll: true, IntentArch: "amd64", IntentCapacity: "on-demand", Interrupted: true},
		}},
	}
	path := filepath.Join(t.TempDir(), "jobs.csv")
	require.NoError(t, writeJobsCSV(path, charts, 180))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 4, "a header and one row per job pod of every mode")
	assert.Equal(t, jobsHeader, rows[0])
	row := func(i int) map[string]string {
		out := map[string]string{}
		for c, name := range jobsHeader {
			out[name] = rows[i][c]
		}
		return out
	}
	assert.Equal(t, map[string]string{"mode": "reactive", "job": "0", "attempt": "0", "created_s": "1.000", "bound_s": "2.000",
		"running_s": "2.500", "wait_s": "21.500", "pull_s": "20.000", "path": "new_node", "intent_arch": "arm64",
		"intent_capacity": "spot", "node_arch": "arm64", "node_capacity": "spot", "scheduler": "default-scheduler",
		"failed_poll_timeout": "false", "disrupted": "false", "interrupted": "false"}, row(1))
	assert.Equal(t, "preempted", row(2)["path"])
	assert.Equal(t, "jobfit", row(2)["mode"])
	never := row(3)
	assert.Equal(t, []string{"", "", "180.000", "never_ran", "true", "true", "1"},
		[]string{never["bound_s"], never["running_s"], never["wait_s"], never["path"], never["failed_poll_timeout"], never["interrupted"], never["attempt"]})
}
