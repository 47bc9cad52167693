package v1alpha1

import (
	"fmt"
	"time"

	"sigs.k8s.io/yaml"
)

// CapacityStatus is the scaler's view of which capacity is degraded. The
// scaler writes it; the webhook reads it to move new pods off degraded spot
// capacity when the policy says fallback: follow-scaler.
type CapacityStatus struct {
	// Degraded lists the arch × capacity-type pairs currently degraded.
	Degraded []DegradedCapacity `json:"degraded,omitempty"`
	// NodeClassesNotReady lists the node classes behind managed NodePools
	// that are not Ready. Informational: the webhook does not act on it.
	NodeClassesNotReady []NodeClassCondition `json:"nodeClassesNotReady,omitempty"`
	// InterruptedJobs are the jobs whose node went away under them
	// recently: the webhook places their retries on on-demand.
	InterruptedJobs []InterruptedJob `json:"interruptedJobs,omitempty"`
	// RunnerMixes are the arch × capacity type mixes of each runner's
	// recent jobs: the webhook places the runner's pause pods by them.
	RunnerMixes []RunnerMix `json:"runnerMixes,omitempty"`
}

// DegradedCapacity says that one arch × capacity type is degraded, since
// when and why.
type DegradedCapacity struct {
	Arch         string    `json:"arch"`
	CapacityType string    `json:"capacityType"`
	Since        time.Time `json:"since"`
	Reason       string    `json:"reason,omitempty"`
	// Cause is the kind of evidence (PendingPods, InsufficientCapacity,
	// SpotInterruption). Informational: the webhook does not act on it.
	Cause string `json:"cause,omitempty"`
}

// NodeClassCondition says that the node class behind some managed NodePools
// is not Ready, and why.
type NodeClassCondition struct {
	Name      string    `json:"name"`
	NodePools []string  `json:"nodePools,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	Message   string    `json:"message,omitempty"`
	Since     time.Time `json:"since,omitzero"`
}

// IsDegraded reports whether capacityType is degraded for arch.
func (s CapacityStatus) IsDegraded(arch, capacityType string) bool {
	for _, d := range s.Degraded {
		if d.Arch == arch && d.CapacityType == capacityType {
			return true
		}
	}
	return false
}

// ParseCapacityStatus decodes the status document. Unknown fields are
// ignored, so that a webhook keeps following a status written by a newer
// scaler that records more than it knows; the entries it acts on are checked.
func ParseCapacityStatus(data []byte) (CapacityStatus, error) {
	var s CapacityStatus
	if err := yaml.Unmarshal(data, &s); err != nil {
		return CapacityStatus{}, fmt.Errorf("decoding capacity status: %w", err)
	}
	for i, d := range s.Degraded {
		if d.Arch == "" || (d.CapacityType != CapacitySpot && d.CapacityType != CapacityOnDemand) {
			return CapacityStatus{}, fmt.Errorf("degraded[%d]: needs an arch and a capacityType of spot or on-demand", i)
		}
	}
	if err := validateInterrupted(s.InterruptedJobs); err != nil {
		return CapacityStatus{}, err
	}
	if err := validateMixes(s.RunnerMixes); err != nil {
		return CapacityStatus{}, err
	}
	return s, nil
}

// Marshal encodes the status document for the ConfigMap.
func (s CapacityStatus) Marshal() ([]byte, error) {
	return yaml.Marshal(s)
}

// JobRef names a GitLab job across retries: its project, its pipeline and
// its name (not its id, which every retry changes).
type JobRef struct {
	Project  string `json:"project"`
	Pipeline string `json:"pipeline"`
	Job      string `json:"job"`
}

// InterruptedJob is a job that was running on a node that went away under
// it (a spot interruption, a node repair, a NodeClaim deleted while the job
// ran). The scaler lists it for a while (Until) so that the webhook places
// its retry on on-demand capacity.
type InterruptedJob struct {
	JobRef `json:",inline"`
	// Arch and CapacityType are where the job ran.
	Arch         string `json:"arch,omitempty"`
	CapacityType string `json:"capacityType"`
	// Node is the node that went away, and Cause why (SpotInterruption,
	// NodeDeleted).
	Node  string `json:"node,omitempty"`
	Cause string `json:"cause,omitempty"`
	// At is when the node went away; Until is when the scaler forgets the
	// entry (the webhook has no clock: it follows the list as it is).
	At    time.Time `json:"at"`
	Until time.Time `json:"until"`
}

// Interrupted returns the latest interruption of the job ref names.
func (s CapacityStatus) Interrupted(ref JobRef) (InterruptedJob, bool) {
	var found InterruptedJob
	ok := false
	for _, j := range s.InterruptedJobs {
		if j.JobRef == ref && (!ok || j.At.After(found.At)) {
			found, ok = j, true
		}
	}
	return found, ok
}

// Describe is how explain says it: "retry of a job interrupted on spot at
// 10:42".
func (j InterruptedJob) Describe() string {
	return fmt.Sprintf("retry of a job interrupted on %s at %s", j.CapacityType, j.At.UTC().Format("15:04"))
}

func validateInterrupted(jobs []InterruptedJob) error {
	for i, j := range jobs {
		switch {
		case j.Project == "" || j.Pipeline == "" || j.Job == "":
			return fmt.Errorf("interruptedJobs[%d]: needs a project, a pipeline and a job", i)
		case j.CapacityType != CapacitySpot && j.CapacityType != CapacityOnDemand:
			return fmt.Errorf("interruptedJobs[%d].capacityType: must be spot or on-demand, not %q", i, j.CapacityType)
		}
	}
	return nil
}

// RunnerMix is the arch × capacity type mix of one runner's recent jobs,
// which the scaler publishes so that the runner's pause pods follow it.
type RunnerMix struct {
	// Runner is the runner's manager.runner.gitlab.com/id-short label.
	Runner string `json:"runner"`
	// Jobs are the shares of the runner's recent job pods per arch and
	// capacity type.
	Jobs []MixCell `json:"jobs"`
}

// MixCell is the share of a runner's recent jobs on one arch and capacity
// type (empty: the job pods pinned none).
type MixCell struct {
	Arch         string `json:"arch"`
	CapacityType string `json:"capacityType,omitempty"`
	// Percent is the share, a weight of the draw (the scaler rounds it to
	// 5, so that the status is not rewritten for every job).
	Percent int `json:"percent"`
}

// MixOf returns the recent job mix of runner.
func (s CapacityStatus) MixOf(runner string) []MixCell {
	for _, m := range s.RunnerMixes {
		if m.Runner == runner {
			return m.Jobs
		}
	}
	return nil
}

func validateMixes(mixes []RunnerMix) error {
	for i, m := range mixes {
		if m.Runner == "" {
			return fmt.Errorf("runnerMixes[%d].runner: must not be empty", i)
		}
		for j, c := range m.Jobs {
			if c.Arch == "" || c.Percent <= 0 || c.Percent > 100 {
				return fmt.Errorf("runnerMixes[%d].jobs[%d]: needs an arch and a percent from 1 to 100", i, j)
			}
			if c.CapacityType != "" && c.CapacityType != CapacitySpot && c.CapacityType != CapacityOnDemand {
				return fmt.Errorf("runnerMixes[%d].jobs[%d].capacityType: must be spot or on-demand, not %q", i, j, c.CapacityType)
			}
		}
	}
	return nil
}
