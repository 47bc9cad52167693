package policy_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/test/corpus"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestGolden mutates every job pod under testdata/, compares the result
// with <case>.golden.yaml, and checks idempotency and add-only labels.
// A new input is picked up automatically; refresh with `go test ./policy -update`.
func TestGolden(t *testing.T) {
	inputs := corpus.Inputs(t, "testdata")
	defaultPolicy := corpus.LoadPolicy(t, "testdata/default-policy.yaml")
	n := 0
	for _, in := range inputs {
		n++
		name := strings.TrimSuffix(filepath.Base(in), ".yaml")
		t.Run(name, func(t *testing.T) {
			tc := corpus.Read(t, in)
			if tc.Policy == nil {
				tc.Policy = defaultPolicy
			}
			out, dec := policy.ApplyInCluster(tc.Pod, tc.Policy, policy.Cluster{Status: tc.Status, Images: tc.Images})
			require.False(t, dec.Skipped, "job pod skipped: %s", dec.Reason)
			got := renderGolden(t, out, dec)
			compareGolden(t, strings.TrimSuffix(in, ".yaml")+".golden.yaml", got)

			again, _ := policy.ApplyInCluster(out, tc.Policy, policy.Cluster{Status: tc.Status, Images: tc.Images})
			assert.Equal(t, podYAML(t, out), podYAML(t, again), "applying twice must equal applying once")
			for k, v := range tc.Pod.Labels {
				assert.Equal(t, v, out.Labels[k], "label %s changed; labels are add-only", k)
			}
			assertValidVolumes(t, out)
		})
	}
	assert.GreaterOrEqual(t, n, 12, "golden corpus shrank")
}

// TestNonJobPodsUntouched: pods that are not GitLab job pods come out
// byte-identical.
func TestNonJobPodsUntouched(t *testing.T) {
	inputs, err := filepath.Glob("testdata/nonjob/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, inputs)
	p := corpus.LoadPolicy(t, "testdata/default-policy.yaml")
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			tc := corpus.Read(t, in)
			before := podYAML(t, tc.Pod)
			out, dec := policy.Apply(tc.Pod, p, v1alpha1.CapacityStatus{})
			assert.True(t, dec.Skipped)
			assert.NotEmpty(t, dec.Reason)
			assert.Empty(t, dec.Items)
			assert.Equal(t, before, podYAML(t, out))
			assert.Equal(t, before, podYAML(t, tc.Pod), "input pod must not be modified")
		})
	}
}

func podYAML(t *testing.T, pod *corev1.Pod) string {
	t.Helper()
	b, err := yaml.Marshal(pod)
	require.NoError(t, err)
	return string(b)
}

// renderGolden writes the mutated pod, then the decisions that explain it.
func renderGolden(t *testing.T, pod *corev1.Pod, dec policy.Decisions) []byte {
	t.Helper()
	explain, err := yaml.Marshal(map[string]any{"decisions": dec.Items, "warnings": dec.Warnings})
	require.NoError(t, err)
	return []byte(podYAML(t, pod) + "---\n# decisions and warnings (not part of the pod)\n" + string(explain))
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run: go test ./policy -update")
	assert.Equal(t, string(want), string(got), "stale golden %s; review the diff and run: go test ./policy -update", path)
}

// assertValidVolumes checks what the API server would: unique volume names,
// unique mount paths per container, and mounts of existing volumes only.
func assertValidVolumes(t *testing.T, pod *corev1.Pod) {
	t.Helper()
	vols := map[string]bool{}
	for _, v := range pod.Spec.Volumes {
		assert.False(t, vols[v.Name], "duplicate volume %s", v.Name)
		vols[v.Name] = true
	}
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range cs {
			paths := map[string]bool{}
			for _, m := range c.VolumeMounts {
				assert.False(t, paths[m.MountPath], "%s: duplicate mountPath %s", c.Name, m.MountPath)
				paths[m.MountPath] = true
				assert.True(t, vols[m.Name], "%s mounts missing volume %s", c.Name, m.Name)
			}
		}
	}
}
