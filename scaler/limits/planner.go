// Package limits is the pure planner of NodePool spec.limits: it keeps each
// managed resource between the policy's floor and ceiling, raises it at once
// when pending demand needs more, and shrinks it back only after the pool
// has been idle for ShrinkAfter.
package limits

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// Input is one NodePool as the planner sees it.
type Input struct {
	// Current is the pool's spec.limits.
	Current corev1.ResourceList
	// Usage is the pool's status.resources (what its nodes already hold).
	Usage corev1.ResourceList
	// Pending is the pending demand Karpenter will send to the pool first.
	PendingMilliCPU, PendingMemory int64
	// LastBusy is the last time the pool had pending demand.
	LastBusy time.Time
}

// Result is the planned limits of one pool.
type Result struct {
	// Limits holds the managed resources only (cpu, memory as configured).
	Limits corev1.ResourceList
	// AtCeiling lists the resources whose demand reaches the ceiling.
	AtCeiling map[corev1.ResourceName]bool
}

// Plan computes the limits of one pool at now.
func Plan(r v1alpha1.LimitRange, shrinkAfter time.Duration, in Input, now time.Time) Result {
	res := Result{Limits: corev1.ResourceList{}, AtCeiling: map[corev1.ResourceName]bool{}}
	idle := now.Sub(in.LastBusy) >= shrinkAfter
	for name, ceiling := range r.Ceiling {
		floor := r.Floor[name]
		pending := in.PendingMemory
		if name == corev1.ResourceCPU {
			pending = in.PendingMilliCPU
		}
		usage := milli(in.Usage, name)
		need := usage + milliOf(name, pending)
		limit, ok := in.Current[name]
		cur := limit.MilliValue()
		switch {
		case !ok:
			cur = need
		case need > cur:
			cur = need
		case idle:
			cur = usage
		}
		lo, hi := quantityMilli(floor), quantityMilli(ceiling)
		cur = min(max(cur, lo), hi)
		q := roundUp(name, cur)
		if q.MilliValue() > hi {
			q = ceiling.Value()
		}
		res.Limits[name] = q
		res.AtCeiling[name] = pending > 0 && need >= hi
	}
	return res
}

func milliOf(name corev1.ResourceName, v int64) int64 {
	if name == corev1.ResourceCPU {
		return v
	}
	return v * 1000
}

func milli(l corev1.ResourceList, name corev1.ResourceName) int64 {
	q, ok := l[name]
	if !ok {
		return 0
	}
	return q.MilliValue()
}

func quantityMilli(q v1alpha1.Quantity) int64 {
	v := q.Value()
	return v.MilliValue()
}

// roundUp writes whole cores and whole GiB, so that limits read naturally
// and small demand changes do not cause writes.
func roundUp(name corev1.ResourceName, m int64) resource.Quantity {
	if name == corev1.ResourceCPU {
		return *resource.NewQuantity((m+999)/1000, resource.DecimalSI)
	}
	const gi = int64(1) << 30
	b := (m + 999) / 1000
	return *resource.NewQuantity((b+gi-1)/gi*gi, resource.BinarySI)
}
