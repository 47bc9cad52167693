package schedule_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"jobfit.dev/jobfit/scaler/schedule"
)

func TestActive(t *testing.T) {
	at := func(s string) time.Time {
		ts, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	cases := []struct {
		name string
		spec string
		d    time.Duration
		now  string
		want bool
	}{
		{"at the opening", "0 7 * * 1-5", 11 * time.Hour, "2026-12-02T07:00:00Z", true},
		{"inside the window", "0 7 * * 1-5", 11 * time.Hour, "2026-12-02T17:59:59Z", true},
		{"at the close", "0 7 * * 1-5", 11 * time.Hour, "2026-12-02T18:00:01Z", false},
		{"before the opening", "0 7 * * 1-5", 11 * time.Hour, "2026-12-02T06:59:59Z", false},
		{"weekend", "0 7 * * 1-5", 11 * time.Hour, "2026-12-05T08:00:00Z", false},
		{"across midnight", "0 22 * * *", 4 * time.Hour, "2026-12-03T01:00:00Z", true},
		{"other time zones are read as UTC", "0 7 * * 1-5", time.Hour, "2026-12-02T08:30:00+01:00", true},
		{"does not parse", "every morning", time.Hour, "2026-12-02T07:00:00Z", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, schedule.Active(tc.spec, tc.d, at(tc.now)))
		})
	}
}
