package headroom_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/headroom"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestScheduledMin(t *testing.T) {
	weekdays := v1alpha1.HeadroomSchedule{Cron: "0 7 * * 1-5", Duration: v1alpha1.ParseDuration("11h"), Min: 4}
	night := v1alpha1.HeadroomSchedule{Cron: "0 22 * * *", Duration: v1alpha1.ParseDuration("4h"), Min: 2}
	cases := []struct {
		name string
		now  string
		want int
	}{
		{"before the window", "2026-03-02T06:59:00Z", 0},
		{"at the start", "2026-03-02T07:00:00Z", 4},
		{"inside", "2026-03-02T17:59:59Z", 4},
		{"at the end (exclusive)", "2026-03-02T18:00:00Z", 0},
		{"not on Saturday", "2026-03-07T09:00:00Z", 0},
		{"across midnight, before", "2026-03-02T23:30:00Z", 2},
		{"across midnight, after", "2026-03-03T01:59:00Z", 2},
		{"across midnight, ended", "2026-03-03T02:00:00Z", 0},
		{"across midnight into Saturday", "2026-03-07T01:00:00Z", 2},
		{"in another time zone it is still UTC", "2026-03-02T08:30:00+01:00", 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, headroom.ScheduledMin([]v1alpha1.HeadroomSchedule{weekdays, night}, at(tc.now)))
		})
	}
}

func TestCount(t *testing.T) {
	cfg := v1alpha1.ArchHeadroom{Min: 1, Max: 6, Schedules: []v1alpha1.HeadroomSchedule{{Cron: "0 7 * * 1-5", Duration: v1alpha1.ParseDuration("11h"), Min: 4}}}
	cases := []struct {
		name     string
		quantile int
		now      string
		want     int
	}{
		{"min when idle", 0, "2026-03-01T12:00:00Z", 1},
		{"follows demand", 3, "2026-03-01T12:00:00Z", 3},
		{"capped at max", 40, "2026-03-01T12:00:00Z", 6},
		{"schedule raises it", 2, "2026-03-02T09:00:00Z", 4},
		{"demand above the schedule wins", 5, "2026-03-02T09:00:00Z", 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, headroom.Count(cfg, tc.quantile, at(tc.now)))
		})
	}
}

func TestHistoryQuantile(t *testing.T) {
	h := headroom.NewHistory()
	t0 := at("2026-03-02T09:00:00Z")
	for i, d := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10} {
		h.Add("amd64", headroom.Sample{At: t0.Add(time.Duration(i) * time.Minute), Demand: d}, time.Hour)
	}
	assert.Equal(t, 9, h.Quantile("amd64", 0.9))
	assert.Equal(t, 5, h.Quantile("amd64", 0.5))
	assert.Equal(t, 10, h.Quantile("amd64", 1))
	h.Add("amd64", headroom.Sample{At: t0.Add(time.Hour + 5*time.Minute), Demand: 0}, time.Hour)
	assert.Equal(t, 10, h.Quantile("amd64", 1), "samples within the window are kept")
	h.Add("amd64", headroom.Sample{At: t0.Add(3 * time.Hour), Demand: 0}, time.Hour)
	assert.Equal(t, 0, h.Quantile("amd64", 1), "samples older than the window are forgotten")
	assert.Equal(t, 0, h.Quantile("arm64", 0.9))
}

func TestGrowths(t *testing.T) {
	t0 := at("2026-03-02T09:00:00Z")
	series := func(demands ...int) []headroom.Sample {
		out := make([]headroom.Sample, len(demands))
		for i, d := range demands {
			out[i] = headroom.Sample{At: t0.Add(time.Duration(i) * 20 * time.Second), Demand: d}
		}
		return out
	}
	cases := []struct {
		name    string
		demands []int
		want    []int
	}{
		{"steady demand grows by nothing", []int{5, 5, 5, 5}, []int{0, 0, 0, 0}},
		{"a fan-out is the rise over the lowest of the last minute", []int{5, 4, 10, 12, 12}, []int{0, 0, 6, 8, 8}},
		{"a fall is no growth", []int{12, 8, 3, 3}, []int{0, 0, 0, 0}},
		{"the low point leaves the window after the lead time", []int{2, 9, 9, 9, 9, 9}, []int{0, 7, 7, 7, 0, 0}},
		{"arrivals offset by departures", []int{10, 11, 10, 11, 10}, []int{0, 1, 0, 1, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := headroom.Growths(series(tc.demands...), time.Minute)
			d := make([]int, len(got))
			for i, g := range got {
				d[i] = g.Demand
			}
			assert.Equal(t, tc.want, d)
		})
	}
}

func TestHistoryGrowthAndThinning(t *testing.T) {
	h := headroom.NewHistory()
	t0 := at("2026-03-02T09:00:00Z")
	// A burst of pod events within a second is one sample holding the
	// latest demand (window/720 = 5 s for an hour).
	for i, d := range []int{3, 4, 5, 6} {
		h.Add("amd64", headroom.Sample{At: t0.Add(time.Duration(i) * 100 * time.Millisecond), Demand: d}, time.Hour)
	}
	h.Add("amd64", headroom.Sample{At: t0.Add(30 * time.Second), Demand: 16}, time.Hour)
	assert.Equal(t, 10, h.Growth("amd64", time.Minute, 1), "6 → 16 within the lead time")
	assert.Equal(t, 0, h.Growth("amd64", time.Minute, 0.5), "the first sample grew by nothing")
	assert.Equal(t, 0, h.Growth("arm64", time.Minute, 0.9))
}

func TestCountByArrivals(t *testing.T) {
	cfg := v1alpha1.ArchHeadroom{Min: 1, Max: 8, Schedules: []v1alpha1.HeadroomSchedule{
		{Cron: "0 7 * * 1-5", Duration: v1alpha1.ParseDuration("11h"), Min: 4},
	}}
	night, day := at("2026-03-02T03:00:00Z"), at("2026-03-02T09:00:00Z")
	cases := []struct {
		name         string
		growth, free int
		now          time.Time
		want         int
	}{
		{"growth with no free room", 6, 0, night, 6},
		{"free room covers part", 6, 4, night, 2},
		{"free room covers all: min stays", 6, 10, night, 1},
		{"capped at max", 20, 0, night, 8},
		{"the schedule's minimum holds whatever is free", 0, 10, day, 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, headroom.CountByArrivals(cfg, tc.growth, tc.free, tc.now))
		})
	}
}
