// Package fallback is the pure planner of the spot→on-demand fallback: it
// decides, with hysteresis, which arches' spot capacity is degraded.
package fallback

import (
	"fmt"
	"slices"
	"time"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/scaler/pressure"
)

// State is what the planner remembers between passes.
type State struct {
	// Degraded is the published status: arch × spot entries with since/why.
	Degraded []policy.DegradedCapacity
	// LastPressure is, per degraded arch, the last time a spot-pinned pod of
	// that arch was pending. Recovery waits RecoverAfter from it.
	LastPressure map[string]time.Time
}

// Seed builds the state from a status read back from the cluster (after a
// restart or a change of leader). The quiet period restarts at now, so a
// new leader never recovers sooner than the old one would have.
func Seed(status policy.CapacityStatus, now time.Time) State {
	s := State{LastPressure: map[string]time.Time{}}
	for _, d := range status.Degraded {
		if d.CapacityType != policy.CapacitySpot {
			continue
		}
		s.Degraded = append(s.Degraded, d)
		s.LastPressure[d.Arch] = now
	}
	return s
}

// Status is the capacity status document for the state.
func (s State) Status() policy.CapacityStatus {
	return policy.CapacityStatus{Degraded: slices.Clone(s.Degraded)}
}

// AnyDegraded reports whether some arch's spot is degraded.
func (s State) AnyDegraded() bool { return len(s.Degraded) > 0 }

// Next computes the state after observing snap. An arch becomes degraded
// when at least MinPending spot-pinned pods of that arch have waited
// PendingAfter; it recovers once RecoverAfter has passed without any
// spot-pinned pod of that arch pending. A pod that comes and goes therefore
// neither degrades an arch (it never waits long enough) nor lets a degraded
// arch recover (it restarts the quiet period).
func Next(cfg policy.FallbackPolicy, prev State, snap *pressure.Snapshot) State {
	now := snap.Now
	next := State{LastPressure: map[string]time.Time{}}
	arches := snap.Arches()
	for _, d := range prev.Degraded {
		if !slices.Contains(arches, d.Arch) {
			arches = append(arches, d.Arch)
		}
	}
	slices.Sort(arches)
	for _, arch := range arches {
		spot := snap.Sum(func(k pressure.Key) bool { return k.Arch == arch && k.CapacityType == policy.CapacitySpot })
		i := slices.IndexFunc(prev.Degraded, func(d policy.DegradedCapacity) bool { return d.Arch == arch })
		if i >= 0 {
			last := prev.LastPressure[arch]
			if spot.Pending > 0 || last.IsZero() {
				last = now
			}
			if now.Sub(last) < cfg.RecoverAfter.Value() {
				next.Degraded = append(next.Degraded, prev.Degraded[i])
				next.LastPressure[arch] = last
			}
			continue
		}
		if n := spot.PendingLongerThan(now, cfg.PendingAfter.Value()); n >= cfg.MinPending {
			next.Degraded = append(next.Degraded, policy.DegradedCapacity{
				Arch: arch, CapacityType: policy.CapacitySpot, Since: now.UTC().Truncate(time.Second),
				Reason: fmt.Sprintf("%d spot-pinned %s job pods pending longer than %s", n, arch, cfg.PendingAfter.String()),
			})
			next.LastPressure[arch] = now
		}
	}
	return next
}

// Weight returns the weight an on-demand NodePool should have: the raised
// weight while any arch is degraded, else its normal weight.
func Weight(cfg policy.FallbackPolicy, s State, normal int32) int32 {
	if s.AnyDegraded() {
		return cfg.OnDemandWeight
	}
	return normal
}
