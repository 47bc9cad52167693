package report

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPercentile(t *testing.T) {
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(100 - i) // 100..1, unsorted
	}
	for _, tc := range []struct {
		name   string
		values []float64
		q      float64
		want   float64
	}{
		{"none", nil, 0.5, 0},
		{"one", []float64{7}, 0.95, 7},
		{"nearest rank p50 of 1..100", hundred, 0.50, 50},
		{"p95 of 1..100", hundred, 0.95, 95},
		{"p99 of 1..100", hundred, 0.99, 99},
		{"max", hundred, 1, 100},
		{"p95 of four is the largest", []float64{1, 2, 3, 4}, 0.95, 4},
		{"p50 of four is the second", []float64{4, 3, 2, 1}, 0.5, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.InDelta(t, tc.want, Percentile(tc.values, tc.q), 1e-9)
		})
	}
}

func TestNodes(t *testing.T) {
	price := func(it, capacity string) float64 {
		return map[string]float64{"c7g.xlarge/spot": 0.06, "m7i.2xlarge/on-demand": 0.36}[it+"/"+capacity]
	}
	for _, tc := range []struct {
		name           string
		nodes          []Interval
		want           NodeSeconds
		cost           float64
		launched, peak int
	}{
		{name: "none", want: NodeSeconds{ByArch: map[string]float64{}}},
		{
			name: "clipped to the window, by capacity and arch",
			nodes: []Interval{
				{From: -100, To: 3600, Arch: "arm64", Capacity: "spot", InstanceType: "c7g.xlarge"},       // 3600 s in window
				{From: 1800, To: 9000, Arch: "amd64", Capacity: "on-demand", InstanceType: "m7i.2xlarge"}, // 5400 s in window
			},
			want:     NodeSeconds{Total: 9000, Spot: 3600, OnDemand: 5400, ByArch: map[string]float64{"arm64": 3600, "amd64": 5400}},
			cost:     0.06 + 1.5*0.36,
			launched: 2, peak: 2,
		},
		{
			name: "a launch that never got an instance costs nothing",
			nodes: []Interval{
				{From: 0, To: 100, Arch: "arm64", Capacity: "spot", InstanceType: "c7g.xlarge"},
				{From: 0, To: 500},
			},
			want:     NodeSeconds{Total: 100, Spot: 100, ByArch: map[string]float64{"arm64": 100}},
			cost:     0, // 100 s at 0.06/h rounds to 0.00
			launched: 1, peak: 1,
		},
		{
			name: "a replacement at the same instant is not a peak",
			nodes: []Interval{
				{From: 0, To: 100, Arch: "arm64", Capacity: "spot", InstanceType: "c7g.xlarge"},
				{From: 100, To: 200, Arch: "arm64", Capacity: "spot", InstanceType: "c7g.xlarge"},
			},
			want:     NodeSeconds{Total: 200, Spot: 200, ByArch: map[string]float64{"arm64": 200}},
			cost:     0,
			launched: 2, peak: 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns, cost, launched, peak := Nodes(tc.nodes, 0, 7200, price)
			assert.Equal(t, tc.want, ns)
			assert.InDelta(t, tc.cost, cost, 0.005)
			assert.Equal(t, tc.launched, launched)
			assert.Equal(t, tc.peak, peak)
		})
	}
}

func at(f float64) *float64 { return &f }

func TestSummarise(t *testing.T) {
	jobs := []JobResult{
		{Created: 0, Running: at(5), Ended: 65, IntentArch: "amd64", IntentCapacity: "spot", NodeArch: "amd64", NodeCapacity: "spot"},
		{Created: 10, Running: at(50), Ended: 90, IntentArch: "arm64", IntentCapacity: "spot", NodeArch: "amd64", NodeCapacity: "spot"},
		{Created: 20, Ended: 200, IntentArch: "amd64", IntentCapacity: "spot", FailedPoll: true},
		{Created: 30, Running: at(31), Ended: 40, IntentArch: "amd64", IntentCapacity: "on-demand", NodeArch: "amd64", NodeCapacity: "on-demand", Disrupted: true},
	}
	r := Summarise(Input{Mode: "jobfit", Jobs: jobs, From: 0, To: 300, PollTimeout: 180,
		Price: func(string, string) float64 { return 0 }})
	assert.Equal(t, 4, r.Jobs)
	assert.Equal(t, 1, r.FailedPollTimeout)
	assert.Equal(t, 1, r.WrongArch)
	assert.Equal(t, 1, r.DisruptedRunning)
	assert.Equal(t, Percentiles{P50: 5, P90: 180, P95: 180, P99: 180, Max: 180}, r.WaitSeconds, "waits 5, 40, 180 (never ran), 1")
	assert.Nil(t, r.SpotOutage)

	raw, err := json.Marshal(Report{Runs: []Run{r}})
	require.NoError(t, err)
	var shape map[string][]map[string]any
	require.NoError(t, json.Unmarshal(raw, &shape))
	keys := []string{}
	for k := range shape["runs"][0] {
		keys = append(keys, k)
	}
	assert.ElementsMatch(t, []string{"mode", "jobs", "skipped", "failed_poll_timeout", "wait_seconds", "node_seconds", "cost",
		"nodes_launched", "peak_nodes", "wrong_arch", "disrupted_running",
		"utilization", "requested_cpu_seconds", "provisioned_cpu_seconds", "node_seconds_lower_bound", "image_pulls", "jobs_packed", "wait_by_path"}, keys)
	assert.Equal(t, map[string]any{"total": 0.0, "spot": 0.0, "on-demand": 0.0, "by_arch": map[string]any{"amd64": 0.0, "arm64": 0.0}},
		shape["runs"][0]["node_seconds"])
}

func TestSpotOutage(t *testing.T) {
	w := Window{Start: 1000, End: 2000}
	jobs := []JobResult{
		// Before: spot.
		{Created: 900, Running: at(905), IntentCapacity: "spot", NodeCapacity: "spot"},
		// During: finds room on a spot node already up, so it does not show
		// the outage.
		{Created: 1003, Running: at(1004), IntentCapacity: "spot", NodeCapacity: "spot"},
		// Finds no room, waits, then on-demand 70 s after the start.
		{Created: 1010, Running: at(1070), IntentCapacity: "spot", NodeCapacity: "on-demand"},
		{Created: 1500, Running: at(1502), IntentCapacity: "spot", NodeCapacity: "on-demand"},
		// A job asking for on-demand does not count as fallback.
		{Created: 1001, Running: at(1002), IntentCapacity: "on-demand", NodeCapacity: "on-demand"},
		// After: still on-demand until recovery, then spot again.
		{Created: 2100, Running: at(2101), IntentCapacity: "spot", NodeCapacity: "on-demand"},
		{Created: 2300, Running: at(2340), IntentCapacity: "spot", NodeCapacity: "spot"},
		{Created: 2400, Running: at(2401), IntentCapacity: "spot", NodeCapacity: "spot"},
	}
	r := Summarise(Input{Mode: "jobfit", Jobs: jobs, To: 3000, PollTimeout: 180, Price: func(string, string) float64 { return 0 }, Outage: &w, Boot: 40})
	require.NotNil(t, r.SpotOutage)
	assert.Equal(t, 70.0, *r.SpotOutage.FirstOnDemandAfter)
	require.NotNil(t, r.SpotOutage.FirstNeedPlusBoot)
	assert.Equal(t, 50.0, *r.SpotOutage.FirstNeedPlusBoot, "the first spot job that found no room came 10 s in; plus a 40 s boot")
	assert.Equal(t, 60.0, *r.SpotOutage.WaitP95During, "waits 60, 2, 1, 1 during the window")
	assert.Equal(t, 300.0, *r.SpotOutage.BackToSpotAfter)

	reactive := Summarise(Input{Mode: "reactive", Jobs: jobs[:1], To: 3000, PollTimeout: 180, Price: func(string, string) float64 { return 0 }, Outage: &w})
	assert.Nil(t, reactive.SpotOutage.FirstOnDemandAfter, "never fell back")
	assert.Nil(t, reactive.SpotOutage.BackToSpotAfter)
	assert.Nil(t, reactive.SpotOutage.FirstNeedPlusBoot, "no job arrived during the outage")
	raw, err := json.Marshal(reactive.SpotOutage)
	require.NoError(t, err)
	assert.JSONEq(t, `{"first_on_demand_after_s":null,"wait_p95_during_s":null,"back_to_spot_after_s":null}`, string(raw))
}

func TestTimeline(t *testing.T) {
	jobs := []JobResult{
		{Created: 0, Running: at(20), Ended: 40},
		{Created: 5, Ended: 30, FailedPoll: true},
	}
	nodes := []Interval{{From: 0, To: 35, Capacity: "spot", InstanceType: "c7g.xlarge"}, {From: 10, To: 50, Capacity: "on-demand", InstanceType: "m7i.xlarge"}}
	s := Timeline(jobs, nodes, 0, 40, 10)
	assert.Equal(t, []float64{0, 10, 20, 30, 40}, s.At)
	assert.Equal(t, []float64{1, 2, 1, 0, 0}, s.Pending)
	assert.Equal(t, []float64{0, 0, 1, 1, 0}, s.Running)
	assert.Equal(t, []float64{1, 1, 1, 1, 0}, s.NodesSpot)
	assert.Equal(t, []float64{0, 1, 1, 1, 1}, s.NodesOD)
}

func TestOutageFirstNeed(t *testing.T) {
	w := Window{Start: 1000, End: 2000}
	for _, tc := range []struct {
		name string
		jobs []JobResult
		want *float64
	}{
		{"a job that never ran found no room", []JobResult{
			{Created: 1030, IntentCapacity: "spot", FailedPoll: true},
		}, at(70)},
		{"jobs asking for on-demand do not show a spot outage", []JobResult{
			{Created: 1005, Running: at(1050), IntentCapacity: "on-demand", NodeCapacity: "on-demand"},
		}, nil},
		{"a job that started within a quarter boot found room", []JobResult{
			{Created: 1005, Running: at(1015), IntentCapacity: "spot", NodeCapacity: "spot"},
		}, nil},
		{"a job pinned to spot that waited for room to free on a spot node found none", []JobResult{
			{Created: 1005, Running: at(1030), IntentCapacity: "spot", NodeCapacity: "spot"},
		}, at(45)},
		{"jobs before the outage do not count", []JobResult{
			{Created: 990, Running: at(1050), IntentCapacity: "spot", NodeCapacity: "spot"},
		}, nil},
		{"the earliest need wins", []JobResult{
			{Created: 1200, Running: at(1250), IntentCapacity: "spot", NodeCapacity: "on-demand"},
			{Created: 1100, Running: at(1150), IntentCapacity: "spot", NodeCapacity: "on-demand"},
		}, at(140)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Summarise(Input{Mode: "jobfit", Jobs: tc.jobs, To: 3000, PollTimeout: 180, Price: func(string, string) float64 { return 0 }, Outage: &w, Boot: 40})
			assert.Equal(t, tc.want, r.SpotOutage.FirstNeedPlusBoot)
		})
	}
}

func TestInterruptions(t *testing.T) {
	at := func(v float64) *float64 { return &v }
	jobs := []JobResult{
		{Job: 0, Running: at(10), Ended: 70, Interrupted: true, NodeCapacity: "spot"},
		{Job: 0, Attempt: 1, Running: at(100), Ended: 200, NodeCapacity: "on-demand"},
		{Job: 1, Running: at(0), Ended: 30, Interrupted: true, NodeCapacity: "spot"},
		{Job: 1, Attempt: 1, Running: at(40), Ended: 45, Interrupted: true, NodeCapacity: "spot"},
		{Job: 1, Attempt: 2, Running: at(60), Ended: 90, NodeCapacity: "spot"},
		{Job: 2, Running: at(0), Ended: 50, NodeCapacity: "spot"},
	}
	r := Summarise(Input{Mode: "m", Jobs: jobs, PollTimeout: 180, InterruptionRate: 2, Price: func(string, string) float64 { return 0 }})
	assert.Equal(t, 3, r.Jobs, "attempts are not jobs")
	require.NotNil(t, r.Interruptions)
	assert.Equal(t, Interruptions{Rate: 2, Interrupted: 2, Twice: 1, Retries: 3, OnDemand: 1, LostSeconds: 95}, *r.Interruptions)
	assert.Nil(t, Summarise(Input{Jobs: jobs, Price: func(string, string) float64 { return 0 }}).Interruptions, "off without a rate")
}
