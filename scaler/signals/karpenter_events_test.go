package signals_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"

	"jobfit.dev/jobfit/scaler/signals"
)

// karpenterEvent is shaped as Karpenter v1.14's recorder writes it (a
// core/v1 Event whose source component is "karpenter").
func karpenterEvent(uid, reason string, at time.Time) corev1.Event {
	return corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "runner-x.1", Namespace: "ci"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "ci", Name: "runner-x", UID: types.UID(uid)},
		Reason:         reason,
		Message:        "Failed to schedule pod, incompatible with nodepool \"ci-spot\", no instance type satisfied resources",
		Source:         corev1.EventSource{Component: "karpenter"},
		FirstTimestamp: metav1.NewTime(at), LastTimestamp: metav1.NewTime(at),
		Type: corev1.EventTypeWarning,
	}
}

func TestKarpenterGaveUp(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	scheduler := karpenterEvent("a", "FailedScheduling", t0)
	scheduler.Source = corev1.EventSource{}
	scheduler.ReportingController = "default-scheduler"
	viaEventsAPI := karpenterEvent("f", "FailedScheduling", time.Time{})
	viaEventsAPI.Source = corev1.EventSource{}
	viaEventsAPI.ReportingController = "karpenter"
	viaEventsAPI.EventTime = metav1.NewMicroTime(t0)
	nodePool := karpenterEvent("g", "FailedScheduling", t0)
	nodePool.InvolvedObject.Kind = "NodePool"
	cases := []struct {
		name   string
		events []corev1.Event
		want   []types.UID
	}{
		{"no events", nil, nil},
		{"Karpenter could not schedule the pod", []corev1.Event{karpenterEvent("a", "FailedScheduling", t0)}, []types.UID{"a"}},
		{"kube-scheduler's FailedScheduling is only waiting", []corev1.Event{scheduler}, nil},
		{"nominated after failing: capacity was found", []corev1.Event{
			karpenterEvent("a", "FailedScheduling", t0), karpenterEvent("a", "Nominated", t0.Add(time.Minute)),
		}, nil},
		{"failing after a nomination", []corev1.Event{
			karpenterEvent("a", "Nominated", t0), karpenterEvent("a", "FailedScheduling", t0.Add(time.Minute)),
		}, []types.UID{"a"}},
		{"other reasons are ignored", []corev1.Event{karpenterEvent("b", "DisruptionBlocked", t0)}, nil},
		{"events.k8s.io events are read by their event time", []corev1.Event{viaEventsAPI}, []types.UID{"f"}},
		{"only pods", []corev1.Event{nodePool}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, sets.New(tc.want...), signals.KarpenterGaveUp(tc.events))
		})
	}
}
