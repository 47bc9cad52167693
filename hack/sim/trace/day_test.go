package trace

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDayRate(t *testing.T) {
	for _, tc := range []struct {
		at   time.Duration
		want float64
	}{
		{0, 0.2},
		{30 * time.Minute, 0.7}, // half-way up the ramp
		{time.Hour, 1.2},
		{3 * time.Hour, 1.2},
		{4 * time.Hour, 0.4}, // lunch
		{5 * time.Hour, 1.2},
		{7*time.Hour + 15*time.Minute, 0.65}, // half-way down the decline
		{9 * time.Hour, 0.1},
	} {
		assert.InDelta(t, tc.want, dayRate(tc.at), 1e-9, "at %s", tc.at)
	}
}

// TestSampleDay: seeded, and shaped like the day: more pipelines an hour
// on the plateaus than in the first hour, at lunch and in the last hour.
func TestSampleDay(t *testing.T) {
	a, err := Sample(SampleOptions{Seed: 1, Shape: ShapeDay})
	require.NoError(t, err)
	b, err := Sample(SampleOptions{Seed: 1, Shape: ShapeDay})
	require.NoError(t, err)
	assert.Equal(t, a, b, "same seed, same day")

	tr, err := Read(strings.NewReader(string(a)))
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC), tr.Start().Truncate(time.Hour))
	// Pipelines whose first job arrived in [from, from+1h).
	hour := func(from time.Duration) int {
		first := map[int64]time.Duration{}
		for _, j := range tr.Jobs {
			if at, ok := first[j.PipelineID]; !ok || j.Arrival.Sub(tr.Start()) < at {
				first[j.PipelineID] = j.Arrival.Sub(tr.Start())
			}
		}
		n := 0
		for _, at := range first {
			if at >= from && at < from+time.Hour {
				n++
			}
		}
		return n
	}
	ramp, lunch, evening := hour(0), hour(3*time.Hour+30*time.Minute), hour(7*time.Hour)
	for _, plateau := range []time.Duration{time.Hour, 2 * time.Hour, 5 * time.Hour} {
		assert.Greater(t, hour(plateau), ramp, "%s against the ramp", plateau)
		assert.Greater(t, hour(plateau), lunch, "%s against the lunch dip", plateau)
		assert.Greater(t, hour(plateau), evening, "%s against the decline", plateau)
	}

	short, err := Sample(SampleOptions{Seed: 1, Shape: ShapeDay, Length: time.Hour})
	require.NoError(t, err)
	tr, err = Read(strings.NewReader(string(short)))
	require.NoError(t, err)
	assert.Less(t, tr.Jobs[len(tr.Jobs)-1].Arrival.Sub(tr.Start()), 2*time.Hour, "--sample-length cuts the day")

	_, err = Sample(SampleOptions{Shape: "week"})
	assert.ErrorContains(t, err, `"week"`)
}
