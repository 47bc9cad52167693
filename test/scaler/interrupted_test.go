package scaler_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	fallbackcontroller "jobfit.dev/jobfit/scaler/controllers/fallback"
	"jobfit.dev/jobfit/scaler/signals"
)

// jobOnNode creates a job pod of pipeline 9001 named name, bound to node
// and in phase.
func (h *harness) jobOnNode(ctx context.Context, t *testing.T, name, node string, phase corev1.PodPhase) *corev1.Pod {
	t.Helper()
	pod := h.newJobPod("arm64", "spot", "1")
	pod.Annotations[v1alpha1.AnnotationJobName] = name
	pod.Annotations[v1alpha1.AnnotationProjectID] = "1"
	pod.Spec.NodeName = node
	pod.Spec.Containers[0].Env = append(pod.Spec.Containers[0].Env,
		corev1.EnvVar{Name: "CI_PIPELINE_ID", Value: "9001"}, corev1.EnvVar{Name: "CI_JOB_NAME", Value: name})
	require.NoError(t, k8s.Create(ctx, pod))
	pod.Status.Phase = phase
	require.NoError(t, k8s.Status().Update(ctx, pod))
	return pod
}

// TestInterruptedJobsAreListed: the jobs running on a spot node whose
// NodeClaim the interruption controller deletes are listed in the capacity
// status for an hour, counted once, and forgotten after.
func TestInterruptedJobsAreListed(t *testing.T) {
	ctx := t.Context()
	applyExamples(ctx, t)
	h := newHarness(ctx, t, signalsPolicy)
	start := h.clock.Now()

	nc := spotNodeClaim(ctx, t, true)
	nc.Status.NodeName = "ip-10-0-7-21." + h.ciNS
	require.NoError(t, k8s.Status().Update(ctx, nc))
	h.jobOnNode(ctx, t, "build:arm64", nc.Status.NodeName, corev1.PodRunning)
	h.jobOnNode(ctx, t, "lint", nc.Status.NodeName, corev1.PodSucceeded)
	h.jobOnNode(ctx, t, "test", "another-node", corev1.PodRunning)
	nameless := h.newJobPod("arm64", "spot", "1")
	nameless.Spec.NodeName = nc.Status.NodeName
	require.NoError(t, k8s.Create(ctx, nameless))
	running(ctx, t, nameless)
	counter := func() float64 {
		return testutil.ToFloat64(h.metrics.JobInterruptions.WithLabelValues("arm64", karpv1.CapacityTypeSpot))
	}

	h.clock.SetTime(start.Add(10 * time.Second))
	h.pass(ctx, t)
	_, written := capacityStatus(ctx, t, h.ns)
	assert.False(t, written, "nothing is interrupted while the node runs")

	require.NoError(t, k8s.Delete(ctx, nc))
	h.clock.SetTime(start.Add(20 * time.Second))
	h.pass(ctx, t)
	st, written := capacityStatus(ctx, t, h.ns)
	require.True(t, written)
	require.Len(t, st.InterruptedJobs, 1, "only the running job that can be named: %+v", st.InterruptedJobs)
	j := st.InterruptedJobs[0]
	assert.Equal(t, v1alpha1.JobRef{Project: "1", Pipeline: "9001", Job: "build:arm64"}, j.JobRef)
	assert.Equal(t, "arm64", j.Arch)
	assert.Equal(t, karpv1.CapacityTypeSpot, j.CapacityType)
	assert.Equal(t, string(signals.CauseSpotInterruption), j.Cause)
	assert.Equal(t, nc.Status.NodeName, j.Node)
	assert.Equal(t, fallbackcontroller.InterruptedJobTTL, j.Until.Sub(j.At))
	assert.Equal(t, 1.0, counter())

	h.clock.SetTime(start.Add(40 * time.Second))
	h.pass(ctx, t)
	st, _ = capacityStatus(ctx, t, h.ns)
	assert.Len(t, st.InterruptedJobs, 1)
	assert.Equal(t, 1.0, counter(), "one pod counts once")

	h.clock.SetTime(j.Until.Add(time.Second))
	h.pass(ctx, t)
	st, _ = capacityStatus(ctx, t, h.ns)
	assert.Empty(t, st.InterruptedJobs, "forgotten after the TTL")
}
