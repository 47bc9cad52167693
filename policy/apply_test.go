package policy_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

const karpenterPolicy = header + `platform: karpenter
traits: {variables: {arch: [JOBFIT_ARCH, BUILD_ARCH]}}
`

func TestTraitPrecedence(t *testing.T) {
	p := mustLoad(karpenterPolicy)
	cases := []struct {
		name       string
		pod        *corev1.Pod
		wantArch   string
		wantSource string
	}{
		{"default", jobPod().build(), "amd64", "default"},
		{"runner tags JSON format", jobPod().env("CI_RUNNER_TAGS", `["arm64", "kubernetes"]`).build(), "arm64", "runner tags"},
		{"runner tags comma format", jobPod().env("CI_RUNNER_TAGS", "aarch64, kubernetes").build(), "arm64", "runner tags"},
		{"variable beats tags", jobPod().env("CI_RUNNER_TAGS", `["arm64"]`).env("JOBFIT_ARCH", "x86_64").build(), "amd64", "variable JOBFIT_ARCH"},
		{"second variable name", jobPod().env("BUILD_ARCH", "aarch64").build(), "arm64", "variable BUILD_ARCH"},
		{"label beats variable", jobPod().env("JOBFIT_ARCH", "amd64").label("jobfit.dev/arch", "arm64").build(), "arm64", "label jobfit.dev/arch"},
		{"nodeSelector beats everything", jobPod().label("jobfit.dev/arch", "arm64").nodeSelector("kubernetes.io/arch", "amd64").build(), "amd64", "nodeSelector kubernetes.io/arch"},
		{"unknown variable value falls through", jobPod().env("JOBFIT_ARCH", "sparc").env("CI_RUNNER_TAGS", "arm64").build(), "arm64", "runner tags"},
		{"ambiguous tags ignored", jobPod().env("CI_RUNNER_TAGS", `["arm64", "amd64"]`).build(), "amd64", "default"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, dec := policy.Apply(tc.pod, p, v1alpha1.CapacityStatus{})
			d, ok := decision(dec, policy.MutArch)
			require.True(t, ok)
			assert.Equal(t, tc.wantArch, d.Value)
			assert.Equal(t, tc.wantSource, d.Source)
			assert.Equal(t, tc.wantArch, out.Spec.NodeSelector["kubernetes.io/arch"])
		})
	}
}

func TestIsJobPod(t *testing.T) {
	legacy := jobPod().build()
	legacy.Annotations = nil
	legacy.Labels = map[string]string{"pod": "runner-x-project-1-concurrent-0"}
	podLabelOnlyNoHelper := legacy.DeepCopy()
	podLabelOnlyNoHelper.Spec.Containers = podLabelOnlyNoHelper.Spec.Containers[:1]
	owned := jobPod().build()
	owned.OwnerReferences = []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "rs", Controller: ptr(true)}}
	cases := []struct {
		name string
		pod  *corev1.Pod
		want bool
	}{
		{"18.x annotation", jobPod().build(), true},
		{"pre-17.9 pod label with build and helper", legacy, true},
		{"pod label without helper", podLabelOnlyNoHelper, false},
		{"pause pod", jobPod().label("runner.gitlab.com/pause-pod", "true").build(), false},
		{"headroom pod", jobPod().label("jobfit.dev/headroom", "arm64").build(), false},
		{"controller-owned", owned, false},
		{"plain pod", &corev1.Pod{}, false},
		{"nil", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, reason := policy.IsJobPod(tc.pod)
			assert.Equal(t, tc.want, got)
			assert.NotEmpty(t, reason)
		})
	}
}

func TestRewriteHelperImage(t *testing.T) {
	const repo = "registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper"
	cases := []struct{ in, arch, want string }{
		{repo + ":x86_64-v18.11.4", "arm64", repo + ":arm64-v18.11.4"},
		{repo + ":ubuntu-x86_64-v18.11.4", "arm64", repo + ":ubuntu-arm64-v18.11.4"},
		{repo + ":x86_64-v18.11.4-pwsh", "arm64", repo + ":arm64-v18.11.4-pwsh"},
		{repo + ":alpine3.21-x86_64-v18.11.4", "arm64", repo + ":alpine3.21-arm64-v18.11.4"},
		{repo + ":ubi-fips-x86_64-v18.11.4", "arm64", repo + ":ubi-fips-arm64-v18.11.4"},
		{repo + ":arm64-v18.11.4", "amd64", repo + ":x86_64-v18.11.4"},
		{repo + ":x86_64-latest", "arm64", repo + ":arm64-latest"},
		{"gitlab/gitlab-runner-helper:x86_64-5b1ba4d9", "arm64", "gitlab/gitlab-runner-helper:arm64-5b1ba4d9"},
		{"registry.local:5000/mirror/gitlab-runner-helper:x86_64-v17.6.0", "arm64", "registry.local:5000/mirror/gitlab-runner-helper:arm64-v17.6.0"},
	}
	for _, tc := range cases {
		got, reason := policy.RewriteHelperImage(tc.in, tc.arch)
		assert.Empty(t, reason, tc.in)
		assert.Equal(t, tc.want, got)
	}
	for _, img := range []string{
		"registry.example.com/ci/runner-helper:2026.11",
		repo + "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		repo,
		"registry.local:5000/gitlab-runner-helper",
		repo + ":v18.11.4",
	} {
		_, reason := policy.RewriteHelperImage(img, "arm64")
		assert.NotEmpty(t, reason, img)
	}
}

func TestCapacityFollowsScalerStatus(t *testing.T) {
	p := mustLoad(karpenterPolicy)
	degraded := v1alpha1.CapacityStatus{Degraded: []v1alpha1.DegradedCapacity{{Arch: "arm64", CapacityType: "spot"}}}
	arm := jobPod().env("JOBFIT_ARCH", "arm64").build()
	out, dec := policy.Apply(arm, p, degraded)
	assert.Equal(t, "on-demand", out.Spec.NodeSelector["karpenter.sh/capacity-type"])
	d, _ := decision(dec, policy.MutCapacity)
	assert.Contains(t, d.Source, "capacity status")

	amd, _ := policy.Apply(jobPod().build(), p, degraded)
	assert.Equal(t, "spot", amd.Spec.NodeSelector["karpenter.sh/capacity-type"], "only arm64 spot is degraded")

	pinned, _ := policy.Apply(jobPod().env("JOBFIT_ARCH", "arm64").nodeSelector("karpenter.sh/capacity-type", "spot").build(), p, degraded)
	assert.Equal(t, "spot", pinned.Spec.NodeSelector["karpenter.sh/capacity-type"], "a runner pin wins")

	// Reinvocation after the status changed: jobfit's own earlier choice is not a pin.
	recovered, _ := policy.Apply(out, p, v1alpha1.CapacityStatus{})
	assert.Equal(t, "spot", recovered.Spec.NodeSelector["karpenter.sh/capacity-type"])
}

func TestPreferredCapacity(t *testing.T) {
	p := mustLoad(header + "platform: karpenter\ncapacity: {enforcement: preferred}\n")
	out, _ := policy.Apply(jobPod().build(), p, v1alpha1.CapacityStatus{})
	assert.NotContains(t, out.Spec.NodeSelector, "karpenter.sh/capacity-type")
	terms := out.Spec.Affinity.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution
	require.Len(t, terms, 1)
	assert.Equal(t, []string{"spot"}, terms[0].Preference.MatchExpressions[0].Values)
	again, _ := policy.Apply(out, p, v1alpha1.CapacityStatus{})
	assert.Len(t, again.Spec.Affinity.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution, 1)
}

func TestDoNotDisrupt(t *testing.T) {
	p := mustLoad(karpenterPolicy)
	out, _ := policy.Apply(jobPod().build(), p, v1alpha1.CapacityStatus{})
	assert.Equal(t, "1h15m0s", out.Annotations["karpenter.sh/do-not-disrupt"])

	noAnno := jobPod().build()
	delete(noAnno.Annotations, "job.runner.gitlab.com/timeout")
	noAnno = jobPod().env("CI_JOB_TIMEOUT", "7200").build()
	delete(noAnno.Annotations, "job.runner.gitlab.com/timeout")
	out, _ = policy.Apply(noAnno, p, v1alpha1.CapacityStatus{})
	assert.Equal(t, "2h15m0s", out.Annotations["karpenter.sh/do-not-disrupt"])

	always := mustLoad(header + "platform: karpenter\ndisruption: {doNotDisrupt: \"true\"}\n")
	out, _ = policy.Apply(jobPod().build(), always, v1alpha1.CapacityStatus{})
	assert.Equal(t, "true", out.Annotations["karpenter.sh/do-not-disrupt"])
}

func TestResources(t *testing.T) {
	p := mustLoad(header + `platform: generic
traits: {tags: {size: {large: [large, xl]}}}
resources:
  defaults:
    build: {requests: {cpu: "1", memory: 2Gi, ephemeral-storage: 10Gi}, limits: {memory: 4Gi}}
    services: {requests: {cpu: 250m}}
  sizes:
    large: {build: {requests: {cpu: "4", memory: 8Gi}, limits: {memory: 8Gi}}}
  max: {cpu: "6", memory: 16Gi}
`)
	out, dec := policy.Apply(jobPod().build(), p, v1alpha1.CapacityStatus{})
	build := out.Spec.Containers[0].Resources
	assert.Equal(t, "500m", ptrQ(build.Requests, corev1.ResourceCPU), "runner-set request wins over default")
	assert.Equal(t, "10Gi", ptrQ(build.Requests, corev1.ResourceEphemeralStorage), "gap filled")
	assert.Equal(t, "4Gi", ptrQ(build.Limits, corev1.ResourceMemory))
	assert.Equal(t, "250m", ptrQ(out.Spec.Containers[2].Resources.Requests, corev1.ResourceCPU), "services default")
	assert.Empty(t, dec.Warnings)

	large, dec := policy.Apply(jobPod().env("JOBFIT_SIZE", "xl").build(), p, v1alpha1.CapacityStatus{})
	lb := large.Spec.Containers[0].Resources
	assert.Equal(t, "4", ptrQ(lb.Requests, corev1.ResourceCPU))
	assert.Equal(t, "8Gi", ptrQ(lb.Limits, corev1.ResourceMemory))
	assert.NotEmpty(t, dec.Warnings, "replacing a runner-set request is reported")

	huge := jobPod().build()
	huge.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = mustQ("16")
	capped, dec := policy.Apply(huge, p, v1alpha1.CapacityStatus{})
	assert.Equal(t, "6", ptrQ(capped.Spec.Containers[0].Resources.Requests, corev1.ResourceCPU))
	assert.Contains(t, dec.Warnings[0], "capped")
}

func TestSecretModes(t *testing.T) {
	p := mustLoad(header + "secrets: [{secretName: gitlab-credentials, defaultMode: 0400}]\n")
	pod := jobPod().build()
	pod.Spec.Volumes = append(pod.Spec.Volumes,
		corev1.Volume{Name: "ssh", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "gitlab-credentials", DefaultMode: ptr(int32(0o644))}}},
		corev1.Volume{Name: "other", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "gitlab-credentials", DefaultMode: ptr(int32(0o440))}}},
	)
	out, dec := policy.Apply(pod, p, v1alpha1.CapacityStatus{})
	assert.Equal(t, int32(0o400), *out.Spec.Volumes[3].Secret.DefaultMode, "the API default 0644 is replaced")
	assert.Equal(t, int32(0o440), *out.Spec.Volumes[4].Secret.DefaultMode, "an explicit mode is kept")
	assert.Len(t, dec.Warnings, 1)
}

func TestSelectorAndOptOut(t *testing.T) {
	p := mustLoad(header + "podOptOut: true\nselector: {rootNamespaces: [acme]}\n")
	_, dec := policy.Apply(jobPod().build(), p, v1alpha1.CapacityStatus{})
	assert.False(t, dec.Skipped)
	_, dec = policy.Apply(jobPod().label("jobfit.dev/inject", "disabled").build(), p, v1alpha1.CapacityStatus{})
	assert.True(t, dec.Skipped)
	_, dec = policy.Apply(jobPod().label("project.runner.gitlab.com/root-namespace", "other").build(), p, v1alpha1.CapacityStatus{})
	assert.True(t, dec.Skipped)

	noOptOut := mustLoad(header)
	_, dec = policy.Apply(jobPod().label("jobfit.dev/inject", "disabled").build(), noOptOut, v1alpha1.CapacityStatus{})
	assert.False(t, dec.Skipped, "opt-out is honoured only with podOptOut: true")
}
