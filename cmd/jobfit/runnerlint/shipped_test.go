package runnerlint_test

import (
	"os"
	"testing"

	"github.com/pelletier/go-toml/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"jobfit.dev/jobfit/cmd/jobfit/runnerlint"
	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/test/corpus"
)

const examplePod = "../../../manifests/examples/pods/gitlab-runner-18.11-arm64-job.yaml"

// TestShippedRunnerPasses: the shipped config.toml, and the one the Helm
// values embed, have nothing to fix under the shipped EKS policy.
func TestShippedRunnerPasses(t *testing.T) {
	p := corpus.LoadPolicy(t, examplePolicy)
	for _, file := range []string{shippedConfig, shippedValues} {
		t.Run(file, func(t *testing.T) {
			raw, err := os.ReadFile(file)
			require.NoError(t, err)
			d, err := runnerlint.Extract(raw)
			require.NoError(t, err)
			fs, err := runnerlint.LintDocument(d, p)
			require.NoError(t, err)
			assert.Empty(t, fs)
		})
	}
}

// TestShippedValuesMatchConfig: the Helm values' runners.config is the
// [runners.kubernetes] of config.toml, setting for setting.
func TestShippedValuesMatchConfig(t *testing.T) {
	cfg := shippedKubernetes(t, shippedConfig)
	assert.Equal(t, cfg, shippedKubernetes(t, shippedValues))
	assert.Equal(t, "gitlab-runner", cfg["namespace"])
	assert.NotContains(t, cfg, "node_selector")
	assert.NotContains(t, cfg, "node_tolerations")
	assert.NotContains(t, cfg, "helper_image")
}

func shippedKubernetes(t *testing.T, file string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	d, err := runnerlint.Extract(raw)
	require.NoError(t, err)
	var c struct {
		Runners []struct {
			Kubernetes map[string]any `toml:"kubernetes"`
		} `toml:"runners"`
	}
	require.NoError(t, toml.Unmarshal(d.TOML, &c))
	require.Len(t, c.Runners, 1, "one runner for both arches")
	return c.Runners[0].Kubernetes
}

// TestShippedRunnerJobPods builds job pods the way the shipped runner
// would (its namespace, its pod_labels expanded with the job's variables,
// no node selector, tags without an arch) and mutates them with the
// shipped EKS policy, as docs/gitlab-runner.md says.
func TestShippedRunnerJobPods(t *testing.T) {
	p := corpus.LoadPolicy(t, examplePolicy)
	for _, tc := range []struct {
		name         string
		vars         map[string]string
		arch, helper string
		archSource   string
		capacity     string
		buildCPU     string
	}{
		{"no trait variables: the defaults", nil, "amd64", "x86_64-v18.11.4", "default", "spot", "500m"},
		{"JOBFIT_ARCH through the pod label", map[string]string{"JOBFIT_ARCH": "aarch64"}, "arm64", "arm64-v18.11.4", "label jobfit.dev/arch", "spot", "500m"},
		{"BUILD_ARCH matrix variable", map[string]string{"BUILD_ARCH": "arm64"}, "arm64", "arm64-v18.11.4", "variable BUILD_ARCH", "spot", "500m"},
		{"on-demand deploy job", map[string]string{"JOBFIT_CAPACITY_TYPE": "on-demand"}, "amd64", "x86_64-v18.11.4", "default", "on-demand", "500m"},
		{"large job", map[string]string{"JOBFIT_SIZE": "large"}, "amd64", "x86_64-v18.11.4", "default", "spot", "4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := shippedRunnerPod(t, tc.vars)
			out, dec := policy.Apply(pod, p, v1alpha1.CapacityStatus{})
			require.False(t, dec.Skipped, dec.Reason)
			assert.Empty(t, dec.Warnings, "an empty pass-through label is not a warning")
			assert.Equal(t, tc.arch, out.Spec.NodeSelector[v1alpha1.LabelArch])
			assert.Equal(t, tc.capacity, out.Spec.NodeSelector[v1alpha1.LabelCapacityType])
			assert.Equal(t, "linux", out.Spec.NodeSelector[v1alpha1.LabelOS])
			assert.Equal(t, tc.archSource, decisionSource(dec, policy.MutArch))
			for _, c := range append(out.Spec.InitContainers, out.Spec.Containers...) {
				if c.Name == "helper" || c.Name == "init-permissions" {
					assert.Equal(t, "registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper:"+tc.helper, c.Image, c.Name)
				}
				if c.Name == "build" {
					assert.Equal(t, resource.MustParse(tc.buildCPU), c.Resources.Requests[corev1.ResourceCPU])
				}
			}
			assert.Contains(t, out.Spec.Tolerations, corev1.Toleration{Key: "ci.example.com/runner", Operator: corev1.TolerationOpEqual, Value: "true", Effect: corev1.TaintEffectNoSchedule})
			assert.NotEmpty(t, out.Annotations["karpenter.sh/do-not-disrupt"])
		})
	}
}

// shippedRunnerPod is the example GitLab Runner 18.11 job pod as the
// shipped runner would create it for a job with vars.
func shippedRunnerPod(t *testing.T, vars map[string]string) *corev1.Pod {
	t.Helper()
	raw, err := os.ReadFile(examplePod)
	require.NoError(t, err)
	pod, err := policy.DecodePod(raw)
	require.NoError(t, err)
	kube := shippedKubernetes(t, shippedConfig)
	pod.Namespace = kube["namespace"].(string)
	pod.Spec.NodeSelector = nil
	env := map[string]string{"CI_RUNNER_TAGS": `["kubernetes"]`}
	for k, v := range vars {
		env[k] = v
	}
	// The example's job asked for KUBERNETES_CPU_REQUEST, and its runner
	// set requests; the shipped runner sets none, and these jobs ask for
	// nothing but vars.
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range cs {
			cs[i].Resources = corev1.ResourceRequirements{}
			if cs[i].Name != "helper" && len(cs[i].Env) > 0 {
				cs[i].Env = setEnv(dropEnv(cs[i].Env, "KUBERNETES_CPU_REQUEST"), env)
			}
		}
	}
	for k, v := range kube["pod_labels"].(map[string]any) {
		pod.Labels[k] = os.Expand(v.(string), func(name string) string { return env[name] })
	}
	// The example was made by a runner for arm64: the shipped runner's pods
	// start from the default helper image.
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range cs {
			if img, why := policy.RewriteHelperImage(cs[i].Image, "amd64"); why == "" {
				cs[i].Image = img
			}
		}
	}
	return pod
}

func dropEnv(env []corev1.EnvVar, name string) []corev1.EnvVar {
	out := env[:0]
	for _, e := range env {
		if e.Name != name {
			out = append(out, e)
		}
	}
	return out
}

func setEnv(env []corev1.EnvVar, vars map[string]string) []corev1.EnvVar {
	for k, v := range vars {
		found := false
		for i := range env {
			if env[i].Name == k {
				env[i].Value, found = v, true
			}
		}
		if !found {
			env = append(env, corev1.EnvVar{Name: k, Value: v})
		}
	}
	return env
}

func decisionSource(dec policy.Decisions, mutation string) string {
	for _, it := range dec.Items {
		if it.Mutation == mutation {
			return it.Source
		}
	}
	return ""
}
