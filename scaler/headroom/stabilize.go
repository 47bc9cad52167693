package headroom

import "time"

// Stabilizer holds a planned count up for a while before it may fall, as
// the HorizontalPodAutoscaler's scale-down stabilization window does: the
// count in force is the largest planned within the last window. Rises take
// effect at once.
//
// By arrivals, the count is the expected growth less the room already free,
// and free room jumps for a moment whenever a node joins before the jobs
// waiting for it are bound. Without stabilization that moment deletes
// placeholders (pending ones first, whose nodes Karpenter has already
// launched) that the next pass creates again, and Karpenter launches nodes
// for them again.
type Stabilizer struct {
	// recent per arch: planned counts, newest last, each larger than every
	// later one (a monotonic queue), so that the first is the window's
	// largest and the queue stays short.
	recent map[string][]Sample
}

// NewStabilizer returns a stabilizer with no history.
func NewStabilizer() *Stabilizer { return &Stabilizer{recent: map[string][]Sample{}} }

// Stabilize records the count planned for arch at now and returns the
// largest planned within window up to now. A zero window returns planned.
func (s *Stabilizer) Stabilize(arch string, now time.Time, planned int, window time.Duration) int {
	if window <= 0 {
		delete(s.recent, arch)
		return planned
	}
	q := s.recent[arch]
	for len(q) > 0 && q[len(q)-1].Demand <= planned {
		q = q[:len(q)-1]
	}
	q = append(q, Sample{At: now, Demand: planned})
	for now.Sub(q[0].At) > window {
		q = q[1:]
	}
	s.recent[arch] = q
	return q[0].Demand
}

// Forget drops arch's history, for an arch whose headroom was turned off.
func (s *Stabilizer) Forget(arch string) { delete(s.recent, arch) }
