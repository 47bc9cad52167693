package fallback_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/types"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/fallback"
	"jobfit.dev/jobfit/scaler/signals"
)

func failure(name string, cause signals.Cause, at time.Duration, arches ...string) signals.SpotFailure {
	if len(arches) == 0 {
		arches = []string{"arm64"}
	}
	return signals.SpotFailure{UID: types.UID("uid-" + name), NodeClaim: name, NodePool: "ci-spot", Arches: arches, Cause: cause, At: t0.Add(at)}
}

func TestNextSpotFailures(t *testing.T) {
	cases := []struct {
		name       string
		minPending int
		at         time.Duration
		pending    []time.Duration // since t0, arm64 spot
		failures   []signals.SpotFailure
		degraded   map[string]bool
		cause      string
		reason     string
	}{
		{name: "an insufficient-capacity launch failure degrades at once", at: 10 * time.Second,
			failures: []signals.SpotFailure{failure("ci-spot-a", signals.CauseInsufficientCapacity, 5*time.Second)},
			degraded: map[string]bool{"arm64": true, "amd64": false}, cause: "InsufficientCapacity",
			reason: "NodeClaim ci-spot-a of NodePool ci-spot was deleted before launch: insufficient spot capacity"},
		{name: "a spot interruption degrades at once", at: 10 * time.Second,
			failures: []signals.SpotFailure{failure("ci-spot-b", signals.CauseSpotInterruption, 0)},
			degraded: map[string]bool{"arm64": true}, cause: "SpotInterruption",
			reason: "NodeClaim ci-spot-b of NodePool ci-spot was deleted after a spot interruption"},
		{name: "a failure older than pendingAfter does not count", at: 3*time.Minute + time.Second,
			failures: []signals.SpotFailure{failure("ci-spot-a", signals.CauseInsufficientCapacity, 0)},
			degraded: map[string]bool{"arm64": false}},
		{name: "a failure of another arch leaves this one alone", at: time.Minute,
			failures: []signals.SpotFailure{failure("ci-spot-a", signals.CauseInsufficientCapacity, 0, "amd64")},
			degraded: map[string]bool{"arm64": false, "amd64": true}},
		{name: "a claim that allowed two arches counts for both", at: time.Minute,
			failures: []signals.SpotFailure{failure("ci-spot-a", signals.CauseInsufficientCapacity, 0, "amd64", "arm64")},
			degraded: map[string]bool{"arm64": true, "amd64": true}},
		{name: "minPending counts a failure and an aged pod together", minPending: 2, at: 3 * time.Minute,
			pending:  []time.Duration{0},
			failures: []signals.SpotFailure{failure("ci-spot-a", signals.CauseInsufficientCapacity, 2*time.Minute)},
			degraded: map[string]bool{"arm64": true}, cause: "InsufficientCapacity",
			reason: "insufficient spot capacity; 1 spot-pinned arm64 job pods pending longer than 3m"},
		{name: "one failure is not enough for minPending 2", minPending: 2, at: time.Minute,
			pending:  []time.Duration{30 * time.Second},
			failures: []signals.SpotFailure{failure("ci-spot-a", signals.CauseInsufficientCapacity, 0)},
			degraded: map[string]bool{"arm64": false}},
		{name: "several failures are summed up", at: time.Minute,
			failures: []signals.SpotFailure{
				failure("ci-spot-b", signals.CauseSpotInterruption, 20*time.Second),
				failure("ci-spot-a", signals.CauseInsufficientCapacity, 10*time.Second),
			},
			degraded: map[string]bool{"arm64": true}, cause: "InsufficientCapacity", reason: "ci-spot-a of NodePool ci-spot was deleted before launch: insufficient spot capacity; 1 more spot NodeClaim failure(s)"},
		{name: "pods alone say so", at: 3 * time.Minute, pending: []time.Duration{0},
			degraded: map[string]bool{"arm64": true}, cause: fallback.CausePendingPods, reason: "1 spot-pinned arm64 job pods pending longer than 3m"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg()
			if tc.minPending > 0 {
				c.MinPending = tc.minPending
			}
			var since []time.Time
			for _, p := range tc.pending {
				since = append(since, t0.Add(p))
			}
			st := fallback.Next(c, fallback.State{}, snap(t0.Add(tc.at), since...), tc.failures)
			for arch, want := range tc.degraded {
				assert.Equal(t, want, st.Status().IsDegraded(arch, v1alpha1.CapacitySpot), arch)
			}
			if tc.cause != "" {
				require.NotEmpty(t, st.Degraded)
				assert.Equal(t, tc.cause, st.Degraded[0].Cause)
				assert.Contains(t, st.Degraded[0].Reason, tc.reason)
			}
		})
	}
}

// TestRecoveryAfterSpotFailures checks that a failure starts, and a later
// failure restarts, the recoverAfter quiet period, as a pending pod does.
func TestRecoveryAfterSpotFailures(t *testing.T) {
	first := failure("ci-spot-a", signals.CauseInsufficientCapacity, 0)
	second := failure("ci-spot-b", signals.CauseSpotInterruption, 5*time.Minute)
	steps := []struct {
		at       time.Duration
		failures []signals.SpotFailure
		degraded bool
	}{
		{at: 10 * time.Second, failures: []signals.SpotFailure{first}, degraded: true},
		{at: 4 * time.Minute, degraded: true},
		{at: 5*time.Minute + 10*time.Second, failures: []signals.SpotFailure{second}, degraded: true},
		{at: 15*time.Minute + 10*time.Second, degraded: true},
		{at: 19*time.Minute + 59*time.Second, degraded: true},
		{at: 20 * time.Minute, degraded: false},
	}
	var st fallback.State
	for _, s := range steps {
		st = fallback.Next(cfg(), st, snap(t0.Add(s.at)), s.failures)
		assert.Equal(t, s.degraded, st.Status().IsDegraded("arm64", v1alpha1.CapacitySpot), "at %s", s.at)
	}
}
