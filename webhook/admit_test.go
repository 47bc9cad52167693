package webhook

import (
	"encoding/json"
	"path/filepath"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	gomodules "gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/test/corpus"
)

func TestAdmit(t *testing.T) {
	p := loadPolicy(t)
	managed := []metav1.ManagedFieldsEntry{{Manager: "gitlab-runner", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "v1"}}
	tests := []struct {
		name          string
		file          string
		pod           func(*corev1.Pod)
		namespace     string
		wantNamespace string
		wantSkipped   bool
	}{
		{name: "job pod", namespace: "gitlab-runner", wantNamespace: "gitlab-runner"},
		{name: "pod without namespace takes the request's", pod: func(p *corev1.Pod) { p.Namespace = "" }, namespace: "ci", wantNamespace: "ci"},
		{name: "the pod's own namespace wins", namespace: "other", wantNamespace: "gitlab-runner"},
		{name: "managed fields stay out of the patch and in the pod", pod: func(p *corev1.Pod) { p.ManagedFields = managed }, wantNamespace: "gitlab-runner"},
		{name: "runner pause pod is placed", file: "runner-pause-pod.yaml", namespace: "gitlab-runner", wantNamespace: "gitlab-runner"},
		{name: "opted-out runner pause pod is skipped", file: "runner-pause-pod.yaml", wantSkipped: true,
			pod: func(p *corev1.Pod) { p.Labels["runner.gitlab.com/pause-pod"] = "false" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.file == "" {
				tt.file = "job-pod-v18.11.yaml"
			}
			pod := readPod(t, tt.file)
			if tt.pod != nil {
				tt.pod(pod)
			}
			before := pod.DeepCopy()

			res, err := Admit(pod, tt.namespace, p, policy.Cluster{})

			require.NoError(t, err)
			require.Equal(t, before, pod, "Admit must not modify its input")
			if tt.wantSkipped {
				assert.True(t, res.Decisions.Skipped)
				assert.True(t, res.Unchanged())
				assert.Same(t, pod, res.Pod)
				return
			}
			require.False(t, res.Unchanged())
			assert.Equal(t, tt.wantNamespace, res.Pod.Namespace)
			assert.Equal(t, pod.ManagedFields, res.Pod.ManagedFields)
			for _, op := range res.Patch {
				assert.NotContains(t, op.Path, "managedFields")
			}
			// The patch applied to the pod as sent gives Result.Pod, apart
			// from a namespace the request filled in (the API server sets it).
			got := applyOps(t, pod, res.Patch)
			got.Namespace = res.Pod.Namespace
			requireSameJSON(t, res.Pod, got)

			again, err := Admit(res.Pod, tt.namespace, p, policy.Cluster{})
			require.NoError(t, err)
			assert.True(t, again.Unchanged(), "a second pass changes nothing: %v", again.Patch)
		})
	}
}

// TestAdmitUnchangedFromTheResult: "unchanged" is the empty patch. For
// every golden pod with each shipped example policy, the first pass
// mutates and names what it changed (the mutations metric counts it), and
// the reinvocation on its result sends no patch. Before policy.Apply
// decided "changed" from its result, that reinvocation's Changed flags
// said fargate-size and resource-cap for some Fargate cases although
// nothing changed (policy's TestReinvocationChangesNothing holds that).
func TestAdmitUnchangedFromTheResult(t *testing.T) {
	var policies []*policy.Policy
	for _, f := range []string{"eks-karpenter", "ack-eci", "eks-fargate"} {
		policies = append(policies, corpus.LoadPolicy(t, "../manifests/examples/policies/"+f+".yaml"))
	}
	for _, in := range corpus.Inputs(t, "../policy/testdata") {
		tc := corpus.Read(t, in)
		for _, p := range append(policies, tc.Policy) {
			if p == nil {
				continue
			}
			t.Run(filepath.Base(in)+"/"+p.Name(), func(t *testing.T) {
				first, err := Admit(tc.Pod, "gitlab-runner", p, policy.Cluster{Status: tc.Status, Images: tc.Images})
				require.NoError(t, err)
				require.False(t, first.Unchanged(), "a golden pod is mutated")
				require.NotEmpty(t, first.Decisions.Changed(), "a patch names what it changed")
				again, err := Admit(first.Pod, "gitlab-runner", p, policy.Cluster{Status: tc.Status, Images: tc.Images})
				require.NoError(t, err)
				assert.True(t, again.Unchanged(), "reinvocation patch: %v", again.Patch)
				assert.Empty(t, again.Decisions.Changed(), "nothing claims a change the patch does not make")
			})
		}
	}
}

func applyOps(t *testing.T, pod *corev1.Pod, ops []gomodules.JsonPatchOperation) *corev1.Pod {
	t.Helper()
	raw, err := json.Marshal(pod)
	require.NoError(t, err)
	js, err := json.Marshal(ops)
	require.NoError(t, err)
	patch, err := jsonpatch.DecodePatch(js)
	require.NoError(t, err)
	raw, err = patch.Apply(raw)
	require.NoError(t, err)
	out := &corev1.Pod{}
	require.NoError(t, json.Unmarshal(raw, out))
	return out
}
