package scaler_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/awslabs/operatorpkg/status"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/signals"
)

// signalsPolicy degrades on one piece of evidence (minPending 1, the
// default), so that a single failed NodeClaim is enough.
const signalsPolicy = ciPoolsPolicy + `fallback: {pendingAfter: 3m, recoverAfter: 15m}
`

// spotNodeClaim creates a NodeClaim of the example ci-spot pool as
// Karpenter's provisioner does for arm64 spot job pods: with its
// termination finalizer, so that a deletion leaves it terminating, as
// Karpenter's finalizer does until the instance is gone. launched makes it
// a running spot node.
func spotNodeClaim(ctx context.Context, t *testing.T, launched bool) *karpv1.NodeClaim {
	t.Helper()
	nc := &karpv1.NodeClaim{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "ci-spot-", Labels: map[string]string{karpv1.NodePoolLabelKey: "ci-spot"},
			Finalizers: []string{karpv1.TerminationFinalizer}},
		Spec: karpv1.NodeClaimSpec{
			NodeClassRef: &karpv1.NodeClassReference{Group: "karpenter.k8s.aws", Kind: "EC2NodeClass", Name: exampleNodeClass},
			Requirements: []karpv1.NodeSelectorRequirementWithMinValues{
				{Key: corev1.LabelArchStable, Operator: corev1.NodeSelectorOpIn, Values: []string{"arm64"}},
				{Key: karpv1.CapacityTypeLabelKey, Operator: corev1.NodeSelectorOpIn, Values: []string{karpv1.CapacityTypeSpot}},
			},
		},
	}
	if launched {
		nc.Labels[corev1.LabelArchStable] = "arm64"
		nc.Labels[karpv1.CapacityTypeLabelKey] = karpv1.CapacityTypeSpot
	}
	require.NoError(t, k8s.Create(ctx, nc))
	t.Cleanup(func() {
		ctx := context.Background()
		latest := &karpv1.NodeClaim{}
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(nc), latest); err == nil {
			controllerutil.RemoveFinalizer(latest, karpv1.TerminationFinalizer)
			require.NoError(t, client.IgnoreNotFound(k8s.Update(ctx, latest)))
		}
	})
	cond := status.Condition{Type: karpv1.ConditionTypeLaunched, Status: metav1.ConditionUnknown, Reason: "AwaitingReconciliation",
		Message: "object is awaiting reconciliation", LastTransitionTime: metav1.Now()}
	if launched {
		nc.Status.ProviderID = "aws:///eu-west-1a/i-0123456789abcdef0"
		cond.Status, cond.Reason, cond.Message = metav1.ConditionTrue, "Launched", ""
	}
	nc.Status.Conditions = []status.Condition{cond}
	require.NoError(t, k8s.Status().Update(ctx, nc))
	return nc
}

func TestNodeClaimLaunchFailureDegradesSpotAtOnce(t *testing.T) {
	ctx := t.Context()
	applyExamples(ctx, t)
	h := newHarness(ctx, t, signalsPolicy)
	start := h.clock.Now()

	nc := spotNodeClaim(ctx, t, false)
	h.clock.SetTime(start.Add(10 * time.Second))
	h.pass(ctx, t)
	_, written := capacityStatus(ctx, t, h.ns)
	assert.False(t, written, "a NodeClaim that is launching is no failure")

	// Karpenter deletes a NodeClaim whose launch failed with an
	// InsufficientCapacityError, before it ever launched.
	require.NoError(t, k8s.Delete(ctx, nc))
	h.clock.SetTime(start.Add(30 * time.Second))
	h.pass(ctx, t)
	st, written := capacityStatus(ctx, t, h.ns)
	require.True(t, written)
	require.True(t, st.IsDegraded("arm64", v1alpha1.CapacitySpot), "degraded long before pendingAfter (3m): %+v", st)
	assert.False(t, st.IsDegraded("amd64", v1alpha1.CapacitySpot))
	assert.Equal(t, string(signals.CauseInsufficientCapacity), st.Degraded[0].Cause)
	assert.Contains(t, st.Degraded[0].Reason, "NodeClaim "+nc.Name+" of NodePool ci-spot was deleted before launch: insufficient spot capacity")
	assert.Equal(t, int32(100), weight(ctx, t, "ci-on-demand"), "the on-demand pool's weight is raised")
	assert.Equal(t, 1.0, testutil.ToFloat64(h.metrics.CapacityDegraded.WithLabelValues("arm64", "spot")))
	assertEvent(ctx, t, v1alpha1.CapacityStatusName, "CapacityDegraded", "arm64 spot degraded (InsufficientCapacity): NodeClaim "+nc.Name)

	// Recovery is as for pods: recoverAfter (15m) without new evidence.
	h.clock.SetTime(start.Add(15 * time.Minute))
	h.pass(ctx, t)
	st, _ = capacityStatus(ctx, t, h.ns)
	assert.True(t, st.IsDegraded("arm64", v1alpha1.CapacitySpot), "no recovery before recoverAfter")
	h.clock.SetTime(start.Add(30*time.Second + 15*time.Minute))
	h.pass(ctx, t)
	st, _ = capacityStatus(ctx, t, h.ns)
	assert.Empty(t, st.Degraded, "recovered recoverAfter after the last evidence")
	assert.Equal(t, int32(10), weight(ctx, t, "ci-on-demand"))
	assertEvent(ctx, t, v1alpha1.CapacityStatusName, "CapacityRecovered", "arm64 spot recovered")
}

func TestNodeClaimInterruptionDegradesSpotAtOnce(t *testing.T) {
	ctx := t.Context()
	applyExamples(ctx, t)
	h := newHarness(ctx, t, signalsPolicy)
	start := h.clock.Now()

	// Consolidation first: Karpenter's disruption controller marks the
	// NodeClaim with DisruptionReason before deleting it. That is no failure.
	consolidated := spotNodeClaim(ctx, t, true)
	consolidated.Status.Conditions = append(consolidated.Status.Conditions, status.Condition{Type: karpv1.ConditionTypeDisruptionReason,
		Status: metav1.ConditionTrue, Reason: "Underutilized", Message: "Underutilized", LastTransitionTime: metav1.Now()})
	require.NoError(t, k8s.Status().Update(ctx, consolidated))
	require.NoError(t, k8s.Delete(ctx, consolidated))
	h.clock.SetTime(start.Add(10 * time.Second))
	h.pass(ctx, t)
	_, written := capacityStatus(ctx, t, h.ns)
	assert.False(t, written, "a consolidated spot node is no failure")

	// The AWS provider's interruption controller deletes the NodeClaim of
	// an interrupted spot instance, with no DisruptionReason.
	interrupted := spotNodeClaim(ctx, t, true)
	require.NoError(t, k8s.Delete(ctx, interrupted))
	h.clock.SetTime(start.Add(20 * time.Second))
	h.pass(ctx, t)
	st, written := capacityStatus(ctx, t, h.ns)
	require.True(t, written)
	require.True(t, st.IsDegraded("arm64", v1alpha1.CapacitySpot), "%+v", st)
	assert.Equal(t, string(signals.CauseSpotInterruption), st.Degraded[0].Cause)
	assert.Contains(t, st.Degraded[0].Reason, "NodeClaim "+interrupted.Name+" of NodePool ci-spot was deleted after a spot interruption")
	assertEvent(ctx, t, v1alpha1.CapacityStatusName, "CapacityDegraded", "(SpotInterruption)")
}

func TestNodeClassNotReadyIsReported(t *testing.T) {
	ctx := t.Context()
	applyExamples(ctx, t)
	// A managed pool on the simulator's KWOKNodeClass is not checked.
	kwok := nodePool(ctx, t, "ci-spot").DeepCopy()
	kwok.ObjectMeta = metav1.ObjectMeta{Name: "ci-kwok"}
	kwok.Spec.Template.Spec.NodeClassRef = &karpv1.NodeClassReference{Group: "karpenter.kwok.sh", Kind: "KWOKNodeClass", Name: "default"}
	require.NoError(t, k8s.Create(ctx, kwok))
	h := newHarness(ctx, t, strings.Replace(signalsPolicy, "fallback:", "- {name: ci-kwok, role: spot}\nfallback:", 1))

	h.pass(ctx, t)
	_, written := capacityStatus(ctx, t, h.ns)
	assert.False(t, written, "a Ready class changes nothing")
	assert.Equal(t, 1.0, testutil.ToFloat64(h.metrics.NodeClassReady.WithLabelValues(exampleNodeClass)))
	assert.Equal(t, 1, testutil.CollectAndCount(h.metrics.NodeClassReady), "only the EC2NodeClass has a series")

	setNodeClassReady(ctx, t, exampleNodeClass, metav1.ConditionFalse, "SubnetsNotReady", "SubnetSelector did not match any Subnets")
	h.clock.Step(30 * time.Second)
	h.pass(ctx, t)
	st, written := capacityStatus(ctx, t, h.ns)
	require.True(t, written)
	require.Len(t, st.NodeClassesNotReady, 1)
	got := st.NodeClassesNotReady[0]
	assert.Equal(t, exampleNodeClass, got.Name)
	assert.Equal(t, []string{"ci-on-demand", "ci-spot"}, got.NodePools)
	assert.Equal(t, "SubnetsNotReady", got.Reason)
	assert.Equal(t, "SubnetSelector did not match any Subnets", got.Message)
	assert.Empty(t, st.Degraded, "a class that is not Ready is no spot failure")
	assert.Equal(t, 0.0, testutil.ToFloat64(h.metrics.NodeClassReady.WithLabelValues(exampleNodeClass)))
	assertEvent(ctx, t, v1alpha1.CapacityStatusName, "NodeClassNotReady", "EC2NodeClass ci (NodePools ci-on-demand, ci-spot) is not Ready: SubnetsNotReady")

	// An unlaunched NodeClaim that Karpenter deletes now is explained by
	// the class, not by a lack of spot capacity.
	require.NoError(t, k8s.Delete(ctx, spotNodeClaim(ctx, t, false)))
	h.clock.Step(30 * time.Second)
	h.pass(ctx, t)
	st, _ = capacityStatus(ctx, t, h.ns)
	assert.Empty(t, st.Degraded)

	setNodeClassReady(ctx, t, exampleNodeClass, metav1.ConditionTrue, "Ready", "")
	h.clock.Step(30 * time.Second)
	h.pass(ctx, t)
	st, _ = capacityStatus(ctx, t, h.ns)
	assert.Empty(t, st.NodeClassesNotReady)
	assert.Equal(t, 1.0, testutil.ToFloat64(h.metrics.NodeClassReady.WithLabelValues(exampleNodeClass)))
	assertEvent(ctx, t, v1alpha1.CapacityStatusName, "NodeClassReady", "EC2NodeClass ci is Ready again")
}
