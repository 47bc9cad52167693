// Package observe reads what the scaler's controllers plan from, through
// the manager's cache: job pods, headroom placeholders and GitLab Runner
// pause pods, NodePools, terminating NodeClaims and Karpenter's Events,
// turned into the pressure model (scaler/pressure).
package observe

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
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/pressure"
	"jobfit.dev/jobfit/scaler/signals"
)

// Observer reads job pods and NodePools through the (cached) client.
type Observer struct {
	client client.Client
}

// New returns an Observer reading through c.
func New(c client.Client) *Observer { return &Observer{client: c} }

// podSets are the pods the scaler reads, by kind.
type podSets struct {
	jobs, placeholders, pause []*corev1.Pod
}

// pods returns every GitLab job pod, every headroom placeholder and every
// GitLab Runner pause pod.
func (o *Observer) pods(ctx context.Context) (podSets, error) {
	var list corev1.PodList
	if err := o.client.List(ctx, &list); err != nil {
		return podSets{}, fmt.Errorf("listing pods: %w", err)
	}
	s := podSets{jobs: make([]*corev1.Pod, 0, len(list.Items))}
	for i := range list.Items {
		pod := &list.Items[i]
		if _, ok := pod.Labels[v1alpha1.HeadroomLabel]; ok {
			s.placeholders = append(s.placeholders, pod)
		} else if policy.IsPausePod(pod) {
			s.pause = append(s.pause, pod)
		} else if ok, _ := policy.IsJobPod(pod); ok {
			s.jobs = append(s.jobs, pod)
		}
	}
	return s, nil
}

// PausePodsByArch counts the GitLab Runner pause pods that are not being
// deleted, by the arch they are placed on (their kubernetes.io/arch node
// selector; "" for none).
func PausePodsByArch(pods []*corev1.Pod) map[string]int {
	out := map[string]int{}
	for _, p := range pods {
		if p.DeletionTimestamp == nil && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			out[p.Spec.NodeSelector[v1alpha1.LabelArch]]++
		}
	}
	return out
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
// Karpenter's Events (scaler.CacheOptions).
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
	snap, s, err := o.snapshotWith(ctx, now, gaveUp)
	return snap, s.jobs, err
}

// SnapshotAndPause builds the pressure model at now, and counts the GitLab
// Runner pause pods by arch (PausePodsByArch).
func (o *Observer) SnapshotAndPause(ctx context.Context, now time.Time) (*pressure.Snapshot, map[string]int, error) {
	snap, s, err := o.snapshotWith(ctx, now, nil)
	if err != nil {
		return nil, nil, err
	}
	return snap, PausePodsByArch(s.pause), nil
}

func (o *Observer) snapshotWith(ctx context.Context, now time.Time, gaveUp sets.Set[types.UID]) (*pressure.Snapshot, podSets, error) {
	s, err := o.pods(ctx)
	if err != nil {
		return nil, podSets{}, err
	}
	pools, err := o.NodePools(ctx)
	if err != nil {
		return nil, podSets{}, err
	}
	return pressure.BuildWith(now, s.jobs, pools, pressure.Karpenter{GaveUp: gaveUp, Placeholders: s.placeholders}), s, nil
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
