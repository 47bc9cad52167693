package main

import (
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
)

// jobsHeader are the --jobs file's columns.
var jobsHeader = []string{"mode", "job", "attempt", "created_s", "bound_s", "running_s", "wait_s", "pull_s", "path",
	"intent_arch", "intent_capacity", "node_arch", "node_capacity", "scheduler", "failed_poll_timeout", "disrupted", "interrupted"}

// writeJobsCSV writes one row per job pod of every mode, in trace seconds
// from the first arrival; an empty bound_s or running_s: never.
func writeJobsCSV(path string, charts []modeCharts, pollTimeout float64) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing --jobs: %w", err)
	}
	w := csv.NewWriter(f)
	_ = w.Write(jobsHeader)
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
	opt := func(v *float64) string {
		if v == nil {
			return ""
		}
		return num(*v)
	}
	for _, c := range charts {
		for _, j := range c.Jobs {
			_ = w.Write([]string{c.Mode, strconv.Itoa(j.Job), strconv.Itoa(j.Attempt), num(j.Created), opt(j.Bound), opt(j.Running),
				num(j.Wait(pollTimeout)), num(j.Pull), j.Path(), j.IntentArch, j.IntentCapacity, j.NodeArch, j.NodeCapacity, j.Scheduler,
				strconv.FormatBool(j.FailedPoll), strconv.FormatBool(j.Disrupted), strconv.FormatBool(j.Interrupted)})
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		_ = f.Close()
		return fmt.Errorf("writing --jobs: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing --jobs: %w", err)
	}
	return nil
}
