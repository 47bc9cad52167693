package webhook

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
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
// pod, looks up the effective policy, calls Admit (the admission path it
// shares with `jobfit mutate`) and answers with Admit's JSON patch. It fails open: any internal error or panic admits the
// pod unmutated with a warning, because controller-runtime would report an
// errored response as a denial whatever the webhook's failurePolicy says.
type Handler struct {
	Policies PolicySource
	// Refs says which objects a policy names exist; nil assumes they all do.
	Refs policy.References
	// Missing reports references left out, as Events on the policy; may be nil.
	Missing *MissingReporter
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
	// The object of a CREATE often has no namespace yet; the policy is
	// looked up by the one it is created in (Admit fills it in too).
	namespace := pod.Namespace
	if namespace == "" {
		namespace = req.Namespace
	}
	pause := policy.IsPausePod(pod)
	if ok, reason := policy.IsJobPod(pod); !ok && !pause {
		return admission.Allowed(reason), ResultSkipped, nil
	}
	eff, ok := h.Policies.Lookup(namespace)
	if !ok {
		return admission.Response{}, "", errors.New("no valid cluster policy loaded")
	}
	var res Result
	c := policy.Cluster{Status: eff.Status, Images: eff.Images, Refs: h.Refs}
	if pause {
		res, err = AdmitPausePod(pod, req.Namespace, eff.Policy, c, string(req.UID))
	} else {
		res, err = Admit(pod, req.Namespace, eff.Policy, c)
	}
	if err != nil {
		return admission.Response{}, "", err
	}
	dec := &res.Decisions
	warnings := prefixed(eff.Warnings, dec.Warnings)
	if dec.Skipped {
		return admission.Allowed(dec.Reason).WithWarnings(warnings...), ResultSkipped, nil
	}
	if res.Unchanged() {
		return admission.Allowed("already up to date with policy " + dec.Policy).WithWarnings(warnings...), ResultUnchanged, nil
	}
	for _, m := range dec.Changed() {
		mutations.WithLabelValues(m).Inc()
	}
	// Counted on the pass that writes the applied record only, so that a
	// reinvocation does not count the same pod twice.
	for _, c := range dec.PinConflicts {
		runnerPinConflicts.WithLabelValues(c.Trait).Inc()
	}
	for _, m := range dec.Missing {
		missingReferences.WithLabelValues(m.Kind).Inc()
	}
	h.Missing.Report(eff.Source, dec.Missing)
	countImages(dec)
	if dec.Retry != nil {
		interruptedRetries.WithLabelValues(decided(dec, policy.MutArch), decided(dec, policy.MutCapacity)).Inc()
	}
	return patchResponse(res.Patch).WithWarnings(warnings...), ResultMutated, nil
}

// decided is the value of the pod's first decision of mutation (the arch or
// the capacity type it was placed on).
func decided(dec *policy.Decisions, mutation string) string {
	for _, d := range dec.Items {
		if d.Mutation == mutation {
			return d.Value
		}
	}
	return ""
}

// patchResponse is what admission.PatchResponseFromRaw returns for ops.
func patchResponse(ops []jsonpatch.JsonPatchOperation) admission.Response {
	pt := admissionv1.PatchTypeJSONPatch
	return admission.Response{
		Patches:           ops,
		AdmissionResponse: admissionv1.AdmissionResponse{Allowed: true, PatchType: &pt},
	}
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
