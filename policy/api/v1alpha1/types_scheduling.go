package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
)

// SchedulingPolicy adds what a job pod needs to land on the nodes jobfit
// steers it to: tolerations for the taints of those nodes, and a priority
// class. Node affinity is deliberately not here: the arch and capacity
// sections own the pod's node constraints, and a free-form affinity would
// contradict them (see docs/policy.md).
type SchedulingPolicy struct {
	// Tolerations are added to every job pod.
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`
	// ByArch adds tolerations to the pods placed on one arch (a key of
	// traits.tags.arch), e.g. for a Graviton pool tainted on its own.
	ByArch map[string]ScopedScheduling `json:"byArch,omitempty"`
	// ByCapacityType adds tolerations to the pods placed on spot or on
	// on-demand, e.g. for a spot pool tainted so that only jobs go there.
	ByCapacityType map[string]ScopedScheduling `json:"byCapacityType,omitempty"`
	// PriorityClassName is set on job pods that have none.
	PriorityClassName string `json:"priorityClassName,omitempty"`
	// SchedulerName is set as spec.schedulerName on job pods that ask for
	// the default scheduler, for example jobfit-binpack, the packing
	// scheduler of manifests/binpack-scheduler. It is set only while that
	// scheduler is running: while it holds its leader-election Lease, which
	// is named after it in jobfit's namespace. Otherwise the pod keeps the
	// default scheduler, with a warning, so that no pod waits for a
	// scheduler that is not there. Platforms karpenter and generic only.
	SchedulerName string `json:"schedulerName,omitempty"`
	// AllowedTolerations are tolerations a namespace policy may add beyond
	// the cluster policy's own. Cluster policy only.
	AllowedTolerations []corev1.Toleration `json:"allowedTolerations,omitempty"`
	// AllowedPriorityClassNames are priority classes a namespace policy may
	// use beyond the cluster policy's own. Cluster policy only.
	AllowedPriorityClassNames []string `json:"allowedPriorityClassNames,omitempty"`
}

// ScopedScheduling is the part of scheduling that depends on where the pod
// goes.
type ScopedScheduling struct {
	// Tolerations are added to the pods placed there.
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`
}
