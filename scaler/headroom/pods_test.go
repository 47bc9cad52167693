package headroom_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"jobfit.dev/jobfit/scaler/headroom"
)

func TestDiff(t *testing.T) {
	t0 := at("2026-03-02T09:00:00Z")
	pod := func(name string, age time.Duration, bound bool) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(t0.Add(-age))}}
		if bound {
			p.Spec.NodeName = "n"
		}
		return p
	}
	existing := []*corev1.Pod{pod("old-bound", time.Hour, true), pod("new-bound", time.Minute, true), pod("pending", 2*time.Hour, false)}
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
			create, remove := headroom.Diff(existing, tc.want)
			assert.Equal(t, tc.wantCreate, create)
			var names []string
			for _, p := range remove {
				names = append(names, p.Name)
			}
			assert.Equal(t, tc.wantRemove, names)
		})
	}
}

func TestSplitStale(t *testing.T) {
	pod := func(name, ct string, bound bool) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{NodeSelector: map[string]string{"karpenter.sh/capacity-type": ct}}}
		if bound {
			p.Spec.NodeName = "n"
		}
		return p
	}
	keep, stale := headroom.SplitStale([]*corev1.Pod{pod("spot-pending", "spot", false), pod("spot-bound", "spot", true), pod("od", "on-demand", false)}, "on-demand")
	names := func(ps []*corev1.Pod) (out []string) {
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return out
	}
	assert.Equal(t, []string{"spot-bound", "od"}, names(keep), "bound placeholders hold real capacity and stay")
	assert.Equal(t, []string{"spot-pending"}, names(stale))
}
