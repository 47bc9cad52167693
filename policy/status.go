package policy

import (
	"fmt"
	"time"

	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

const (
	// CapacityStatusName is the ConfigMap, in jobfit's namespace, through
	// which the scaler tells the webhook which capacity is degraded.
	CapacityStatusName = "jobfit-capacity-status"
	// CapacityStatusKey is the data key that holds the status document.
	CapacityStatusKey = "status.yaml"
)

// MayHoldPolicy reports whether a ConfigMap of this name may be read as a
// policy of any kind. The capacity status and the image-platform cache
// never are, whatever their labels: the scaler writes them, and a policy is the cluster admin's alone, so a
// compromised scaler that labelled it jobfit.dev/policy (which the shipped
// admission policy also refuses) still could not plant a policy.
func MayHoldPolicy(configMapName string) bool {
	return configMapName != CapacityStatusName && configMapName != ImagePlatformsName
}

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
		if d.Arch == "" || (d.CapacityType != v1alpha1.CapacitySpot && d.CapacityType != v1alpha1.CapacityOnDemand) {
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
