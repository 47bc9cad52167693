package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"jobfit.dev/jobfit/policy"
)

// Path is where the webhook server serves the pod mutation handler.
const Path = "/mutate-v1-pod"

// warningPrefix makes jobfit's admission warnings recognisable among others.
const warningPrefix = "jobfit: "

var _ admission.Handler = (*Handler)(nil)

// PolicySource gives the handler the effective policy for a namespace.
type PolicySource interface {
	Lookup(namespace string) (Effective, bool)
}

// Handler is jobfit's pod mutation handler: an adapter that decodes the
// pod, calls policy.Apply and answers with a JSON patch built by
// controller-runtime. It fails open: any internal error or panic admits the
// pod unmutated with a warning, because controller-runtime would report an
// errored response as a denial whatever the webhook's failurePolicy says.
type Handler struct {
	Policies PolicySource
}

// NewHandler returns a handler that reads policies from src.
func NewHandler(src PolicySource) *Handler { return &Handler{Policies: src} }

// Handle admits one pod. Dry-run requests are handled the same way: the
// handler has no side effects.
func (h *Handler) Handle(ctx context.Context, req admission.Request) (resp admission.Response) {
	start := time.Now()
	result := ResultError
	defer func() {
		if r := recover(); r != nil {
			log.FromContext(ctx).Error(fmt.Errorf("%v", r), "panic in admission handler; admitting the pod unmutated",
				"namespace", req.Namespace, "name", req.Name, "uid", req.UID)
			resp, result = failOpen("internal error (panic)"), ResultError
		}
		admissionRequests.WithLabelValues(result).Inc()
		admissionDuration.Observe(time.Since(start).Seconds())
	}()
	var err error
	resp, result, err = h.admit(req)
	if err != nil {
		log.FromContext(ctx).Error(err, "admitting the pod unmutated", "namespace", req.Namespace, "name", req.Name, "uid", req.UID)
		resp, result = failOpen(err.Error()), ResultError
	}
	return resp
}

func (h *Handler) admit(req admission.Request) (admission.Response, string, error) {
	if req.Operation != admissionv1.Create {
		return admission.Allowed("jobfit mutates pods on create only"), ResultSkipped, nil
	}
	pod, err := decodePod(req.Object.Raw)
	if err != nil {
		return admission.Response{}, "", fmt.Errorf("decoding pod: %w", err)
	}
	// The object of a CREATE often has no namespace yet; policy and the
	// applied record must see the one it is created in.
	if pod.Namespace == "" {
		pod.Namespace = req.Namespace
	}
	if ok, reason := policy.IsJobPod(pod); !ok {
		return admission.Allowed(reason), ResultSkipped, nil
	}
	eff, ok := h.Policies.Lookup(pod.Namespace)
	if !ok {
		return admission.Response{}, "", errors.New("no valid cluster policy loaded")
	}
	// managedFields are the API server's business and would only make the
	// diff larger; both sides of the diff leave them out.
	pod.ManagedFields = nil
	mutated, dec := policy.Apply(pod, eff.Policy, eff.Status)
	warnings := prefixed(eff.Warnings, dec.Warnings)
	if dec.Skipped {
		return admission.Allowed(dec.Reason).WithWarnings(warnings...), ResultSkipped, nil
	}
	changed := dec.Changed()
	if len(changed) == 0 {
		return admission.Allowed("already up to date with policy " + dec.Policy).WithWarnings(warnings...), ResultUnchanged, nil
	}
	resp, err := patch(pod, mutated)
	if err != nil {
		return admission.Response{}, "", err
	}
	for _, m := range changed {
		mutations.WithLabelValues(m).Inc()
	}
	// Counted on the pass that writes the applied record only, so that a
	// reinvocation does not count the same pod twice.
	for _, c := range dec.PinConflicts {
		runnerPinConflicts.WithLabelValues(c.Trait).Inc()
	}
	return resp.WithWarnings(warnings...), ResultMutated, nil
}

// patch diffs the typed pod before and after, rather than the raw request
// object, so that fields this build of the API types does not know are in
// neither side and are left alone.
func patch(original, mutated *corev1.Pod) (admission.Response, error) {
	original, mutated = withoutEqualParts(original, mutated)
	before, err := json.Marshal(original)
	if err != nil {
		return admission.Response{}, fmt.Errorf("encoding pod: %w", err)
	}
	after, err := json.Marshal(mutated)
	if err != nil {
		return admission.Response{}, fmt.Errorf("encoding mutated pod: %w", err)
	}
	resp := admission.PatchResponseFromRaw(before, after)
	if !resp.Allowed {
		return admission.Response{}, fmt.Errorf("building patch: %s", resp.Result.Message)
	}
	return resp, nil
}

func failOpen(reason string) admission.Response {
	return admission.Allowed("").WithWarnings(warningPrefix + "pod admitted unmutated: " + reason)
}

func prefixed(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		for _, w := range l {
			out = append(out, warningPrefix+w)
		}
	}
	return out
}
