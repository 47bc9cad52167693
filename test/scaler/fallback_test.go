package scaler_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

const fallbackPolicy = ciPoolsPolicy + `fallback: {pendingAfter: 3m, recoverAfter: 15m, minPending: 5, onDemandWeight: 100}
`

func TestSpotFallbackDegradesAndRecovers(t *testing.T) {
	ctx := t.Context()
	applyExamples(ctx, t)
	h := newHarness(ctx, t, fallbackPolicy)
	start := h.clock.Now()

	var pods = make([]*podRef, 0, 5)
	for range 5 {
		p := h.jobPod(ctx, t, "arm64", v1alpha1.CapacitySpot, "1")
		unschedulable(ctx, t, p, start)
		pods = append(pods, &podRef{p.Namespace, p.Name})
	}

	h.clock.SetTime(start.Add(2 * time.Minute))
	h.pass(ctx, t)
	_, written := capacityStatus(ctx, t, h.ns)
	assert.False(t, written, "nothing is degraded before pendingAfter, so nothing is written")
	assert.Equal(t, int32(10), weight(ctx, t, "ci-on-demand"))

	h.clock.SetTime(start.Add(3*time.Minute + time.Second))
	h.pass(ctx, t)
	st, written := capacityStatus(ctx, t, h.ns)
	require.True(t, written)
	require.True(t, st.IsDegraded("arm64", v1alpha1.CapacitySpot), "arm64 spot is degraded: %+v", st)
	assert.False(t, st.IsDegraded("amd64", v1alpha1.CapacitySpot))
	assert.Contains(t, st.Degraded[0].Reason, "5 spot-pinned arm64 job pods")
	assert.Equal(t, int32(100), weight(ctx, t, "ci-on-demand"), "the on-demand pool's weight is raised")
	assert.Equal(t, int32(100), weight(ctx, t, "ci-spot"), "the spot pool is left alone")
	assert.Equal(t, 1.0, testutil.ToFloat64(h.metrics.CapacityDegraded.WithLabelValues("arm64", "spot")))
	assert.Equal(t, 1.0, testutil.ToFloat64(h.metrics.NodePoolChanges.WithLabelValues("ci-on-demand", "weight")))
	assertEvent(ctx, t, "ci-on-demand", "NodePoolTuned", "weight 10→100")
	assertEvent(ctx, t, v1alpha1.CapacityStatusName, "CapacityDegraded", "arm64 spot degraded")

	// The pods get on-demand nodes and go away; spot stays degraded until
	// recoverAfter has passed without spot pressure.
	for _, p := range pods {
		p.delete(ctx, t)
	}
	h.clock.SetTime(start.Add(10 * time.Minute))
	h.pass(ctx, t)
	st, _ = capacityStatus(ctx, t, h.ns)
	assert.True(t, st.IsDegraded("arm64", v1alpha1.CapacitySpot), "no recovery before recoverAfter")
	assert.Equal(t, int32(100), weight(ctx, t, "ci-on-demand"))

	h.clock.SetTime(start.Add(3*time.Minute + time.Second + 15*time.Minute))
	h.pass(ctx, t)
	st, written = capacityStatus(ctx, t, h.ns)
	require.True(t, written)
	assert.Empty(t, st.Degraded, "arm64 spot recovered")
	assert.Equal(t, int32(10), weight(ctx, t, "ci-on-demand"), "the on-demand weight is restored")
	assert.Equal(t, 0.0, testutil.ToFloat64(h.metrics.CapacityDegraded.WithLabelValues("arm64", "spot")))
	assertEvent(ctx, t, "ci-on-demand", "NodePoolTuned", "weight 100→10")
}

func TestNoChangeNoWrite(t *testing.T) {
	ctx := t.Context()
	applyExamples(ctx, t)
	h := newHarness(ctx, t, fallbackPolicy)
	before := nodePool(ctx, t, "ci-on-demand").ResourceVersion
	for range 3 {
		h.clock.Step(time.Minute)
		h.pass(ctx, t)
	}
	assert.Equal(t, before, nodePool(ctx, t, "ci-on-demand").ResourceVersion, "a pass that changes nothing writes nothing")
	_, written := capacityStatus(ctx, t, h.ns)
	assert.False(t, written)
}

type podRef struct{ ns, name string }

func (p *podRef) delete(ctx context.Context, t *testing.T) {
	t.Helper()
	pod := &corev1Pod{}
	pod.Namespace, pod.Name = p.ns, p.name
	require.NoError(t, k8s.Delete(ctx, pod))
}
