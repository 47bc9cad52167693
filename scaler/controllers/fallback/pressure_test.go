package fallback

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"jobfit.dev/jobfit/scaler/metrics"
	"jobfit.dev/jobfit/scaler/pressure"
)

func TestReportOldestPending(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	type group struct{ arch, capacityType string }

	tests := []struct {
		name    string
		buckets map[pressure.Key]*pressure.Bucket
		want    map[group]float64
	}{
		{
			name: "oldest across the pools of one group",
			buckets: map[pressure.Key]*pressure.Bucket{
				{Arch: "amd64", CapacityType: "spot", Pool: "a"}: {Pending: 2, PendingSince: []time.Time{ago(30 * time.Second), ago(90 * time.Second)}},
				{Arch: "amd64", CapacityType: "spot", Pool: "b"}: {Pending: 1, PendingSince: []time.Time{ago(45 * time.Second)}},
				{Arch: "arm64", CapacityType: "any"}:             {Pending: 1, PendingSince: []time.Time{ago(5 * time.Second)}},
			},
			want: map[group]float64{{"amd64", "spot"}: 90, {"arm64", "any"}: 5},
		},
		{
			name: "a group with only running pods reports 0",
			buckets: map[pressure.Key]*pressure.Bucket{
				{Arch: "amd64", CapacityType: "on-demand", Pool: "a"}: {Running: 3},
				{Arch: "arm64", CapacityType: "spot", Pool: "c"}:      {Pending: 1, Running: 1, PendingSince: []time.Time{ago(2 * time.Minute)}},
			},
			want: map[group]float64{{"amd64", "on-demand"}: 0, {"arm64", "spot"}: 120},
		},
		{
			name:    "no job pods, no series",
			buckets: map[pressure.Key]*pressure.Bucket{},
			want:    map[group]float64{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := metrics.New(prometheus.NewRegistry())
			r := newReporter(m)
			// A group from an earlier pass that has no pods now must go.
			r.report(&pressure.Snapshot{Now: now, Buckets: map[pressure.Key]*pressure.Bucket{
				{Arch: "s390x", CapacityType: "spot"}: {Pending: 1, PendingSince: []time.Time{ago(time.Hour)}},
			}}, nil)
			require.Equal(t, 3600.0, testutil.ToFloat64(m.PendingOldestSeconds.WithLabelValues("s390x", "spot")))

			r.report(&pressure.Snapshot{Now: now, Buckets: tt.buckets}, nil)
			assert.Equal(t, len(tt.want), testutil.CollectAndCount(m.PendingOldestSeconds), "one series per arch and capacity type with job pods")
			for g, want := range tt.want {
				assert.Equal(t, want, testutil.ToFloat64(m.PendingOldestSeconds.WithLabelValues(g.arch, g.capacityType)), "%s/%s", g.arch, g.capacityType)
			}
		})
	}
}
