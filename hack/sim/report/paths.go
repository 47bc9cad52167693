package report

// The paths a job takes to a node, in the order the report lists them.
const (
	// PathRoom: its node was there when it was created and had room for it.
	PathRoom = "room"
	// PathPreempted: its node was there, and the scheduler preempted
	// lower-priority pods (headroom placeholders) to make room.
	PathPreempted = "preempted"
	// PathNewNode: it waited for a node that appeared after it was created.
	PathNewNode = "new_node"
	// PathNeverRan: it never ran (the runner's poll timeout).
	PathNeverRan = "never_ran"
)

// Paths are the paths in the order the report lists them.
var Paths = []string{PathRoom, PathPreempted, PathNewNode, PathNeverRan}

// PathWaits are the waits of the jobs that took one path to a node, in
// trace seconds: the whole wait (pulls included), and its parts from
// creation to binding and from binding to Running.
type PathWaits struct {
	Path string `json:"path"`
	Jobs int    `json:"jobs"`
	// Wait are the start waits, pulls included.
	Wait Percentiles `json:"wait_seconds"`
	// BindP95 is the p95 from creation to binding: the scheduler's share
	// (and the wait for a node, on the new_node path).
	BindP95 float64 `json:"bind_p95_s"`
	// StartP95 is the p95 from binding to Running: the node's share.
	StartP95 float64 `json:"start_p95_s"`
	// PullP95 is the p95 of the image pulls before the script started.
	PullP95 float64 `json:"pull_p95_s"`
}

// Path is the path j took to its node.
func (j JobResult) Path() string {
	switch {
	case j.Running == nil:
		return PathNeverRan
	case j.NewNode:
		return PathNewNode
	case j.Preempted:
		return PathPreempted
	default:
		return PathRoom
	}
}

// waitByPath groups jobs by Path; paths no job took are left out.
func waitByPath(jobs []JobResult, pollTimeout float64) []PathWaits {
	type acc struct{ wait, bind, start, pull []float64 }
	by := map[string]*acc{}
	for _, j := range jobs {
		p := j.Path()
		a := by[p]
		if a == nil {
			a = &acc{}
			by[p] = a
		}
		a.wait = append(a.wait, j.Wait(pollTimeout))
		a.pull = append(a.pull, j.Pull)
		if j.Bound != nil && j.Running != nil {
			a.bind = append(a.bind, *j.Bound-j.Created)
			a.start = append(a.start, *j.Running-*j.Bound)
		}
	}
	out := make([]PathWaits, 0, len(by))
	for _, p := range Paths {
		a := by[p]
		if a == nil {
			continue
		}
		out = append(out, PathWaits{Path: p, Jobs: len(a.wait), Wait: WaitPercentiles(a.wait),
			BindP95: round(Percentile(a.bind, 0.95)), StartP95: round(Percentile(a.start, 0.95)), PullP95: round(Percentile(a.pull, 0.95))})
	}
	return out
}
