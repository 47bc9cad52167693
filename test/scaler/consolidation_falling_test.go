package scaler_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// TestConsolidationReleasesWhenFalling: while jobs keep arriving, emptied
// nodes are kept (busy); once arrivals fall to less than half within half
// the window, releaseWhenFalling lets them go after idle, though the window
// still counts enough arrivals to be busy.
func TestConsolidationReleasesWhenFalling(t *testing.T) {
	const doc = limitsPolicy + "consolidation: {enabled: true, busyThreshold: 3, busy: 15m, idle: 1m, window: 10m%s}\n"
	cases := []struct {
		name, extra string
		want        string
	}{
		{"releaseWhenFalling", ", releaseWhenFalling: true", "1m0s"},
		{"off: busy keeps them", "", "15m0s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			applyExamples(ctx, t)
			h := newHarness(ctx, t, fmtPolicy(doc, tc.extra))
			for range 6 {
				h.jobPod(ctx, t, "arm64", v1alpha1.CapacitySpot, "1")
			}
			h.pass(ctx, t)
			assert.Equal(t, "15m0s", nodePool(ctx, t, "ci-spot").Spec.Disruption.ConsolidateAfter.String(), "six arrivals just now: busy")

			// The same six arrivals, now all in the earlier half of the
			// window, and none since.
			h.clock.Step(6 * time.Minute)
			h.pass(ctx, t)
			assert.Equal(t, tc.want, nodePool(ctx, t, "ci-spot").Spec.Disruption.ConsolidateAfter.String())
		})
	}
}
