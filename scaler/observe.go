package scaler

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/controller-runtime/pkg/client"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/scaler/pressure"
	"jobfit.dev/jobfit/scaler/signals"
)

// Observer reads job pods and NodePools through the (cached) client.
type Observer struct {
	client client.Client
}

// NewObserver returns an Observer reading through c.
func NewObserver(c client.Client) *Observer { return &Observer{client: c} }

// JobPods returns every GitLab job pod in the cluster.
func (o *Observer) JobPods(ctx context.Context) ([]*corev1.Pod, error) {
	jobs, _, err := o.pods(ctx)
	return jobs, err
}

// pods returns every GitLab job pod and every headroom placeholder.
func (o *Observer) pods(ctx context.Context) (jobs, placeholders []*corev1.Pod, err error) {
	var list corev1.PodList
	if err := o.client.List(ctx, &list); err != nil {
		return nil, nil, fmt.Errorf("listing pods: %w", err)
	}
	jobs = make([]*corev1.Pod, 0, len(list.Items))
	for i := range list.Items {
		pod := &list.Items[i]
		if _, ok := pod.Labels[policy.HeadroomLabel]; ok {
			placeholders = append(placeholders, pod)
		} else if ok, _ := policy.IsJobPod(pod); ok {
			jobs = append(jobs, pod)
		}
	}
	return jobs, placeholders, nil
}

// NodePools returns every NodePool.
func (o *Observer) NodePools(ctx context.Context) ([]*karpv1.NodePool, error) {
	var list karpv1.NodePoolList
	if err := o.client.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("listing nodepools: %w", err)
	}
	out := make([]*karpv1.NodePool, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out, nil
}

// Snapshot builds the pressure model at now, returning the job pods too.
func (o *Observer) Snapshot(ctx context.Context, now time.Time) (*pressure.Snapshot, []*corev1.Pod, error) {
	return o.SnapshotWith(ctx, now, nil)
}

// KarpenterGaveUp returns the pods Karpenter's latest Event says it could
// not schedule (signals.KarpenterGaveUp). The manager's cache holds only
// Karpenter's Events (CacheOptions).
func (o *Observer) KarpenterGaveUp(ctx context.Context) (sets.Set[types.UID], error) {
	var list corev1.EventList
	if err := o.client.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing events: %w", err)
	}
	return signals.KarpenterGaveUp(list.Items), nil
}

// SnapshotWith is Snapshot with the pods Karpenter gave up on marked: job
// pods, and the headroom placeholders (pressure.Karpenter).
func (o *Observer) SnapshotWith(ctx context.Context, now time.Time, gaveUp sets.Set[types.UID]) (*pressure.Snapshot, []*corev1.Pod, error) {
	jobs, placeholders, err := o.pods(ctx)
	if err != nil {
		return nil, nil, err
	}
	pools, err := o.NodePools(ctx)
	if err != nil {
		return nil, nil, err
	}
	return pressure.BuildWith(now, jobs, pools, pressure.Karpenter{GaveUp: gaveUp, Placeholders: placeholders}), jobs, nil
}

// TerminatingNodeClaims returns the NodeClaims that are being deleted.
func (o *Observer) TerminatingNodeClaims(ctx context.Context) ([]*karpv1.NodeClaim, error) {
	var list karpv1.NodeClaimList
	if err := o.client.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("listing nodeclaims: %w", err)
	}
	var out []*karpv1.NodeClaim
	for i := range list.Items {
		if list.Items[i].DeletionTimestamp != nil {
			out = append(out, &list.Items[i])
		}
	}
	return out, nil
}
