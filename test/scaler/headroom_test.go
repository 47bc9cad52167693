package scaler_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/controllers/headroom"
)

func headroomPolicy(enabled bool, cron string) string {
	return fmtPolicy(ciPoolsPolicy+`headroom:
  enabled: %t
  perArch:
    amd64:
      min: 1
      max: 4
      quantile: 1
      window: 10m
      schedules: [{cron: %q, duration: 1h, min: 3}]
  podTemplate: {cpu: 500m, memory: 1Gi, tolerations: [{key: ci.example.com/runner, operator: Exists}]}
`, enabled, cron)
}

func placeholders(ctx context.Context, t *testing.T, ns string) []corev1.Pod {
	t.Helper()
	var list corev1.PodList
	require.NoError(t, k8s.List(ctx, &list, client.InNamespace(ns), client.HasLabels{v1alpha1.HeadroomLabel}))
	return list.Items
}

func TestHeadroomFollowsDemandAndSchedulesWithinBounds(t *testing.T) {
	ctx := t.Context()
	applyExamples(ctx, t)
	// Weekdays 07:00-08:00 UTC; the test starts on a Monday at 06:30 UTC.
	const cron = "0 7 * * 1-5"
	h := newHarness(ctx, t, headroomPolicy(true, cron))
	monday := time.Date(2026, 3, 2, 6, 30, 0, 0, time.UTC)
	h.clock.SetTime(monday)

	h.reconcileHeadroom(ctx, t)
	pods := placeholders(ctx, t, h.ns)
	require.Len(t, pods, 1, "no demand: min placeholders")
	p := pods[0]
	assert.Equal(t, "amd64", p.Labels[v1alpha1.HeadroomLabel])
	assert.Equal(t, v1alpha1.HeadroomPriorityCls, p.Spec.PriorityClassName)
	require.NotNil(t, p.Spec.Priority)
	assert.Equal(t, int32(-10), *p.Spec.Priority, "the API server resolved the PriorityClass")
	assert.Equal(t, "amd64", p.Spec.NodeSelector[v1alpha1.LabelArch])
	assert.Equal(t, "spot", p.Spec.NodeSelector[v1alpha1.LabelCapacityType])
	require.Len(t, p.OwnerReferences, 1)
	assert.Equal(t, headroom.OwnerName, p.OwnerReferences[0].Name, "owned by a ConfigMap in jobfit's namespace")
	q := p.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU]
	assert.Equal(t, "500m", q.String(), "sized from the template while no jobs run")
	var pc schedulingv1.PriorityClass
	require.NoError(t, k8s.Get(ctx, client.ObjectKey{Name: v1alpha1.HeadroomPriorityCls}, &pc))
	assert.Equal(t, int32(-10), pc.Value)
	require.NotNil(t, pc.PreemptionPolicy)
	assert.Equal(t, corev1.PreemptNever, *pc.PreemptionPolicy)

	for range 2 {
		running(ctx, t, h.jobPod(ctx, t, "amd64", v1alpha1.CapacitySpot, "2"))
	}
	h.clock.Step(time.Minute)
	h.reconcileHeadroom(ctx, t)
	pods = placeholders(ctx, t, h.ns)
	assert.Len(t, pods, 2, "follows the demand quantile")
	assert.Equal(t, 2.0, testutil.ToFloat64(h.metrics.HeadroomPods.WithLabelValues("amd64", "desired")))

	h.clock.SetTime(monday.Add(35 * time.Minute))
	h.reconcileHeadroom(ctx, t)
	assert.Len(t, placeholders(ctx, t, h.ns), 3, "the schedule raises the count")

	for range 6 {
		running(ctx, t, h.jobPod(ctx, t, "amd64", v1alpha1.CapacitySpot, "2"))
	}
	h.clock.Step(time.Minute)
	h.reconcileHeadroom(ctx, t)
	assert.Len(t, placeholders(ctx, t, h.ns), 4, "never above max")

	h.clock.Step(time.Minute)
	h.reconcileHeadroom(ctx, t)
	assert.Len(t, placeholders(ctx, t, h.ns), 4, "a steady plan creates nothing more")

	h.setPolicy(t, headroomPolicy(false, cron))
	h.reconcileHeadroom(ctx, t)
	assert.Empty(t, placeholders(ctx, t, h.ns), "headroom off deletes every placeholder")
}

func TestHeadroomFollowsTheSpotFallback(t *testing.T) {
	ctx := t.Context()
	applyExamples(ctx, t)
	h := newHarness(ctx, t, ciPoolsPolicy+`fallback: {pendingAfter: 3m}
headroom: {enabled: true, perArch: {arm64: {min: 1, max: 1}}}
`)
	h.pass(ctx, t)
	h.reconcileHeadroom(ctx, t)
	pods := placeholders(ctx, t, h.ns)
	require.Len(t, pods, 1)
	assert.Equal(t, v1alpha1.CapacitySpot, pods[0].Spec.NodeSelector[v1alpha1.LabelCapacityType])

	unschedulable(ctx, t, h.jobPod(ctx, t, "arm64", v1alpha1.CapacitySpot, "1"), h.clock.Now())
	h.clock.Step(4 * time.Minute)
	h.pass(ctx, t)
	h.reconcileHeadroom(ctx, t)
	pods = placeholders(ctx, t, h.ns)
	require.Len(t, pods, 1, "the pending spot placeholder is replaced, not added to")
	assert.Equal(t, v1alpha1.CapacityOnDemand, pods[0].Spec.NodeSelector[v1alpha1.LabelCapacityType], "arm64 spot is degraded")
}
