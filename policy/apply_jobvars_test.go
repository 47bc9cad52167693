package policy_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

const jobVarsPolicy = header + `platform: karpenter
resources:
  defaults: {build: {requests: {cpu: 500m, memory: 1Gi}}}
  sizes: {large: {build: {requests: {cpu: "4"}, limits: {memory: 8Gi}}}}
  max: {cpu: "8", memory: 32Gi}
  jobVariables: true
`

func (b *podBuilder) buildResources(r corev1.ResourceRequirements) *podBuilder {
	b.pod.Spec.Containers[0].Resources = r
	return b
}

// TestJobVariablePrecedence: the runner's value, a size class and the job's
// variable each raise, never lower (the largest wins); defaults fill what
// is still unset; resources.max clamps last. A request never ends above
// its limit.
func TestJobVariablePrecedence(t *testing.T) {
	on, off := mustLoad(jobVarsPolicy), mustLoad(header+"platform: karpenter\nresources: {defaults: {build: {requests: {cpu: 500m}}}}\n")
	none := corev1.ResourceRequirements{}
	cpu := func(req, lim string) corev1.ResourceRequirements {
		r := corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: mustQ(req)}}
		if lim != "" {
			r.Limits = corev1.ResourceList{corev1.ResourceCPU: mustQ(lim)}
		}
		return r
	}
	cases := []struct {
		name                string
		p                   *policy.Policy
		runner              corev1.ResourceRequirements
		env                 map[string]string
		wantCPU, wantCPULim string
		wantMem, wantMemLim string
		wantWarn            string
	}{
		{"a variable fills a gap before the default", on, none, map[string]string{"KUBERNETES_CPU_REQUEST": "3"}, "3", "", "1Gi", "", ""},
		{"a variable raises the runner's value", on, cpu("500m", ""), map[string]string{"KUBERNETES_CPU_REQUEST": "2"}, "2", "", "1Gi", "", ""},
		{"the runner's higher value is kept", on, cpu("4", ""), map[string]string{"KUBERNETES_CPU_REQUEST": "2"}, "4", "", "1Gi", "", ""},
		{"a variable above the size class wins", on, none, map[string]string{"JOBFIT_SIZE": "large", "KUBERNETES_CPU_REQUEST": "6"}, "6", "", "1Gi", "8Gi", ""},
		{"a size class above the variable wins", on, none, map[string]string{"JOBFIT_SIZE": "large", "KUBERNETES_CPU_REQUEST": "2", "KUBERNETES_MEMORY_LIMIT": "4Gi"}, "4", "", "1Gi", "8Gi", ""},
		{"the cap clamps a variable, with a warning", on, none, map[string]string{"KUBERNETES_CPU_REQUEST": "16", "KUBERNETES_MEMORY_LIMIT": "64Gi"}, "8", "", "1Gi", "32Gi",
			"variable KUBERNETES_MEMORY_LIMIT=64Gi clamped to 32Gi by resources.max.memory"},
		{"a request above the runner's limit raises the limit", on, cpu("500m", "2"), map[string]string{"KUBERNETES_CPU_REQUEST": "3"}, "3", "3", "1Gi", "",
			"build: limits.cpu=2 raised to the request 3 asked by the job's variables"},
		{"a variable limit below the request is raised to it", on, cpu("2", ""), map[string]string{"KUBERNETES_CPU_LIMIT": "1"}, "2", "2", "1Gi", "",
			"build: limits.cpu=1 raised to the request 2 asked by the job's variables"},
		{"a bad quantity is a warning, never a failure", on, none, map[string]string{"KUBERNETES_CPU_REQUEST": "lots"}, "500m", "", "1Gi", "",
			"variable KUBERNETES_CPU_REQUEST=lots is not a quantity such as 500m, 2 or 4Gi; ignored"},
		{"a negative quantity is ignored", on, none, map[string]string{"KUBERNETES_CPU_REQUEST": "-1"}, "500m", "", "1Gi", "",
			"variable KUBERNETES_CPU_REQUEST=-1 is not a quantity"},
		{"switched off, variables are not read", off, none, map[string]string{"KUBERNETES_CPU_REQUEST": "3"}, "500m", "", "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := jobPod().buildResources(tc.runner)
			for k, v := range tc.env {
				b.env(k, v)
			}
			out, dec := policy.Apply(b.build(), tc.p, v1alpha1.CapacityStatus{})
			r := out.Spec.Containers[0].Resources
			assert.Equal(t, tc.wantCPU, ptrQ(r.Requests, corev1.ResourceCPU), "requests.cpu")
			assert.Equal(t, tc.wantCPULim, ptrQ(r.Limits, corev1.ResourceCPU), "limits.cpu")
			assert.Equal(t, tc.wantMem, ptrQ(r.Requests, corev1.ResourceMemory), "requests.memory")
			assert.Equal(t, tc.wantMemLim, ptrQ(r.Limits, corev1.ResourceMemory), "limits.memory")
			if tc.wantWarn != "" {
				assert.True(t, slices.ContainsFunc(dec.Warnings, func(w string) bool { return strings.HasPrefix(w, tc.wantWarn) }),
					"no warning %q in %q", tc.wantWarn, dec.Warnings)
			}
			for _, c := range out.Spec.Containers {
				for name, req := range c.Resources.Requests {
					if lim, ok := c.Resources.Limits[name]; ok {
						assert.LessOrEqual(t, req.Cmp(lim), 0, "%s: requests.%s above the limit", c.Name, name)
					}
				}
			}
			again, _ := policy.Apply(out, tc.p, v1alpha1.CapacityStatus{})
			assert.Equal(t, out, again, "applying twice must equal applying once")
		})
	}
}
