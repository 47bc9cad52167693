package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// TestReviewHandlerMatchesWebhook: for every pod of the corpus, an update
// and a v1beta1 review, reviewHandler answers with the same status code and
// the same AdmissionReview as controller-runtime's admission.Webhook.
func TestReviewHandlerMatchesWebhook(t *testing.T) {
	wh := &admission.Webhook{Handler: NewHandler(&staticSource{eff: Effective{Policy: loadPolicy(t)}, ok: true})}
	fast := NewReviewHandler(wh)

	type request struct {
		contentType string
		body        []byte
		// fast says the review must be answered with HTTP 200.
		fast bool
	}
	requests := map[string]request{}
	for name, raw := range corpusPods(t) {
		req := createRequest(t, readPodJSON(t, raw), "gitlab-runner")
		requests[filepath.Base(name)] = request{"application/json", reviewBody(t, req), true}
	}
	job := createRequest(t, readPod(t, "job-pod-v18.11.yaml"), "gitlab-runner")
	update := job
	update.Operation = admissionv1.Update
	requests["update"] = request{"application/json", reviewBody(t, update), true}
	v1beta1 := bytes.Replace(reviewBody(t, job), []byte(`"apiVersion":"admission.k8s.io/v1"`), []byte(`"apiVersion":"admission.k8s.io/v1beta1"`), 1)
	require.Contains(t, string(v1beta1), "v1beta1")
	requests["v1beta1 review"] = request{"application/json", v1beta1, true}

	for name, r := range requests {
		t.Run(name, func(t *testing.T) {
			want := serve(t, wh, r.contentType, r.body)
			got := serve(t, fast, r.contentType, r.body)
			require.Equal(t, want.Code, got.Code)
			wantReview, gotReview := decodeReview(t, want.Body.Bytes()), decodeReview(t, got.Body.Bytes())
			// The patch library emits map keys in Go's random map order:
			// compare the operations as a set.
			if wantReview.Response != nil && gotReview.Response != nil {
				require.ElementsMatch(t, patchOps(t, wantReview.Response.Patch), patchOps(t, gotReview.Response.Patch))
				wantReview.Response.Patch, gotReview.Response.Patch = nil, nil
			}
			require.Equal(t, wantReview, gotReview)
			if r.fast {
				require.Equal(t, http.StatusOK, got.Code)
				require.NotNil(t, decodeReview(t, got.Body.Bytes()).Response)
			}
		})
	}
}

func serve(t *testing.T, h http.Handler, contentType string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, Path, bytes.NewReader(body))
	if body == nil {
		r = httptest.NewRequest(http.MethodPost, Path, http.NoBody)
	}
	r.Header.Set("Content-Type", contentType)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func decodeReview(t *testing.T, b []byte) admissionv1.AdmissionReview {
	t.Helper()
	var ar admissionv1.AdmissionReview
	require.NoError(t, json.NewDecoder(bytes.NewReader(b)).Decode(&ar), "%s", strings.TrimSpace(string(b)))
	return ar
}

func readPodJSON(t *testing.T, raw []byte) *corev1.Pod {
	t.Helper()
	pod := &corev1.Pod{}
	require.NoError(t, json.Unmarshal(raw, pod))
	return pod
}

func patchOps(t *testing.T, patch []byte) []map[string]any {
	t.Helper()
	if len(patch) == 0 {
		return nil
	}
	var ops []map[string]any
	require.NoError(t, json.Unmarshal(patch, &ops))
	return ops
}

// TestReviewHandlerKeepsWebhookContext: the fast path builds the context the
// way admission.Webhook does, including its WithContextFunc.
func TestReviewHandlerKeepsWebhookContext(t *testing.T) {
	type key struct{}
	var seen any
	wh := &admission.Webhook{
		Handler: admission.HandlerFunc(func(ctx context.Context, _ admission.Request) admission.Response {
			seen = ctx.Value(key{})
			return admission.Allowed("")
		}),
		WithContextFunc: func(ctx context.Context, _ *http.Request) context.Context {
			return context.WithValue(ctx, key{}, "from WithContextFunc")
		},
	}
	body := reviewBody(t, createRequest(t, readPod(t, "job-pod-v18.11.yaml"), "gitlab-runner"))
	w := serve(t, NewReviewHandler(wh), "application/json", body)
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "from WithContextFunc", seen)
	review := decodeReview(t, w.Body.Bytes())
	require.True(t, review.Response.Allowed)
	require.Equal(t, "3f0b7e52-0000-4000-8000-000000000001", string(review.Response.UID))
}
