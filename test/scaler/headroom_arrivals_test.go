package scaler_test

import (
	"context"
	"testing"
	"time"

	"github.com/awslabs/operatorpkg/status"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

const arrivalsPolicy = ciPoolsPolicy + `headroom:
  enabled: true
  perArch:
    amd64: {min: 0, max: 6, leadTime: 1m, quantile: 1, window: 10m}
  podTemplate: {cpu: 500m, memory: 1Gi, tolerations: [{key: ci.example.com/runner, operator: Exists}]}
`

// initializedSpotNode creates an amd64 spot NodeClaim of ci-spot whose node
// has joined and is initialized, with a 4-CPU, 8 GiB allocatable, as
// Karpenter records it; it returns the node's name.
func initializedSpotNode(ctx context.Context, t *testing.T) string {
	t.Helper()
	nc := spotNodeClaim(ctx, t, true)
	nc.Labels[corev1.LabelArchStable] = "amd64"
	require.NoError(t, k8s.Update(ctx, nc))
	node := "ip-10-0-" + rand.String(5) + ".ec2.internal"
	nc.Status.NodeName = node
	nc.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi")}
	nc.Status.Conditions = nil
	for _, c := range []string{karpv1.ConditionTypeLaunched, karpv1.ConditionTypeRegistered, karpv1.ConditionTypeInitialized} {
		nc.Status.Conditions = append(nc.Status.Conditions, status.Condition{Type: c, Status: metav1.ConditionTrue, Reason: c,
			LastTransitionTime: metav1.Now(), ObservedGeneration: nc.Generation})
	}
	require.NoError(t, k8s.Status().Update(ctx, nc))
	return node
}

// jobPodOn creates a running amd64 spot job pod of 1 CPU, 2 GiB on node.
func (h *harness) jobPodOn(ctx context.Context, t *testing.T, node string) {
	t.Helper()
	pod := h.newJobPod("amd64", v1alpha1.CapacitySpot, "1")
	pod.Spec.NodeName = node
	require.NoError(t, k8s.Create(ctx, pod))
	running(ctx, t, pod)
}

// TestHeadroomByArrivals: with a lead time, placeholders cover the growth
// of demand within the lead time, less the job-sized room already free on
// the arch's initialized nodes.
func TestHeadroomByArrivals(t *testing.T) {
	ctx := t.Context()
	applyExamples(ctx, t)
	h := newHarness(ctx, t, arrivalsPolicy)

	h.reconcileHeadroom(ctx, t)
	assert.Empty(t, placeholders(ctx, t, h.ns), "no growth, min 0: none")

	full := initializedSpotNode(ctx, t)
	for range 4 {
		h.jobPodOn(ctx, t, full)
	}
	h.clock.Step(30 * time.Second)
	h.reconcileHeadroom(ctx, t)
	pods := placeholders(ctx, t, h.ns)
	require.Len(t, pods, 4, "demand grew by 4 within the lead time and the only node is full")
	q := pods[0].Spec.Containers[0].Resources.Requests[corev1.ResourceCPU]
	assert.Equal(t, "1", q.String(), "sized like the jobs")

	initializedSpotNode(ctx, t)
	h.clock.Step(30 * time.Second)
	h.reconcileHeadroom(ctx, t)
	assert.Empty(t, placeholders(ctx, t, h.ns), "an empty node's four job slots already cover the growth")
}
