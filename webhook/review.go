package webhook

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"

	gojson "github.com/goccy/go-json"
	admissionv1 "k8s.io/api/admission/v1"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// maxReviewSize is the largest AdmissionReview read, as controller-runtime's.
const maxReviewSize = 7 << 20

// reviewHandler serves AdmissionReviews for a controller-runtime
// admission.Webhook. It decodes an ordinary review in one pass with
// goccy/go-json and calls the Webhook's own Handle (panic recovery,
// logger, patch encoding, UID), then writes the response review in the
// request's version, as admission.Webhook.ServeHTTP does. Anything else (no
// body, another content type, a body that is too large or does not decode
// to an admission.k8s.io/v1 or v1beta1 AdmissionReview with a request) goes
// to the Webhook's ServeHTTP unchanged, which answers as it always does.
//
// Why: admission.Webhook decodes the review with the API machinery's
// universal deserializer, which reads a job pod's 6 KB three times (kind
// detection, validation, decoding); at a few hundred admissions per second
// that was half of the webhook's CPU (docs/performance.md).
// TestReviewHandlerMatchesWebhook checks that both give the same answers.
type reviewHandler struct {
	webhook *admission.Webhook
}

// NewReviewHandler returns the HTTP handler to register for wh.
func NewReviewHandler(wh *admission.Webhook) http.Handler { return reviewHandler{webhook: wh} }

func (h reviewHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody || r.Header.Get("Content-Type") != "application/json" {
		h.webhook.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxReviewSize))
	if err != nil || len(body) >= maxReviewSize {
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
		h.webhook.ServeHTTP(w, r)
		return
	}
	review := &admissionv1.AdmissionReview{}
	if gojson.Unmarshal(body, review) != nil || review.Request == nil || review.Kind != "AdmissionReview" ||
		(review.APIVersion != admissionv1.SchemeGroupVersion.String() && review.APIVersion != "admission.k8s.io/v1beta1") {
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.webhook.ServeHTTP(w, r)
		return
	}
	ctx := r.Context()
	if h.webhook.WithContextFunc != nil {
		ctx = h.webhook.WithContextFunc(ctx, r)
	}
	resp := h.webhook.Handle(ctx, admission.Request{AdmissionRequest: *review.Request})
	out := admissionv1.AdmissionReview{TypeMeta: review.TypeMeta, Response: &resp.AdmissionResponse}
	if err := json.NewEncoder(w).Encode(out); err != nil {
		log.FromContext(ctx).Error(err, "writing the admission response", "uid", review.Request.UID)
	}
}
