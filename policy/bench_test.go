package policy_test

import (
	"fmt"
	"testing"

	"jobfit.dev/jobfit/policy"
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
				out, _ := policy.Apply(pod, p, policy.CapacityStatus{})
				if out == pod {
					b.Fatal("not mutated")
				}
			}
		})
	}
}
