package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
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
	pod := &corev1.Pod{}
	if err := json.Unmarshal(req.Object.Raw, pod); err != nil {
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
	return resp.WithWarnings(warnings...), ResultMutated, nil
}

// patch diffs the typed pod before and after, rather than the raw request
// object, so that fields this build of the API types does not know are in
// neither side and are left alone.
func patch(original, mutated *corev1.Pod) (admission.Response, error) {
	original, mutated = withoutUnchangedBulk(original, mutated)
	original, mutated = withoutEqualFields(original, mutated)
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

// withoutUnchangedBulk leaves the containers' env, command and args out of
// both sides of the diff when they are unchanged: they are most of a job
// pod's bytes (hundreds of job variables and the shell-detection script),
// and policy.Apply never changes them. Containers are neither added nor
// reordered by Apply, so the patch's positional paths stay right. If any of
// them did change, the full pods are diffed.
func withoutUnchangedBulk(a, b *corev1.Pod) (*corev1.Pod, *corev1.Pod) {
	if len(a.Spec.Containers) != len(b.Spec.Containers) || len(a.Spec.InitContainers) != len(b.Spec.InitContainers) {
		return a, b
	}
	for _, pair := range [][2][]corev1.Container{{a.Spec.Containers, b.Spec.Containers}, {a.Spec.InitContainers, b.Spec.InitContainers}} {
		for i := range pair[0] {
			x, y := &pair[0][i], &pair[1][i]
			if !slices.Equal(x.Command, y.Command) || !slices.Equal(x.Args, y.Args) || !slices.EqualFunc(x.Env, y.Env, envEqual) {
				return a, b
			}
		}
	}
	return slim(a), slim(b)
}

func envEqual(x, y corev1.EnvVar) bool {
	return x.Name == y.Name && x.Value == y.Value && equality.Semantic.DeepEqual(x.ValueFrom, y.ValueFrom)
}

func slim(p *corev1.Pod) *corev1.Pod {
	s := *p
	s.Spec.Containers = slimContainers(p.Spec.Containers)
	s.Spec.InitContainers = slimContainers(p.Spec.InitContainers)
	return &s
}

func slimContainers(cs []corev1.Container) []corev1.Container {
	if cs == nil {
		return nil
	}
	out := make([]corev1.Container, len(cs))
	for i := range cs {
		out[i] = cs[i]
		out[i].Env, out[i].Command, out[i].Args = nil, nil, nil
	}
	return out
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
