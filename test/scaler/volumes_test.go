package scaler_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	volumescontroller "jobfit.dev/jobfit/scaler/controllers/volumes"
	"jobfit.dev/jobfit/scaler/volumes"
)

// TestJobPodBlockedByCacheVolume: a job pod whose cache claim does not
// exist gets a Warning Event naming the claim, and is counted by reason,
// in one pass; once the claim exists but cannot bind, the cause changes;
// a ReadWriteOnce claim used on another node blocks a pod placed elsewhere.
func TestJobPodBlockedByCacheVolume(t *testing.T) {
	ctx := t.Context()
	h := newHarness(ctx, t, fallbackPolicy)
	c := volumescontroller.NewController(k8s, newRecorder(ctx, t), h.metrics, time.Minute)
	blocked := func(reason string) float64 {
		return testutil.ToFloat64(h.metrics.JobPodsBlockedByVolume.WithLabelValues(reason))
	}
	pass := func() {
		t.Helper()
		_, err := c.Reconcile(ctx, reconcile.Request{})
		require.NoError(t, err)
	}

	job := h.newJobPod("arm64", "spot", "1")
	withClaim(job, "gitlab-cache-arm64")
	require.NoError(t, k8s.Create(ctx, job))
	other := withClaim(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: h.ciNS},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx"}}}}, "missing-too")
	require.NoError(t, k8s.Create(ctx, other))

	pass()
	assert.Equal(t, 1.0, blocked(volumes.ReasonMissing), "the job pod, not the web pod")
	assert.Equal(t, 0.0, blocked(volumes.ReasonUnbound))
	assertEvent(ctx, t, job.Name, v1alpha1.ReasonJobBlockedByVolume, "PersistentVolumeClaim gitlab-cache-arm64 does not exist in namespace "+h.ciNS)

	// The claim now exists; envtest runs no binder, so it stays Pending.
	// Not a problem until the scheduler says so.
	pvc := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "gitlab-cache-arm64", Namespace: h.ciNS},
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")}}}}
	require.NoError(t, k8s.Create(ctx, pvc))
	pass()
	assert.Equal(t, 0.0, blocked(volumes.ReasonMissing))
	assert.Equal(t, 0.0, blocked(volumes.ReasonUnbound))

	unschedulable(ctx, t, job, time.Now())
	pass()
	assert.Equal(t, 1.0, blocked(volumes.ReasonUnbound))
	assertEvent(ctx, t, job.Name, v1alpha1.ReasonJobBlockedByVolume, "PersistentVolumeClaim gitlab-cache-arm64 is Pending, not bound")

	// Bound, and used by a running job on node-a; a new job placed on
	// node-b cannot attach it.
	pvc.Status.Phase = corev1.ClaimBound
	require.NoError(t, k8s.Status().Update(ctx, pvc))
	require.NoError(t, k8s.Delete(ctx, job, client.GracePeriodSeconds(0)))
	first := withClaim(h.newJobPod("arm64", "spot", "1"), "gitlab-cache-arm64")
	first.Spec.NodeName = "node-a"
	require.NoError(t, k8s.Create(ctx, first))
	running(ctx, t, first)
	second := withClaim(h.newJobPod("arm64", "spot", "1"), "gitlab-cache-arm64")
	second.Spec.NodeName = "node-b"
	require.NoError(t, k8s.Create(ctx, second))
	pass()
	assert.Equal(t, 0.0, blocked(volumes.ReasonUnbound))
	assert.Equal(t, 1.0, blocked(volumes.ReasonInUse))
	assertEvent(ctx, t, second.Name, v1alpha1.ReasonJobBlockedByVolume, "is ReadWriteOnce and pod "+first.Name+" uses it on node node-a, while this pod is on node node-b")
}

func withClaim(pod *corev1.Pod, claim string) *corev1.Pod {
	pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: "jobfit-cache",
		VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}})
	pod.Spec.Containers[0].VolumeMounts = append(pod.Spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "jobfit-cache", MountPath: "/cache"})
	return pod
}

// newRecorder records Events through the API server, as the scaler does.
func newRecorder(ctx context.Context, t *testing.T) events.EventRecorder {
	t.Helper()
	cs, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	b := events.NewBroadcaster(&events.EventSinkImpl{Interface: cs.EventsV1()})
	require.NoError(t, b.StartRecordingToSinkWithContext(ctx))
	t.Cleanup(b.Shutdown)
	return b.NewRecorder(scheme, v1alpha1.ScalerFieldManager)
}
