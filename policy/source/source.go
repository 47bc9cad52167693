// Package source is the one rule that says which policy ConfigMap is in
// force. The webhook (Policy, cluster and namespace), the scaler
// (ScalerPolicy) and kubectl jobfit all decide with it, so that they agree
// on the same set of ConfigMaps:
//
//   - the candidates of one kind in one namespace are the ConfigMaps
//     labelled jobfit.dev/policy=<kind> there whose name may hold a policy
//     (MayHoldPolicy), in name order;
//   - an invalid candidate is rejected and otherwise ignored, so that a stray
//     broken copy never hides a valid policy;
//   - exactly one valid candidate is in force;
//   - several valid candidates are a conflict: none wins by an accident of
//     naming, and the last good policy stays in force;
//   - no valid candidate (none at all, or only invalid ones) leaves the last
//     good policy in force.
//
// The package is pure: it takes ConfigMaps that the caller listed and a
// function that loads one, and holds no client, clock or state.
package source

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// MayHoldPolicy reports whether a ConfigMap of this name may be read as a
// policy of any kind. The capacity status and the image-platform cache
// never are, whatever their labels: the scaler writes them, and a policy is
// the cluster admin's alone, so a compromised scaler that labelled one
// jobfit.dev/policy (which the shipped admission policy also refuses)
// still could not plant a policy.
func MayHoldPolicy(configMapName string) bool {
	return configMapName != v1alpha1.CapacityStatusName && configMapName != v1alpha1.ImagePlatformsName
}

// Candidates returns the ConfigMaps of items that may hold a policy, sorted
// by name. items are the ConfigMaps labelled for one kind in one namespace;
// the slice is not modified.
func Candidates(items []corev1.ConfigMap) []*corev1.ConfigMap {
	out := make([]*corev1.ConfigMap, 0, len(items))
	for i := range items {
		if MayHoldPolicy(items[i].Name) {
			out = append(out, &items[i])
		}
	}
	slices.SortFunc(out, func(a, b *corev1.ConfigMap) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Versions names cms at their resourceVersions ("name@version,..."): a
// caller that decided over the same Versions before need not decide again.
func Versions(cms []*corev1.ConfigMap) string {
	parts := make([]string, len(cms))
	for i, cm := range cms {
		parts[i] = cm.Name + "@" + cm.ResourceVersion
	}
	return strings.Join(parts, ",")
}

// Candidate is one policy ConfigMap and what loading it gave: a policy, or
// the errors that make it invalid.
type Candidate[P any] struct {
	ConfigMap *corev1.ConfigMap
	Policy    P
	Errs      field.ErrorList
}

// Valid reports whether the candidate loaded without errors.
func (c *Candidate[P]) Valid() bool { return len(c.Errs) == 0 }

// Load loads each of cms (from Candidates) with load.
func Load[P any](cms []*corev1.ConfigMap, load func(*corev1.ConfigMap) (P, field.ErrorList)) []Candidate[P] {
	out := make([]Candidate[P], len(cms))
	for i, cm := range cms {
		out[i].ConfigMap = cm
		out[i].Policy, out[i].Errs = load(cm)
	}
	return out
}

// Outcome is what the rule decides for the candidates of one kind in one
// namespace.
type Outcome int

const (
	// NoCandidate means there is no ConfigMap; the last good policy stays.
	NoCandidate Outcome = iota
	// InForce means exactly one candidate is valid, and it is in force.
	InForce
	// AllInvalid means there are candidates but none is valid; the last good
	// policy stays.
	AllInvalid
	// Conflict means several candidates are valid; none is put in force and the
	// last good policy stays.
	Conflict
)

// Decision is the rule applied to candidates.
type Decision[P any] struct {
	Outcome Outcome
	// InForce is the candidate in force (Outcome InForce), else nil.
	InForce *Candidate[P]
	// Valid and Invalid are the candidates of each kind, in name order.
	Valid, Invalid []*Candidate[P]
}

// Decide applies the rule to cands.
func Decide[P any](cands []Candidate[P]) Decision[P] {
	var d Decision[P]
	for i := range cands {
		if cands[i].Valid() {
			d.Valid = append(d.Valid, &cands[i])
		} else {
			d.Invalid = append(d.Invalid, &cands[i])
		}
	}
	switch {
	case len(d.Valid) == 1:
		d.Outcome, d.InForce = InForce, d.Valid[0]
	case len(d.Valid) > 1:
		d.Outcome = Conflict
	case len(d.Invalid) > 0:
		d.Outcome = AllInvalid
	}
	return d
}

// Why says, for a decision that puts nothing in force, why not, in the words
// kubectl jobfit prints ("" for NoCandidate and InForce). holder names what
// keeps its last good policy ("the webhook", "the scaler").
func (d Decision[P]) Why(holder string) string {
	switch d.Outcome {
	case Conflict:
		names := make([]string, len(d.Valid))
		for i, v := range d.Valid {
			names[i] = v.ConfigMap.Namespace + "/" + v.ConfigMap.Name
		}
		return "several valid policies (" + strings.Join(names, ", ") + ") conflict: " + holder + " keeps its last good policy"
	case AllInvalid:
		parts := make([]string, len(d.Invalid))
		for i, c := range d.Invalid {
			parts[i] = c.ConfigMap.Name + ": " + c.Errs.ToAggregate().Error()
		}
		return "no valid policy, " + holder + " keeps its last good one: " + strings.Join(parts, "; ")
	}
	return ""
}

// ConflictNote is the message of the PolicyConflict Event on each of the
// valid candidates of a conflict.
func ConflictNote[P any](kind string, valid []*Candidate[P]) string {
	names := make([]string, len(valid))
	for i, v := range valid {
		names[i] = v.ConfigMap.Name
	}
	return fmt.Sprintf("%d ConfigMaps in %s are labelled %s=%s and valid: %s. jobfit uses exactly one; "+
		"the last good policy stays in force until all but one are deleted or relabelled",
		len(valid), valid[0].ConfigMap.Namespace, v1alpha1.PolicyLabel, kind, strings.Join(names, ", "))
}

// Document returns the policy document of cm as a minimal ConfigMap, which
// the loaders (policy.Load, policy.Merge, the scaler's config.Load) read so
// that a policy without metadata.name is named after its ConfigMap.
func Document(cm *corev1.ConfigMap) []byte {
	b, err := json.Marshal(&corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: cm.Name},
		Data:       cm.Data,
	})
	if err != nil {
		// A ConfigMap of strings always encodes.
		panic(fmt.Sprintf("encoding configmap %s/%s: %v", cm.Namespace, cm.Name, err))
	}
	return b
}
