package scaler_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

const limitsPolicy = ciPoolsPolicy + `limits:
  nodePools:
    ci-on-demand: {floor: {cpu: "64"}, ceiling: {cpu: "100"}}
`

func TestLimitsRiseWithDemandUpToTheCeiling(t *testing.T) {
	ctx := t.Context()
	applyExamples(ctx, t) // ci-on-demand starts at limits.cpu 64
	h := newHarness(ctx, t, limitsPolicy)

	h.pass(ctx, t)
	assert.Equal(t, "64", cpu(ctx, t, "ci-on-demand"), "no demand: the limit stays at the floor")

	for range 10 {
		unschedulable(ctx, t, h.jobPod(ctx, t, "amd64", v1alpha1.CapacityOnDemand, "8"), h.clock.Now())
	}
	h.pass(ctx, t)
	assert.Equal(t, "80", cpu(ctx, t, "ci-on-demand"), "80 CPUs of pending demand raise the limit")
	assert.Equal(t, 0.0, testutil.ToFloat64(h.metrics.NodePoolAtCeiling.WithLabelValues("ci-on-demand", "cpu")))
	assertEvent(ctx, t, "ci-on-demand", "NodePoolTuned", "limits.cpu 64→80")

	for range 10 {
		unschedulable(ctx, t, h.jobPod(ctx, t, "arm64", v1alpha1.CapacityOnDemand, "8"), h.clock.Now())
	}
	h.pass(ctx, t)
	assert.Equal(t, "100", cpu(ctx, t, "ci-on-demand"), "160 CPUs of demand stop at the 100 CPU ceiling")
	assert.Equal(t, 1.0, testutil.ToFloat64(h.metrics.NodePoolAtCeiling.WithLabelValues("ci-on-demand", "cpu")))

	h.pass(ctx, t)
	assert.Equal(t, "100", cpu(ctx, t, "ci-on-demand"), "never past the ceiling")
	assert.Equal(t, "2000", cpu(ctx, t, "ci-spot"), "pools without limits in the policy are left alone")
	mem := nodePool(ctx, t, "ci-on-demand").Spec.Limits["memory"]
	assert.Equal(t, "256Gi", mem.String(), "resources the policy does not bound are left alone")
}
