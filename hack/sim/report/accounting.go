package report

import "math"

// Accounting is what the nodes were used for, over the run's window: the
// CPU the job pods requested while they held a node, against the CPU the
// nodes offered, and the fewest node-seconds that could have held it.
type Accounting struct {
	// RequestedCPUSeconds is the sum over job pods of their requested CPU
	// (cores) times the seconds they held a node (Running to deleted,
	// image pulls included).
	RequestedCPUSeconds float64
	// ProvisionedCPUSeconds is the sum over nodes of their allocatable CPU
	// (cores) times the seconds they existed (launch to termination, as
	// node-seconds count them).
	ProvisionedCPUSeconds float64
	// Utilization is RequestedCPUSeconds / ProvisionedCPUSeconds; 0 when
	// no node was provisioned.
	Utilization float64
	// NodeSecondsLowerBound is the fluid bound: the integral over time of
	// the requested CPU of the jobs running then, divided by the largest
	// node's allocatable CPU. No packing of these jobs on nodes of that
	// size can use fewer node-seconds; 0 when largestCPU is not positive.
	NodeSecondsLowerBound float64
}

// Account computes the accounting of jobs and nodes within [from, to].
// largestCPU is the allocatable CPU of the largest node the replay offers.
// A job counts from Running to Ended (to if it never ended), with its
// CPU request; a node from From to To, with its allocatable CPU.
func Account(jobs []JobResult, nodes []Interval, from, to, largestCPU float64) Accounting {
	var a Accounting
	for _, j := range jobs {
		if j.Running == nil {
			continue
		}
		end := j.Ended
		if end <= 0 || end > to {
			end = to
		}
		if s := end - math.Max(*j.Running, from); s > 0 {
			a.RequestedCPUSeconds += j.CPU * s
		}
	}
	for _, n := range nodes {
		if n.InstanceType == "" {
			continue
		}
		if s := math.Min(n.To, to) - math.Max(n.From, from); s > 0 {
			a.ProvisionedCPUSeconds += n.CPU * s
		}
	}
	if a.ProvisionedCPUSeconds > 0 {
		a.Utilization = math.Round(a.RequestedCPUSeconds/a.ProvisionedCPUSeconds*1000) / 1000
	}
	// The integral over time of the running jobs' requested CPU is the sum
	// of each job's CPU times its time on a node: RequestedCPUSeconds.
	if largestCPU > 0 {
		a.NodeSecondsLowerBound = round(a.RequestedCPUSeconds / largestCPU)
	}
	a.RequestedCPUSeconds, a.ProvisionedCPUSeconds = round(a.RequestedCPUSeconds), round(a.ProvisionedCPUSeconds)
	return a
}
