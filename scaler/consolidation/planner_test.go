package consolidation_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"k8s.io/apimachinery/pkg/types"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/consolidation"
)

func TestBusyHysteresis(t *testing.T) {
	p := &v1alpha1.ScalerPolicy{Consolidation: v1alpha1.ConsolidationPolicy{BusyThreshold: 6}}
	p.SetDefaults()
	cases := []struct {
		name     string
		wasBusy  bool
		arrivals int
		want     bool
	}{
		{"idle stays idle below threshold", false, 5, false},
		{"idle turns busy at threshold", false, 6, true},
		{"busy stays busy at half the threshold", true, 3, true},
		{"busy turns idle below half", true, 2, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := consolidation.Busy(p.Consolidation, tc.wasBusy, tc.arrivals)
			assert.Equal(t, tc.want, got)
			want := p.Consolidation.Idle.Value()
			if tc.want {
				want = p.Consolidation.Busy.Value()
			}
			assert.Equal(t, want, consolidation.ConsolidateAfter(p.Consolidation, got, false))
		})
	}
}

func TestArrivalsForgetOutsideWindow(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	a := consolidation.NewArrivals()
	a.Observe(types.UID("a"), t0)
	a.Observe(types.UID("b"), t0.Add(5*time.Minute))
	a.Observe(types.UID("b"), t0.Add(5*time.Minute)) // the same pod seen twice counts once
	assert.Equal(t, 2, a.Count(t0.Add(10*time.Minute), 10*time.Minute))
	assert.Equal(t, 1, a.Count(t0.Add(11*time.Minute), 10*time.Minute))
	assert.Equal(t, 0, a.Count(t0.Add(16*time.Minute), 10*time.Minute))
}

func TestArrivalsHalves(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	a := consolidation.NewArrivals()
	for i, at := range []time.Duration{0, time.Minute, 2 * time.Minute, 4 * time.Minute, 6 * time.Minute, 9 * time.Minute} {
		a.Observe(types.UID(rune('a'+i)), t0.Add(at))
	}
	earlier, recent := a.Halves(t0.Add(10*time.Minute), 10*time.Minute)
	assert.Equal(t, [2]int{4, 2}, [2]int{earlier, recent}, "minutes 0-5 of the window, then 5-10")
	earlier, recent = a.Halves(t0.Add(11*time.Minute), 10*time.Minute)
	assert.Equal(t, [2]int{3, 2}, [2]int{earlier, recent}, "the arrival at minute 0 is forgotten")
}

func TestConsolidateAfterWhenFalling(t *testing.T) {
	p := &v1alpha1.ScalerPolicy{}
	p.SetDefaults()
	busy, idle := p.Consolidation.Busy.Value(), p.Consolidation.Idle.Value()
	cases := []struct {
		name            string
		release         bool
		earlier, recent int
		busy            bool
		want            time.Duration
	}{
		{"steady and busy: keep emptied nodes", true, 6, 5, true, busy},
		{"rising and busy", true, 2, 9, true, busy},
		{"falling and busy: release them", true, 9, 4, true, idle},
		{"falling, but the policy keeps them", false, 9, 4, true, busy},
		{"half as many is not yet falling", true, 8, 4, true, busy},
		{"idle stays idle", true, 0, 0, false, idle},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := p.Consolidation
			cfg.ReleaseWhenFalling = tc.release
			assert.Equal(t, tc.want, consolidation.ConsolidateAfter(cfg, tc.busy, consolidation.Falling(tc.earlier, tc.recent)))
		})
	}
}
