package scaler_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// TestPausePodsAndTheRunnerMix: the scaler publishes each runner's job mix
// for the webhook to place the runner's pause pods by, and its headroom
// counts those pause pods as warm room already held.
func TestPausePodsAndTheRunnerMix(t *testing.T) {
	ctx := t.Context()
	applyExamples(ctx, t)
	h := newHarness(ctx, t, headroomPolicy(true, "0 7 * * 1-5"))
	h.clock.SetTime(time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC))
	for _, arch := range []string{"amd64", "amd64", "amd64", "arm64"} {
		pod := h.newJobPod(arch, v1alpha1.CapacitySpot, "1")
		pod.Labels[v1alpha1.LabelManagerIDShort] = "Zx8kQw2Nv"
		require.NoError(t, k8s.Create(ctx, pod))
		running(ctx, t, pod)
	}

	h.pass(ctx, t)
	st, written := capacityStatus(ctx, t, h.ns)
	require.True(t, written)
	assert.Equal(t, []v1alpha1.RunnerMix{{Runner: "Zx8kQw2Nv", Jobs: []v1alpha1.MixCell{
		{Arch: "amd64", CapacityType: "spot", Percent: 75}, {Arch: "arm64", CapacityType: "spot", Percent: 25},
	}}}, st.RunnerMixes)

	h.reconcileHeadroom(ctx, t)
	require.Len(t, placeholders(ctx, t, h.ns), 3, "three amd64 jobs: three placeholders")

	// The runner keeps two pause pods, which the webhook placed on amd64.
	for range 2 {
		pause := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "runner-pause-zx8kqw2nv-", Namespace: h.ciNS,
				Labels: map[string]string{v1alpha1.LabelPausePod: "true", v1alpha1.LabelManagerIDShort: "Zx8kQw2Nv"}},
			Spec: corev1.PodSpec{NodeSelector: map[string]string{v1alpha1.LabelArch: "amd64", v1alpha1.LabelCapacityType: "spot"},
				Containers: []corev1.Container{{Name: "pause", Image: "registry.k8s.io/pause:3.10"}}},
		}
		require.NoError(t, k8s.Create(ctx, pause))
	}
	h.clock.Step(time.Minute)
	h.reconcileHeadroom(ctx, t)
	assert.Len(t, placeholders(ctx, t, h.ns), 1, "the pause pods hold two of the three")
	assert.Equal(t, 1.0, testutil.ToFloat64(h.metrics.HeadroomPods.WithLabelValues("amd64", "desired")))
	assert.Equal(t, 2.0, testutil.ToFloat64(h.metrics.HeadroomPods.WithLabelValues("amd64", "runner-pause")))

	h.pass(ctx, t)
	st, _ = capacityStatus(ctx, t, h.ns)
	assert.Len(t, st.RunnerMixes[0].Jobs, 2, "pause pods are not jobs: the mix is unchanged")
}
