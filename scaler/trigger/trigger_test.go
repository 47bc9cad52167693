package trigger_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/trigger"
)

func TestJobPods(t *testing.T) {
	tests := []struct {
		name string
		obj  client.Object
		want bool
	}{
		{"job pod", &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{v1alpha1.AnnotationJobID: "42"}}}, true},
		{"pause pod", &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{v1alpha1.LabelPausePod: "true"},
			Annotations: map[string]string{v1alpha1.AnnotationJobID: "42"}}}, false},
		{"placeholder", &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{v1alpha1.HeadroomLabel: "arm64"}}}, false},
		{"other pod", &corev1.Pod{}, false},
		{"not a pod", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{v1alpha1.AnnotationJobID: "42"}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, trigger.IsJobPod(tt.obj))
			assert.Equal(t, tt.want, trigger.JobPods.Create(event.CreateEvent{Object: tt.obj}))
		})
	}
}

func TestEnqueueTurnsEveryEventIntoOneRequest(t *testing.T) {
	key := types.NamespacedName{Namespace: "jobfit-system", Name: "jobfit-capacity-status"}
	q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	defer q.ShutDown()
	h := trigger.Enqueue(key)
	for _, name := range []string{"a", "b", "c"} {
		h.Create(t.Context(), event.CreateEvent{Object: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ci", Name: name}}}, q)
	}
	assert.Equal(t, 1, q.Len(), "one request, however many events")
	req, _ := q.Get()
	assert.Equal(t, reconcile.Request{NamespacedName: key}, req)
}
