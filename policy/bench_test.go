package policy_test

import (
	"fmt"
	"testing"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// BenchmarkApply measures Apply on an 18.x job pod with one service, for
// growing env sizes (~60 variables is an ordinary job; 1,500 is extreme).
//
//	go test ./policy -run '^$' -bench BenchmarkApply -benchmem -count 10
func BenchmarkApply(b *testing.B) {
	p := mustLoad(karpenterPolicy + `resources:
  defaults: {build: {requests: {cpu: 500m, memory: 1Gi}}, helper: {requests: {cpu: 100m}}}
  max: {cpu: "8", memory: 32Gi}
caches: [{name: jobfit-cache, claimName: "gitlab-cache-{arch}", mountPath: /cache, containers: [build, helper]}]
labels: {gitlab-role: runner}
`)
	for _, n := range []int{60, 300, 1500} {
		pod := jobPod().env("CI_RUNNER_TAGS", `["arm64", "kubernetes"]`).padEnv(n - 5).build()
		b.Run(fmt.Sprintf("env=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out, _ := policy.Apply(pod, p, v1alpha1.CapacityStatus{})
				if out == pod {
					b.Fatal("not mutated")
				}
			}
		})
	}
}

// BenchmarkApplyFromImages measures Apply on the same pod (60 variables,
// no arch asked) with arch.fromImages off, on with both images known
// (warm), and on with none known (cold).
//
//	go test ./policy -run '^$' -bench BenchmarkApplyFromImages -benchmem -count 10
func BenchmarkApplyFromImages(b *testing.B) {
	base := karpenterPolicy + `resources:
  defaults: {build: {requests: {cpu: 500m, memory: 1Gi}}, helper: {requests: {cpu: 100m}}}
  max: {cpu: "8", memory: 32Gi}
caches: [{name: jobfit-cache, claimName: "gitlab-cache-{arch}", mountPath: /cache, containers: [build, helper]}]
labels: {gitlab-role: runner}
`
	off := mustLoad(base)
	on := mustLoad(base + "arch: {preferred: [arm64, amd64], fromImages: true}\n")
	both := []string{"linux/amd64", "linux/arm64/v8"}
	warm := policy.ImagePlatforms{"node:20": both, "postgres:16": both}
	pod := jobPod().padEnv(55).build()
	for _, bc := range []struct {
		name   string
		p      *policy.Policy
		images policy.ImagePlatforms
	}{{"off", off, warm}, {"on-warm", on, warm}, {"on-cold", on, nil}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out, _ := policy.ApplyInCluster(pod, bc.p, policy.Cluster{Images: bc.images})
				if out == pod {
					b.Fatal("not mutated")
				}
			}
		})
	}
}
