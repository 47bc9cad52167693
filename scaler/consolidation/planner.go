// Package consolidation is the pure planner of NodePool
// spec.disruption.consolidateAfter: longer while jobs keep arriving, so that
// an emptied node is kept for the next job instead of churning, and shorter
// once arrivals stop, so that idle nodes go away.
package consolidation

import (
	"time"

	"k8s.io/apimachinery/pkg/types"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// Arrivals remembers when job pods were created, so that pods that already
// finished and were deleted still count towards the arrival rate.
type Arrivals struct {
	seen map[types.UID]time.Time
}

// NewArrivals returns an empty arrival record.
func NewArrivals() *Arrivals { return &Arrivals{seen: map[types.UID]time.Time{}} }

// Observe records a job pod's creation.
func (a *Arrivals) Observe(uid types.UID, created time.Time) { a.seen[uid] = created }

// Count returns the arrivals within window before now and forgets older ones.
func (a *Arrivals) Count(now time.Time, window time.Duration) int {
	earlier, recent := a.Halves(now, window)
	return earlier + recent
}

// Halves returns the arrivals within window before now split in two: those
// of its earlier half and those of its latest half. It forgets older ones.
func (a *Arrivals) Halves(now time.Time, window time.Duration) (earlier, recent int) {
	for uid, t := range a.seen {
		switch age := now.Sub(t); {
		case age > window:
			delete(a.seen, uid)
		case age > window/2:
			earlier++
		default:
			recent++
		}
	}
	return earlier, recent
}

// Falling reports whether arrivals are falling: fewer than half as many in
// the latest half of the window as in the half before it. A rate halving
// within half a window is a decline, not the noise of a steady rate.
func Falling(earlier, recent int) bool {
	return 2*recent < earlier
}

// Busy decides whether the cluster is busy. It enters busy when arrivals
// reach the threshold and leaves only when they fall below half of it, so
// that a rate hovering at the threshold does not flap.
func Busy(cfg v1alpha1.ConsolidationPolicy, wasBusy bool, arrivals int) bool {
	if arrivals >= cfg.BusyThreshold {
		return true
	}
	return wasBusy && arrivals >= (cfg.BusyThreshold+1)/2
}

// ConsolidateAfter returns the consolidateAfter for the busy state: Idle
// also while busy when arrivals are falling and the policy says to release
// nodes then (ReleaseWhenFalling). Nodes kept for the next job are not
// needed when fewer jobs come; those still needed hold jobs or placeholders
// and are not empty.
func ConsolidateAfter(cfg v1alpha1.ConsolidationPolicy, busy, falling bool) time.Duration {
	if busy && (!falling || !cfg.ReleaseWhenFalling) {
		return cfg.Busy.Value()
	}
	return cfg.Idle.Value()
}
