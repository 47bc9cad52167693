package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"time"

	gojson "github.com/goccy/go-json"
	admissionv1 "k8s.io/api/admission/v1"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

const (
	// maxReviewSize is the largest AdmissionReview read: the API server's
	// own limit on a request body (3 MiB), plus room for the review's
	// envelope. jobfit only sees pod CREATEs, so a review carries one pod;
	// anything larger did not come from the API server.
	// controller-runtime's own limit is 7 MiB.
	maxReviewSize = 3<<20 + 256<<10
	// costPerByte estimates a request's peak memory from its body: the body,
	// the decoded review and pod, the mutated copy, and the two JSON
	// documents and maps the patch is computed from each hold about the
	// body's size again, and as much garbage awaits the collector. A pod
	// padded to 3 MiB allocates about 20 times its size (docs/performance.md).
	costPerByte = 32
	// minRequestWeight is what a request counts against the budget before
	// its body arrives: its decoded pod, patch and buffers. It also caps
	// concurrent ordinary requests at smallBudget/minRequestWeight (512),
	// far more than a replica handles at once in practice.
	minRequestWeight = 64 << 10
	// admitWait is how long a request waits for room in the budget before
	// it is refused; the API server's timeout for jobfit is 3 s.
	admitWait = time.Second
)

// reviewHandler serves AdmissionReviews for a controller-runtime
// admission.Webhook. It decodes the review in one pass with goccy/go-json
// and calls the Webhook's own Handle (panic recovery, logger, patch
// encoding, UID), then writes the response review in the request's
// version, as admission.Webhook.ServeHTTP does.
//
// Why not admission.Webhook.ServeHTTP: it decodes the review with the API
// machinery's universal deserializer, which reads a job pod's 6 KB three
// times (kind detection, validation, decoding); at a few hundred admissions
// per second that was half of the webhook's CPU (docs/performance.md). And
// it answers a request it cannot decode with HTTP 200 and allowed: false,
// a denial, where jobfit promises never to deny.
//
// A request that is not an AdmissionReview the API server could have sent
// (another method or content type, too large, malformed JSON, no request)
// gets an HTTP error and no review. The API server counts that as a failed
// call and, with failurePolicy Ignore, admits the pod unmutated: it fails
// open. So does a request refused because too many are in flight
// (budget.go).
type reviewHandler struct {
	webhook  *admission.Webhook
	inflight budget
}

// NewReviewHandler returns the HTTP handler to register for wh.
func NewReviewHandler(wh *admission.Webhook) http.Handler {
	return reviewHandler{webhook: wh, inflight: newBudget()}
}

func (h reviewHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if code, reason := checkRequest(r); code != 0 {
		refuse(ctx, w, code, ResultBadRequest, reason)
		return
	}
	waitCtx, cancel := context.WithTimeout(ctx, admitWait)
	defer cancel()
	charge, err := h.inflight.open(waitCtx, r.ContentLength)
	if err == nil {
		defer charge.release()
	}
	var body []byte
	if err == nil {
		body, err = readCharged(waitCtx, charge, r.Body, r.ContentLength, maxReviewSize)
	}
	switch {
	case errors.Is(err, errOverloaded):
		refuse(ctx, w, http.StatusServiceUnavailable, ResultOverloaded, "too many admission requests in flight")
		return
	case errors.Is(err, errTooLarge):
		refuse(ctx, w, http.StatusRequestEntityTooLarge, ResultBadRequest, "body larger than the limit")
		return
	case err != nil:
		refuse(ctx, w, http.StatusBadRequest, ResultBadRequest, "reading the body failed")
		return
	}
	review := &admissionv1.AdmissionReview{}
	if gojson.Unmarshal(body, review) != nil {
		refuse(ctx, w, http.StatusBadRequest, ResultBadRequest, "body is not a JSON AdmissionReview")
		return
	}
	if review.Request == nil || review.Kind != "AdmissionReview" ||
		(review.APIVersion != admissionv1.SchemeGroupVersion.String() && review.APIVersion != "admission.k8s.io/v1beta1") {
		refuse(ctx, w, http.StatusBadRequest, ResultBadRequest, "not an admission.k8s.io/v1 or v1beta1 AdmissionReview with a request")
		return
	}
	if h.webhook.WithContextFunc != nil {
		ctx = h.webhook.WithContextFunc(ctx, r)
	}
	resp := h.webhook.Handle(ctx, admission.Request{AdmissionRequest: *review.Request})
	out := admissionv1.AdmissionReview{TypeMeta: review.TypeMeta, Response: &resp.AdmissionResponse}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(out); err != nil {
		log.FromContext(ctx).Error(err, "writing the admission response", "uid", review.Request.UID)
	}
}

// checkRequest refuses, before reading the body, what the API server never
// sends: it returns an HTTP status and a reason, or 0.
func checkRequest(r *http.Request) (int, string) {
	if r.Method != http.MethodPost {
		return http.StatusMethodNotAllowed, "method is not POST"
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return http.StatusUnsupportedMediaType, "content type is not application/json"
	}
	if r.ContentLength > maxReviewSize {
		return http.StatusRequestEntityTooLarge, "body larger than the limit"
	}
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return http.StatusBadRequest, "empty body"
	}
	return 0, ""
}

// refuse answers with an HTTP error and no review; see reviewHandler. The
// log line carries a fixed reason and never the body.
func refuse(ctx context.Context, w http.ResponseWriter, code int, result, reason string) {
	admissionRequests.WithLabelValues(result).Inc()
	log.FromContext(ctx).V(1).Info("admission request refused; the API server admits the pod unmutated", "status", code, "reason", reason)
	http.Error(w, reason, code)
}
