// Package report turns a replay's records into the figures of the report:
// start-wait percentiles, node-seconds, cost, and the spot-outage figures,
// all in trace time.
package report

import (
	"math"
	"slices"
)

// Report is the --json document.
type Report struct {
	Runs []Run `json:"runs"`
}

// Run is one mode's figures. Field names are a published format: other
// tools read them.
type Run struct {
	Mode              string         `json:"mode"`
	Jobs              int            `json:"jobs"`
	Skipped           map[string]int `json:"skipped"`
	FailedPollTimeout int            `json:"failed_poll_timeout"`
	WaitSeconds       Percentiles    `json:"wait_seconds"`
	NodeSeconds       NodeSeconds    `json:"node_seconds"`
	Cost              float64        `json:"cost"`
	NodesLaunched     int            `json:"nodes_launched"`
	PeakNodes         int            `json:"peak_nodes"`
	WrongArch         int            `json:"wrong_arch"`
	DisruptedRunning  int            `json:"disrupted_running"`
	SpotOutage        *SpotOutage    `json:"spot_outage,omitempty"`
	// Interruptions are there with --spot-interruptions.
	Interruptions *Interruptions `json:"spot_interruptions,omitempty"`
	// Utilization is the job pods' requested CPU-seconds over the nodes'
	// allocatable CPU-seconds (Accounting).
	Utilization           float64 `json:"utilization"`
	RequestedCPUSeconds   float64 `json:"requested_cpu_seconds"`
	ProvisionedCPUSeconds float64 `json:"provisioned_cpu_seconds"`
	// NodeSecondsLowerBound is the fluid bound on node-seconds
	// (Accounting).
	NodeSecondsLowerBound float64 `json:"node_seconds_lower_bound"`
	// Pulls are the image pulls' figures (--pull); the waits above
	// include them.
	Pulls Pulls `json:"image_pulls"`
	// SchedulerKill is there with --kill-scheduler in a mode that runs the
	// packing scheduler.
	SchedulerKill *SchedulerKill `json:"scheduler_kill,omitempty"`
	// PackedJobs counts the jobs placed by a scheduler other than the
	// default one (the packing scheduler).
	PackedJobs int `json:"jobs_packed"`
	// WaitByPath splits the jobs by how they got a node (Path), with each
	// path's waits: where a run's waits come from.
	WaitByPath []PathWaits `json:"wait_by_path"`
}

// Pulls are the image pulls of a run: the job pods that pulled an image
// before starting, and the seconds they spent on it.
type Pulls struct {
	Jobs    int     `json:"jobs"`
	Seconds float64 `json:"seconds"`
	// WaitP95Without is the p95 start wait without the pulls: what the
	// waits would have been on nodes that had every image.
	WaitP95Without float64 `json:"wait_p95_without_pulls_s"`
}

// SchedulerKill is the window in which both packing-scheduler processes
// were killed, and what happened to the jobs created in it.
type SchedulerKill struct {
	Start float64 `json:"start_s"`
	End   float64 `json:"end_s"`
	// Jobs created in the window, those of them that failed at the poll
	// timeout, and their p95 start wait.
	Jobs              int     `json:"jobs_created_during"`
	FailedPollTimeout int     `json:"failed_poll_timeout_during"`
	WaitP95           float64 `json:"wait_p95_during_s"`
	// DefaultScheduler counts the jobs created in the window that the
	// default scheduler placed: the webhook's fall-back while the packing
	// scheduler's Lease was not held.
	DefaultScheduler int `json:"default_scheduler_during"`
	// PendingAtKill counts the jobs created before the window and not yet
	// running at its start, and FailedPendingAtKill those of them that
	// failed at the poll timeout (a pod's scheduler cannot be changed).
	PendingAtKill       int `json:"pending_at_kill"`
	FailedPendingAtKill int `json:"failed_pending_at_kill"`
}

// Percentiles of the start wait, in seconds.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// NodeSeconds are the seconds nodes existed, launch to termination.
type NodeSeconds struct {
	Total    float64            `json:"total"`
	Spot     float64            `json:"spot"`
	OnDemand float64            `json:"on-demand"`
	ByArch   map[string]float64 `json:"by_arch"`
}

// SpotOutage are the fallback's figures; nil (null) where it never
// happened.
type SpotOutage struct {
	// FirstOnDemandAfter: from the outage start to the first spot-intended
	// job Running on an on-demand node.
	FirstOnDemandAfter *float64 `json:"first_on_demand_after_s"`
	// FirstNeedPlusBoot: from the outage start to the creation of the
	// first spot-intended job that found no room (it waited longer than a
	// quarter of a boot, or never ran), plus one node boot. A
	// purely reactive fallback cannot beat it: the outage shows only when
	// something asks for spot capacity, and a node asked for then is
	// ready a boot later. Headroom can: a burst that preempts placeholders
	// finds room at once, and the placeholders, pending again, reveal the
	// outage and get on-demand nodes launched before a job has to ask. Not
	// in the JSON, whose fields are a published format; the table prints it.
	FirstNeedPlusBoot *float64 `json:"-"`
	// WaitP95During: p95 start wait of the jobs created during the outage.
	WaitP95During *float64 `json:"wait_p95_during_s"`
	// BackToSpotAfter: from the outage end to the creation of the first
	// spot-intended job that ran on spot, with none created after it on
	// on-demand.
	BackToSpotAfter *float64 `json:"back_to_spot_after_s"`
}

// Percentile is the nearest-rank q-percentile (0 < q ≤ 1) of values; 0
// for none.
func Percentile(values []float64, q float64) float64 {
	if len(values) == 0 {
		return 0
	}
	s := slices.Clone(values)
	slices.Sort(s)
	rank := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(rank, 0), len(s)-1)]
}

// WaitPercentiles summarises waits.
func WaitPercentiles(waits []float64) Percentiles {
	return Percentiles{
		P50: round(Percentile(waits, 0.50)), P90: round(Percentile(waits, 0.90)), P95: round(Percentile(waits, 0.95)),
		P99: round(Percentile(waits, 0.99)), Max: round(Percentile(waits, 1)),
	}
}

func round(f float64) float64 { return math.Round(f*10) / 10 }
