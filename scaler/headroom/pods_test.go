package headroom_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/sets"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/headroom"
)

// placeholderAged returns a maker of placeholders created age before t0 and
// bound to node ("" for pending).
func placeholderAged(t0 time.Time) func(name string, age time.Duration, node string) *corev1.Pod {
	return func(name string, age time.Duration, node string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(t0.Add(-age))}, Spec: corev1.PodSpec{NodeName: node}}
	}
}

func TestDiff(t *testing.T) {
	pod := placeholderAged(at("2026-03-02T09:00:00Z"))
	existing := []*corev1.Pod{pod("old-bound", time.Hour, "n"), pod("new-bound", time.Minute, "n"), pod("pending", 2*time.Hour, "")}
	cases := []struct {
		name       string
		want       int
		wantCreate int
		wantRemove []string
	}{
		{"no change", 3, 0, nil},
		{"grow", 5, 2, nil},
		{"shrink removes pending first", 2, 0, []string{"pending"}},
		{"then the newest", 1, 0, []string{"pending", "new-bound"}},
		{"off removes all", 0, 0, []string{"pending", "new-bound", "old-bound"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			create, remove := headroom.Diff(existing, tc.want, nil)
			assert.Equal(t, tc.wantCreate, create)
			var names []string
			for _, p := range remove {
				names = append(names, p.Name)
			}
			assert.Equal(t, tc.wantRemove, names)
		})
	}
}

func TestDiffFreesNodes(t *testing.T) {
	pod := placeholderAged(at("2026-03-02T09:00:00Z"))
	existing := []*corev1.Pod{
		pod("a1", time.Hour, "a"), pod("a2", time.Hour, "a"), pod("a3", time.Second, "a"),
		pod("alone", 2*time.Hour, "b"),
	}
	_, remove := headroom.Diff(existing, 3, nil)
	require.Len(t, remove, 1)
	assert.Equal(t, "alone", remove[0].Name, "the only placeholder on its node goes before newer ones on a shared node, so that node can empty")

	_, remove = headroom.Diff(existing, 2, sets.New("b"))
	require.Len(t, remove, 2)
	assert.Equal(t, []string{"a3", "a1"}, []string{remove[0].Name, remove[1].Name},
		"node b runs a job: deleting its placeholder cannot empty it, so those on a, which runs nothing else, go first")
}

func TestPodPacksPlaceholders(t *testing.T) {
	pod := headroom.Pod(v1alpha1.HeadroomPodTemplate{CapacityType: "spot"}, "arm64", "jobfit-headroom", corev1.ResourceList{}, metav1.OwnerReference{})
	require.NotNil(t, pod.Spec.Affinity)
	require.NotNil(t, pod.Spec.Affinity.PodAffinity)
	terms := pod.Spec.Affinity.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution
	require.Len(t, terms, 1)
	assert.Empty(t, pod.Spec.Affinity.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution, "preferred only: a placeholder still goes wherever there is room")
	assert.Equal(t, corev1.LabelHostname, terms[0].PodAffinityTerm.TopologyKey)
	sel, err := metav1.LabelSelectorAsSelector(terms[0].PodAffinityTerm.LabelSelector)
	require.NoError(t, err)
	assert.True(t, sel.Matches(labels.Set(pod.Labels)), "it matches placeholders of its own arch")
	assert.False(t, sel.Matches(labels.Set{"jobfit.dev/headroom": "amd64"}), "and not those of the other arch")
}

func TestSplitStale(t *testing.T) {
	pod := func(name, ct, scheduler string, bound bool) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{SchedulerName: scheduler,
			NodeSelector: map[string]string{"karpenter.sh/capacity-type": ct}}}
		if bound {
			p.Spec.NodeName = "n"
		}
		return p
	}
	names := func(ps []*corev1.Pod) (out []string) {
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return out
	}
	cases := []struct {
		name                string
		tmpl                v1alpha1.HeadroomPodTemplate
		wantKeep, wantStale []string
	}{
		{"spot fallback: pending spot ones are replaced by on-demand ones", v1alpha1.HeadroomPodTemplate{CapacityType: "on-demand"},
			[]string{"spot-bound", "od", "binpack-bound"}, []string{"spot-pending", "binpack-pending"}},
		{"the packing scheduler stopped: pending ones waiting for it are replaced", v1alpha1.HeadroomPodTemplate{CapacityType: "spot"},
			[]string{"spot-pending", "spot-bound", "binpack-bound"}, []string{"od", "binpack-pending"}},
		{"the packing scheduler runs: pending ones of the default scheduler are replaced", v1alpha1.HeadroomPodTemplate{CapacityType: "spot", SchedulerName: "jobfit-binpack"},
			[]string{"spot-bound", "binpack-pending", "binpack-bound"}, []string{"spot-pending", "od"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			keep, stale := headroom.SplitStale([]*corev1.Pod{pod("spot-pending", "spot", "default-scheduler", false), pod("spot-bound", "spot", "", true),
				pod("od", "on-demand", "", false), pod("binpack-pending", "spot", "jobfit-binpack", false), pod("binpack-bound", "spot", "jobfit-binpack", true)}, tc.tmpl)
			assert.Equal(t, tc.wantKeep, names(keep), "bound placeholders hold real capacity and stay")
			assert.Equal(t, tc.wantStale, names(stale))
		})
	}
}
