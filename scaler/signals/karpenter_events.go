package signals

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
)

// Karpenter's Events about pods, as Karpenter v1.14 publishes them (its
// events package): the component it reports as, and the two reasons its
// provisioner gives a pending pod.
const (
	// KarpenterComponent is the source component of Karpenter's Events.
	KarpenterComponent = "karpenter"
	// ReasonFailedScheduling: no NodePool can launch capacity for the pod.
	// With every spot offering of the pod's arch unavailable (after
	// insufficient capacity errors Karpenter holds them unavailable for a
	// while), this is what a spot-pinned pod gets, and no NodeClaim is
	// created to fail.
	ReasonFailedScheduling = "FailedScheduling"
	// ReasonNominated: Karpenter found the pod a node or a NodeClaim.
	ReasonNominated = "Nominated"
)

// KarpenterGaveUp returns the UIDs of the pods whose latest Karpenter
// scheduling Event says Karpenter could not schedule them: a
// FailedScheduling not followed by a Nominated. Events of other components
// (kube-scheduler reports FailedScheduling for every pod that waits for a
// node) and other reasons are ignored.
func KarpenterGaveUp(events []corev1.Event) sets.Set[types.UID] {
	type latest struct {
		at     time.Time
		gaveUp bool
	}
	last := map[types.UID]latest{}
	for i := range events {
		e := &events[i]
		if !isKarpenter(e) || e.InvolvedObject.Kind != "Pod" || e.InvolvedObject.UID == "" {
			continue
		}
		if e.Reason != ReasonFailedScheduling && e.Reason != ReasonNominated {
			continue
		}
		at := EventTime(e)
		if l, ok := last[e.InvolvedObject.UID]; ok && l.at.After(at) {
			continue
		}
		last[e.InvolvedObject.UID] = latest{at: at, gaveUp: e.Reason == ReasonFailedScheduling}
	}
	out := sets.New[types.UID]()
	for uid, l := range last {
		if l.gaveUp {
			out.Insert(uid)
		}
	}
	return out
}

func isKarpenter(e *corev1.Event) bool {
	return e.Source.Component == KarpenterComponent || e.ReportingController == KarpenterComponent
}

// EventTime is when an Event last happened: its last timestamp, its event
// time (events.k8s.io recorders) or else its first timestamp or creation.
func EventTime(e *corev1.Event) time.Time {
	for _, t := range []time.Time{e.LastTimestamp.Time, e.EventTime.Time, e.FirstTimestamp.Time} {
		if !t.IsZero() {
			return t
		}
	}
	return e.CreationTimestamp.Time
}
