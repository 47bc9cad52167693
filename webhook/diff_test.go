package webhook

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	"sigs.k8s.io/randfill"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/yamldoc"
	"jobfit.dev/jobfit/test/corpus"
)

// TestPatchReproducesApply: for every realistic job pod of the golden
// corpus, with the case's own policy and capacity status (the example EKS +
// Karpenter policy when it has none) and with each shipped example policy,
// the handler's patch, applied to the pod the API server sent, gives exactly
// the pod policy.Apply returns, and the request is left as it was. This
// guards the diff shortcut (withoutEqualParts).
func TestPatchReproducesApply(t *testing.T) {
	inputs := corpus.Inputs(t, "../policy/testdata")
	examples := map[string]*policy.Policy{}
	for _, f := range []string{"eks-karpenter", "ack-eci", "eks-fargate"} {
		examples[f] = corpus.LoadPolicy(t, "../manifests/examples/policies/"+f+".yaml")
	}
	n := 0
	for _, in := range inputs {
		n++
		tc := corpus.Read(t, in)
		policies := map[string]*policy.Policy{"own": tc.Policy}
		if tc.Policy == nil {
			policies = map[string]*policy.Policy{}
		}
		maps.Copy(policies, examples)
		for name, p := range policies {
			t.Run(filepath.Base(in)+"/"+name, func(t *testing.T) {
				pod := tc.Pod.DeepCopy()
				pod.Namespace = "gitlab-runner"
				h := NewHandler(&staticSource{eff: Effective{Policy: p, Status: tc.Status, Images: tc.Images}, ok: true})
				req := createRequest(t, pod, "gitlab-runner")
				sent := slices.Clone(req.Object.Raw)
				before := pod.DeepCopy()
				resp := h.Handle(context.Background(), req)
				require.True(t, resp.Allowed)
				require.Equal(t, sent, req.Object.Raw, "the request must not be modified")
				want, dec := policy.ApplyInCluster(pod, p, policy.Cluster{Status: tc.Status, Images: tc.Images})
				require.Equal(t, before, pod)
				requireSameJSON(t, want, patched(t, req, resp))
				if len(dec.Changed()) > 0 {
					require.NotEmpty(t, resp.Patches)
				}
			})
		}
	}
	require.GreaterOrEqual(t, n, 12)
}

// TestWithoutEqualParts covers the shapes the golden corpus may not: for
// each pair, the patch built from the trimmed pods turns the first pod into
// the second, and neither input is modified.
func TestWithoutEqualParts(t *testing.T) {
	base := readPod(t, "job-pod-v18.11.yaml")
	tests := []struct {
		name   string
		mutate func(p *corev1.Pod)
		// wantOps are the exact patch operations, as "op path".
		wantOps []string
	}{
		{
			name:    "one label added among many: an add of that key, not of the map",
			mutate:  func(p *corev1.Pod) { p.Labels["jobfit.dev/arch"] = "arm64" },
			wantOps: []string{"add /metadata/labels/jobfit.dev~1arch"},
		},
		{
			name:    "one annotation removed",
			mutate:  func(p *corev1.Pod) { delete(p.Annotations, "job.runner.gitlab.com/sha") },
			wantOps: []string{"remove /metadata/annotations/job.runner.gitlab.com~1sha"},
		},
		{
			name: "every label replaced by one other: keys removed and added",
			mutate: func(p *corev1.Pod) {
				p.Labels = map[string]string{"only": "x"}
			},
		},
		{
			name: "labels added to a pod without labels: the map is added",
			mutate: func(p *corev1.Pod) {
				p.Labels = map[string]string{"a": "b"}
			},
		},
		{
			name:    "one container's image changed: a replace at its position",
			mutate:  func(p *corev1.Pod) { p.Spec.Containers[1].Image += "-changed" },
			wantOps: []string{"replace /spec/containers/1/image"},
		},
		{
			name: "a container added: arrays of different lengths stay whole",
			mutate: func(p *corev1.Pod) {
				p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "svc-9", Image: "redis:7"})
			},
			wantOps: []string{"add /spec/containers/3"},
		},
		{
			name: "a field inside a pointer struct changed",
			mutate: func(p *corev1.Pod) {
				p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{RunAsUser: ptr.To[int64](1000)}
			},
		},
		{
			name: "a resource quantity changed",
			mutate: func(p *corev1.Pod) {
				p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1500m")}
			},
		},
		{
			name: "an env var changed in the build container",
			mutate: func(p *corev1.Pod) {
				p.Spec.Containers[0].Env[3].Value = "changed"
			},
			wantOps: []string{"replace /spec/containers/0/env/3/value"},
		},
		{
			name:   "nothing changed: no operations",
			mutate: func(*corev1.Pod) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := base.DeepCopy()
			if strings.Contains(tt.name, "without labels") {
				a.Labels = nil
			}
			b := a.DeepCopy()
			tt.mutate(b)
			a0, b0 := a.DeepCopy(), b.DeepCopy()
			ops, err := diff(a, b)
			require.NoError(t, err)
			resp := patchResponse(ops)
			require.Equal(t, a0, a, "diff must not modify its inputs")
			require.Equal(t, b0, b, "diff must not modify its inputs")
			raw, err := json.Marshal(a)
			require.NoError(t, err)
			req := admission.Request{}
			req.Object.Raw = raw
			got := patched(t, req, resp)
			require.Equal(t, b, got)
			if tt.wantOps != nil {
				var ops []string
				for _, op := range resp.Patches {
					ops = append(ops, op.Operation+" "+op.Path)
				}
				require.ElementsMatch(t, tt.wantOps, ops)
			}
		})
	}
}

// firstPod reads the first Pod document of a multi-document YAML file.
func firstPod(t testing.TB, path string) *corev1.Pod {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	docs, err := yamldoc.Split(raw)
	require.NoError(t, err)
	for _, doc := range docs {
		var meta struct{ Kind string }
		require.NoError(t, yaml.Unmarshal(doc, &meta))
		if meta.Kind == "Pod" {
			pod := &corev1.Pod{}
			require.NoError(t, yaml.UnmarshalStrict(doc, pod))
			return pod
		}
	}
	t.Fatalf("%s has no Pod", path)
	return nil
}

// TestPatchReproducesApplyOnRandomizedPods widens TestPatchReproducesApply:
// golden job pods get random extra content (labels, annotations, node
// selector, tolerations, affinity, volumes, security contexts, resources,
// probes, filled by sigs.k8s.io/randfill) before admission, so the diff
// trimming meets shapes the corpus does not have. The patch must still
// turn the request into exactly policy.Apply's pod.
func TestPatchReproducesApplyOnRandomizedPods(t *testing.T) {
	var cases []corpus.Case
	for _, in := range corpus.Inputs(t, "../policy/testdata") {
		cases = append(cases, corpus.Read(t, in))
	}
	examples := []*policy.Policy{loadPolicy(t),
		corpus.LoadPolicy(t, "../manifests/examples/policies/ack-eci.yaml"),
		corpus.LoadPolicy(t, "../manifests/examples/policies/eks-fargate.yaml")}
	f := randfill.NewWithSeed(7).NilChance(0.3).NumElements(0, 3).MaxDepth(8).Funcs(
		func(q *resource.Quantity, c randfill.Continue) {
			*q = *resource.NewMilliQuantity(c.Int63n(64000), resource.DecimalSI)
		},
		func(v *intstr.IntOrString, c randfill.Continue) { *v = intstr.FromInt32(c.Int31n(65535)) },
		func(s *string, c randfill.Continue) { *s = strconv.Itoa(int(c.Int31n(1000))) },
	)
	mutated := 0
	for i := range 400 {
		tc := cases[i%len(cases)]
		pod := tc.Pod.DeepCopy()
		pod.Namespace = "gitlab-runner"
		noise := &corev1.Pod{}
		f.Fill(noise)
		addNoise(pod, noise, i)
		p := tc.Policy
		if p == nil || i%2 == 1 {
			p = examples[i%len(examples)]
		}
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			h := NewHandler(&staticSource{eff: Effective{Policy: p, Status: tc.Status, Images: tc.Images}, ok: true})
			req := createRequest(t, pod, "gitlab-runner")
			resp := h.Handle(context.Background(), req)
			require.True(t, resp.Allowed)
			for _, w := range resp.Warnings {
				require.NotContains(t, w, "admitted unmutated", "the handler failed open")
			}
			want, dec := policy.ApplyInCluster(pod, p, policy.Cluster{Status: tc.Status, Images: tc.Images})
			if dec.Skipped {
				return
			}
			if len(dec.Changed()) > 0 {
				mutated++
			}
			requireSameJSON(t, want, patched(t, req, resp))
		})
	}
	require.Greater(t, mutated, 200, "most randomized pods must be mutated for this test to mean anything")
}

// addNoise copies random content from noise into a job pod, varying with i.
func addNoise(pod, noise *corev1.Pod, i int) {
	for k, v := range noise.Labels {
		pod.Labels["x.example.com/"+k] = v
	}
	for k, v := range noise.Annotations {
		if pod.Annotations == nil {
			pod.Annotations = map[string]string{}
		}
		pod.Annotations["x.example.com/"+k] = v
	}
	if i%3 == 0 {
		pod.Spec.NodeSelector = noise.Spec.NodeSelector
	}
	pod.Spec.Tolerations = append(pod.Spec.Tolerations, noise.Spec.Tolerations...)
	pod.Spec.Affinity = noise.Spec.Affinity
	pod.Spec.Volumes = append(pod.Spec.Volumes, noise.Spec.Volumes...)
	pod.Spec.SecurityContext = noise.Spec.SecurityContext
	for j := range min(len(pod.Spec.Containers), len(noise.Spec.Containers)) {
		n := noise.Spec.Containers[j]
		pod.Spec.Containers[j].SecurityContext = n.SecurityContext
		pod.Spec.Containers[j].LivenessProbe = n.LivenessProbe
		if i%2 == 0 {
			pod.Spec.Containers[j].Resources = n.Resources
		}
	}
}

// requireSameJSON fails unless want and got encode to the same JSON.
func requireSameJSON(t *testing.T, want, got *corev1.Pod) {
	t.Helper()
	wantJSON, err := json.Marshal(want)
	require.NoError(t, err)
	gotJSON, err := json.Marshal(got)
	require.NoError(t, err)
	require.JSONEq(t, string(wantJSON), string(gotJSON))
}
