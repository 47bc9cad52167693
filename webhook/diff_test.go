package webhook

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/test/corpus"
)

// TestPatchReproducesApply: for every realistic job pod of the golden
// corpus, with the case's own policy and capacity status (the example EKS +
// Karpenter policy when it has none) and with each shipped example policy,
// the handler's patch, applied to the pod the API server sent, gives exactly
// the pod policy.Apply returns, and the request is left as it was. This
// guards the diff shortcut (withoutEqualParts).
func TestPatchReproducesApply(t *testing.T) {
	inputs, err := filepath.Glob("../policy/testdata/*.yaml")
	require.NoError(t, err)
	examples := map[string]*policy.Policy{}
	for _, f := range []string{"eks-karpenter", "ack-eci", "eks-fargate"} {
		examples[f] = corpus.LoadPolicy(t, "../manifests/examples/policies/"+f+".yaml")
	}
	n := 0
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden.yaml") || strings.HasSuffix(in, "-policy.yaml") {
			continue
		}
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
				h := NewHandler(&staticSource{eff: Effective{Policy: p, Status: tc.Status}, ok: true})
				req := createRequest(t, pod, "gitlab-runner")
				sent := slices.Clone(req.Object.Raw)
				before := pod.DeepCopy()
				resp := h.Handle(context.Background(), req)
				require.True(t, resp.Allowed)
				require.Equal(t, sent, req.Object.Raw, "the request must not be modified")
				want, dec := policy.Apply(pod, p, tc.Status)
				require.Equal(t, before, pod)
				got := patched(t, req, resp)
				wantJSON, err := json.Marshal(want)
				require.NoError(t, err)
				gotJSON, err := json.Marshal(got)
				require.NoError(t, err)
				require.JSONEq(t, string(wantJSON), string(gotJSON))
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
			resp, err := patch(a, b)
			require.NoError(t, err)
			require.Equal(t, a0, a, "patch must not modify its inputs")
			require.Equal(t, b0, b, "patch must not modify its inputs")
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
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			t.Fatalf("%s has no Pod", path)
		}
		require.NoError(t, err)
		var meta struct{ Kind string }
		require.NoError(t, yaml.Unmarshal(doc, &meta))
		if meta.Kind == "Pod" {
			pod := &corev1.Pod{}
			require.NoError(t, yaml.UnmarshalStrict(doc, pod))
			return pod
		}
	}
}
