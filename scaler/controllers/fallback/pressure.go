package fallback

import (
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"jobfit.dev/jobfit/scaler/metrics"
	"jobfit.dev/jobfit/scaler/pressure"
)

// reporter turns each snapshot into the pressure metrics.
type reporter struct {
	metrics *metrics.Metrics
	mu      sync.Mutex
	pending map[types.UID]pendingPod
}

type pendingPod struct{ since int64 }

func newReporter(m *metrics.Metrics) *reporter {
	return &reporter{metrics: m, pending: map[types.UID]pendingPod{}}
}

// report sets jobfit_executor_pods and jobfit_pod_pending_oldest_seconds
// and observes jobfit_pod_pending_seconds once for each pod that stopped
// pending since the last pass.
func (r *reporter) report(snap *pressure.Snapshot, pods []*corev1.Pod) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.metrics.ExecutorPods.Reset()
	for k, b := range snap.Buckets {
		r.metrics.ExecutorPods.WithLabelValues(k.Arch, k.CapacityType, string(pressure.PhasePending)).Add(float64(b.Pending))
		r.metrics.ExecutorPods.WithLabelValues(k.Arch, k.CapacityType, string(pressure.PhaseRunning)).Add(float64(b.Running))
	}
	r.reportOldestPending(snap)
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

// reportOldestPending sets jobfit_pod_pending_oldest_seconds for every arch
// and capacity type that jobfit_executor_pods has: the longest wait among
// its pending pods, measured as the spot fallback measures it (the bucket's
// PendingSince), or 0 while none is pending. A group with no job pods left
// loses its series, as it does in jobfit_executor_pods.
func (r *reporter) reportOldestPending(snap *pressure.Snapshot) {
	type group struct{ arch, capacityType string }
	oldest := map[group]time.Duration{}
	for k, b := range snap.Buckets {
		g := group{k.Arch, k.CapacityType}
		age := oldest[g]
		for _, since := range b.PendingSince {
			age = max(age, snap.Now.Sub(since))
		}
		oldest[g] = age
	}
	r.metrics.PendingOldestSeconds.Reset()
	for g, age := range oldest {
		r.metrics.PendingOldestSeconds.WithLabelValues(g.arch, g.capacityType).Set(age.Seconds())
	}
}
