package webhook

import (
	"encoding/json"
	"fmt"

	"gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"

	"jobfit.dev/jobfit/policy"
)

// Result is what one admission decides for a pod.
type Result struct {
	// Pod is the pod as admitted: the input with Patch applied, or the
	// input itself when the policy skipped it.
	Pod *corev1.Pod
	// Decisions says what policy.Apply did and why, or why it skipped.
	Decisions policy.Decisions
	// Patch is the JSON patch the webhook answers with. It is empty when
	// the pod was skipped or is already what the policy wants.
	Patch []jsonpatch.JsonPatchOperation
}

// Unchanged reports whether the admission leaves the pod as it came.
func (r Result) Unchanged() bool { return len(r.Patch) == 0 }

// Admit is jobfit's one admission path, shared by the webhook handler and
// `jobfit mutate`, so that the CLI previews the very patch the webhook
// sends. pod is the object as the API server sends it; namespace is the
// request's, used when the object has none (a CREATE often has none, and
// policy templates such as {namespace} must see it). p is the effective
// policy (already merged with the namespace's), status the capacity
// status, and refs says which objects the policy names exist (nil, as in
// the CLI, assumes they all do).
//
// It lives here rather than in policy/ because building the patch needs
// gomodules.xyz/jsonpatch/v2 (the library controller-runtime answers
// with), and policy/ stays pure: k8s.io/api and apimachinery only. The CLI
// imports this package for it, as it already does for the webhook command.
//
// pod is not modified. managedFields are the API server's business and
// would only make the diff larger: Apply and the patch do not see them,
// and Result.Pod keeps the caller's.
//
// A GitLab Runner pause pod is placed by policy.ApplyPausePod, drawing from
// its runner's job mix with the pod's name as the seed; the webhook handler
// calls AdmitPausePod with the request's UID instead, so that the pause pods
// of one Deployment spread over the mix.
func Admit(pod *corev1.Pod, namespace string, p *policy.Policy, c policy.Cluster) (Result, error) {
	return admit(pod, namespace, p, c, "")
}

// AdmitPausePod is Admit for a GitLab Runner pause pod, drawing its arch
// and capacity type with seed (the admission request's UID).
func AdmitPausePod(pod *corev1.Pod, namespace string, p *policy.Policy, c policy.Cluster, seed string) (Result, error) {
	return admit(pod, namespace, p, c, seed)
}

// admit is Admit; seed is the pause-pod draw's, "" for the pod's name.
func admit(pod *corev1.Pod, namespace string, p *policy.Policy, c policy.Cluster, seed string) (Result, error) {
	in := pod
	if pod.Namespace == "" && namespace != "" || pod.ManagedFields != nil {
		// A shallow copy is enough: only top-level metadata fields change.
		// Taken only when needed, so the common admission allocates nothing
		// more.
		cp := *pod
		if cp.Namespace == "" {
			cp.Namespace = namespace
		}
		cp.ManagedFields = nil
		in = &cp
	}
	var mutated *corev1.Pod
	var dec policy.Decisions
	if policy.IsPausePod(in) {
		if seed == "" {
			seed = in.GenerateName + in.Name
		}
		mutated, dec = policy.ApplyPausePod(in, p, c.Status, seed)
	} else {
		mutated, dec = policy.ApplyInCluster(in, p, c)
	}
	if dec.Skipped {
		return Result{Pod: pod, Decisions: dec}, nil
	}
	ops, err := diff(in, mutated)
	if err != nil {
		return Result{}, err
	}
	mutated.ManagedFields = pod.ManagedFields
	return Result{Pod: mutated, Decisions: dec, Patch: ops}, nil
}

// diff is the JSON patch from original to mutated. It diffs the typed pods
// rather than the raw request object, so that fields this build of the
// API types does not know are in neither side and are left alone; and it
// trims the parts that are equal on both sides first (withoutEqualParts),
// which gives the same patch for far less work.
func diff(original, mutated *corev1.Pod) ([]jsonpatch.JsonPatchOperation, error) {
	original, mutated = withoutEqualParts(original, mutated)
	before, err := json.Marshal(original)
	if err != nil {
		return nil, fmt.Errorf("encoding pod: %w", err)
	}
	after, err := json.Marshal(mutated)
	if err != nil {
		return nil, fmt.Errorf("encoding mutated pod: %w", err)
	}
	ops, err := jsonpatch.CreatePatch(before, after)
	if err != nil {
		return nil, fmt.Errorf("building patch: %w", err)
	}
	sortPatch(ops)
	return ops, nil
}
