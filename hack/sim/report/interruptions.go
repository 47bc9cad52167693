package report

// Interruptions are a run's figures under --spot-interruptions: jobs are
// per job of the trace, counting every attempt (GitLab's retries) of it.
type Interruptions struct {
	// Rate is the interruptions per spot node-hour the replay drew from.
	Rate float64 `json:"rate_per_spot_node_hour"`
	// Interrupted are the jobs with at least one attempt killed by a spot
	// interruption; Twice those with two or more.
	Interrupted int `json:"jobs_interrupted"`
	Twice       int `json:"jobs_interrupted_twice_or_more"`
	// Retries are the attempts made after an interruption, and OnDemand
	// those of them that ran on on-demand nodes.
	Retries  int `json:"retries"`
	OnDemand int `json:"retries_on_demand"`
	// LostSeconds is the run time of the killed attempts: the work the
	// retries did again.
	LostSeconds float64 `json:"seconds_lost"`
}

// interruptions counts the interrupted attempts of each job (JobResult.Job)
// and what their retries did.
func interruptions(jobs []JobResult, rate float64) *Interruptions {
	out := &Interruptions{Rate: rate}
	perJob := map[int]int{}
	for _, j := range jobs {
		if j.Attempt > 0 {
			out.Retries++
			if j.Running != nil && j.NodeCapacity == "on-demand" {
				out.OnDemand++
			}
		}
		if !j.Interrupted {
			continue
		}
		perJob[j.Job]++
		if j.Running != nil && j.Ended > *j.Running {
			out.LostSeconds += j.Ended - *j.Running
		}
	}
	for _, n := range perJob {
		out.Interrupted++
		if n >= 2 {
			out.Twice++
		}
	}
	out.LostSeconds = round(out.LostSeconds)
	return out
}
