package scaler_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

func TestDryRunWritesNothingAndStillReports(t *testing.T) {
	ctx := t.Context()
	applyExamples(ctx, t)
	doc := strings.Replace(limitsPolicy, "kind: ScalerPolicy\n", "kind: ScalerPolicy\ndryRun: true\nfallback: {pendingAfter: 1m}\n", 1) +
		"headroom: {enabled: true, perArch: {amd64: {min: 2, max: 2}}}\n"
	h := newHarness(ctx, t, doc)
	before := map[string]string{}
	for _, name := range []string{"ci-spot", "ci-on-demand"} {
		before[name] = nodePool(ctx, t, name).ResourceVersion
	}
	for range 10 {
		unschedulable(ctx, t, h.jobPod(ctx, t, "arm64", v1alpha1.CapacitySpot, "8"), h.clock.Now())
	}
	for range 10 {
		unschedulable(ctx, t, h.jobPod(ctx, t, "amd64", v1alpha1.CapacityOnDemand, "8"), h.clock.Now())
	}
	h.clock.Step(2 * time.Minute)
	h.pass(ctx, t)
	h.pass(ctx, t)
	h.reconcileHeadroom(ctx, t)

	for name, rv := range before {
		assert.Equal(t, rv, nodePool(ctx, t, name).ResourceVersion, "%s is not written", name)
	}
	_, written := capacityStatus(ctx, t, h.ns)
	assert.False(t, written, "the capacity status is not written")
	assert.Empty(t, placeholders(ctx, t, h.ns), "no placeholders are created")

	assert.Equal(t, 1.0, testutil.ToFloat64(h.metrics.CapacityDegraded.WithLabelValues("arm64", "spot")))
	assert.Equal(t, 1.0, testutil.ToFloat64(h.metrics.NodePoolChanges.WithLabelValues("ci-on-demand", "weight")), "reported once, not once per pass")
	assert.Equal(t, 1.0, testutil.ToFloat64(h.metrics.NodePoolChanges.WithLabelValues("ci-on-demand", "limits.cpu")))
	assert.Equal(t, 2.0, testutil.ToFloat64(h.metrics.HeadroomPods.WithLabelValues("amd64", "desired")))
	assert.Equal(t, 10.0, testutil.ToFloat64(h.metrics.ExecutorPods.WithLabelValues("arm64", "spot", "pending")))
	assertEvent(ctx, t, "ci-on-demand", "NodePoolTuned", "dry run: jobfit-scaler would set limits.cpu 64→80, weight 10→100")
	assertEvent(ctx, t, v1alpha1.CapacityStatusName, "CapacityDegraded", "dry run: would mark arm64 spot degraded")
	assertEvent(ctx, t, "jobfit-headroom", "HeadroomPlanned", "dry run: would keep 2 amd64 placeholders")
}
