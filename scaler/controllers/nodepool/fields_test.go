package nodepool

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
)

func TestDurationString(t *testing.T) {
	cases := map[time.Duration]string{
		10 * time.Minute: "10m", time.Minute: "1m", 90 * time.Second: "1m30s", time.Hour: "1h",
		90 * time.Minute: "1h30m", 45 * time.Second: "45s", 0: "0s",
	}
	for d, want := range cases {
		assert.Equal(t, want, durationString(d), d.String())
	}
}

func TestChangesAndApplyObjectCarryOnlyManagedFields(t *testing.T) {
	np := &karpv1.NodePool{}
	np.Spec.Weight = ptr.To[int32](10)
	np.Spec.Limits = karpv1.Limits{corev1.ResourceCPU: resource.MustParse("64"), "nodes": resource.MustParse("20")}
	np.Spec.Disruption.ConsolidateAfter = karpv1.MustParseNillableDuration("2m")
	desired := poolFields{Weight: ptr.To[int32](100), Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("64")},
		ConsolidateAfter: ptr.To(10 * time.Minute)}

	cur := current(np, desired)
	assert.NotContains(t, cur.Limits, corev1.ResourceName("nodes"), "unmanaged limits are not compared")
	assert.Equal(t, map[string]string{"weight": "weight 10→100", "disruption.consolidateAfter": "disruption.consolidateAfter 2m0s→10m0s"}, changes(cur, desired))
	assert.Empty(t, changes(desired, desired), "no change")

	u := applyObject("ci-on-demand", desired)
	assert.Equal(t, map[string]any{
		"weight":     int64(100),
		"limits":     map[string]any{"cpu": "64"},
		"disruption": map[string]any{"consolidateAfter": "10m"},
	}, u.Object["spec"])
	assert.Equal(t, "karpenter.sh/v1", u.GetAPIVersion())
}
