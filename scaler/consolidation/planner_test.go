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
			assert.Equal(t, want, consolidation.ConsolidateAfter(p.Consolidation, got))
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
