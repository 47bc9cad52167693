package report

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAccount(t *testing.T) {
	at := func(f float64) *float64 { return &f }
	for _, tc := range []struct {
		name       string
		jobs       []JobResult
		nodes      []Interval
		from, to   float64
		largestCPU float64
		want       Accounting
	}{
		{name: "nothing ran", to: 100, largestCPU: 31.9},
		{
			// Two 1-core jobs for 100 s and one 2-core job for 50 s: 300
			// CPU-seconds. One 4-core node for 150 s: 600. Half used; at
			// most 4 cores a node, 300 CPU-seconds need 75 node-seconds.
			name: "requested over provisioned, and the fluid bound",
			jobs: []JobResult{
				{Created: 0, Running: at(10), Ended: 110, CPU: 1},
				{Created: 0, Running: at(20), Ended: 120, CPU: 1},
				{Created: 0, Running: at(50), Ended: 100, CPU: 2},
			},
			nodes:      []Interval{{From: 0, To: 150, InstanceType: "c7g.xlarge", CPU: 4}},
			to:         200,
			largestCPU: 4,
			want:       Accounting{RequestedCPUSeconds: 300, ProvisionedCPUSeconds: 600, Utilization: 0.5, NodeSecondsLowerBound: 75},
		},
		{
			// The job runs 50..250 but counts 100..200 (2 cores: 200); the
			// node 0..300 counts 100..200 (8 cores: 800); a job that never
			// ran and a launch without an instance count nothing.
			name: "clipped to the window",
			jobs: []JobResult{
				{Created: 0, Running: at(50), Ended: 250, CPU: 2},
				{Created: 0, CPU: 4, FailedPoll: true},
			},
			nodes:      []Interval{{From: 0, To: 300, InstanceType: "m7i.2xlarge", CPU: 8}, {From: 0, To: 300, CPU: 8}},
			from:       100,
			to:         200,
			largestCPU: 8,
			want:       Accounting{RequestedCPUSeconds: 200, ProvisionedCPUSeconds: 800, Utilization: 0.25, NodeSecondsLowerBound: 25},
		},
		{
			// Still running at the end: counts to the window's end.
			name:       "a job that never ended counts to the end",
			jobs:       []JobResult{{Created: 0, Running: at(0), CPU: 3}},
			nodes:      []Interval{{From: 0, To: 100, InstanceType: "c7g.xlarge", CPU: 4}},
			to:         100,
			largestCPU: 16,
			want:       Accounting{RequestedCPUSeconds: 300, ProvisionedCPUSeconds: 400, Utilization: 0.75, NodeSecondsLowerBound: 18.8},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Account(tc.jobs, tc.nodes, tc.from, tc.to, tc.largestCPU))
		})
	}
}

func TestPullsAndKill(t *testing.T) {
	at := func(f float64) *float64 { return &f }
	in := Input{
		Mode: "jobfit", To: 400, PollTimeout: 180, LargestCPU: 4, Kill: &Window{Start: 100, End: 200},
		Price: func(string, string) float64 { return 0.2 },
		Nodes: []Interval{{From: 0, To: 400, InstanceType: "c7g.xlarge", CPU: 4}},
		Jobs: []JobResult{
			// The node's first job pulls for 20 s: waits 5 + 20.
			{Created: 0, Running: at(5), Ended: 125, CPU: 1, Pull: 20, Scheduler: "jobfit-binpack"},
			// Same node, same image: no pull.
			{Created: 50, Running: at(51), Ended: 151, CPU: 1, Scheduler: "jobfit-binpack"},
			// Created in the kill window, ran after it, placed by the
			// default scheduler (the webhook's fall-back).
			{Created: 120, Running: at(210), Ended: 310, CPU: 1, Scheduler: "default-scheduler"},
			// Created in the kill window, never ran.
			{Created: 150, FailedPoll: true, CPU: 1},
			// Pending at the kill, handed to the packing scheduler: never ran.
			{Created: 90, FailedPoll: true, CPU: 0},
		},
	}
	r := Summarise(in)
	assert.Equal(t, Pulls{Jobs: 1, Seconds: 20, WaitP95Without: 180}, r.Pulls)
	assert.InDelta(t, 180, r.WaitSeconds.Max, 1e-9)
	assert.InDelta(t, 25, Percentile([]float64{in.Jobs[0].Wait(180)}, 1), 1e-9, "the wait includes the pull")
	assert.Equal(t, &SchedulerKill{Start: 100, End: 200, Jobs: 2, FailedPollTimeout: 1, WaitP95: 180,
		DefaultScheduler: 1, PendingAtKill: 1, FailedPendingAtKill: 1}, r.SchedulerKill)
	assert.Equal(t, 2, r.PackedJobs, "the jobs the packing scheduler placed")
	// 120 + 100 + 100 CPU-seconds of 1600.
	assert.InDelta(t, 0.2, r.Utilization, 1e-9)
	assert.InDelta(t, 80, r.NodeSecondsLowerBound, 1e-9)
}
