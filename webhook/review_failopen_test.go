package webhook

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionv1 "k8s.io/api/admission/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// TestReviewHandlerNeverDenies feeds the handler the audit's malformed and
// oversized reviews. None may be answered with allowed: false (a denial,
// which is what controller-runtime's ServeHTTP gives them): each gets an
// HTTP error, which the API server treats as a failed call and, under
// failurePolicy Ignore, admits the pod unmutated.
func TestReviewHandlerNeverDenies(t *testing.T) {
	wh := &admission.Webhook{Handler: NewHandler(&staticSource{eff: Effective{Policy: loadPolicy(t)}, ok: true})}
	job := reviewBody(t, createRequest(t, readPod(t, "job-pod-v18.11.yaml"), "gitlab-runner"))
	deep := func(prefix string, n int, suffix string) []byte {
		return []byte(prefix + strings.Repeat("[", n) + strings.Repeat("]", n) + suffix)
	}
	cases := []struct {
		name        string
		method      string
		contentType string
		body        []byte
		wantCode    int
	}{
		{"truncated JSON", http.MethodPost, "application/json", job[:len(job)/2], http.StatusBadRequest},
		{"no Content-Type", http.MethodPost, "", job, http.StatusUnsupportedMediaType},
		{"wrong Content-Type", http.MethodPost, "text/plain", job, http.StatusUnsupportedMediaType},
		{"Content-Type with charset", http.MethodPost, "application/json; charset=utf-8", job, http.StatusOK},
		{"10 MB body", http.MethodPost, "application/json", append(bytes.Clone(job), bytes.Repeat([]byte(" "), 10<<20)...), http.StatusRequestEntityTooLarge},
		{"deep nesting at the top", http.MethodPost, "application/json", deep("", 100000, ""), http.StatusBadRequest},
		{"deep nesting in the object", http.MethodPost, "application/json",
			deep(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","object":`, 100000, `}}`), http.StatusBadRequest},
		{"empty body", http.MethodPost, "application/json", nil, http.StatusBadRequest},
		{"no request", http.MethodPost, "application/json", []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`), http.StatusBadRequest},
		{"another kind", http.MethodPost, "application/json", []byte(`{"apiVersion":"v1","kind":"Pod","request":{"uid":"x"}}`), http.StatusBadRequest},
		{"GET", http.MethodGet, "application/json", job, http.StatusMethodNotAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, Path, bytes.NewReader(tc.body))
			if tc.body == nil {
				r = httptest.NewRequest(tc.method, Path, http.NoBody)
			}
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			w := httptest.NewRecorder()
			NewReviewHandler(wh).ServeHTTP(w, r)
			require.Equal(t, tc.wantCode, w.Code, w.Body.String())
			if w.Code == http.StatusOK {
				var review admissionv1.AdmissionReview
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &review))
				assert.True(t, review.Response.Allowed, "never a denial")
				return
			}
			assert.NotContains(t, w.Body.String(), `"allowed"`, "an HTTP error, not a review")
		})
	}
}

// TestReviewHandlerBoundsInflight: with the budget taken, a request is
// refused with 503 (the API server fails open) rather than queued without
// bound; once it is free again, requests are served.
func TestReviewHandlerBoundsInflight(t *testing.T) {
	wh := &admission.Webhook{Handler: NewHandler(&staticSource{eff: Effective{Policy: loadPolicy(t)}, ok: true})}
	h := NewReviewHandler(wh).(reviewHandler)
	job := reviewBody(t, createRequest(t, readPod(t, "job-pod-v18.11.yaml"), "gitlab-runner"))
	require.True(t, h.inflight.small.TryAcquire(smallBudget))
	w := serve(t, h, "application/json", job)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	h.inflight.small.Release(smallBudget)
	w = serve(t, h, "application/json", job)
	assert.Equal(t, http.StatusOK, w.Code)
}
