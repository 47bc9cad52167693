package replay

import (
	"sync"
	"time"
)

// Pulls plays a kubelet's image pulls, kept per node and image: a node's
// first pull of an image takes Duration (wall time); a pod whose node has
// its images starts at once; a pod whose image is being pulled for an
// earlier pod waits for that pull to finish, as containerd shares it. A
// pod's images are pulled in parallel (kubelet serializeImagePulls: false):
// a pod on a cold node waits one Duration, not one per image, so the
// replay's pull cost is a floor.
type Pulls struct {
	// Duration is one image's first pull on a node; 0 disables pulls.
	Duration time.Duration

	mu   sync.Mutex
	done map[pullKey]time.Time
}

type pullKey struct{ node, image string }

// Start is how long a pod starting at now on node waits for images, and
// records the pulls it starts.
func (p *Pulls) Start(node string, images []string, now time.Time) time.Duration {
	if p == nil || p.Duration <= 0 {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done == nil {
		p.done = map[pullKey]time.Time{}
	}
	ready := now
	for _, image := range images {
		k := pullKey{node, image}
		done, ok := p.done[k]
		if !ok {
			done = now.Add(p.Duration)
			p.done[k] = done
		}
		ready = maxTime(ready, done)
	}
	return ready.Sub(now)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
