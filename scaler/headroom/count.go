// Package headroom is the pure planner of warm headroom: how many
// placeholder pods each arch should have, how big, and which to create or
// delete.
package headroom

import (
	"math"
	"slices"
	"time"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
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

// samplesPerWindow bounds the history: a sample closer than window/
// samplesPerWindow to the previous one replaces its demand instead of
// adding one, so that a burst of pod events costs no memory.
const samplesPerWindow = 720

// Add records a sample and forgets those older than window.
func (h *History) Add(arch string, s Sample, window time.Duration) {
	if old := h.samples[arch]; len(old) > 0 && s.At.Sub(old[len(old)-1].At) < window/samplesPerWindow {
		old[len(old)-1].Demand = s.Demand
		return
	}
	keep := h.samples[arch][:0]
	for _, old := range h.samples[arch] {
		if s.At.Sub(old.At) <= window {
			keep = append(keep, old)
		}
	}
	h.samples[arch] = append(keep, s)
}

// LessPausePods is want placeholders less the pause pods GitLab Runner
// already keeps on the arch: jobs preempt those as they do placeholders, so
// the room they hold is warm capacity already bought.
func LessPausePods(want, pause int) int {
	return max(want-pause, 0)
}

// Quantile returns the q-quantile (nearest rank) of arch's samples.
func (h *History) Quantile(arch string, q float64) int {
	return Quantile(h.samples[arch], q)
}

// Growth returns the q-quantile (nearest rank) of how much arch's demand
// grew within lead: for every sample, its demand less the lowest demand of
// the samples up to lead before it. That is the room new jobs take, net of
// the room finished jobs give back, while a node for them would boot.
func (h *History) Growth(arch string, lead time.Duration, q float64) int {
	return Quantile(Growths(h.samples[arch], lead), q)
}

// Growths turns time-ordered demand samples into growth samples (see
// History.Growth), keeping the lowest demand of the last lead in a
// monotonic queue so that this stays linear in the number of samples.
func Growths(samples []Sample, lead time.Duration) []Sample {
	out := make([]Sample, len(samples))
	var low []int // indices into samples, demands increasing
	for i, s := range samples {
		for len(low) > 0 && samples[low[len(low)-1]].Demand >= s.Demand {
			low = low[:len(low)-1]
		}
		low = append(low, i)
		for s.At.Sub(samples[low[0]].At) > lead {
			low = low[1:]
		}
		out[i] = Sample{At: s.At, Demand: s.Demand - samples[low[0]].Demand}
	}
	return out
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
func ScheduledMin(schedules []v1alpha1.HeadroomSchedule, now time.Time) int {
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
func Count(cfg v1alpha1.ArchHeadroom, quantile int, now time.Time) int {
	n := max(quantile, ScheduledMin(cfg.Schedules, now))
	return min(max(n, cfg.Min), cfg.Max)
}

// CountByArrivals is Count for a policy with a lead time: the growth
// quantile less the job slots already free on the arch's nodes (room that
// placeholders would only duplicate), or the scheduled minimum, whichever
// is larger, within [min, max].
func CountByArrivals(cfg v1alpha1.ArchHeadroom, growth, free int, now time.Time) int {
	return Count(cfg, max(growth-free, 0), now)
}
