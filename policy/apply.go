package policy

import (
	"encoding/json"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// applier carries the state of one Apply call.
type applier struct {
	pod    *corev1.Pod
	p      *Policy
	status v1alpha1.CapacityStatus
	traits JobTraits
	arch   string
	cap    string
	// archPinned says the runner's config fixed the arch.
	archPinned bool
	// pause says the pod is a GitLab Runner pause pod, whose containers
	// jobfit never changes.
	pause   bool
	env     map[string]string // the job variables jobfit reads
	prior   Record            // the pod's jobfit.dev/applied record from an earlier pass, if any
	images  ImagePlatforms    // what the image-platform cache knows, for arch.fromImages
	imgView *imageView        // the job images looked up in images, once
	dec     *Decisions
	refs    References // nil: every referenced object is assumed to exist
}

// Apply returns the pod that should run in place of pod, and the decisions
// that explain it. The input pod is never modified; a pod that is not a job
// pod, or that the policy does not select, is returned as it came.
//
// Apply is idempotent: applying it to its own output changes nothing. It
// only adds labels, never adds a volume or mount that already exists, and
// reports anything it could not do as a warning rather than an error, since
// a job should never fail because of jobfit.
//
// p must have been prepared by Load or Prepare. Apply cannot see the
// cluster, so it assumes that every object the policy names exists (a
// PriorityClass, a cache's claim); the webhook calls ApplyInCluster.
func Apply(pod *corev1.Pod, p *Policy, status v1alpha1.CapacityStatus) (*corev1.Pod, Decisions) {
	return ApplyInCluster(pod, p, Cluster{Status: status})
}

// ApplyInCluster is Apply with what the webhook knows of the cluster: the
// capacity status, the image-platform cache, and which objects the policy
// names exist (a reference to a missing one is left out of the pod, with a
// warning, and listed in Decisions.Missing).
func ApplyInCluster(pod *corev1.Pod, p *Policy, c Cluster) (*corev1.Pod, Decisions) {
	status := c.Status
	dec := Decisions{Policy: p.Name(), Hash: p.Hash()}
	ok, reason := IsJobPod(pod)
	dec.Reason = reason
	if !ok {
		dec.Skipped = true
		return pod, dec
	}
	env := jobEnv(pod, p.idx.envWanted)
	if skip := selects(pod, p, env); skip != "" {
		dec.Skipped, dec.Reason = true, skip
		return pod, dec
	}
	prior, _ := ReadRecord(pod.Annotations)
	// A job pod gets a decision or two per step: room for them up front
	// saves the appends' regrowth. (The applier itself is on the heap, as
	// the steps are called through a table.)
	dec.Items = make([]Decision, 0, decisionsPerPod)
	a := &applier{pod: copyPod(pod), p: p, status: status, env: env, prior: prior, images: c.Images, dec: &dec, refs: c.Refs}
	var warns []string
	a.traits, warns = resolveTraits(a.pod, p, env, prior)
	dec.Warnings = append(dec.Warnings, warns...)
	for _, s := range steps {
		s.run(a)
	}
	if unchanged(pod, a.pod) {
		// Decided from the result, not from the steps' flags: a step may
		// rewrite a value to what it was (the Fargate rounding raising what
		// resources.max capped), which changes nothing.
		for i := range dec.Items {
			dec.Items[i].Changed = false
		}
		return pod, dec
	}
	return a.pod, dec
}

// decisionsPerPod is room for the decisions of most job pods: the median
// golden pod makes 8 (arch, os, helper image, capacity, do-not-disrupt,
// resources per container, labels); the largest make 13.
const decisionsPerPod = 8

// step is one named stage of Apply.
type step struct {
	name string
	run  func(a *applier)
}

// steps is the order of Apply, and the order matters:
//   - arch first: the spot fallback is per arch, and scheduling.byArch,
//     ECI's ARM toleration and specs, Fargate's amd64 check and the
//     {arch} of cache claim names all read the arch chosen here;
//   - capacity next: scheduling.byCapacityType, ECI's spot annotations and
//     the {capacityType} of cache claim names read it;
//   - resources before the platform step: ECI's instance spec and
//     Fargate's size are computed from the requests resources set;
//   - caches after arch and capacity, whose values their claim names
//     may carry; caches, secrets and metadata only add to the pod, so they
//     follow the steps that place and size it;
//   - the Docker socket check before the platform step, which may strip
//     the hostPath volume it looks at (Fargate);
//   - the applied record last: it lists every decision before it.
//
// The platform's steps (capacity, disruption, apply) come from its row in
// platforms; a platform without one skips it.
var steps = []step{
	{"arch", (*applier).applyArch},
	{"capacity", func(a *applier) { a.platformStep(a.p.idx.platform.capacity) }},
	{"scheduling", (*applier).applyScheduling},
	{"disruption", func(a *applier) { a.platformStep(a.p.idx.platform.disruption) }},
	{"resources", (*applier).applyResources},
	{"docker", (*applier).checkDockerSocket},
	{"platform", func(a *applier) { a.platformStep(a.p.idx.platform.apply) }},
	{"caches", (*applier).applyCaches},
	{"secrets", (*applier).applySecretModes},
	{"metadata", (*applier).applyMetadata},
	{"record", (*applier).writeRecord},
}

func (a *applier) platformStep(run func(*applier)) {
	if run != nil {
		run(a)
	}
}

// unchanged reports whether Apply's result equals its input. A new or
// rewritten applied record is a change, which settles the first pass
// without comparing whole pods; only a reinvocation compares them.
func unchanged(in, out *corev1.Pod) bool {
	if in.Annotations[v1alpha1.AppliedAnnotation] != out.Annotations[v1alpha1.AppliedAnnotation] {
		return false
	}
	return equality.Semantic.DeepEqual(in, out)
}

// selects returns why the policy does not apply to the pod, or "".
func selects(pod *corev1.Pod, p *Policy, env map[string]string) string {
	if p.PodOptOut && pod.Labels[v1alpha1.InjectLabel] == v1alpha1.InjectDisabled {
		return "pod opted out with " + v1alpha1.InjectLabel + "=" + v1alpha1.InjectDisabled
	}
	s := p.Selector
	if len(s.RunnerIDs) == 0 && len(s.RootNamespaces) == 0 {
		return ""
	}
	if len(s.RunnerIDs) > 0 && !slices.Contains(s.RunnerIDs, env[v1alpha1.VarRunnerID]) &&
		!slices.Contains(s.RunnerIDs, pod.Labels[v1alpha1.LabelManagerIDShort]) {
		return "runner not in selector.runnerIDs"
	}
	if len(s.RootNamespaces) > 0 && !slices.Contains(s.RootNamespaces, rootNamespace(pod, env)) {
		return "project root namespace not in selector.rootNamespaces"
	}
	return ""
}

func rootNamespace(pod *corev1.Pod, env map[string]string) string {
	if v := env[v1alpha1.VarRootNamespace]; v != "" {
		return v
	}
	return pod.Labels[v1alpha1.LabelRootNamespace]
}

func projectID(pod *corev1.Pod, env map[string]string) string {
	if v := pod.Labels[v1alpha1.LabelProjectID]; v != "" {
		return v
	}
	if v := pod.Annotations[v1alpha1.AnnotationProjectID]; v != "" {
		return v
	}
	return env[v1alpha1.VarProjectID]
}

// writeRecord writes jobfit.dev/applied. A record of the same policy hash is
// kept as it is: it describes the first pass, and rewriting it on
// reinvocation would make Apply non-idempotent.
func (a *applier) writeRecord() {
	if a.prior.Hash == a.p.Hash() {
		return
	}
	r := Record{Policy: a.p.Name(), Hash: a.p.Hash(), Decisions: a.dec.Items}
	b, _ := json.Marshal(r)
	if a.pod.Annotations == nil {
		a.pod.Annotations = map[string]string{}
	}
	a.pod.Annotations[v1alpha1.AppliedAnnotation] = string(b)
}

// setNodeSelector sets key=value unless the key is already there; it
// returns whether it changed the pod.
func (a *applier) setNodeSelector(key, value string, own bool) bool {
	old, ok := a.pod.Spec.NodeSelector[key]
	if ok && (old == value || !own) {
		return false
	}
	if a.pod.Spec.NodeSelector == nil {
		a.pod.Spec.NodeSelector = map[string]string{}
	}
	a.pod.Spec.NodeSelector[key] = value
	return true
}

// addAnnotation adds an annotation unless it exists; a different existing
// value wins and is reported.
func (a *applier) addAnnotation(key, value, why string) bool {
	if old, ok := a.pod.Annotations[key]; ok {
		if old != value {
			a.dec.warn("annotation " + key + "=" + old + " kept; " + why + " wanted " + value)
		}
		return false
	}
	if a.pod.Annotations == nil {
		a.pod.Annotations = map[string]string{}
	}
	a.pod.Annotations[key] = value
	return true
}
