package policy

import (
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
)

// LeaseHeld reports whether a leader-election Lease is held at now: it has
// a holder and was renewed (or acquired) within a third of its
// leaseDurationSeconds. A scheduler that stops cleanly releases its Lease
// (no holder); one that crashes stops renewing it. Both read as not held,
// so that jobfit stops sending pods to it. A leader renews every
// retryPeriod (kube-scheduler: 2 s of a 15 s lease), so a third of the
// duration (5 s) tolerates two late renewals, and notices a crash three
// times sooner than waiting for the Lease to lapse: a pod sent to a
// scheduler that has just died waits for it to come back. Reading a slow
// leader as gone only sends pods to the default scheduler.
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
	return now.Before(last.Add(time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second / 3))
}
