package pressure

import (
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
)

// Key names one cell of the model. Arch and CapacityType are what the pod
// pins (Any when it pins none); Pool is the NodePool Karpenter will try
// first for it, or "" when no NodePool can serve it.
type Key struct {
	Arch, CapacityType, Pool string
}

// Bucket is the demand in one cell.
type Bucket struct {
	// Pending and Running count job pods.
	Pending, Running int
	// PendingMilliCPU and PendingMemory sum the pending pods' requests.
	PendingMilliCPU, PendingMemory int64
	// PendingSince holds when each pending pod started waiting.
	PendingSince []time.Time
	// GaveUpSince holds, of those, the pending pods Karpenter said it could
	// not schedule (see signals.KarpenterGaveUp).
	GaveUpSince []time.Time
	// PlaceholdersGaveUp counts jobfit's pending headroom placeholders in
	// this cell that Karpenter said it could not schedule. They are not
	// demand, but they are the first pods to need new capacity: a job
	// preempts one and starts at once, and the placeholder asks Karpenter
	// for a node before any job has to.
	PlaceholdersGaveUp int
}

// Evidence counts the pending pods that show their capacity is missing:
// those that have waited at least d, the younger ones Karpenter already
// said it could not schedule, and the placeholders Karpenter could not
// schedule. Each pod counts once.
func (b *Bucket) Evidence(now time.Time, d time.Duration) int {
	n := b.PendingLongerThan(now, d) + b.PlaceholdersGaveUp
	for _, s := range b.GaveUpSince {
		if now.Sub(s) < d {
			n++
		}
	}
	return n
}

// PendingLongerThan counts the pending pods that have waited at least d.
func (b *Bucket) PendingLongerThan(now time.Time, d time.Duration) int {
	n := 0
	for _, s := range b.PendingSince {
		if now.Sub(s) >= d {
			n++
		}
	}
	return n
}

// Snapshot is the demand at one instant.
type Snapshot struct {
	// Now is the instant the ages are measured from.
	Now time.Time
	// Buckets holds the demand per arch × capacity type × pool.
	Buckets map[Key]*Bucket
	// Sizes holds the requests of every counted job pod per pinned arch,
	// for sizing headroom like a typical job.
	Sizes map[string][]Size
}

// Size is one job pod's requests.
type Size struct{ MilliCPU, Memory int64 }

// Build computes the snapshot of the job pods at now. pods must already be
// job pods (see policy.IsJobPod); finished pods are skipped.
func Build(now time.Time, pods []*corev1.Pod, nodePools []*karpv1.NodePool) *Snapshot {
	return BuildWith(now, pods, nodePools, Karpenter{})
}

// Karpenter is what Karpenter said about pods, for BuildWith.
type Karpenter struct {
	// GaveUp are the UIDs of the pods Karpenter said it could not schedule
	// (signals.KarpenterGaveUp).
	GaveUp sets.Set[types.UID]
	// Placeholders are jobfit's headroom pods: those pending in GaveUp are
	// counted (Bucket.PlaceholdersGaveUp), never as demand.
	Placeholders []*corev1.Pod
}

// BuildWith is Build that also marks the pending pods Karpenter gave up on,
// job pods and placeholders.
func BuildWith(now time.Time, pods []*corev1.Pod, nodePools []*karpv1.NodePool, k Karpenter) *Snapshot {
	s := &Snapshot{Now: now, Buckets: map[Key]*Bucket{}, Sizes: map[string][]Size{}}
	m := newMatcher(nodePools)
	for _, pod := range pods {
		phase := PodPhase(pod)
		if phase == PhaseDone {
			continue
		}
		pl := m.place(pod)
		key := Key{Arch: pl.arch, CapacityType: pl.capacityType}
		if len(pl.pools) > 0 {
			key.Pool = pl.pools[0]
		}
		b := s.bucket(key)
		cpu, mem := Requests(pod)
		s.Sizes[pl.arch] = append(s.Sizes[pl.arch], Size{MilliCPU: cpu, Memory: mem})
		if phase == PhaseRunning {
			b.Running++
			continue
		}
		b.Pending++
		b.PendingMilliCPU += cpu
		b.PendingMemory += mem
		since := PendingSince(pod)
		b.PendingSince = append(b.PendingSince, since)
		if k.GaveUp.Has(pod.UID) {
			b.GaveUpSince = append(b.GaveUpSince, since)
		}
	}
	for _, pod := range k.Placeholders {
		if !k.GaveUp.Has(pod.UID) || PodPhase(pod) != PhasePending {
			continue
		}
		// A placeholder no pool can serve (a template without the pools'
		// tolerations, say) is a misconfiguration, not missing capacity.
		pl := m.place(pod)
		if len(pl.pools) == 0 {
			continue
		}
		s.bucket(Key{Arch: pl.arch, CapacityType: pl.capacityType, Pool: pl.pools[0]}).PlaceholdersGaveUp++
	}
	return s
}

func (s *Snapshot) bucket(key Key) *Bucket {
	b := s.Buckets[key]
	if b == nil {
		b = &Bucket{}
		s.Buckets[key] = b
	}
	return b
}

// Sum adds up the buckets whose key satisfies keep.
func (s *Snapshot) Sum(keep func(Key) bool) Bucket {
	var total Bucket
	for k, b := range s.Buckets {
		if !keep(k) {
			continue
		}
		total.Pending += b.Pending
		total.Running += b.Running
		total.PendingMilliCPU += b.PendingMilliCPU
		total.PendingMemory += b.PendingMemory
		total.PendingSince = append(total.PendingSince, b.PendingSince...)
		total.GaveUpSince = append(total.GaveUpSince, b.GaveUpSince...)
		total.PlaceholdersGaveUp += b.PlaceholdersGaveUp
	}
	return total
}

// Pool sums the demand Karpenter will send to the NodePool name first.
func (s *Snapshot) Pool(name string) Bucket {
	return s.Sum(func(k Key) bool { return k.Pool == name })
}

// Arches returns the pinned arches seen, sorted.
func (s *Snapshot) Arches() []string {
	var out []string
	for k := range s.Buckets {
		if k.Arch != Any && !slices.Contains(out, k.Arch) {
			out = append(out, k.Arch)
		}
	}
	slices.Sort(out)
	return out
}

// Concurrent is the number of job pods of arch, pending or running.
func (s *Snapshot) Concurrent(arch string) int {
	b := s.Sum(func(k Key) bool { return k.Arch == arch })
	return b.Pending + b.Running
}

// TypicalSize is the median request of the job pods of arch, and false when
// none are counted.
func (s *Snapshot) TypicalSize(arch string) (Size, bool) {
	sizes := s.Sizes[arch]
	if len(sizes) == 0 {
		return Size{}, false
	}
	cpus := make([]int64, len(sizes))
	mems := make([]int64, len(sizes))
	for i, z := range sizes {
		cpus[i], mems[i] = z.MilliCPU, z.Memory
	}
	slices.Sort(cpus)
	slices.Sort(mems)
	return Size{MilliCPU: cpus[len(cpus)/2], Memory: mems[len(mems)/2]}, true
}
