package kubectl_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/cmd/kubectl-jobfit/app"
	"jobfit.dev/jobfit/scaler"
)

// testBlockedByVolume: a job pod whose cache claim does not exist, reported
// by the scaler's volumes controller, is listed by kubectl jobfit status.
func testBlockedByVolume(ctx context.Context, t *testing.T, cl *cluster) {
	pod := examplePod(t, runners, "runner-zx8kqw2nv-project-4711-concurrent-0-nocache1", nil)
	pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: "nas-cache",
		VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "nas-cache"}}})
	require.NoError(t, cl.c.Create(ctx, pod))

	cs, err := kubernetes.NewForConfig(cl.cfg)
	require.NoError(t, err)
	b := events.NewBroadcaster(&events.EventSinkImpl{Interface: cs.EventsV1()})
	require.NoError(t, b.StartRecordingToSinkWithContext(ctx))
	t.Cleanup(b.Shutdown)
	c := scaler.NewVolumesController(cl.c, b.NewRecorder(scheme.Scheme, scaler.FieldManager), scaler.NewMetrics(prometheus.NewRegistry()), time.Minute)
	_, err = c.Reconcile(ctx, reconcile.Request{})
	require.NoError(t, err)

	var s app.Status
	require.Eventually(t, func() bool {
		s = app.Status{}
		require.NoError(t, yaml.Unmarshal([]byte(kubectlJobfit(t, cl, "status", "-o", "yaml")), &s))
		return len(s.BlockedByVolume) > 0
	}, timeout, poll, "status lists the pod once the scaler's Event is written")
	require.Len(t, s.BlockedByVolume, 1)
	assert.Equal(t, runners, s.BlockedByVolume[0].Namespace)
	assert.Equal(t, pod.Name, s.BlockedByVolume[0].Pod)
	assert.Contains(t, s.BlockedByVolume[0].Message, "PersistentVolumeClaim nas-cache does not exist")
	assert.Contains(t, kubectlJobfit(t, cl, "status"), "JOB POD WAITING FOR A VOLUME")

	require.NoError(t, cl.c.Delete(ctx, pod))
	s = app.Status{}
	require.NoError(t, yaml.Unmarshal([]byte(kubectlJobfit(t, cl, "status", "-o", "yaml")), &s))
	assert.Empty(t, s.BlockedByVolume, "a deleted pod is no longer listed")
}
