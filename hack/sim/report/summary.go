package report

import "sort"

// JobResult is one job in trace seconds from the trace start.
type JobResult struct {
	Created float64
	// Running is when it started; nil if it never did.
	Running *float64
	// Ended is when its pod went away.
	Ended                      float64
	IntentArch, IntentCapacity string
	NodeArch, NodeCapacity     string
	FailedPoll, Disrupted      bool
	// Job is the index of the trace's job this is an attempt of, and
	// Attempt its number (0: the first; retries after an interruption
	// count up). Interrupted: a spot interruption killed it.
	Job, Attempt int
	Interrupted  bool
	// CPU is the pod's requested CPU in cores.
	CPU float64
	// Pull is how long it pulled images on its node after Running, before
	// its script could start (0: its node had them).
	Pull float64
	// Scheduler is the scheduler that placed it (its spec.schedulerName);
	// empty for a job that never ran.
	Scheduler string
	// Bound is when it was bound to a node; nil if it never was.
	Bound *float64
	// Preempted: the scheduler preempted lower-priority pods (headroom
	// placeholders) to place it. NewNode: its node appeared after the job
	// was created (it waited for a node to launch).
	Preempted, NewNode bool
}

// packed reports whether a scheduler other than the default one placed j.
func (j JobResult) packed() bool {
	return j.Running != nil && j.Scheduler != "" && j.Scheduler != "default-scheduler"
}

// Wait is the job's start wait, its image pulls included; a job that never
// ran waited at least pollTimeout (the runner gave up then).
func (j JobResult) Wait(pollTimeout float64) float64 {
	if j.Running == nil {
		return pollTimeout
	}
	return *j.Running - j.Created + j.Pull
}

// foundNoRoom is whether the job found no room when it arrived: it never
// ran, or it waited longer than a quarter of a boot. A job that finds room
// starts within the scheduler's and the node's latency (a second or two of
// trace time); one that does not waits for a node to boot, or for a running
// job to finish and free its room (a job pinned to spot, during an outage).
func (j JobResult) foundNoRoom(pollTimeout, boot float64) bool {
	return j.Running == nil || j.Wait(pollTimeout) > boot/4
}

// Window is a spot outage, in trace seconds.
type Window struct{ Start, End float64 }

// Contains is whether t is in [Start, End).
func (w Window) Contains(t float64) bool { return t >= w.Start && t < w.End }

// Input is everything one run's figures come from.
type Input struct {
	Mode        string
	Jobs        []JobResult
	Nodes       []Interval
	Skipped     map[string]int
	From, To    float64
	PollTimeout float64
	Price       PriceFunc
	Outage      *Window
	// InterruptionRate is --spot-interruptions; 0 when off.
	InterruptionRate float64
	// Boot is the node boot time, launch to Ready, in trace seconds.
	Boot float64
	// LargestCPU is the allocatable CPU of the largest node the replay
	// offers, for the node-seconds lower bound.
	LargestCPU float64
	// Kill is the window the packing scheduler was killed in; nil if not.
	Kill *Window
}

// Summarise computes one run's figures.
func Summarise(in Input) Run {
	r := Run{Mode: in.Mode, Skipped: in.Skipped}
	if r.Skipped == nil {
		r.Skipped = map[string]int{}
	}
	waits := make([]float64, 0, len(in.Jobs))
	bare := make([]float64, 0, len(in.Jobs))
	for _, j := range in.Jobs {
		bare = append(bare, j.Wait(in.PollTimeout)-j.Pull)
		if j.Pull > 0 {
			r.Pulls.Jobs++
			r.Pulls.Seconds += j.Pull
		}
		if j.Attempt == 0 {
			r.Jobs++
		}
		waits = append(waits, j.Wait(in.PollTimeout))
		if j.FailedPoll {
			r.FailedPollTimeout++
		}
		if j.Disrupted {
			r.DisruptedRunning++
		}
		if j.packed() {
			r.PackedJobs++
		}
		if j.Running != nil && j.NodeArch != j.IntentArch {
			r.WrongArch++
		}
	}
	r.WaitSeconds = WaitPercentiles(waits)
	r.WaitByPath = waitByPath(in.Jobs, in.PollTimeout)
	r.Pulls.Seconds, r.Pulls.WaitP95Without = round(r.Pulls.Seconds), round(Percentile(bare, 0.95))
	acc := Account(in.Jobs, in.Nodes, in.From, in.To, in.LargestCPU)
	r.Utilization, r.NodeSecondsLowerBound = acc.Utilization, acc.NodeSecondsLowerBound
	r.RequestedCPUSeconds, r.ProvisionedCPUSeconds = acc.RequestedCPUSeconds, acc.ProvisionedCPUSeconds
	if in.Kill != nil {
		r.SchedulerKill = schedulerKill(in.Jobs, *in.Kill, in.PollTimeout)
	}
	r.NodeSeconds, r.Cost, r.NodesLaunched, r.PeakNodes = Nodes(in.Nodes, in.From, in.To, in.Price)
	for _, arch := range []string{"amd64", "arm64"} {
		r.NodeSeconds.ByArch[arch] += 0
	}
	if in.Outage != nil {
		r.SpotOutage = outage(in.Jobs, *in.Outage, in.PollTimeout, in.Boot)
	}
	if in.InterruptionRate > 0 {
		r.Interruptions = interruptions(in.Jobs, in.InterruptionRate)
	}
	return r
}

// schedulerKill summarises the jobs created while the packing scheduler
// was down.
func schedulerKill(jobs []JobResult, w Window, pollTimeout float64) *SchedulerKill {
	k := &SchedulerKill{Start: w.Start, End: w.End}
	var during []float64
	for _, j := range jobs {
		if j.Created < w.Start && (j.Running == nil || *j.Running > w.Start) {
			// Pending when the scheduler went: a pod handed to it keeps
			// waiting for it.
			k.PendingAtKill++
			if j.FailedPoll {
				k.FailedPendingAtKill++
			}
		}
		if !w.Contains(j.Created) {
			continue
		}
		k.Jobs++
		during = append(during, j.Wait(pollTimeout))
		if j.FailedPoll {
			k.FailedPollTimeout++
		}
		if j.Running != nil && !j.packed() {
			k.DefaultScheduler++
		}
	}
	k.WaitP95 = round(Percentile(during, 0.95))
	return k
}

func outage(jobs []JobResult, w Window, pollTimeout, boot float64) *SpotOutage {
	o := &SpotOutage{}
	var during []float64
	var after []JobResult
	for _, j := range jobs {
		if w.Contains(j.Created) {
			during = append(during, j.Wait(pollTimeout))
		}
		if j.IntentCapacity != "spot" || j.Running == nil {
			continue
		}
		if j.NodeCapacity == "on-demand" && *j.Running >= w.Start {
			if d := *j.Running - w.Start; o.FirstOnDemandAfter == nil || d < *o.FirstOnDemandAfter {
				o.FirstOnDemandAfter = ptr(round(d))
			}
		}
		if j.Created >= w.End {
			after = append(after, j)
		}
	}
	if len(during) > 0 {
		o.WaitP95During = ptr(round(Percentile(during, 0.95)))
	}
	o.BackToSpotAfter = backToSpot(after, w.End)
	o.FirstNeedPlusBoot = firstNeedPlusBoot(jobs, w, pollTimeout, boot)
	return o
}

// firstNeedPlusBoot is from the start of w to the creation of the first
// spot-intended job created in w that found no room, plus boot; nil if
// none did.
func firstNeedPlusBoot(jobs []JobResult, w Window, pollTimeout, boot float64) *float64 {
	var first *float64
	for _, j := range jobs {
		if j.IntentCapacity != "spot" || !w.Contains(j.Created) || !j.foundNoRoom(pollTimeout, boot) {
			continue
		}
		if d := j.Created - w.Start + boot; first == nil || d < *first {
			first = ptr(round(d))
		}
	}
	return first
}

// backToSpot is from end to the creation of the first job (of after, all
// asking for spot) that ran on spot with no later one on on-demand.
func backToSpot(after []JobResult, end float64) *float64 {
	sort.Slice(after, func(i, k int) bool { return after[i].Created < after[k].Created })
	lastOnDemand := -1
	for i, j := range after {
		if j.NodeCapacity == "on-demand" {
			lastOnDemand = i
		}
	}
	for _, j := range after[lastOnDemand+1:] {
		if j.NodeCapacity == "spot" {
			return ptr(round(j.Created - end))
		}
	}
	return nil
}

func ptr(f float64) *float64 { return &f }

// Series are the timeline charts' data: counts at each Step seconds.
type Series struct {
	At                 []float64
	Pending, Running   []float64
	NodesSpot, NodesOD []float64
}

// Timeline samples pending and running jobs and nodes by capacity type
// every step seconds over [from, to].
func Timeline(jobs []JobResult, nodes []Interval, from, to, step float64) Series {
	var s Series
	for t := from; t <= to; t += step {
		var pending, running, spot, od float64
		for _, j := range jobs {
			started := j.Running != nil && *j.Running <= t
			switch {
			case j.Created > t || j.Ended <= t && j.Ended > 0:
			case started:
				running++
			default:
				pending++
			}
		}
		for _, n := range nodes {
			if n.InstanceType == "" || n.From > t || n.To <= t {
				continue
			}
			if n.Capacity == "spot" {
				spot++
			} else {
				od++
			}
		}
		s.At = append(s.At, t)
		s.Pending, s.Running = append(s.Pending, pending), append(s.Running, running)
		s.NodesSpot, s.NodesOD = append(s.NodesSpot, spot), append(s.NodesOD, od)
	}
	return s
}
