package app

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
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
)

func newScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := scaler.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("building scheme: %w", err)
	}
	return s, nil
}

// pickPolicy returns the policy ConfigMap of kind in namespace the way the
// webhook picks it: the first by name when there are several; nil if none.
func pickPolicy(ctx context.Context, c client.Client, namespace, kind string) (*corev1.ConfigMap, error) {
	list := &corev1.ConfigMapList{}
	if err := c.List(ctx, list, client.InNamespace(namespace), client.MatchingLabels{policy.PolicyLabel: kind}); err != nil {
		return nil, fmt.Errorf("listing %s policy configmaps in %s: %w", kind, namespace, err)
	}
	if len(list.Items) == 0 {
		return nil, nil
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	return &list.Items[0], nil
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
	clusterCM, namespaceCM *corev1.ConfigMap
	// effective is the cluster policy merged with the namespace's; nil when
	// there is no valid cluster policy.
	effective *policy.Policy
	// problems says what is missing or invalid, one line each.
	problems []string
}

func loadPolicies(ctx context.Context, c client.Client, jobfitNS, podNS string) (policies, error) {
	var p policies
	var err error
	if p.clusterCM, err = pickPolicy(ctx, c, jobfitNS, kindCluster); err != nil {
		return p, err
	}
	if p.clusterCM == nil {
		p.problems = append(p.problems, fmt.Sprintf("no cluster policy: no ConfigMap labelled %s=%s in %s", policy.PolicyLabel, kindCluster, jobfitNS))
		return p, nil
	}
	cluster, errs := policy.Load(document(p.clusterCM))
	if len(errs) > 0 {
		p.problems = append(p.problems, fmt.Sprintf("cluster policy %s/%s is invalid (the webhook keeps its last good one): %s",
			jobfitNS, p.clusterCM.Name, fieldErrors(errs)))
		return p, nil
	}
	p.effective = cluster
	if podNS == "" || podNS == jobfitNS {
		return p, nil
	}
	if p.namespaceCM, err = pickPolicy(ctx, c, podNS, kindNamespace); err != nil || p.namespaceCM == nil {
		return p, err
	}
	merged, _, errs := policy.Merge(cluster, document(p.namespaceCM))
	if len(errs) > 0 {
		p.problems = append(p.problems, fmt.Sprintf("namespace policy %s/%s is invalid (the webhook keeps its last good one): %s",
			podNS, p.namespaceCM.Name, fieldErrors(errs)))
		return p, nil
	}
	p.effective = merged
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
