package policy

import (
	"fmt"
	"strings"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// Kinds of object a policy can make a pod refer to, as reported in
// Decisions.Missing and counted by jobfit_missing_references_total{kind}.
const (
	RefPriorityClass = "PriorityClass"
	RefClaim         = "PersistentVolumeClaim"
	RefScheduler     = "Scheduler"
)

// References answers what the pure engine cannot know: whether an object a
// policy makes a pod refer to exists in the cluster. A pod naming a
// PriorityClass that does not exist is refused by the API server, and one
// mounting a claim that does not exist (or is being deleted, or lost its
// volume) stays Pending until the runner's poll_timeout fails the job; so
// jobfit adds such a reference only while its object is there. The webhook
// answers from informer caches; nil (offline preview) assumes every
// object exists.
type References interface {
	// PriorityClassExists reports whether the PriorityClass exists.
	PriorityClassExists(name string) bool
	// ClaimUsable reports whether the PersistentVolumeClaim exists in
	// namespace, is not being deleted and has not lost its volume.
	ClaimUsable(namespace, name string) bool
	// SchedulerRunning reports whether the scheduler is running: whether
	// the leader-election Lease named after it, in jobfit's namespace, is
	// held and was renewed within its duration (LeaseHeld). A pod naming a
	// scheduler that is not running is never scheduled.
	SchedulerRunning(name string) bool
}

// MissingReference is a reference the policy asked for and Apply left out
// because its object is missing.
type MissingReference struct {
	Kind      string
	Namespace string // empty for cluster-scoped objects
	Name      string
	// Field is the policy field that named it.
	Field string
}

// String reads as "PriorityClass ci-jobs (scheduling.priorityClassName)".
func (m MissingReference) String() string {
	name := m.Name
	if m.Namespace != "" {
		name = m.Namespace + "/" + m.Name
	}
	return m.Kind + " " + name + " (" + m.Field + ")"
}

// why says what a missing reference's absence would have done, as the end
// of a warning.
func (m MissingReference) why() string {
	if m.Kind == RefScheduler {
		return " is not running (its Lease is not held or not renewed); the default scheduler places the pod, so that it does not wait for a scheduler that is not there"
	}
	return " does not exist or cannot be used; left out so that the pod is not refused or stranded"
}

// Cluster is what Apply knows beyond the pod and the policy.
type Cluster struct {
	// Status is the scaler's capacity status.
	Status v1alpha1.CapacityStatus
	// Images is the image-platform cache, for arch.fromImages; nil knows no image.
	Images ImagePlatforms
	// Refs says which objects the policy names exist; nil (offline
	// preview) assumes they all do.
	Refs References
}

// referenceOK reports whether the object exists, recording it as missing
// (once) and warning when it does not.
func (a *applier) referenceOK(ref MissingReference) bool {
	if a.refs == nil {
		return true
	}
	var ok bool
	switch ref.Kind {
	case RefPriorityClass:
		ok = a.refs.PriorityClassExists(ref.Name)
	case RefClaim:
		ok = a.refs.ClaimUsable(ref.Namespace, ref.Name)
	case RefScheduler:
		ok = a.refs.SchedulerRunning(ref.Name)
	}
	if ok {
		return true
	}
	for _, m := range a.dec.Missing {
		if m == ref {
			return false
		}
	}
	a.dec.Missing = append(a.dec.Missing, ref)
	a.dec.warn(ref.String() + ref.why())
	return false
}

// CheckReferences lists the objects p names that refs says do not exist,
// as far as they can be known without a pod: the PriorityClass it sets
// and those a namespace policy may choose, and, when namespace is set, the
// claims of caches whose claimName has no placeholder. It is the policy
// watcher's and `jobfit policy validate --cluster`'s check; admission
// checks every reference of every pod.
func CheckReferences(p *Policy, namespace string, refs References) []MissingReference {
	var out []MissingReference
	s := &p.Scheduling
	if s.PriorityClassName != "" && !refs.PriorityClassExists(s.PriorityClassName) {
		out = append(out, MissingReference{Kind: RefPriorityClass, Name: s.PriorityClassName, Field: "scheduling.priorityClassName"})
	}
	if s.SchedulerName != "" && !refs.SchedulerRunning(s.SchedulerName) {
		out = append(out, MissingReference{Kind: RefScheduler, Name: s.SchedulerName, Field: "scheduling.schedulerName"})
	}
	for i, name := range s.AllowedPriorityClassNames {
		if name != s.PriorityClassName && !refs.PriorityClassExists(name) {
			out = append(out, MissingReference{Kind: RefPriorityClass, Name: name, Field: fmt.Sprintf("scheduling.allowedPriorityClassNames[%d]", i)})
		}
	}
	if namespace == "" {
		return out
	}
	for _, c := range p.Caches {
		if !strings.Contains(c.ClaimName, "{") && !refs.ClaimUsable(namespace, c.ClaimName) {
			out = append(out, MissingReference{Kind: RefClaim, Namespace: namespace, Name: c.ClaimName, Field: "caches[" + c.Name + "].claimName"})
		}
	}
	return out
}
