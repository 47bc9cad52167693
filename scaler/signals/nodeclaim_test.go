package signals_test

import (
	"testing"
	"time"

	"github.com/awslabs/operatorpkg/status"
	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"jobfit.dev/jobfit/scaler/signals"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

var pools = signals.Pools{Spot: sets.New("ci-spot", "ci-spot-broken"), NodeClassNotReady: sets.New("ci-spot-broken")}

// claim is a NodeClaim of pool as Karpenter's provisioner creates it for
// arm64 spot job pods, deleted at t0.
func claim(pool string, mutate ...func(*karpv1.NodeClaim)) *karpv1.NodeClaim {
	nc := &karpv1.NodeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: pool + "-x7k2p", UID: "u1", Labels: map[string]string{karpv1.NodePoolLabelKey: pool},
			CreationTimestamp: metav1.NewTime(t0.Add(-time.Hour)), DeletionTimestamp: &metav1.Time{Time: t0}},
		Spec: karpv1.NodeClaimSpec{Requirements: []karpv1.NodeSelectorRequirementWithMinValues{
			{Key: corev1.LabelArchStable, Operator: corev1.NodeSelectorOpIn, Values: []string{"arm64"}},
			{Key: karpv1.CapacityTypeLabelKey, Operator: corev1.NodeSelectorOpIn, Values: []string{karpv1.CapacityTypeSpot}},
		}},
		Status: karpv1.NodeClaimStatus{Conditions: []status.Condition{
			{Type: karpv1.ConditionTypeLaunched, Status: metav1.ConditionUnknown, Reason: "AwaitingReconciliation"},
		}},
	}
	for _, m := range mutate {
		m(nc)
	}
	return nc
}

func launched(nc *karpv1.NodeClaim) {
	nc.Status.ProviderID = "aws:///eu-west-1a/i-0123456789abcdef0"
	nc.Labels[corev1.LabelArchStable] = "arm64"
	nc.Labels[karpv1.CapacityTypeLabelKey] = karpv1.CapacityTypeSpot
	nc.Status.Conditions = []status.Condition{{Type: karpv1.ConditionTypeLaunched, Status: metav1.ConditionTrue, Reason: "Launched"}}
}

func condition(typ, reason string, s metav1.ConditionStatus) func(*karpv1.NodeClaim) {
	return func(nc *karpv1.NodeClaim) {
		nc.Status.Conditions = append(nc.Status.Conditions, status.Condition{Type: typ, Status: s, Reason: reason})
	}
}

func TestNodeClaimFailure(t *testing.T) {
	cases := []struct {
		name   string
		nc     *karpv1.NodeClaim
		gone   time.Time
		cause  signals.Cause
		arches []string
	}{
		{name: "deleted before launch: insufficient capacity", nc: claim("ci-spot"), cause: signals.CauseInsufficientCapacity, arches: []string{"arm64"}},
		{name: "launched spot claim deleted without a disruption reason: interruption", nc: claim("ci-spot", launched),
			cause: signals.CauseSpotInterruption, arches: []string{"arm64"}},
		{name: "a claim allowing both arches counts for both", nc: claim("ci-spot", func(nc *karpv1.NodeClaim) {
			nc.Spec.Requirements[0].Values = []string{"arm64", "amd64"}
		}), cause: signals.CauseInsufficientCapacity, arches: []string{"amd64", "arm64"}},
		{name: "gone without a deletionTimestamp: the time it was seen", nc: claim("ci-spot", func(nc *karpv1.NodeClaim) { nc.DeletionTimestamp = nil }),
			gone: t0, cause: signals.CauseInsufficientCapacity, arches: []string{"arm64"}},
		{name: "not terminating", nc: claim("ci-spot", func(nc *karpv1.NodeClaim) { nc.DeletionTimestamp = nil })},
		{name: "on-demand or unmanaged pool", nc: claim("ci-on-demand")},
		{name: "no pool label", nc: claim("ci-spot", func(nc *karpv1.NodeClaim) { delete(nc.Labels, karpv1.NodePoolLabelKey) })},
		{name: "node class not Ready explains the unlaunched claim", nc: claim("ci-spot-broken")},
		{name: "node class not Ready does not explain an interruption", nc: claim("ci-spot-broken", launched),
			cause: signals.CauseSpotInterruption, arches: []string{"arm64"}},
		{name: "a recorded launch error is not capacity", nc: claim("ci-spot", func(nc *karpv1.NodeClaim) {
			nc.Status.Conditions[0].Reason = "Unauthorized"
		})},
		{name: "requirements without spot", nc: claim("ci-spot", func(nc *karpv1.NodeClaim) {
			nc.Spec.Requirements[1].Values = []string{karpv1.CapacityTypeOnDemand}
		})},
		{name: "any arch: not attributable", nc: claim("ci-spot", func(nc *karpv1.NodeClaim) { nc.Spec.Requirements = nc.Spec.Requirements[1:] })},
		{name: "disrupted by Karpenter (consolidation, drift, emptiness)", nc: claim("ci-spot", launched,
			condition(karpv1.ConditionTypeDisruptionReason, "Underutilized", metav1.ConditionTrue))},
		{name: "expired", nc: claim("ci-spot", launched, func(nc *karpv1.NodeClaim) {
			nc.Spec.ExpireAfter = karpv1.MustParseNillableDuration("1h")
		})},
		{name: "not yet expired: interruption", nc: claim("ci-spot", launched, func(nc *karpv1.NodeClaim) {
			nc.Spec.ExpireAfter = karpv1.MustParseNillableDuration("720h")
		}), cause: signals.CauseSpotInterruption, arches: []string{"arm64"}},
		{name: "launched on-demand in a spot pool", nc: claim("ci-spot", launched, func(nc *karpv1.NodeClaim) {
			nc.Labels[karpv1.CapacityTypeLabelKey] = karpv1.CapacityTypeOnDemand
		})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, ok := signals.NodeClaimFailure(tc.nc, pools, tc.gone)
			if tc.cause == "" {
				assert.False(t, ok, "%+v", f)
				return
			}
			assert.True(t, ok)
			assert.Equal(t, tc.cause, f.Cause)
			assert.Equal(t, tc.arches, f.Arches)
			assert.Equal(t, tc.nc.Labels[karpv1.NodePoolLabelKey], f.NodePool)
			assert.Equal(t, t0, f.At)
		})
	}
}
