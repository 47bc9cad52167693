package pressure_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"jobfit.dev/jobfit/scaler/pressure"
)

func TestBuildCountsPerArchCapacityAndPool(t *testing.T) {
	pools := []*karpv1.NodePool{nodePool("ci-on-demand", "on-demand", 10), nodePool("ci-spot", "spot", 100)}
	now := t0.Add(5 * time.Minute)
	pods := []*corev1.Pod{
		jobPod("a", pinned("arm64", "spot"), unschedulableAt(t0.Add(time.Minute))),
		jobPod("b", pinned("arm64", "spot")),
		jobPod("c", pinned("arm64", "spot"), running),
		jobPod("d", pinned("amd64", "on-demand")),
		jobPod("e"), // pins nothing: both pools fit, spot has the higher weight
		jobPod("f", func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded }),
		jobPod("g", pinned("s390x", "spot")),
	}
	snap := pressure.Build(now, pods, pools)

	armSpot := snap.Buckets[pressure.Key{Arch: "arm64", CapacityType: "spot", Pool: "ci-spot"}]
	require.NotNil(t, armSpot)
	assert.Equal(t, 2, armSpot.Pending)
	assert.Equal(t, 1, armSpot.Running)
	assert.Equal(t, int64(4000), armSpot.PendingMilliCPU)
	assert.Equal(t, int64(8<<30), armSpot.PendingMemory)
	assert.Equal(t, 2, armSpot.PendingLongerThan(now, 4*time.Minute))
	assert.Equal(t, 1, armSpot.PendingLongerThan(now, 4*time.Minute+30*time.Second), "the unschedulable condition restarts the wait")

	assert.Equal(t, 1, snap.Pool("ci-on-demand").Pending)
	assert.Equal(t, 1, snap.Buckets[pressure.Key{Arch: pressure.Any, CapacityType: pressure.Any, Pool: "ci-spot"}].Pending)
	assert.Equal(t, 1, snap.Buckets[pressure.Key{Arch: "s390x", CapacityType: "spot"}].Pending, "no pool serves s390x")
	assert.Equal(t, 3, snap.Concurrent("arm64"))
	assert.Equal(t, []string{"amd64", "arm64", "s390x"}, snap.Arches())
}

func TestBuildHonoursTaintsAndAffinity(t *testing.T) {
	tainted := nodePool("ci-spot", "spot", 100)
	tainted.Spec.Template.Spec.Taints = []corev1.Taint{{Key: "ci", Value: "true", Effect: corev1.TaintEffectNoSchedule}}
	affinity := func(p *corev1.Pod) {
		p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{
				{Key: corev1.LabelArchStable, Operator: corev1.NodeSelectorOpIn, Values: []string{"arm64"}},
			}}},
		}}}
	}
	tolerates := func(p *corev1.Pod) {
		p.Spec.Tolerations = []corev1.Toleration{{Key: "ci", Operator: corev1.TolerationOpEqual, Value: "true", Effect: corev1.TaintEffectNoSchedule}}
	}
	snap := pressure.Build(t0, []*corev1.Pod{jobPod("a", affinity), jobPod("b", affinity, tolerates)}, []*karpv1.NodePool{tainted})
	assert.Equal(t, 1, snap.Buckets[pressure.Key{Arch: "arm64", CapacityType: pressure.Any}].Pending)
	assert.Equal(t, 1, snap.Buckets[pressure.Key{Arch: "arm64", CapacityType: pressure.Any, Pool: "ci-spot"}].Pending)
}

func TestTypicalSizeIsTheMedian(t *testing.T) {
	big := func(p *corev1.Pod) { p.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resourceMust("8") }
	snap := pressure.Build(t0, []*corev1.Pod{jobPod("a", pinned("amd64", "spot")), jobPod("b", pinned("amd64", "spot")), jobPod("c", pinned("amd64", "spot"), big)}, nil)
	size, ok := snap.TypicalSize("amd64")
	require.True(t, ok)
	assert.Equal(t, int64(2000), size.MilliCPU)
	_, ok = snap.TypicalSize("arm64")
	assert.False(t, ok)
}

func TestBuildWithMarksThePodsKarpenterGaveUpOn(t *testing.T) {
	a, b, c := jobPod("a", pinned("arm64", "spot")), jobPod("b", pinned("arm64", "spot")), jobPod("c", pinned("arm64", "spot"), running)
	snap := pressure.BuildWith(t0.Add(time.Minute), []*corev1.Pod{a, b, c}, nil, pressure.Karpenter{GaveUp: sets.New[types.UID]("a", "c")})
	bucket := snap.Sum(func(k pressure.Key) bool { return k.Arch == "arm64" })
	assert.Equal(t, 2, bucket.Pending)
	assert.Len(t, bucket.GaveUpSince, 1, "only pending pods: c runs")
	assert.Equal(t, 1, bucket.Evidence(t0.Add(time.Minute), 3*time.Minute), "a, young, counts; b only waits")
	assert.Equal(t, 2, bucket.Evidence(t0.Add(4*time.Minute), 3*time.Minute), "both aged; a counts once")
}

func TestBuildWithCountsPlaceholdersKarpenterGaveUpOn(t *testing.T) {
	spot := nodePool("ci-spot", "spot", 100)
	spot.Spec.Template.Spec.Taints = []corev1.Taint{{Key: "ci", Value: "true", Effect: corev1.TaintEffectNoSchedule}}
	var tolerates podOpt = func(p *corev1.Pod) {
		p.Spec.Tolerations = []corev1.Toleration{{Key: "ci", Operator: corev1.TolerationOpEqual, Value: "true", Effect: corev1.TaintEffectNoSchedule}}
	}
	placeholder := func(name string, opts ...podOpt) *corev1.Pod {
		p := jobPod(name, append([]podOpt{pinned("amd64", "spot")}, opts...)...)
		p.Labels = map[string]string{"jobfit.dev/headroom": "amd64"}
		p.Annotations = nil
		return p
	}
	gaveUp := placeholder("p-gave-up", tolerates)
	waiting := placeholder("p-waiting", tolerates)
	bound := placeholder("p-bound", tolerates, running)
	untolerated := placeholder("p-no-toleration")
	snap := pressure.BuildWith(t0, nil, []*karpv1.NodePool{spot}, pressure.Karpenter{
		GaveUp:       sets.New[types.UID]("p-gave-up", "p-bound", "p-no-toleration"),
		Placeholders: []*corev1.Pod{gaveUp, waiting, bound, untolerated},
	})
	b := snap.Sum(func(k pressure.Key) bool { return k.Arch == "amd64" && k.CapacityType == "spot" })
	assert.Equal(t, 1, b.PlaceholdersGaveUp, "pending, given up on, and a pool that could serve it")
	assert.Equal(t, 0, b.Pending+b.Running, "placeholders are never demand")
	assert.Equal(t, 1, b.Evidence(t0, 3*time.Minute))
}
