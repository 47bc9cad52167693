package policy

import (
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
)

// LeaseHeld reports whether a leader-election Lease is held at now: it has
// a holder and was renewed (or acquired) within its leaseDurationSeconds.
// A scheduler that stops cleanly releases its Lease (no holder); one that
// crashes stops renewing it, and its Lease lapses after its duration. Both
// read as not held, so that jobfit stops sending pods to it.
func LeaseHeld(l *coordinationv1.Lease, now time.Time) bool {
	if l == nil || l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity == "" || l.Spec.LeaseDurationSeconds == nil {
		return false
	}
	last := l.Spec.RenewTime
	if last == nil {
		last = l.Spec.AcquireTime
	}
	if last == nil {
		return false
	}
	return now.Before(last.Add(time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second))
}
