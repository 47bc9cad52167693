package policy_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// FuzzLoad: decoding never panics, and an accepted policy survives a round
// trip through its JSON form with the same hash.
//
//	go test ./policy -run '^$' -fuzz FuzzLoad -fuzztime 1m
func FuzzLoad(f *testing.F) {
	f.Add([]byte(karpenterPolicy))
	f.Add([]byte(header + "platform: eci\ncaches: [{name: c, claimName: \"c-{arch}\", mountPath: /cache}]\n"))
	f.Add([]byte(header + "platform: fargate\nresources: {max: {cpu: 4}}\n"))
	f.Add([]byte("apiVersion: v1\nkind: ConfigMap\ndata: {policy.yaml: \"kind: Policy\"}\n"))
	f.Add([]byte(header + "traits: {tags: {arch: {amd64: [X86]}}}\n"))
	f.Add([]byte(header + "platform: karpenter\nscheduling: {tolerations: [{key: a, value: b, effect: NoSchedule}], byArch: {arm64: {tolerations: [{key: g, operator: Exists}]}}, byCapacityType: {spot: {tolerations: [{key: s, operator: Exists}]}}, priorityClassName: ci}\n"))
	f.Add([]byte(header + "capacity: {overrideRunnerPin: true}\nresources: {jobVariables: true, max: {memory: 8Gi}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, errs := policy.Load(data)
		if len(errs) > 0 {
			require.Nil(t, p)
			return
		}
		js, err := json.Marshal(p)
		require.NoError(t, err)
		again, errs := policy.Load(js)
		require.Empty(t, errs, "a loaded policy must reload: %s", js)
		assert.Equal(t, p.Hash(), again.Hash())
	})
}

// FuzzApply mutates realistic job pods with fuzzed traits, tags, images,
// timeouts and mounts, and checks the guarantees: no panic, idempotency,
// add-only labels, and no duplicate volumes or mount paths.
//
//	go test ./policy -run '^$' -fuzz FuzzApply -fuzztime 1m
func FuzzApply(f *testing.F) {
	f.Add("arm64", `["arm64", "kubernetes"]`, "", "1h0m0s", helper1811, "/cache", "large", uint8(0))
	f.Add("", "aarch64, docker", "amd64", "90m", "gitlab-runner-helper:ubuntu-x86_64-v17.6.0-pwsh", "/builds", "", uint8(1))
	f.Add("x86", "[", "arm64", "bogus", "example.com/h@sha256:00", "/cache/", "xl", uint8(2))
	f.Add("sparc", `["spot","on-demand"]`, "", "-1s", "", "", "", uint8(3))
	policies := []*policy.Policy{
		mustLoad(header + "platform: karpenter\ntraits: {variables: {arch: [JOBFIT_ARCH, BUILD_ARCH]}, tags: {size: {large: [large, xl]}}}\nresources: {sizes: {large: {build: {requests: {cpu: \"4\"}}}}, max: {cpu: \"6\"}}\ncaches: [{name: jobfit-cache, claimName: \"cache-{arch}\", mountPath: /cache, containers: [build, helper, services]}]\n"),
		mustLoad(header + "platform: eci\nsecrets: [{secretName: s, defaultMode: 0400}]\nresources: {defaults: {build: {requests: {cpu: \"2\", memory: 4Gi}}}}\n"),
		mustLoad(header + "platform: fargate\nfargate: {profileLabels: {compute: fargate}}\nresources: {defaults: {build: {limits: {cpu: \"1\"}}}}\n"),
		mustLoad(header + "platform: karpenter\ncapacity: {enforcement: preferred}\n"),
		mustLoad(header + "platform: karpenter\ncapacity: {overrideRunnerPin: true}\nresources: {jobVariables: true, max: {cpu: \"6\", memory: 8Gi}}\n" +
			"scheduling: {tolerations: [{key: a, value: b, effect: NoSchedule}], byArch: {arm64: {tolerations: [{key: g, operator: Exists}]}}, byCapacityType: {spot: {tolerations: [{key: s, operator: Exists}]}}, priorityClassName: ci}\n"),
		mustLoad(header + "platform: fargate\nresources: {jobVariables: true, defaults: {services: {requests: {cpu: 250m, memory: 512Mi}}}}\n"),
		mustLoad(header + "platform: karpenter\narch: {preferred: [arm64, amd64], fromImages: true}\n"),
	}
	f.Fuzz(func(t *testing.T, archVar, tags, archLabel, timeout, helperImage, mountPath, size string, which uint8) {
		b := jobPod().env("JOBFIT_ARCH", archVar).env("CI_RUNNER_TAGS", tags).env("JOBFIT_SIZE", size).
			env("JOBFIT_CAPACITY_TYPE", archLabel).env("KUBERNETES_CPU_REQUEST", timeout).env("KUBERNETES_MEMORY_LIMIT", size).
			env("KUBERNETES_SERVICE_CPU_LIMIT", archVar)
		if which&4 != 0 {
			b.nodeSelector("karpenter.sh/capacity-type", "spot")
		}
		if which&8 != 0 {
			b.requireNode("kubernetes.io/arch", "amd64", "arm64")
		}
		if archLabel != "" {
			b.label("jobfit.dev/arch", archLabel)
		}
		pod := b.build()
		pod.Annotations["job.runner.gitlab.com/timeout"] = timeout
		pod.Spec.Containers[1].Image = helperImage
		if mountPath != "" {
			pod.Spec.Containers[0].VolumeMounts = append(pod.Spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "repo", MountPath: mountPath})
		}
		p := policies[int(which)%len(policies)]
		// JSON, not YAML: fuzzed strings may hold control characters YAML rejects.
		before, err := json.Marshal(pod)
		require.NoError(t, err)
		// The service's platforms are fuzzed; the build image is known.
		images := policy.ImagePlatforms{"node:20": {"linux/amd64", "linux/arm64"}, "postgres:16": {size, "linux/" + tags}}
		out, _ := policy.ApplyInCluster(pod, p, policy.Cluster{Status: v1alpha1.CapacityStatus{Degraded: []v1alpha1.DegradedCapacity{{Arch: "arm64", CapacityType: "spot"}}}, Images: images})
		after, _ := json.Marshal(pod)
		require.Equal(t, string(before), string(after), "Apply modified its input")
		again, _ := policy.ApplyInCluster(out, p, policy.Cluster{Status: v1alpha1.CapacityStatus{Degraded: []v1alpha1.DegradedCapacity{{Arch: "arm64", CapacityType: "spot"}}}, Images: images})
		o1, _ := json.Marshal(out)
		o2, _ := json.Marshal(again)
		require.JSONEq(t, string(o1), string(o2), "not idempotent")
		for k, v := range pod.Labels {
			require.Equal(t, v, out.Labels[k])
		}
		if mountPath == "" || mountPath[0] != '/' || hasDuplicateMounts(pod) {
			return
		}
		assertValidVolumes(t, out)
	})
}

func hasDuplicateMounts(pod *corev1.Pod) bool {
	for _, c := range pod.Spec.Containers {
		seen := map[string]bool{}
		for _, m := range c.VolumeMounts {
			if seen[m.MountPath] {
				return true
			}
			seen[m.MountPath] = true
		}
	}
	return false
}
