package fallback

import "sync"

// Latest holds the planner's latest State, shared between the controller
// that plans it and those that follow it: the NodePool controller raises
// on-demand weights from it (in dry run too, where the status is never
// written), the headroom controller moves spot placeholders to on-demand.
type Latest struct {
	mu    sync.RWMutex
	state State
	ready bool
}

// Get returns the latest state and whether the fallback has run yet.
func (s *Latest) Get() (State, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.state, s.ready
}

// Set records st as the latest state.
func (s *Latest) Set(st State) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state, s.ready = st, true
}
