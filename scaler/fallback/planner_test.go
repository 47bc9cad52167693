package fallback_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/fallback"
	"jobfit.dev/jobfit/scaler/pressure"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func cfg() v1alpha1.FallbackPolicy {
	p := &v1alpha1.ScalerPolicy{}
	p.SetDefaults() // pendingAfter 3m, recoverAfter 15m, minPending 1, onDemandWeight 100
	return p.Fallback
}

// snap has one arm64 spot-pinned pod pending since each of the given times.
func snap(now time.Time, pendingSince ...time.Time) *pressure.Snapshot {
	s := &pressure.Snapshot{Now: now, Buckets: map[pressure.Key]*pressure.Bucket{}}
	if len(pendingSince) > 0 {
		s.Buckets[pressure.Key{Arch: "arm64", CapacityType: "spot", Pool: "ci-spot"}] = &pressure.Bucket{Pending: len(pendingSince), PendingSince: pendingSince}
	}
	return s
}

func TestNextHysteresis(t *testing.T) {
	type step struct {
		at       time.Duration // since t0
		pending  []time.Duration
		degraded bool
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"a pod waiting past pendingAfter degrades", []step{
			{at: 2 * time.Minute, pending: []time.Duration{0}, degraded: false},
			{at: 3 * time.Minute, pending: []time.Duration{0}, degraded: true},
		}},
		{"pods that come and go never degrade", []step{
			{at: 1 * time.Minute, pending: []time.Duration{0}},
			{at: 2 * time.Minute},
			{at: 3 * time.Minute, pending: []time.Duration{2 * time.Minute}},
			{at: 4 * time.Minute},
			{at: 5 * time.Minute, pending: []time.Duration{4*time.Minute + 30*time.Second}},
			{at: 6 * time.Minute},
		}},
		{"recovers only after recoverAfter without pressure", []step{
			{at: 3 * time.Minute, pending: []time.Duration{0}, degraded: true},
			{at: 4 * time.Minute, degraded: true},
			{at: 17*time.Minute + 59*time.Second, degraded: true},
			{at: 18 * time.Minute, degraded: false},
		}},
		{"a pod that comes and goes while degraded restarts the quiet period", []step{
			{at: 3 * time.Minute, pending: []time.Duration{0}, degraded: true},
			{at: 10 * time.Minute, pending: []time.Duration{10 * time.Minute}, degraded: true},
			{at: 11 * time.Minute, degraded: true},
			{at: 24 * time.Minute, degraded: true},
			{at: 25 * time.Minute, degraded: false},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var st fallback.State
			for _, s := range tc.steps {
				now := t0.Add(s.at)
				var since []time.Time
				for _, p := range s.pending {
					since = append(since, t0.Add(p))
				}
				st = fallback.Next(cfg(), st, snap(now, since...), nil)
				assert.Equal(t, s.degraded, st.Status().IsDegraded("arm64", v1alpha1.CapacitySpot), "at %s", s.at)
			}
		})
	}
}

func TestNextMinPendingAndReason(t *testing.T) {
	c := cfg()
	c.MinPending = 5
	four := snap(t0.Add(10*time.Minute), t0, t0, t0, t0)
	assert.False(t, fallback.Next(c, fallback.State{}, four, nil).AnyDegraded())
	five := snap(t0.Add(10*time.Minute), t0, t0, t0, t0, t0)
	st := fallback.Next(c, fallback.State{}, five, nil)
	require.Len(t, st.Degraded, 1)
	assert.Equal(t, "arm64", st.Degraded[0].Arch)
	assert.Equal(t, t0.Add(10*time.Minute), st.Degraded[0].Since)
	assert.Contains(t, st.Degraded[0].Reason, "5 spot-pinned arm64 job pods pending longer than 3m")
}

func TestSeedRestartsQuietPeriod(t *testing.T) {
	status := v1alpha1.CapacityStatus{Degraded: []v1alpha1.DegradedCapacity{{Arch: "arm64", CapacityType: "spot", Since: t0}}}
	st := fallback.Seed(status, t0.Add(time.Hour))
	assert.True(t, fallback.Next(cfg(), st, snap(t0.Add(time.Hour+14*time.Minute)), nil).AnyDegraded())
	assert.False(t, fallback.Next(cfg(), st, snap(t0.Add(time.Hour+15*time.Minute)), nil).AnyDegraded())
}

func TestWeight(t *testing.T) {
	degraded := fallback.State{Degraded: []v1alpha1.DegradedCapacity{{Arch: "arm64", CapacityType: "spot"}}}
	assert.Equal(t, int32(100), fallback.Weight(cfg(), degraded, 10))
	assert.Equal(t, int32(10), fallback.Weight(cfg(), fallback.State{}, 10))
}

func TestNextKarpenterGaveUp(t *testing.T) {
	c := cfg()
	c.MinPending = 2
	cases := []struct {
		name          string
		pending       []time.Duration // waited, at t0+10m
		gaveUp        []time.Duration // of those, the ones Karpenter gave up on
		placeholders  int             // spot placeholders Karpenter gave up on
		degraded      bool
		cause, reason string
	}{
		{"a young pod Karpenter gave up on is not enough alone (minPending 2)", []time.Duration{10 * time.Second}, []time.Duration{10 * time.Second}, 0, false, "", ""},
		{"two young pods Karpenter gave up on", []time.Duration{10 * time.Second, 20 * time.Second}, []time.Duration{10 * time.Second, 20 * time.Second}, 0,
			true, fallback.CauseUnschedulable, "Karpenter could not schedule 2 spot-pinned arm64 job pods (no spot capacity it can launch)"},
		{"an aged pod and a young one Karpenter gave up on", []time.Duration{4 * time.Minute, 20 * time.Second}, []time.Duration{20 * time.Second}, 0,
			true, fallback.CauseUnschedulable, "Karpenter could not schedule 1 spot-pinned arm64 job pods (no spot capacity it can launch); 1 spot-pinned arm64 job pods pending longer than 3m"},
		{"an aged pod Karpenter gave up on counts once", []time.Duration{4 * time.Minute}, []time.Duration{4 * time.Minute}, 0, false, "", ""},
		{"young pods Karpenter did not give up on are only waiting", []time.Duration{10 * time.Second, 20 * time.Second}, nil, 0, false, "", ""},
		{"a placeholder Karpenter gave up on, with a young job pod", []time.Duration{10 * time.Second}, []time.Duration{10 * time.Second}, 1,
			true, fallback.CauseUnschedulable, "Karpenter could not schedule 1 spot-pinned arm64 job pods (no spot capacity it can launch); " +
				"Karpenter could not schedule 1 spot arm64 headroom placeholders (no spot capacity it can launch)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := t0.Add(10 * time.Minute)
			b := &pressure.Bucket{Pending: len(tc.pending)}
			for _, w := range tc.pending {
				b.PendingSince = append(b.PendingSince, now.Add(-w))
			}
			for _, w := range tc.gaveUp {
				b.GaveUpSince = append(b.GaveUpSince, now.Add(-w))
			}
			b.PlaceholdersGaveUp = tc.placeholders
			s := &pressure.Snapshot{Now: now, Buckets: map[pressure.Key]*pressure.Bucket{{Arch: "arm64", CapacityType: "spot", Pool: "ci-spot"}: b}}
			next := fallback.Next(c, fallback.State{}, s, nil)
			if !tc.degraded {
				assert.False(t, next.AnyDegraded())
				return
			}
			require.Len(t, next.Degraded, 1)
			assert.Equal(t, tc.cause, next.Degraded[0].Cause)
			assert.Equal(t, tc.reason, next.Degraded[0].Reason)
		})
	}
}
