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
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// bootingSpotNode creates an amd64 spot NodeClaim of ci-spot that Karpenter
// launched (4 CPU, 8 GiB allocatable, as recorded at launch) and whose node
// has not joined yet.
func bootingSpotNode(ctx context.Context, t *testing.T) {
	t.Helper()
	nc := spotNodeClaim(ctx, t, true)
	nc.Labels[corev1.LabelArchStable] = "amd64"
	require.NoError(t, k8s.Update(ctx, nc))
	nc.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi")}
	nc.Status.Conditions = []status.Condition{{Type: karpv1.ConditionTypeLaunched, Status: metav1.ConditionTrue, Reason: "Launched",
		LastTransitionTime: metav1.Now(), ObservedGeneration: nc.Generation}}
	require.NoError(t, k8s.Status().Update(ctx, nc))
}

// deleteNodeClaims removes every NodeClaim, so that the nodes of earlier
// tests (cluster-scoped, never removed by their namespaces) bring no room.
func deleteNodeClaims(ctx context.Context, t *testing.T) {
	t.Helper()
	var list karpv1.NodeClaimList
	require.NoError(t, k8s.List(ctx, &list))
	for i := range list.Items {
		nc := &list.Items[i]
		if controllerutil.RemoveFinalizer(nc, karpv1.TerminationFinalizer) {
			require.NoError(t, client.IgnoreNotFound(k8s.Update(ctx, nc)))
		}
		require.NoError(t, client.IgnoreNotFound(k8s.Delete(ctx, nc)))
	}
}

// TestHeadroomCountsBootingNodes: a NodeClaim launched but not initialized
// brings room; the pending placeholders and jobs it was launched for take
// it, and only what is left counts as free.
func TestHeadroomCountsBootingNodes(t *testing.T) {
	ctx := t.Context()
	applyExamples(ctx, t)
	deleteNodeClaims(ctx, t)
	t.Cleanup(func() { deleteNodeClaims(context.Background(), t) })
	h := newHarness(ctx, t, arrivalsPolicy)
	h.reconcileHeadroom(ctx, t) // no demand yet

	full := initializedSpotNode(ctx, t)
	for range 4 {
		h.jobPodOn(ctx, t, full)
	}
	h.clock.Step(30 * time.Second)
	h.reconcileHeadroom(ctx, t)
	require.Len(t, placeholders(ctx, t, h.ns), 4, "demand grew by 4 and the only node is full")

	bootingSpotNode(ctx, t)
	h.clock.Step(10 * time.Second)
	h.reconcileHeadroom(ctx, t)
	assert.Equal(t, 4, len(placeholders(ctx, t, h.ns)), "the node booting for the four pending placeholders is theirs: they stay")

	for range 2 {
		h.jobPod(ctx, t, "amd64", v1alpha1.CapacitySpot, "1")
	}
	bootingSpotNode(ctx, t)
	h.clock.Step(10 * time.Second)
	h.reconcileHeadroom(ctx, t)
	assert.Equal(t, 4, len(placeholders(ctx, t, h.ns)),
		"demand grew by 6; of the 8 booting slots, 4 placeholders and 2 jobs take 6: 2 are free, so 4 placeholders, not 6")
}

// TestHeadroomShrinkEmptiesIdleNodes: when the count falls, the
// placeholders on a node that runs nothing else go first, so that node
// empties; one on a node that runs a job cannot empty it and stays.
func TestHeadroomShrinkEmptiesIdleNodes(t *testing.T) {
	ctx := t.Context()
	applyExamples(ctx, t)
	deleteNodeClaims(ctx, t)
	t.Cleanup(func() { deleteNodeClaims(context.Background(), t) })
	const doc = ciPoolsPolicy + `headroom:
  enabled: true
  perArch:
    amd64: {min: %d, max: 6, leadTime: 1m, quantile: 1, window: 10m}
  podTemplate: {cpu: 500m, memory: 1Gi, tolerations: [{key: ci.example.com/runner, operator: Exists}]}
`
	h := newHarness(ctx, t, fmtPolicy(doc, 3))
	idle, busy := initializedSpotNode(ctx, t), initializedSpotNode(ctx, t)
	h.jobPodOn(ctx, t, busy)
	h.reconcileHeadroom(ctx, t)
	pods := placeholders(ctx, t, h.ns)
	require.Len(t, pods, 3)
	// The oldest on the busy node: by age alone it would be kept.
	for i, node := range []string{busy, idle, idle} {
		require.NoError(t, k8s.SubResource("binding").Create(ctx, &pods[i],
			&corev1.Binding{Target: corev1.ObjectReference{Kind: "Node", Name: node}}))
	}

	h.setPolicy(t, fmtPolicy(doc, 1))
	h.clock.Step(30 * time.Second)
	h.reconcileHeadroom(ctx, t)
	left := placeholders(ctx, t, h.ns)
	require.Len(t, left, 1)
	assert.Equal(t, busy, left[0].Spec.NodeName, "the two on the node that runs nothing else went, so it can empty")
}
