package policy_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/test/corpus"
)

// TestFargateExampleSizesEveryContainer runs the shipped EKS Fargate
// example policy on every amd64 job pod of the corpus, services included,
// and checks what its comment promises: every container (init containers
// too) ends with requests equal to limits, and the containers' requests add
// up to a Fargate size less Fargate's 256Mi overhead.
func TestFargateExampleSizesEveryContainer(t *testing.T) {
	p := corpus.LoadPolicy(t, "../manifests/examples/policies/eks-fargate.yaml")
	withServices := 0
	for _, in := range corpus.Inputs(t, "testdata") {
		tc := corpus.Read(t, in)
		t.Run(filepath.Base(in), func(t *testing.T) {
			out, dec := policy.Apply(tc.Pod, p, v1alpha1.CapacityStatus{})
			size, ok := decision(dec, policy.MutFargateSize)
			if !ok {
				require.NotEqual(t, "amd64", out.Spec.NodeSelector[v1alpha1.LabelArch], "an amd64 pod must be sized for Fargate: %v", dec.Warnings)
				return
			}
			if len(out.Spec.Containers) > 2 {
				withServices++
			}
			var cpu, mem resource.Quantity
			for _, cs := range [][]corev1.Container{out.Spec.InitContainers, out.Spec.Containers} {
				for _, c := range cs {
					for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
						req, hasReq := c.Resources.Requests[name]
						lim, hasLim := c.Resources.Limits[name]
						require.True(t, hasReq && hasLim, "%s: %s needs a request and a limit", c.Name, name)
						assert.Zero(t, req.Cmp(lim), "%s: requests.%s=%s, limits.%s=%s", c.Name, name, req.String(), name, lim.String())
					}
				}
			}
			for _, c := range out.Spec.Containers {
				cpu.Add(c.Resources.Requests[corev1.ResourceCPU])
				mem.Add(c.Resources.Requests[corev1.ResourceMemory])
			}
			mem.Add(resource.MustParse("256Mi"))
			assert.Equal(t, size.Value, formatFargate(cpu, mem), "the containers fill the Fargate size exactly")
			for _, w := range dec.Warnings {
				assert.NotContains(t, w, "request, and EKS Fargate sizes the pod from requests")
			}
		})
	}
	assert.GreaterOrEqual(t, withServices, 3, "the corpus must hold Fargate-sized pods with services")
}

func formatFargate(cpu, mem resource.Quantity) string {
	return strings.TrimSuffix(strings.TrimSuffix(cpu.AsDec().String(), ".000"), ".0") + " vCPU " + mem.String()
}
