// Package signals reads Karpenter's own objects for evidence about capacity,
// so that the scaler does not have to wait for job pods to age: NodeClaims of
// spot pools that failed (no spot capacity at launch, or a spot interruption)
// and EC2NodeClasses that are not Ready. It holds pure functions over the
// objects; the reconcilers fetch them.
package signals

import (
	"time"

	"github.com/awslabs/operatorpkg/status"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
	"sigs.k8s.io/karpenter/pkg/scheduling"
)

// Cause says what a spot failure was.
type Cause string

// The causes of a SpotFailure.
const (
	// CauseInsufficientCapacity: Karpenter deleted the NodeClaim before it
	// launched. Karpenter v1.14 does this when the cloud provider answers
	// the launch with an InsufficientCapacityError (it publishes an Event of
	// that reason and deletes the NodeClaim without recording a launch
	// error on it).
	CauseInsufficientCapacity Cause = "InsufficientCapacity"
	// CauseSpotInterruption: a launched spot NodeClaim was deleted, and not
	// by Karpenter's disruption controller (which first sets the condition
	// DisruptionReason) nor by expiry. The AWS provider's interruption
	// controller deletes the NodeClaim on a spot interruption warning, and
	// Karpenter's garbage collection deletes it once the instance is gone.
	CauseSpotInterruption Cause = "SpotInterruption"
)

// awaitingReconciliation is the reason of a condition that no controller
// has set yet (operatorpkg initialises conditions to Unknown with it).
const awaitingReconciliation = "AwaitingReconciliation"

// SpotFailure is one NodeClaim of a spot pool that failed.
type SpotFailure struct {
	// UID identifies the NodeClaim, so that one failure counts once.
	UID types.UID
	// NodeClaim and NodePool name the claim and its pool.
	NodeClaim, NodePool string
	// Arches are the arches the claim was for: its arch label once
	// launched, else the values its requirements allow.
	Arches []string
	// Cause is what failed.
	Cause Cause
	// At is when the NodeClaim was deleted.
	At time.Time
}

// Pools tells the classifier about the managed NodePools.
type Pools struct {
	// Spot are the NodePools with role spot in the ScalerPolicy.
	Spot sets.Set[string]
	// NodeClassNotReady are the NodePools whose node class is known not to
	// be Ready: Karpenter deletes their unlaunched NodeClaims too, and that
	// is not a lack of spot capacity.
	NodeClassNotReady sets.Set[string]
}

// NodeClaimFailure classifies a NodeClaim that is being deleted (or is
// gone). gone is when the deletion was seen, used only when the object
// carries no deletionTimestamp. It reports false for every NodeClaim that is
// not evidence against spot capacity.
func NodeClaimFailure(nc *karpv1.NodeClaim, pools Pools, gone time.Time) (SpotFailure, bool) {
	at := gone
	if nc.DeletionTimestamp != nil {
		at = nc.DeletionTimestamp.Time
	}
	pool := nc.Labels[karpv1.NodePoolLabelKey]
	if at.IsZero() || !pools.Spot.Has(pool) {
		return SpotFailure{}, false
	}
	arches := archesOf(nc)
	if len(arches) == 0 {
		return SpotFailure{}, false
	}
	f := SpotFailure{UID: nc.UID, NodeClaim: nc.Name, NodePool: pool, Arches: arches, At: at}
	conds := nc.StatusConditions(status.WithObservedOnly())
	if nc.Status.ProviderID == "" && !conds.Get(karpv1.ConditionTypeLaunched).IsTrue() {
		if pools.NodeClassNotReady.Has(pool) || launchError(conds.Get(karpv1.ConditionTypeLaunched)) || !allowsSpot(nc) {
			return SpotFailure{}, false
		}
		f.Cause = CauseInsufficientCapacity
		return f, true
	}
	if nc.Labels[karpv1.CapacityTypeLabelKey] != karpv1.CapacityTypeSpot ||
		conds.Get(karpv1.ConditionTypeDisruptionReason).IsTrue() || expired(nc, at) {
		return SpotFailure{}, false
	}
	f.Cause = CauseSpotInterruption
	return f, true
}

// launchError reports whether Karpenter recorded a launch error other than
// a lack of capacity on the Launched condition (a CreateError such as
// Unauthorized or LaunchTemplateNotFound): that NodeClaim is not evidence
// about spot capacity.
func launchError(c *status.Condition) bool {
	return c != nil && c.Reason != "" && c.Reason != awaitingReconciliation
}

// expired reports whether Karpenter's expiration deleted the NodeClaim.
func expired(nc *karpv1.NodeClaim, at time.Time) bool {
	d := nc.Spec.ExpireAfter.Duration
	return d != nil && !at.Before(nc.CreationTimestamp.Add(*d))
}

// allowsSpot reports whether the claim's requirements allow spot capacity.
func allowsSpot(nc *karpv1.NodeClaim) bool {
	reqs := scheduling.NewNodeSelectorRequirementsWithMinValues(nc.Spec.Requirements...)
	return reqs.Get(karpv1.CapacityTypeLabelKey).Has(karpv1.CapacityTypeSpot)
}

// archesOf returns the claim's arch label, or else the finite set of arches
// its requirements allow; nil when it allows any arch.
func archesOf(nc *karpv1.NodeClaim) []string {
	if a := nc.Labels[corev1.LabelArchStable]; a != "" {
		return []string{a}
	}
	reqs := scheduling.NewNodeSelectorRequirementsWithMinValues(nc.Spec.Requirements...)
	if !reqs.Has(corev1.LabelArchStable) {
		return nil
	}
	r := reqs.Get(corev1.LabelArchStable)
	if r.Operator() != corev1.NodeSelectorOpIn {
		return nil
	}
	return sets.List(sets.New(r.Values()...))
}
