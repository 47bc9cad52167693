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
	n := 0
	for uid, t := range a.seen {
		if now.Sub(t) > window {
			delete(a.seen, uid)
			continue
		}
		n++
	}
	return n
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

// ConsolidateAfter returns the consolidateAfter for the busy state.
func ConsolidateAfter(cfg v1alpha1.ConsolidationPolicy, busy bool) time.Duration {
	if busy {
		return cfg.Busy.Value()
	}
	return cfg.Idle.Value()
}
