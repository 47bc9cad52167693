package policy_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/test/corpus"
)

const schedulingPolicy = header + `platform: karpenter
scheduling:
  tolerations:
    - {key: ci.example.com/runner, operator: Equal, value: "true", effect: NoSchedule}
  byArch:
    arm64: {tolerations: [{key: ci.example.com/graviton, operator: Exists, effect: NoSchedule}]}
  byCapacityType:
    spot: {tolerations: [{key: ci.example.com/spot, operator: Exists, effect: NoSchedule}]}
  priorityClassName: ci-jobs
`

func (b *podBuilder) tolerate(ts ...corev1.Toleration) *podBuilder {
	b.pod.Spec.Tolerations = append(b.pod.Spec.Tolerations, ts...)
	return b
}

func TestSchedulingTolerations(t *testing.T) {
	p := mustLoad(schedulingPolicy)
	runner := corev1.Toleration{Key: "ci.example.com/runner", Operator: corev1.TolerationOpEqual, Value: "true", Effect: corev1.TaintEffectNoSchedule}
	graviton := corev1.Toleration{Key: "ci.example.com/graviton", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
	spot := corev1.Toleration{Key: "ci.example.com/spot", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
	degradedArm := v1alpha1.CapacityStatus{Degraded: []v1alpha1.DegradedCapacity{{Arch: "arm64", CapacityType: v1alpha1.CapacitySpot}}}
	cases := []struct {
		name   string
		pod    *corev1.Pod
		status v1alpha1.CapacityStatus
		want   []corev1.Toleration
	}{
		{"amd64 spot gets the common and the spot toleration", jobPod().build(), v1alpha1.CapacityStatus{}, []corev1.Toleration{runner, spot}},
		{"arm64 spot also gets the arm64 one", jobPod().env("JOBFIT_ARCH", "arm64").build(), v1alpha1.CapacityStatus{}, []corev1.Toleration{runner, graviton, spot}},
		{"on-demand gets no spot toleration", jobPod().env("JOBFIT_CAPACITY_TYPE", "on-demand").build(), v1alpha1.CapacityStatus{}, []corev1.Toleration{runner}},
		{"fallback to on-demand drops the spot toleration", jobPod().env("JOBFIT_ARCH", "arm64").build(), degradedArm, []corev1.Toleration{runner, graviton}},
		{"the runner's toleration without operator is the same toleration",
			jobPod().tolerate(corev1.Toleration{Key: "ci.example.com/runner", Value: "true", Effect: corev1.TaintEffectNoSchedule}).build(), v1alpha1.CapacityStatus{},
			[]corev1.Toleration{{Key: "ci.example.com/runner", Value: "true", Effect: corev1.TaintEffectNoSchedule}, spot}},
		{"a broader runner toleration Covers the policy's",
			jobPod().tolerate(corev1.Toleration{Key: "ci.example.com/runner", Operator: corev1.TolerationOpExists}).build(), v1alpha1.CapacityStatus{},
			[]corev1.Toleration{{Key: "ci.example.com/runner", Operator: corev1.TolerationOpExists}, spot}},
		{"a runner toleration of another effect is kept and the policy's added",
			jobPod().tolerate(corev1.Toleration{Key: "ci.example.com/runner", Operator: corev1.TolerationOpEqual, Value: "true", Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr(int64(60))}).build(), v1alpha1.CapacityStatus{},
			[]corev1.Toleration{{Key: "ci.example.com/runner", Operator: corev1.TolerationOpEqual, Value: "true", Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr(int64(60))}, runner, spot}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.pod.DeepCopy()
			out, dec := policy.Apply(tc.pod, p, tc.status)
			assert.Equal(t, tc.want, out.Spec.Tolerations)
			assert.Equal(t, before, tc.pod, "the input pod is never modified")
			again, _ := policy.Apply(out, p, tc.status)
			assert.Equal(t, out.Spec.Tolerations, again.Spec.Tolerations, "applying twice adds nothing")
			for _, d := range dec.Items {
				if d.Mutation == policy.MutToleration {
					assert.Contains(t, d.Source, "scheduling.", "every toleration names the policy field it came from")
				}
			}
		})
	}
}

func TestSchedulingPriorityClass(t *testing.T) {
	p := mustLoad(schedulingPolicy)
	computed := jobPod().build()
	computed.Spec.Priority = ptr(int32(0))
	computed.Spec.PreemptionPolicy = ptr(corev1.PreemptLowerPriority)
	out, dec := policy.Apply(computed, p, v1alpha1.CapacityStatus{})
	assert.Equal(t, "ci-jobs", out.Spec.PriorityClassName)
	assert.Nil(t, out.Spec.Priority, "the priority the API server computed without a class must go, or it refuses the class")
	assert.Nil(t, out.Spec.PreemptionPolicy)
	d, ok := decision(dec, policy.MutPriorityClass)
	require.True(t, ok)
	assert.True(t, d.Changed)
	assert.Equal(t, "scheduling.priorityClassName", d.Source)

	own := jobPod().build()
	own.Spec.PriorityClassName = "team-critical"
	out, dec = policy.Apply(own, p, v1alpha1.CapacityStatus{})
	assert.Equal(t, "team-critical", out.Spec.PriorityClassName, "a pod's own priority class is kept")
	d, _ = decision(dec, policy.MutPriorityClass)
	assert.False(t, d.Changed)
}

// TestShippedPolicyToleratesShippedPools: with only the shipped files, a
// job pod tolerates the taints of the example NodePool it is steered to.
func TestShippedPolicyToleratesShippedPools(t *testing.T) {
	p := corpus.LoadPolicy(t, "../manifests/examples/policies/eks-karpenter.yaml")
	pools := shippedNodePools(t)
	require.Len(t, pools, 2)
	pods := map[string]*corev1.Pod{
		"shipped arm64 example pod": corpus.Read(t, "../manifests/examples/pods/gitlab-runner-18.11-arm64-job.yaml").Pod,
		"amd64 spot":                jobPod().build(),
		"amd64 on-demand":           jobPod().env("JOBFIT_CAPACITY_TYPE", "on-demand").build(),
	}
	for name, pod := range pods {
		t.Run(name, func(t *testing.T) {
			out, _ := policy.Apply(pod, p, v1alpha1.CapacityStatus{})
			steered := 0
			for _, np := range pools {
				if !admits(np, out.Spec.NodeSelector) {
					continue
				}
				steered++
				for _, taint := range np.Spec.Template.Spec.Taints {
					assert.True(t, slices.ContainsFunc(out.Spec.Tolerations, func(tl corev1.Toleration) bool { return tl.ToleratesTaint(logr.Discard(), &taint, false) }),
						"pod does not tolerate %s of NodePool %s", taint.ToString(), np.Name)
				}
			}
			assert.Equal(t, 1, steered, "the pod must be steered to exactly one shipped NodePool")
		})
	}
}

func shippedNodePools(t *testing.T) []karpv1.NodePool {
	files, err := filepath.Glob("../manifests/examples/karpenter/nodepool-*.yaml")
	require.NoError(t, err)
	var pools []karpv1.NodePool
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var np karpv1.NodePool
		require.NoError(t, yaml.UnmarshalStrict(b, &np), f)
		pools = append(pools, np)
	}
	return pools
}

// admits reports whether every nodeSelector entry the pool constrains is
// one of the values its requirements allow.
func admits(np karpv1.NodePool, selector map[string]string) bool {
	for _, r := range np.Spec.Template.Spec.Requirements {
		v, ok := selector[r.Key]
		if ok && r.Operator == corev1.NodeSelectorOpIn && !slices.Contains(r.Values, v) {
			return false
		}
	}
	return true
}
