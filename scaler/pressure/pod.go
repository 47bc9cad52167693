package pressure

import (
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Phase is where a job pod stands, as the scaler sees it.
type Phase string

// The phases the model counts. Finished pods are not counted.
const (
	// PhasePending is a pod no node has been chosen for yet: the demand
	// Karpenter has to meet.
	PhasePending Phase = "pending"
	// PhaseRunning is a pod bound to a node (running, or starting there).
	PhaseRunning Phase = "running"
	// PhaseDone is a pod that has finished.
	PhaseDone Phase = "done"
)

// PodPhase classifies a job pod. A pod is pending while it has no node:
// PodScheduled=False/Unschedulable, or not yet looked at by the scheduler.
func PodPhase(pod *corev1.Pod) Phase {
	switch pod.Status.Phase {
	case corev1.PodSucceeded, corev1.PodFailed:
		return PhaseDone
	case corev1.PodRunning:
		return PhaseRunning
	}
	if pod.DeletionTimestamp != nil {
		return PhaseDone
	}
	if pod.Spec.NodeName != "" {
		return PhaseRunning
	}
	return PhasePending
}

// PendingSince is when a pending pod started waiting: the time the
// scheduler last marked it unschedulable or else its creation.
func PendingSince(pod *corev1.Pod) time.Time {
	since := pod.CreationTimestamp.Time
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.LastTransitionTime.After(since) {
			since = c.LastTransitionTime.Time
		}
	}
	return since
}

// Requests returns a pod's effective CPU (millicores) and memory (bytes)
// requests: the sum over containers, or the largest init container if that
// is larger, as the scheduler computes it.
func Requests(pod *corev1.Pod) (milliCPU, memory int64) {
	for i := range pod.Spec.Containers {
		r := pod.Spec.Containers[i].Resources.Requests
		milliCPU += r.Cpu().MilliValue()
		memory += r.Memory().Value()
	}
	for i := range pod.Spec.InitContainers {
		r := pod.Spec.InitContainers[i].Resources.Requests
		milliCPU = max(milliCPU, r.Cpu().MilliValue())
		memory = max(memory, r.Memory().Value())
	}
	return milliCPU, memory
}
