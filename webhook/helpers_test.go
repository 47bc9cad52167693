package webhook

import (
	"encoding/json"
	"os"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/stretchr/testify/require"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/test/corpus"
)

const clusterPolicyFile = "../manifests/examples/policies/eks-karpenter.yaml"

// readPod reads a pod from testdata.
func readPod(t *testing.T, name string) *corev1.Pod {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	pod := &corev1.Pod{}
	require.NoError(t, yaml.UnmarshalStrict(b, pod))
	return pod
}

// loadPolicy loads the example EKS + Karpenter cluster policy.
func loadPolicy(t testing.TB) *policy.Policy {
	t.Helper()
	return corpus.LoadPolicy(t, clusterPolicyFile)
}

// createRequest is the AdmissionRequest the API server sends for pod.
func createRequest(t *testing.T, pod *corev1.Pod, namespace string) admission.Request {
	t.Helper()
	raw, err := json.Marshal(pod)
	require.NoError(t, err)
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID:       types.UID("3f0b7e52-0000-4000-8000-000000000001"),
		Kind:      metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
		Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
		Operation: admissionv1.Create,
		Namespace: namespace,
		Name:      pod.Name,
		Object:    runtime.RawExtension{Raw: raw},
	}}
}

// patched applies the response's patch to the request's object.
func patched(t *testing.T, req admission.Request, resp admission.Response) *corev1.Pod {
	t.Helper()
	raw := req.Object.Raw
	if len(resp.Patches) > 0 {
		ops, err := json.Marshal(resp.Patches)
		require.NoError(t, err)
		p, err := jsonpatch.DecodePatch(ops)
		require.NoError(t, err)
		raw, err = p.Apply(raw)
		require.NoError(t, err)
	}
	pod := &corev1.Pod{}
	require.NoError(t, json.Unmarshal(raw, pod))
	return pod
}

// staticSource serves fixed policies and records the namespaces asked for.
type staticSource struct {
	eff    Effective
	ok     bool
	panics bool
	asked  []string
}

func (s *staticSource) Lookup(namespace string) (Effective, bool) {
	s.asked = append(s.asked, namespace)
	if s.panics {
		panic("policy source exploded")
	}
	return s.eff, s.ok
}

// reviewBody is the AdmissionReview request body the API server sends for req.
func reviewBody(t *testing.T, req admission.Request) []byte {
	t.Helper()
	b, err := json.Marshal(&admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request:  &req.AdmissionRequest,
	})
	require.NoError(t, err)
	return b
}
