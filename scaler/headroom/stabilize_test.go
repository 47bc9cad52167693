package headroom_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"jobfit.dev/jobfit/scaler/headroom"
)

func TestStabilize(t *testing.T) {
	t0 := at("2026-03-02T09:00:00Z")
	type step struct {
		after   time.Duration
		planned int
		want    int
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"rises at once", []step{{0, 1, 1}, {time.Second, 7, 7}}},
		{"a dip shorter than the window is held up", []step{
			{0, 7, 7}, {5 * time.Second, 1, 7}, {20 * time.Second, 6, 7}, {50 * time.Second, 6, 7},
		}},
		{"falls once the window has passed, to the largest since", []step{
			{0, 7, 7}, {10 * time.Second, 3, 7}, {20 * time.Second, 2, 7}, {61 * time.Second, 2, 3}, {71 * time.Second, 1, 2}, {82 * time.Second, 1, 2}, {122 * time.Second, 1, 1},
		}},
		{"a later equal count restarts the hold", []step{
			{0, 5, 5}, {50 * time.Second, 5, 5}, {70 * time.Second, 0, 5}, {111 * time.Second, 0, 0},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := headroom.NewStabilizer()
			for _, st := range tc.steps {
				assert.Equal(t, st.want, s.Stabilize("amd64", t0.Add(st.after), st.planned, time.Minute), "at +%s, planned %d", st.after, st.planned)
			}
		})
	}
}

func TestStabilizeArchesAndOff(t *testing.T) {
	t0 := at("2026-03-02T09:00:00Z")
	s := headroom.NewStabilizer()
	assert.Equal(t, 6, s.Stabilize("amd64", t0, 6, time.Minute))
	assert.Equal(t, 2, s.Stabilize("arm64", t0, 2, time.Minute), "arches are apart")
	assert.Equal(t, 1, s.Stabilize("amd64", t0.Add(time.Second), 1, 0), "a zero window does not hold")
	assert.Equal(t, 1, s.Stabilize("amd64", t0.Add(2*time.Second), 1, time.Minute), "and forgets what it held")
	s.Forget("arm64")
	assert.Equal(t, 0, s.Stabilize("arm64", t0.Add(time.Second), 0, time.Minute), "forgotten")
}

func TestStabilizeBounded(t *testing.T) {
	t0 := at("2026-03-02T09:00:00Z")
	s := headroom.NewStabilizer()
	for i := range 100000 {
		// Falling counts within the window stay queued; the queue must still
		// shed them once they leave the window.
		s.Stabilize("amd64", t0.Add(time.Duration(i)*time.Second), 100000-i, time.Minute)
	}
	assert.Equal(t, 60, s.Stabilize("amd64", t0.Add(100000*time.Second), 0, time.Minute),
		"the largest of the last minute: planned at +99940 s")
}
