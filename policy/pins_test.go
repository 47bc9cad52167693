package policy_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

func (b *podBuilder) requireNode(key string, values ...string) *podBuilder {
	b.pod.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
			MatchExpressions: []corev1.NodeSelectorRequirement{{Key: key, Operator: corev1.NodeSelectorOpIn, Values: values}},
		}}},
	}}
	return b
}

// TestRunnerPins: a value the runner's config pinned wins, and a pin that
// differs from what the job or the fallback wanted is reported.
func TestRunnerPins(t *testing.T) {
	base := mustLoad(karpenterPolicy)
	override := mustLoad(karpenterPolicy + "capacity: {overrideRunnerPin: true}\n")
	degraded := v1alpha1.CapacityStatus{Degraded: []v1alpha1.DegradedCapacity{{Arch: "amd64", CapacityType: v1alpha1.CapacitySpot}}}
	const ct, arch = "karpenter.sh/capacity-type", "kubernetes.io/arch"
	cases := []struct {
		name         string
		pod          *corev1.Pod
		p            *policy.Policy
		status       v1alpha1.CapacityStatus
		wantSelector map[string]string // only the keys named
		wantConflict []policy.PinConflict
	}{
		{"spot pin kept against the job's on-demand",
			jobPod().nodeSelector(ct, "spot").env("JOBFIT_CAPACITY_TYPE", "on-demand").build(), base, v1alpha1.CapacityStatus{},
			map[string]string{ct: "spot"},
			[]policy.PinConflict{{Trait: "capacity-type", Pinned: "spot", PinSource: "nodeSelector " + ct, Wanted: "on-demand", WantedSource: "variable JOBFIT_CAPACITY_TYPE"}}},
		{"spot pin kept against the fallback",
			jobPod().nodeSelector(ct, "spot").build(), base, degraded,
			map[string]string{ct: "spot"},
			[]policy.PinConflict{{Trait: "capacity-type", Pinned: "spot", PinSource: "nodeSelector " + ct, Wanted: "on-demand", WantedSource: "capacity status: amd64 spot degraded (was default)"}}},
		{"a pin that differs only from the policy default is no conflict",
			jobPod().nodeSelector(ct, "on-demand").build(), base, v1alpha1.CapacityStatus{},
			map[string]string{ct: "on-demand"}, nil},
		{"overrideRunnerPin replaces a capacity pin",
			jobPod().nodeSelector(ct, "spot").env("JOBFIT_CAPACITY_TYPE", "on-demand").build(), override, v1alpha1.CapacityStatus{},
			map[string]string{ct: "on-demand"},
			[]policy.PinConflict{{Trait: "capacity-type", Pinned: "spot", PinSource: "nodeSelector " + ct, Wanted: "on-demand", WantedSource: "variable JOBFIT_CAPACITY_TYPE", Replaced: true}}},
		{"overrideRunnerPin never replaces an arch pin",
			jobPod().nodeSelector(arch, "amd64").env("CI_RUNNER_TAGS", `["arm64"]`).build(), override, v1alpha1.CapacityStatus{},
			map[string]string{arch: "amd64"},
			[]policy.PinConflict{{Trait: "arch", Pinned: "amd64", PinSource: "nodeSelector " + arch, Wanted: "arm64", WantedSource: "runner tags"}}},
		{"required affinity pin kept, nothing written against it",
			jobPod().requireNode(ct, "spot").env("JOBFIT_CAPACITY_TYPE", "on-demand").build(), override, v1alpha1.CapacityStatus{},
			map[string]string{ct: ""},
			[]policy.PinConflict{{Trait: "capacity-type", Pinned: "spot", PinSource: "required node affinity " + ct, Wanted: "on-demand", WantedSource: "variable JOBFIT_CAPACITY_TYPE"}}},
		{"an affinity allowing several values is narrowed to the job's",
			jobPod().requireNode(arch, "amd64", "arm64").env("CI_RUNNER_TAGS", `["arm64"]`).build(), base, v1alpha1.CapacityStatus{},
			map[string]string{arch: "arm64"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, dec := policy.Apply(tc.pod, tc.p, tc.status)
			for k, v := range tc.wantSelector {
				assert.Equal(t, v, out.Spec.NodeSelector[k], "nodeSelector %s", k)
			}
			assert.Equal(t, tc.wantConflict, dec.PinConflicts)
			for _, c := range tc.wantConflict {
				assert.Contains(t, dec.Warnings, c.String(), "every conflict is a warning")
			}
			again, dec2 := policy.Apply(out, tc.p, tc.status)
			assert.Equal(t, out, again, "applying twice must equal applying once")
			assert.Empty(t, dec2.Changed())
			if len(tc.wantConflict) == 1 && tc.wantConflict[0].Replaced {
				assert.Empty(t, dec2.PinConflicts, "jobfit's own value from the first pass is not a runner pin")
			}
		})
	}
}

func TestArchPinKeepsHelperImage(t *testing.T) {
	out, dec := policy.Apply(jobPod().nodeSelector("kubernetes.io/arch", "amd64").env("JOBFIT_ARCH", "arm64").build(), mustLoad(karpenterPolicy), v1alpha1.CapacityStatus{})
	assert.Equal(t, helper1811, out.Spec.Containers[1].Image, "the runner chose the helper for its pinned arch")
	require.Len(t, dec.PinConflicts, 1)
	assert.Equal(t, "runner pin nodeSelector kubernetes.io/arch=amd64 kept; variable JOBFIT_ARCH wanted arm64 (the runner's config wins: remove the pin from its config.toml to let jobfit choose)", dec.Warnings[0])
}
