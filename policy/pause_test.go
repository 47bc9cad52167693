package policy_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

const pausePolicy = header + `platform: karpenter
scheduling:
  tolerations: [{key: ci.example.com/runner, operator: Equal, value: "true", effect: NoSchedule}]
  byArch: {arm64: {tolerations: [{key: ci.example.com/graviton, operator: Exists, effect: NoSchedule}]}}
  byCapacityType: {spot: {tolerations: [{key: ci.example.com/spot, operator: Exists, effect: NoSchedule}]}}
  priorityClassName: ci-jobs
resources:
  defaults: {build: {requests: {cpu: "1", memory: 2Gi}}, helper: {requests: {cpu: 100m, memory: 128Mi}}}
`

// pausePod is a GitLab Runner 18.10+ pause pod as its Deployment's
// ReplicaSet creates it (executors/kubernetes/autoscaler): no name yet, the
// runner's labels, the pause image, the runner's priority class.
func pausePod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: "runner-pause-zx8kqw2nv-rab12cd34ef56-6d8f9c7b54-", Namespace: "gitlab-runner",
			Labels: map[string]string{
				"runner.gitlab.com/pause-pod": "true", "manager.runner.gitlab.com/id-short": "Zx8kQw2Nv",
				"manager.runner.gitlab.com/system-id": "r_Ab12Cd34Ef56", "pod-template-hash": "6d8f9c7b54",
			},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "runner-pause-zx8kqw2nv-rab12cd34ef56-6d8f9c7b54",
				UID: "4f2b8c1e-9a7d-4e3b-b5c6-0d1e2f3a4b5c", Controller: ptrTo(true)}},
		},
		Spec: corev1.PodSpec{
			PriorityClassName: "gitlab-runner-idle-capacity",
			Containers: []corev1.Container{{Name: "pause", Image: "registry.k8s.io/pause:3.10",
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}}}},
		},
	}
}

func ptrTo[T any](v T) *T { return &v }

func mix(cells ...v1alpha1.MixCell) v1alpha1.CapacityStatus {
	return v1alpha1.CapacityStatus{RunnerMixes: []v1alpha1.RunnerMix{{Runner: "Zx8kQw2Nv", Jobs: cells}}}
}

func TestApplyPausePod(t *testing.T) {
	p := mustLoad(pausePolicy)
	armOnDemand := mix(v1alpha1.MixCell{Arch: "arm64", CapacityType: "on-demand", Percent: 4})
	pinnedAMD := pausePod()
	pinnedAMD.Spec.NodeSelector = map[string]string{"kubernetes.io/arch": "amd64"}
	cases := []struct {
		name             string
		pod              *corev1.Pod
		status           v1alpha1.CapacityStatus
		wantArch, wantCT string
		wantSource       string
		wantTolerations  []string
	}{
		{"no history: the policy's defaults", pausePod(), v1alpha1.CapacityStatus{}, "amd64", "spot", "default",
			[]string{"ci.example.com/runner", "ci.example.com/spot"}},
		{"the runner's mix", pausePod(), armOnDemand, "arm64", "on-demand", "runner Zx8kQw2Nv's recent jobs: 100% on arm64/on-demand",
			[]string{"ci.example.com/runner", "ci.example.com/graviton"}},
		{"another runner's mix is not this one's", pausePod(),
			v1alpha1.CapacityStatus{RunnerMixes: []v1alpha1.RunnerMix{{Runner: "other", Jobs: []v1alpha1.MixCell{{Arch: "arm64", Percent: 9}}}}},
			"amd64", "spot", "default", []string{"ci.example.com/runner", "ci.example.com/spot"}},
		{"the runner's arch pin limits the draw", pinnedAMD,
			mix(v1alpha1.MixCell{Arch: "arm64", CapacityType: "spot", Percent: 99}, v1alpha1.MixCell{Arch: "amd64", CapacityType: "on-demand", Percent: 1}),
			"amd64", "on-demand", "nodeSelector kubernetes.io/arch", []string{"ci.example.com/runner"}},
		{"degraded spot moves it to on-demand", pausePod(),
			v1alpha1.CapacityStatus{Degraded: []v1alpha1.DegradedCapacity{{Arch: "amd64", CapacityType: "spot"}}},
			"amd64", "on-demand", "default", []string{"ci.example.com/runner"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.pod.DeepCopy()
			out, dec := policy.ApplyPausePod(tc.pod, p, tc.status, "req-1")
			require.False(t, dec.Skipped, dec.Reason)
			assert.Equal(t, in, tc.pod, "the input is not modified")
			assert.Equal(t, tc.wantArch, out.Spec.NodeSelector["kubernetes.io/arch"])
			assert.Equal(t, tc.wantCT, out.Spec.NodeSelector["karpenter.sh/capacity-type"])
			d, _ := decision(dec, policy.MutArch)
			assert.Equal(t, tc.wantSource, d.Source)
			var keys []string
			for _, tol := range out.Spec.Tolerations {
				keys = append(keys, tol.Key)
			}
			assert.Equal(t, tc.wantTolerations, keys)
			assert.Equal(t, in.Spec.Containers, out.Spec.Containers, "containers are never changed")
			assert.Equal(t, "gitlab-runner-idle-capacity", out.Spec.PriorityClassName, "the runner's priority class stays")
			require.NotNil(t, out.Spec.Resources)
			d, _ = decision(dec, policy.MutPauseResources)
			assert.Equal(t, "cpu=1100m,memory=2176Mi", d.Value, "one job's default room: build + helper")
			assert.Zero(t, out.Spec.Resources.Requests.Cpu().Cmp(resource.MustParse("1100m")))
			assert.Zero(t, out.Spec.Resources.Requests.Memory().Cmp(resource.MustParse("2176Mi")))
			for k, v := range in.Labels {
				assert.Equal(t, v, out.Labels[k], "labels are kept")
			}
			again, _ := policy.ApplyPausePod(out, p, tc.status, "another request")
			assert.Equal(t, out, again, "a reinvocation keeps what the first pass drew")
		})
	}
}

// TestPausePodsFollowTheMix: over many admissions (seeds), the pause pods
// of a runner spread over its jobs' cells in their proportions.
func TestPausePodsFollowTheMix(t *testing.T) {
	p := mustLoad(pausePolicy)
	status := mix(v1alpha1.MixCell{Arch: "amd64", CapacityType: "spot", Percent: 6}, v1alpha1.MixCell{Arch: "arm64", CapacityType: "spot", Percent: 3},
		v1alpha1.MixCell{Arch: "arm64", CapacityType: "on-demand", Percent: 1})
	got := map[string]int{}
	const n = 2000
	for i := range n {
		out, _ := policy.ApplyPausePod(pausePod(), p, status, fmt.Sprintf("8c0e6d1c-%04d", i))
		got[out.Spec.NodeSelector["kubernetes.io/arch"]+"/"+out.Spec.NodeSelector["karpenter.sh/capacity-type"]]++
	}
	assert.InDelta(t, 0.6, float64(got["amd64/spot"])/n, 0.05, "%v", got)
	assert.InDelta(t, 0.3, float64(got["arm64/spot"])/n, 0.05, "%v", got)
	assert.InDelta(t, 0.1, float64(got["arm64/on-demand"])/n, 0.05, "%v", got)
	assert.Len(t, got, 3)
}

func TestApplyPausePodSkips(t *testing.T) {
	eci := mustLoad(header + "platform: eci\n")
	_, dec := policy.ApplyPausePod(pausePod(), eci, v1alpha1.CapacityStatus{}, "x")
	assert.True(t, dec.Skipped)
	assert.Contains(t, dec.Reason, "platform eci")

	other := mustLoad(header + "platform: karpenter\nselector: {runnerIDs: [Other]}\n")
	_, dec = policy.ApplyPausePod(pausePod(), other, v1alpha1.CapacityStatus{}, "x")
	assert.True(t, dec.Skipped)

	_, dec = policy.ApplyPausePod(jobPod().build(), mustLoad(pausePolicy), v1alpha1.CapacityStatus{}, "x")
	assert.True(t, dec.Skipped, "a job pod is not a pause pod")

	big := pausePod()
	big.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("4")
	out, dec := policy.ApplyPausePod(big, mustLoad(pausePolicy), v1alpha1.CapacityStatus{}, "x")
	require.False(t, dec.Skipped)
	assert.Nil(t, out.Spec.Resources, "pod-level requests below the containers' would be refused")
	assert.Contains(t, dec.Warnings, "pause pod containers request 4 cpu, more than one job's default room 1100m; left as the runner set it")
}

func TestParseCapacityStatusRunnerMixes(t *testing.T) {
	st := mix(v1alpha1.MixCell{Arch: "arm64", CapacityType: "spot", Percent: 3})
	body, err := st.Marshal()
	require.NoError(t, err)
	got, err := v1alpha1.ParseCapacityStatus(body)
	require.NoError(t, err)
	assert.Equal(t, st, got)
	for _, pct := range []string{"0", "101", "-5"} {
		_, err = v1alpha1.ParseCapacityStatus([]byte("runnerMixes:\n- {runner: a, jobs: [{arch: arm64, percent: " + pct + "}]}\n"))
		assert.ErrorContains(t, err, "runnerMixes[0].jobs[0]", pct)
	}
}

// TestPausePodContainersStay: even a pause pod that carries a container
// named helper with a GitLab helper image keeps its image.
func TestPausePodContainersStay(t *testing.T) {
	pod := pausePod()
	pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: "helper", Image: helper1811})
	out, _ := policy.ApplyPausePod(pod, mustLoad(pausePolicy), mix(v1alpha1.MixCell{Arch: "arm64", Percent: 1}), "x")
	assert.Equal(t, "arm64", out.Spec.NodeSelector["kubernetes.io/arch"])
	assert.Equal(t, pod.Spec.Containers, out.Spec.Containers)
}

// FuzzApplyPausePod places pause pods with fuzzed mixes, pins and seeds,
// and checks the guarantees: no panic, containers untouched, labels kept,
// and a reinvocation with another seed changes nothing.
//
//	go test ./policy -run '^$' -fuzz FuzzApplyPausePod -fuzztime 1m
func FuzzApplyPausePod(f *testing.F) {
	f.Add("arm64", "spot", 60, "amd64", "", 40, "", "uid-1")
	f.Add("sparc", "cheap", 100, "", "on-demand", 1, "amd64", "")
	f.Add("", "", 0, "amd64", "spot", 100, "arm64", "x")
	p := mustLoad(pausePolicy)
	f.Fuzz(func(t *testing.T, arch1, ct1 string, pct1 int, arch2, ct2 string, pct2 int, pin, seed string) {
		status := mix(v1alpha1.MixCell{Arch: arch1, CapacityType: ct1, Percent: pct1}, v1alpha1.MixCell{Arch: arch2, CapacityType: ct2, Percent: pct2})
		pod := pausePod()
		if pin != "" {
			pod.Spec.NodeSelector = map[string]string{"kubernetes.io/arch": pin}
		}
		in := pod.DeepCopy()
		out, dec := policy.ApplyPausePod(pod, p, status, seed)
		require.Equal(t, in, pod, "the input is not modified")
		require.False(t, dec.Skipped, dec.Reason)
		assert.Equal(t, in.Spec.Containers, out.Spec.Containers)
		for k, v := range in.Labels {
			assert.Equal(t, v, out.Labels[k])
		}
		if pin != "" {
			assert.Equal(t, pin, out.Spec.NodeSelector["kubernetes.io/arch"], "the runner's pin is kept")
		}
		again, _ := policy.ApplyPausePod(out, p, status, seed+"again")
		assert.Equal(t, out, again, "idempotent")
	})
}
