package policy

import (
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strings"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// Mutation names, as recorded in jobfit.dev/applied and counted by the
// webhook's jobfit_mutations_total{mutation}.
const (
	MutArch          = "arch"
	MutOS            = "os"
	MutHelperImage   = "helper-image"
	MutCapacity      = "capacity"
	MutToleration    = "toleration"
	MutPriorityClass = "priority-class"
	MutSchedulerName = "scheduler-name"
	MutDoNotDisrupt  = "do-not-disrupt"
	MutResources     = "resources"
	MutSize          = "size"
	MutJobResources  = "job-resources"
	MutCap           = "resource-cap"
	MutCache         = "cache"
	MutSecretMode    = "secret-mode"
	MutLabels        = "labels"
	MutAnnotations   = "annotations"
	MutECIImageCache = "eci-image-cache"
	MutECISpot       = "eci-spot"
	MutECISpecs      = "eci-specs"
	MutECIVirtual    = "eci-virtual-node"
	MutFargate       = "fargate-profile"
	MutFargateStrip  = "fargate-strip"
	MutFargateSize   = "fargate-size"
	// MutImageArchConflict changes nothing: it records an asked or pinned
	// arch that some of the job's images do not offer (arch.fromImages),
	// for the Event the scaler puts on the pod.
	MutImageArchConflict = "image-arch-conflict"
)

// onlyWhenChanged are the mutations Apply records only when they change the
// pod: they fill gaps (resource defaults, caps, labels, annotations, a
// platform's labels) or strip what the platform does not support, so a pod
// that already has them gets no decision for them.
var onlyWhenChanged = map[string]bool{
	MutResources: true, MutCap: true, MutLabels: true, MutAnnotations: true,
	MutFargate: true, MutFargateStrip: true,
}

// RecordedOnlyWhenChanged reports whether Apply records mutation only when it
// changes the pod. Applied again to a pod it mutated, Apply has no decision
// for such a mutation, and that absence is not a change of mind (kubectl
// jobfit explain compares a pod's record with today's decisions).
func RecordedOnlyWhenChanged(mutation string) bool {
	return onlyWhenChanged[mutation]
}

// Decision is one thing Apply decided, with the source it came from.
type Decision struct {
	Mutation string `json:"mutation"`
	Value    string `json:"value"`
	Source   string `json:"source,omitempty"`
	// Changed says whether this pass changed the pod for this decision.
	Changed bool `json:"-"`
}

// Decisions explains what Apply did to a pod, or why it skipped it.
type Decisions struct {
	// Skipped is true when the pod was left untouched; Reason says why.
	Skipped bool
	// Reason says why the pod was (or was not) treated as a job pod.
	Reason string
	// Policy and Hash identify the policy applied.
	Policy, Hash string
	// Items are the decisions in the order they were made.
	Items []Decision
	// Warnings are things the user should know but could not have
	// prevented in the job: they never block the pod.
	Warnings []string
	// PinConflicts are the runner's pins that differ from what the job or
	// the fallback wanted (each is also a warning).
	PinConflicts []PinConflict
	// Missing are the references the policy asked for that were left out
	// because their objects do not exist (each is also a warning).
	Missing []MissingReference
	// ImageArchConflicts are asked or pinned arches that some of the job's
	// images do not offer (each is also a warning); arch.fromImages only.
	ImageArchConflicts []ImageArchConflict
	// ImageLookups counts the job images looked up in the image-platform
	// cache; arch.fromImages only.
	ImageLookups ImageLookups
	// Retry is the interruption this pod is a retry of, when the capacity
	// status listed one and jobfit moved (or, under a runner pin, wanted to
	// move) the pod off spot for it.
	Retry *v1alpha1.InterruptedJob
}

// Changed lists the mutations that changed the pod, sorted and unique.
func (d *Decisions) Changed() []string {
	seen := map[string]bool{}
	var out []string
	for _, it := range d.Items {
		if it.Changed && !seen[it.Mutation] {
			seen[it.Mutation] = true
			out = append(out, it.Mutation)
		}
	}
	sort.Strings(out)
	return out
}

func (d *Decisions) add(mutation, value, source string, changed bool) {
	d.Items = append(d.Items, Decision{Mutation: mutation, Value: value, Source: source, Changed: changed})
}

// warn records a warning once: the same problem on several containers is
// one thing for the user to fix.
func (d *Decisions) warn(msg string) {
	if !slices.Contains(d.Warnings, msg) {
		d.Warnings = append(d.Warnings, msg)
	}
}

// Record is the content of the jobfit.dev/applied annotation.
type Record struct {
	Policy    string     `json:"policy"`
	Hash      string     `json:"hash"`
	Decisions []Decision `json:"decisions"`
}

// ReadRecord returns the jobfit.dev/applied record of a pod, if it has a
// readable one.
func ReadRecord(annotations map[string]string) (Record, bool) {
	raw, ok := annotations[v1alpha1.AppliedAnnotation]
	if !ok {
		return Record{}, false
	}
	var r Record
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return Record{}, false
	}
	return r, true
}

// decided returns the record's first decision of mutation.
func (r Record) decided(mutation string) (Decision, bool) {
	for _, d := range r.Decisions {
		if d.Mutation == mutation {
			return d, true
		}
	}
	return Decision{}, false
}

// owns reports whether a value was put there by jobfit on an earlier pass
// (and so is not a runner pin that must win). The zero Record owns nothing.
func (r Record) owns(mutation, value string) bool {
	for _, d := range r.Decisions {
		if d.Mutation == mutation && d.Value == value && !strings.HasPrefix(d.Source, "nodeSelector") {
			return true
		}
	}
	return false
}

// sortedKeys returns a map's keys in order, so that warnings and decisions
// come out the same on every run.
func sortedKeys[K ~string, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}

func ptrTo[T any](v T) *T { return &v }
