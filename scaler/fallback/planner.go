// Package fallback is the pure planner of the spot→on-demand fallback: it
// decides, with hysteresis, which arches' spot capacity is degraded.
package fallback

import (
	"cmp"
	"slices"
	"time"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/pressure"
	"jobfit.dev/jobfit/scaler/signals"
)

// The causes of a degradation that pending job pods brought about; the
// other causes are signals.Cause values.
const (
	// CausePendingPods: spot-pinned job pods waited PendingAfter.
	CausePendingPods = "PendingPods"
	// CauseUnschedulable: Karpenter said it could not schedule spot-pinned
	// job pods (no spot offering left for them), before they had waited
	// PendingAfter.
	CauseUnschedulable = "Unschedulable"
)

// State is what the planner remembers between passes.
type State struct {
	// Degraded is the published status: arch × spot entries with since/why.
	Degraded []v1alpha1.DegradedCapacity
	// LastPressure is, per degraded arch, the last time a spot-pinned pod of
	// that arch was pending. Recovery waits RecoverAfter from it.
	LastPressure map[string]time.Time
}

// Seed builds the state from a status read back from the cluster (after a
// restart or a change of leader). The quiet period restarts at now, so a
// new leader never recovers sooner than the old one would have.
func Seed(status v1alpha1.CapacityStatus, now time.Time) State {
	s := State{LastPressure: map[string]time.Time{}}
	for _, d := range status.Degraded {
		if d.CapacityType != v1alpha1.CapacitySpot {
			continue
		}
		s.Degraded = append(s.Degraded, d)
		s.LastPressure[d.Arch] = now
	}
	return s
}

// Status is the capacity status document for the state.
func (s State) Status() v1alpha1.CapacityStatus {
	return v1alpha1.CapacityStatus{Degraded: slices.Clone(s.Degraded)}
}

// AnyDegraded reports whether some arch's spot is degraded.
func (s State) AnyDegraded() bool { return len(s.Degraded) > 0 }

// Next computes the state after observing snap and the spot failures that
// Karpenter's NodeClaims showed. Evidence against an arch's spot is a
// spot-pinned pod of that arch that has waited PendingAfter or that
// Karpenter said it could not schedule (a job pod, or a spot headroom
// placeholder that a job preempted), or a spot NodeClaim failure of that
// arch in the last PendingAfter; the arch becomes
// degraded as soon as it has MinPending pieces of evidence, so a NodeClaim
// failure acts at once, without waiting for pods to age. The arch recovers
// once RecoverAfter has passed without a pending spot-pinned pod or a new
// failure. A pod that comes and goes therefore neither degrades an arch (it
// never waits long enough) nor lets a degraded arch recover (it restarts the
// quiet period).
func Next(cfg v1alpha1.FallbackPolicy, prev State, snap *pressure.Snapshot, failures []signals.SpotFailure) State {
	now := snap.Now
	next := State{LastPressure: map[string]time.Time{}}
	recent := recentFailures(failures, now, cfg.PendingAfter.Value())
	for _, arch := range arches(prev, snap, recent) {
		spot := snap.Sum(func(k pressure.Key) bool { return k.Arch == arch && k.CapacityType == v1alpha1.CapacitySpot })
		fails := recent[arch]
		i := slices.IndexFunc(prev.Degraded, func(d v1alpha1.DegradedCapacity) bool { return d.Arch == arch })
		if i >= 0 {
			last := prev.LastPressure[arch]
			if spot.Pending > 0 || last.IsZero() {
				last = now
			}
			for _, f := range fails {
				if f.At.After(last) {
					last = f.At
				}
			}
			if now.Sub(last) < cfg.RecoverAfter.Value() {
				next.Degraded = append(next.Degraded, prev.Degraded[i])
				next.LastPressure[arch] = last
			}
			continue
		}
		if n := spot.Evidence(now, cfg.PendingAfter.Value()); n+len(fails) >= cfg.MinPending {
			aged := spot.PendingLongerThan(now, cfg.PendingAfter.Value())
			ev := podEvidence{aged: aged, placeholders: spot.PlaceholdersGaveUp, gaveUp: n - aged - spot.PlaceholdersGaveUp}
			cause, reason := explain(arch, ev, cfg.PendingAfter.String(), fails)
			next.Degraded = append(next.Degraded, v1alpha1.DegradedCapacity{
				Arch: arch, CapacityType: v1alpha1.CapacitySpot, Since: now.UTC().Truncate(time.Second),
				Reason: reason, Cause: cause,
			})
			next.LastPressure[arch] = now
		}
	}
	return next
}

// arches are the arches to plan: those with pods, failures or a degradation.
func arches(prev State, snap *pressure.Snapshot, recent map[string][]signals.SpotFailure) []string {
	out := snap.Arches()
	add := func(a string) {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	for _, d := range prev.Degraded {
		add(d.Arch)
	}
	for a := range recent {
		add(a)
	}
	slices.Sort(out)
	return out
}

// recentFailures groups by arch the failures of the last window, oldest
// first.
func recentFailures(failures []signals.SpotFailure, now time.Time, window time.Duration) map[string][]signals.SpotFailure {
	out := map[string][]signals.SpotFailure{}
	for _, f := range failures {
		if now.Sub(f.At) >= window {
			continue
		}
		for _, a := range f.Arches {
			out[a] = append(out[a], f)
		}
	}
	for _, fs := range out {
		slices.SortFunc(fs, func(a, b signals.SpotFailure) int {
			return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.NodeClaim, b.NodeClaim))
		})
	}
	return out
}

// Weight returns the weight an on-demand NodePool should have: the raised
// weight while any arch is degraded, else its normal weight.
func Weight(cfg v1alpha1.FallbackPolicy, s State, normal int32) int32 {
	if s.AnyDegraded() {
		return cfg.OnDemandWeight
	}
	return normal
}
