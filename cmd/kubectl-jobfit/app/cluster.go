package app

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/policy/source"
	"jobfit.dev/jobfit/scaler"
)

func newScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := scaler.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("building scheme: %w", err)
	}
	return s, nil
}

// candidate is one policy ConfigMap and what loading it gave.
type candidate = source.Candidate[*policy.Policy]

// candidates lists the policy ConfigMaps of kind in namespace, by name,
// each loaded with load.
func candidates(ctx context.Context, c client.Client, namespace, kind string, load func(*corev1.ConfigMap) (*policy.Policy, field.ErrorList)) ([]candidate, error) {
	list := &corev1.ConfigMapList{}
	if err := c.List(ctx, list, client.InNamespace(namespace), client.MatchingLabels{v1alpha1.PolicyLabel: kind}); err != nil {
		return nil, fmt.Errorf("listing %s policy configmaps in %s: %w", kind, namespace, err)
	}
	return source.Load(source.Candidates(list.Items), load), nil
}

// inForce applies the rule the webhook uses (policy/source) to the
// candidates of one kind in one namespace. It returns the one in force, or
// nil and why not ("" when there is no candidate at all).
func inForce(cands []candidate) (*candidate, string) {
	d := source.Decide(cands)
	return d.InForce, d.Why("the webhook")
}

func loadCluster(cm *corev1.ConfigMap) (*policy.Policy, field.ErrorList) {
	return policy.Load(source.Document(cm))
}

// mergeWith loads a namespace policy merged with cluster, as the webhook
// does; with no cluster policy nothing can be merged.
func mergeWith(cluster *policy.Policy) func(*corev1.ConfigMap) (*policy.Policy, field.ErrorList) {
	return func(cm *corev1.ConfigMap) (*policy.Policy, field.ErrorList) {
		if cluster == nil {
			return nil, field.ErrorList{field.InternalError(nil, fmt.Errorf("not merged: there is no valid cluster policy"))}
		}
		p, _, errs := policy.Merge(cluster, source.Document(cm))
		return p, errs
	}
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
	cands, err := candidates(ctx, c, jobfitNS, v1alpha1.PolicyKindCluster, loadCluster)
	if err != nil {
		return p, err
	}
	cluster, why := inForce(cands)
	if cluster == nil {
		if why == "" {
			why = fmt.Sprintf("no ConfigMap labelled %s=%s in %s", v1alpha1.PolicyLabel, v1alpha1.PolicyKindCluster, jobfitNS)
		}
		p.problems = append(p.problems, "cluster policy: "+why)
		return p, nil
	}
	p.effective = cluster.Policy
	if podNS == "" || podNS == jobfitNS {
		return p, nil
	}
	if cands, err = candidates(ctx, c, podNS, v1alpha1.PolicyKindNamespace, mergeWith(cluster.Policy)); err != nil {
		return p, err
	}
	if ns, why := inForce(cands); ns != nil {
		p.effective = ns.Policy
	} else if why != "" {
		p.problems = append(p.problems, "namespace policy in "+podNS+": "+why+"; explained with the cluster policy")
	}
	return p, nil
}

// capacityStatus reads jobfit-capacity-status; a missing one means nothing
// is degraded.
func capacityStatus(ctx context.Context, c client.Client, jobfitNS string) (v1alpha1.CapacityStatus, bool, error) {
	cm := &corev1.ConfigMap{}
	err := c.Get(ctx, client.ObjectKey{Namespace: jobfitNS, Name: v1alpha1.CapacityStatusName}, cm)
	if apierrors.IsNotFound(err) {
		return v1alpha1.CapacityStatus{}, false, nil
	}
	if err != nil {
		return v1alpha1.CapacityStatus{}, false, fmt.Errorf("reading %s/%s: %w", jobfitNS, v1alpha1.CapacityStatusName, err)
	}
	st, err := v1alpha1.ParseCapacityStatus([]byte(cm.Data[v1alpha1.CapacityStatusKey]))
	if err != nil {
		return v1alpha1.CapacityStatus{}, true, fmt.Errorf("%s/%s: %w", jobfitNS, v1alpha1.CapacityStatusName, err)
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
