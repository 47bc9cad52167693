// Package headroom is the pure planner of warm headroom: how many
// placeholder pods each arch should have, how big, and which to create or
// delete.
package headroom

import (
	"math"
	"slices"
	"time"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/scaler/schedule"
)

// Sample is the concurrent demand of one arch at one time.
type Sample struct {
	At     time.Time
	Demand int
}

// History keeps demand samples per arch.
type History struct {
	samples map[string][]Sample
}

// NewHistory returns an empty history.
func NewHistory() *History { return &History{samples: map[string][]Sample{}} }

// Add records a sample and forgets those older than window.
func (h *History) Add(arch string, s Sample, window time.Duration) {
	keep := h.samples[arch][:0]
	for _, old := range h.samples[arch] {
		if s.At.Sub(old.At) <= window {
			keep = append(keep, old)
		}
	}
	h.samples[arch] = append(keep, s)
}

// Quantile returns the q-quantile (nearest rank) of arch's samples.
func (h *History) Quantile(arch string, q float64) int {
	return Quantile(h.samples[arch], q)
}

// Quantile returns the q-quantile (nearest rank) of the samples' demand.
func Quantile(samples []Sample, q float64) int {
	if len(samples) == 0 {
		return 0
	}
	d := make([]int, len(samples))
	for i, s := range samples {
		d[i] = s.Demand
	}
	slices.Sort(d)
	rank := int(math.Ceil(q*float64(len(d)))) - 1
	return d[min(max(rank, 0), len(d)-1)]
}

// ScheduledMin returns the largest Min of the schedules whose window is
// open at now (UTC); see package schedule.
func ScheduledMin(schedules []policy.HeadroomSchedule, now time.Time) int {
	best := 0
	for _, s := range schedules {
		if schedule.Active(s.Cron, s.Duration.Value(), now) {
			best = max(best, s.Min)
		}
	}
	return best
}

// Count is the number of placeholders arch should have: the quantile of
// recent demand or the scheduled minimum, whichever is larger, within
// [min, max].
func Count(cfg policy.ArchHeadroom, quantile int, now time.Time) int {
	n := max(quantile, ScheduledMin(cfg.Schedules, now))
	return min(max(n, cfg.Min), cfg.Max)
}
