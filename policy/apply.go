package policy

import (
	"encoding/json"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// applier carries the state of one Apply call.
type applier struct {
	pod    *corev1.Pod
	p      *Policy
	status CapacityStatus
	traits JobTraits
	arch   string
	cap    string
	// archPinned says the runner's config fixed the arch.
	archPinned bool
	env        map[string]string // the job variables jobfit reads
	prior      Record            // the pod's jobfit.dev/applied record from an earlier pass, if any
	dec        *Decisions
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
// p must have been prepared by Load or Prepare.
func Apply(pod *corev1.Pod, p *Policy, status CapacityStatus) (*corev1.Pod, Decisions) {
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
	a := &applier{pod: copyPod(pod), p: p, status: status, env: env, prior: prior, dec: &dec}
	var warns []string
	a.traits, warns = resolveTraits(a.pod, p, env, prior)
	dec.Warnings = append(dec.Warnings, warns...)
	pl := p.idx.platform
	a.applyArch()
	if pl.capacity != nil {
		pl.capacity(a)
	}
	a.applyScheduling()
	if pl.disruption != nil {
		pl.disruption(a)
	}
	a.applyResources()
	if pl.apply != nil {
		pl.apply(a)
	}
	a.applyCaches()
	a.applySecretModes()
	a.applyMetadata()
	a.writeRecord()
	return a.pod, dec
}

// selects returns why the policy does not apply to the pod, or "".
func selects(pod *corev1.Pod, p *Policy, env map[string]string) string {
	if p.PodOptOut && pod.Labels[InjectLabel] == InjectDisabled {
		return "pod opted out with " + InjectLabel + "=" + InjectDisabled
	}
	s := p.Selector
	if len(s.RunnerIDs) == 0 && len(s.RootNamespaces) == 0 {
		return ""
	}
	if len(s.RunnerIDs) > 0 && !slices.Contains(s.RunnerIDs, env[VarRunnerID]) &&
		!slices.Contains(s.RunnerIDs, pod.Labels[LabelManagerIDShort]) {
		return "runner not in selector.runnerIDs"
	}
	if len(s.RootNamespaces) > 0 && !slices.Contains(s.RootNamespaces, rootNamespace(pod, env)) {
		return "project root namespace not in selector.rootNamespaces"
	}
	return ""
}

func rootNamespace(pod *corev1.Pod, env map[string]string) string {
	if v := env[VarRootNamespace]; v != "" {
		return v
	}
	return pod.Labels[LabelRootNamespace]
}

func projectID(pod *corev1.Pod, env map[string]string) string {
	if v := pod.Labels[LabelProjectID]; v != "" {
		return v
	}
	if v := pod.Annotations[AnnotationProjectID]; v != "" {
		return v
	}
	return env[VarProjectID]
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
	a.pod.Annotations[AppliedAnnotation] = string(b)
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
