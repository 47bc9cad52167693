package app

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/policy/yamldoc"
	"jobfit.dev/jobfit/test/corpus"
	"jobfit.dev/jobfit/webhook"
)

const corpusDir = "../../../policy/testdata"

// TestMutatePatchIsTheWebhooksPatch: for every golden pod, with its own
// policy and capacity status or else the shipped EKS + Karpenter example,
// `jobfit mutate -o patch` prints byte for byte the patch the webhook
// answers with (indented the same way). The pod is sent without a
// namespace, as a CREATE often is, so the request's namespace (the CLI's
// --namespace) must reach {namespace} templates on both sides.
func TestMutatePatchIsTheWebhooksPatch(t *testing.T) {
	n := 0
	for _, in := range corpus.Inputs(t, corpusDir) {
		n++
		t.Run(strings.TrimSuffix(filepath.Base(in), ".yaml"), func(t *testing.T) {
			tc := corpus.Read(t, in)
			dir := t.TempDir()
			policyFile, statusFile, imagesFile := splitCase(t, in, dir)
			p := tc.Policy
			if p == nil {
				policyFile, p = examplePolicy, corpus.LoadPolicy(t, examplePolicy)
			}
			pod := tc.Pod.DeepCopy()
			pod.Namespace = ""
			raw, err := json.Marshal(pod)
			require.NoError(t, err)
			podFile := filepath.Join(dir, "pod.json")
			require.NoError(t, os.WriteFile(podFile, raw, 0o600))

			var cli bytes.Buffer
			require.NoError(t, runMutate(&MutateOptions{PolicyFile: policyFile, StatusFile: statusFile, ImagesFile: imagesFile,
				PodFile: podFile, Namespace: "gitlab-runner", Output: "patch", Out: &cli}))

			src := fixedSource{Effective: webhook.Effective{Policy: p, Status: tc.Status, Images: tc.Images}}
			sent := webhookPatch(t, webhook.NewHandler(src), raw, "gitlab-runner")
			require.NotEmpty(t, sent, "every golden pod is mutated")
			var want bytes.Buffer
			require.NoError(t, json.Indent(&want, sent, "", "  "))
			assert.Equal(t, want.String()+"\n", cli.String())
		})
	}
	assert.GreaterOrEqual(t, n, 12, "golden corpus shrank")
}

// fixedSource serves one effective policy to every namespace.
type fixedSource struct{ webhook.Effective }

func (s fixedSource) Lookup(string) (webhook.Effective, bool) { return s.Effective, true }

// webhookPatch sends the AdmissionReview the API server would send for
// the pod raw, created in namespace, through the webhook's HTTP handler,
// and returns the response's patch as it goes on the wire.
func webhookPatch(t *testing.T, h admission.Handler, raw []byte, namespace string) []byte {
	t.Helper()
	body, err := json.Marshal(&admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       types.UID("3f0b7e52-0000-4000-8000-000000000001"),
			Kind:      metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
			Operation: admissionv1.Create,
			Namespace: namespace,
			Object:    runtime.RawExtension{Raw: raw},
		},
	})
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodPost, webhook.Path, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	webhook.NewReviewHandler(&admission.Webhook{Handler: h}).ServeHTTP(w, r)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var review admissionv1.AdmissionReview
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &review))
	require.NotNil(t, review.Response)
	require.True(t, review.Response.Allowed)
	return review.Response.Patch
}

// splitCase writes a golden case's own Policy and capacity-status
// and image-platforms documents to files in dir, as a user would hand them
// to the CLI; each is
// "" when the case has none.
func splitCase(t *testing.T, path, dir string) (policyFile, statusFile, imagesFile string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	docs, err := yamldoc.Split(raw)
	require.NoError(t, err)
	for _, doc := range docs {
		var meta struct {
			metav1.TypeMeta `json:",inline"`
			Metadata        metav1.ObjectMeta `json:"metadata"`
		}
		require.NoError(t, yaml.Unmarshal(doc, &meta))
		switch meta.Kind {
		case v1alpha1.KindPolicy:
			policyFile = filepath.Join(dir, "policy.yaml")
			require.NoError(t, os.WriteFile(policyFile, doc, 0o600))
		case "ConfigMap":
			if meta.Metadata.Name == v1alpha1.ImagePlatformsName {
				imagesFile = filepath.Join(dir, "images.yaml")
				require.NoError(t, os.WriteFile(imagesFile, doc, 0o600))
				continue
			}
			statusFile = filepath.Join(dir, "status.yaml")
			require.NoError(t, os.WriteFile(statusFile, doc, 0o600))
		}
	}
	return policyFile, statusFile, imagesFile
}
