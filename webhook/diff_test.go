package webhook

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/policy"
)

// TestPatchReproducesApply: for every realistic job pod of the golden
// corpus, the handler's patch, applied to the pod the API server sent,
// gives exactly the pod policy.Apply returns. This guards the diff
// shortcuts (withoutUnchangedBulk, withoutEqualFields).
func TestPatchReproducesApply(t *testing.T) {
	inputs, err := filepath.Glob("../policy/testdata/*.yaml")
	require.NoError(t, err)
	p := loadPolicy(t)
	h := NewHandler(&staticSource{eff: Effective{Policy: p}, ok: true})
	n := 0
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden.yaml") || strings.HasSuffix(in, "-policy.yaml") {
			continue
		}
		pod := firstPod(t, in)
		n++
		t.Run(filepath.Base(in), func(t *testing.T) {
			pod.Namespace = "gitlab-runner"
			req := createRequest(t, pod, "gitlab-runner")
			resp := h.Handle(context.Background(), req)
			require.True(t, resp.Allowed)
			want, _ := policy.Apply(pod, p, policy.CapacityStatus{})
			got := patched(t, req, resp)
			wantJSON, err := json.Marshal(want)
			require.NoError(t, err)
			gotJSON, err := json.Marshal(got)
			require.NoError(t, err)
			require.JSONEq(t, string(wantJSON), string(gotJSON))
		})
	}
	require.GreaterOrEqual(t, n, 12)
}

func firstPod(t *testing.T, path string) *corev1.Pod {
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
