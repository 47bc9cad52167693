package app

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/scaler"
)

// Values of the jobfit.dev/policy label.
const (
	kindCluster   = "cluster"
	kindNamespace = "namespace"
	kindScaler    = "scaler"
)

// Event reasons the webhook and the scaler record on policy ConfigMaps.
const (
	reasonPolicyLoaded   = "PolicyLoaded"
	reasonPolicyRejected = "PolicyRejected"
	reasonPolicyConflict = "PolicyConflict"
)

func newScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := scaler.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("building scheme: %w", err)
	}
	return s, nil
}

// candidate is one policy ConfigMap and what loading it gave.
type candidate struct {
	cm     *corev1.ConfigMap
	policy *policy.Policy // nil when invalid
	errs   field.ErrorList
}

// candidates lists the policy ConfigMaps of kind in namespace, by name,
// each loaded with load.
func candidates(ctx context.Context, c client.Client, namespace, kind string, load func(*corev1.ConfigMap) (*policy.Policy, field.ErrorList)) ([]candidate, error) {
	list := &corev1.ConfigMapList{}
	if err := c.List(ctx, list, client.InNamespace(namespace), client.MatchingLabels{policy.PolicyLabel: kind}); err != nil {
		return nil, fmt.Errorf("listing %s policy configmaps in %s: %w", kind, namespace, err)
	}
	list.Items = slices.DeleteFunc(list.Items, func(cm corev1.ConfigMap) bool { return !policy.MayHoldPolicy(cm.Name) })
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	out := make([]candidate, 0, len(list.Items))
	for i := range list.Items {
		cand := candidate{cm: &list.Items[i]}
		cand.policy, cand.errs = load(cand.cm)
		out = append(out, cand)
	}
	return out, nil
}

// inForce applies the webhook's rule to the candidates of one kind in one
// namespace: invalid ones are ignored, exactly one valid one is used, and
// several valid ones are a conflict in which the webhook keeps its last
// good policy (which the cluster does not show). It returns the one in
// force, or nil and why not ("" when there is no candidate at all).
func inForce(cands []candidate) (*candidate, string) {
	var valid []*candidate
	var invalid []string
	for i := range cands {
		if cands[i].policy != nil {
			valid = append(valid, &cands[i])
		} else {
			invalid = append(invalid, cands[i].cm.Name+": "+fieldErrors(cands[i].errs))
		}
	}
	switch {
	case len(valid) == 1:
		return valid[0], ""
	case len(valid) > 1:
		names := make([]string, len(valid))
		for i, v := range valid {
			names[i] = v.cm.Namespace + "/" + v.cm.Name
		}
		return nil, "several valid policies (" + strings.Join(names, ", ") + ") conflict: the webhook keeps its last good policy"
	case len(invalid) > 0:
		return nil, "no valid policy, the webhook keeps its last good one: " + strings.Join(invalid, "; ")
	}
	return nil, ""
}

func loadCluster(cm *corev1.ConfigMap) (*policy.Policy, field.ErrorList) {
	return policy.Load(document(cm))
}

// mergeWith loads a namespace policy merged with cluster, as the webhook
// does; with no cluster policy nothing can be merged.
func mergeWith(cluster *policy.Policy) func(*corev1.ConfigMap) (*policy.Policy, field.ErrorList) {
	return func(cm *corev1.ConfigMap) (*policy.Policy, field.ErrorList) {
		if cluster == nil {
			return nil, field.ErrorList{field.InternalError(nil, fmt.Errorf("not merged: there is no valid cluster policy"))}
		}
		p, _, errs := policy.Merge(cluster, document(cm))
		return p, errs
	}
}

// document is cm as policy.Load reads it: a policy without metadata.name is
// named after its ConfigMap, as in the webhook.
func document(cm *corev1.ConfigMap) []byte {
	b, err := json.Marshal(&corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: cm.Name},
		Data:       cm.Data,
	})
	if err != nil {
		panic(fmt.Sprintf("encoding configmap %s/%s: %v", cm.Namespace, cm.Name, err))
	}
	return b
}

// policies are the cluster policy and a namespace's policy as the webhook
// would load them now.
type policies struct {
	// effective is the cluster policy merged with the namespace's; nil when
	// there is no valid cluster policy.
	effective *policy.Policy
	// problems says what is missing, invalid or in conflict, one line each.
	problems []string
}

func loadPolicies(ctx context.Context, c client.Client, jobfitNS, podNS string) (policies, error) {
	var p policies
	cands, err := candidates(ctx, c, jobfitNS, kindCluster, loadCluster)
	if err != nil {
		return p, err
	}
	cluster, why := inForce(cands)
	if cluster == nil {
		if why == "" {
			why = fmt.Sprintf("no ConfigMap labelled %s=%s in %s", policy.PolicyLabel, kindCluster, jobfitNS)
		}
		p.problems = append(p.problems, "cluster policy: "+why)
		return p, nil
	}
	p.effective = cluster.policy
	if podNS == "" || podNS == jobfitNS {
		return p, nil
	}
	if cands, err = candidates(ctx, c, podNS, kindNamespace, mergeWith(cluster.policy)); err != nil {
		return p, err
	}
	if ns, why := inForce(cands); ns != nil {
		p.effective = ns.policy
	} else if why != "" {
		p.problems = append(p.problems, "namespace policy in "+podNS+": "+why+"; explained with the cluster policy")
	}
	return p, nil
}

// capacityStatus reads jobfit-capacity-status; a missing one means nothing
// is degraded.
func capacityStatus(ctx context.Context, c client.Client, jobfitNS string) (policy.CapacityStatus, bool, error) {
	cm := &corev1.ConfigMap{}
	err := c.Get(ctx, client.ObjectKey{Namespace: jobfitNS, Name: policy.CapacityStatusName}, cm)
	if apierrors.IsNotFound(err) {
		return policy.CapacityStatus{}, false, nil
	}
	if err != nil {
		return policy.CapacityStatus{}, false, fmt.Errorf("reading %s/%s: %w", jobfitNS, policy.CapacityStatusName, err)
	}
	st, err := policy.ParseCapacityStatus([]byte(cm.Data[policy.CapacityStatusKey]))
	if err != nil {
		return policy.CapacityStatus{}, true, fmt.Errorf("%s/%s: %w", jobfitNS, policy.CapacityStatusName, err)
	}
	return st, true, nil
}

// EventInfo is the newest Event of a reason on an object.
type EventInfo struct {
	Time    time.Time `json:"time"`
	Message string    `json:"message"`
}

// latestEvent returns the newest Event with reason about the ConfigMap, or nil.
func latestEvent(ctx context.Context, c client.Client, cm *corev1.ConfigMap, reason string) (*EventInfo, error) {
	// Filtered by the API server: a runner namespace holds many Events.
	list := &corev1.EventList{}
	if err := c.List(ctx, list, client.InNamespace(cm.Namespace), client.MatchingFields{
		"involvedObject.kind": "ConfigMap", "involvedObject.name": cm.Name, "reason": reason,
	}); err != nil {
		return nil, fmt.Errorf("listing %s events of configmap %s/%s: %w", reason, cm.Namespace, cm.Name, err)
	}
	var out *EventInfo
	for _, e := range list.Items {
		if at := eventTime(e); out == nil || !at.Before(out.Time) {
			out = &EventInfo{Time: at, Message: e.Message}
		}
	}
	return out, nil
}

// eventTime is when an Event was last seen, from whichever of the
// events.k8s.io and core fields its recorder set.
func eventTime(e corev1.Event) time.Time {
	for _, t := range []time.Time{e.LastTimestamp.Time, e.EventTime.Time, e.CreationTimestamp.Time} {
		if !t.IsZero() {
			if e.Series != nil && e.Series.LastObservedTime.After(t) {
				return e.Series.LastObservedTime.UTC()
			}
			return t.UTC()
		}
	}
	return time.Time{}
}

func fieldErrors(errs field.ErrorList) string {
	return errs.ToAggregate().Error()
}
