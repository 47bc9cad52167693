package scaler

import (
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"jobfit.dev/jobfit/scaler/pressure"
)

// reporter turns each snapshot into the pressure metrics.
type reporter struct {
	metrics *Metrics
	mu      sync.Mutex
	pending map[types.UID]pendingPod
}

type pendingPod struct{ since int64 }

func newReporter(m *Metrics) *reporter {
	return &reporter{metrics: m, pending: map[types.UID]pendingPod{}}
}

// report sets jobfit_executor_pods and observes jobfit_pod_pending_seconds
// once for each pod that stopped pending since the last pass.
func (r *reporter) report(snap *pressure.Snapshot, pods []*corev1.Pod) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.metrics.ExecutorPods.Reset()
	for k, b := range snap.Buckets {
		r.metrics.ExecutorPods.WithLabelValues(k.Arch, k.CapacityType, string(pressure.PhasePending)).Add(float64(b.Pending))
		r.metrics.ExecutorPods.WithLabelValues(k.Arch, k.CapacityType, string(pressure.PhaseRunning)).Add(float64(b.Running))
	}
	now := snap.Now.Unix()
	still := make(map[types.UID]bool, len(r.pending))
	for _, pod := range pods {
		if pressure.PodPhase(pod) == pressure.PhasePending {
			still[pod.UID] = true
			if _, ok := r.pending[pod.UID]; !ok {
				r.pending[pod.UID] = pendingPod{since: pod.CreationTimestamp.Unix()}
			}
		}
	}
	for uid, p := range r.pending {
		if !still[uid] {
			r.metrics.PendingSeconds.Observe(float64(now - p.since))
			delete(r.pending, uid)
		}
	}
}
