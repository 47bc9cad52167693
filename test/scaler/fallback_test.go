package scaler_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"jobfit.dev/jobfit/policy"
)

const fallbackPolicy = `apiVersion: jobfit.dev/v1alpha1
kind: ScalerPolicy
nodePools:
- {name: ci-spot, role: spot}
- {name: ci-on-demand, role: on-demand, weight: 10}
fallback: {pendingAfter: 3m, recoverAfter: 15m, minPending: 5, onDemandWeight: 100}
`

func TestSpotFallbackDegradesAndRecovers(t *testing.T) {
	ctx := t.Context()
	applyExamples(t, ctx)
	h := newHarness(t, ctx, fallbackPolicy)
	start := h.clock.Now()

	var pods = make([]*podRef, 0, 5)
	for range 5 {
		p := h.jobPod(t, ctx, "arm64", policy.CapacitySpot, "1")
		unschedulable(t, ctx, p, start)
		pods = append(pods, &podRef{p.Namespace, p.Name})
	}

	h.clock.SetTime(start.Add(2 * time.Minute))
	h.pass(t, ctx)
	_, written := capacityStatus(t, ctx, h.ns)
	assert.False(t, written, "nothing is degraded before pendingAfter, so nothing is written")
	assert.Equal(t, int32(10), weight(t, ctx, "ci-on-demand"))

	h.clock.SetTime(start.Add(3*time.Minute + time.Second))
	h.pass(t, ctx)
	st, written := capacityStatus(t, ctx, h.ns)
	require.True(t, written)
	require.True(t, st.IsDegraded("arm64", policy.CapacitySpot), "arm64 spot is degraded: %+v", st)
	assert.False(t, st.IsDegraded("amd64", policy.CapacitySpot))
	assert.Contains(t, st.Degraded[0].Reason, "5 spot-pinned arm64 job pods")
	assert.Equal(t, int32(100), weight(t, ctx, "ci-on-demand"), "the on-demand pool's weight is raised")
	assert.Equal(t, int32(100), weight(t, ctx, "ci-spot"), "the spot pool is left alone")
	assert.Equal(t, 1.0, testutil.ToFloat64(h.metrics.CapacityDegraded.WithLabelValues("arm64", "spot")))
	assert.Equal(t, 1.0, testutil.ToFloat64(h.metrics.NodePoolChanges.WithLabelValues("ci-on-demand", "weight")))
	assertEvent(t, ctx, "ci-on-demand", "NodePoolTuned", "weight 10→100")
	assertEvent(t, ctx, policy.CapacityStatusName, "CapacityDegraded", "arm64 spot degraded")

	// The pods get on-demand nodes and go away; spot stays degraded until
	// recoverAfter has passed without spot pressure.
	for _, p := range pods {
		p.delete(t, ctx)
	}
	h.clock.SetTime(start.Add(10 * time.Minute))
	h.pass(t, ctx)
	st, _ = capacityStatus(t, ctx, h.ns)
	assert.True(t, st.IsDegraded("arm64", policy.CapacitySpot), "no recovery before recoverAfter")
	assert.Equal(t, int32(100), weight(t, ctx, "ci-on-demand"))

	h.clock.SetTime(start.Add(3*time.Minute + time.Second + 15*time.Minute))
	h.pass(t, ctx)
	st, written = capacityStatus(t, ctx, h.ns)
	require.True(t, written)
	assert.Empty(t, st.Degraded, "arm64 spot recovered")
	assert.Equal(t, int32(10), weight(t, ctx, "ci-on-demand"), "the on-demand weight is restored")
	assert.Equal(t, 0.0, testutil.ToFloat64(h.metrics.CapacityDegraded.WithLabelValues("arm64", "spot")))
	assertEvent(t, ctx, "ci-on-demand", "NodePoolTuned", "weight 100→10")
}

func TestNoChangeNoWrite(t *testing.T) {
	ctx := t.Context()
	applyExamples(t, ctx)
	h := newHarness(t, ctx, fallbackPolicy)
	before := nodePool(t, ctx, "ci-on-demand").ResourceVersion
	for range 3 {
		h.clock.Step(time.Minute)
		h.pass(t, ctx)
	}
	assert.Equal(t, before, nodePool(t, ctx, "ci-on-demand").ResourceVersion, "a pass that changes nothing writes nothing")
	_, written := capacityStatus(t, ctx, h.ns)
	assert.False(t, written)
}

type podRef struct{ ns, name string }

func (p *podRef) delete(t *testing.T, ctx context.Context) {
	t.Helper()
	pod := &corev1Pod{}
	pod.Namespace, pod.Name = p.ns, p.name
	require.NoError(t, k8s.Delete(ctx, pod))
}
