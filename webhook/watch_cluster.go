package webhook

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"jobfit.dev/jobfit/policy"
)

// ReasonPolicyConflict is the Event reason on each of several valid
// policy ConfigMaps of one kind in one namespace: none of them is put in
// force.
const ReasonPolicyConflict = "PolicyConflict"

// clusterCandidate is one ConfigMap labelled jobfit.dev/policy=cluster, as
// last loaded at its resourceVersion.
type clusterCandidate struct {
	version string
	policy  *policy.Policy
	errs    field.ErrorList
}

// reconcileCluster loads the cluster policy. Every ConfigMap labelled
// jobfit.dev/policy=cluster in jobfit's namespace is a candidate:
//   - an invalid one is rejected (Event, metric) and otherwise ignored, so
//     that a stray broken copy never keeps a replica from becoming ready
//     while a valid policy exists;
//   - exactly one valid candidate is put in force;
//   - several valid candidates are a conflict: no one of them wins by an
//     accident of naming. The last good policy stays in force, each gets a
//     PolicyConflict Event, and jobfit_policy_loads_total{result="invalid"}
//     moves so that JobfitPolicyRejected fires. A replica with no last good
//     policy stays not ready until the conflict is resolved.
//
// No candidate at all leaves the last good policy in force.
func (w *Watcher) reconcileCluster(ctx context.Context) error {
	list := &corev1.ConfigMapList{}
	if err := w.reader.List(ctx, list, client.InNamespace(w.namespace), client.MatchingLabels{policy.PolicyLabel: KindCluster}); err != nil {
		return fmt.Errorf("listing cluster policy configmaps in %s: %w", w.namespace, err)
	}
	items := slices.DeleteFunc(list.Items, func(cm corev1.ConfigMap) bool { return !policy.MayHoldPolicy(cm.Name) })
	sort.Slice(items, func(i, j int) bool { return items[i].Name < items[j].Name })
	if len(items) == 0 {
		if w.store.Cluster() != nil {
			log.FromContext(ctx).Info("cluster policy configmap is gone; keeping the last good policy", "namespace", w.namespace)
		}
		return nil
	}
	if w.setUnchanged(w.namespace, requestCluster, items) {
		return nil
	}
	var valid []*corev1.ConfigMap
	seen := make(map[string]clusterCandidate, len(items))
	for i := range items {
		cm := &items[i]
		cand, ok := w.candidates[cm.Name]
		if !ok || cand.version != cm.ResourceVersion {
			cand = clusterCandidate{version: cm.ResourceVersion}
			cand.policy, cand.errs = policy.Load(document(cm))
			if len(cand.errs) > 0 {
				w.reject(ctx, KindCluster, cm, cand.errs)
			}
		}
		seen[cm.Name] = cand
		if len(cand.errs) == 0 {
			valid = append(valid, cm)
		}
	}
	w.candidates = seen
	switch len(valid) {
	case 0:
		return nil
	case 1:
		p := seen[valid[0].Name].policy
		if w.store.Cluster() == p {
			// Only an invalid or conflicting neighbour changed.
			return nil
		}
		w.store.SetClusterFrom(p, client.ObjectKeyFromObject(valid[0]))
		w.accept(ctx, KindCluster, valid[0], p, nil)
		return w.reloadNamespaces(ctx)
	default:
		w.conflict(ctx, KindCluster, valid)
		return nil
	}
}

// setUnchanged reports whether the ConfigMaps for req in namespace, at
// their resourceVersions, are the ones last reconciled, and remembers them.
func (w *Watcher) setUnchanged(namespace, req string, items []corev1.ConfigMap) bool {
	parts := make([]string, 0, len(items))
	for _, cm := range items {
		parts = append(parts, cm.Name+"@"+cm.ResourceVersion)
	}
	v := strings.Join(parts, ",")
	key := types.NamespacedName{Namespace: namespace, Name: req}
	if w.seen[key] == v {
		return true
	}
	w.seen[key] = v
	return false
}

// conflict reports several valid policies of one kind in one namespace;
// none is put in force.
func (w *Watcher) conflict(ctx context.Context, kind string, valid []*corev1.ConfigMap) {
	names := make([]string, 0, len(valid))
	for _, cm := range valid {
		names = append(names, cm.Name)
	}
	namespace := valid[0].Namespace
	policyLoads.WithLabelValues(kind, LoadInvalid).Inc()
	note := truncateNote(fmt.Sprintf("%d ConfigMaps in %s are labelled %s=%s and valid: %s. jobfit uses exactly one; "+
		"the last good policy stays in force until all but one are deleted or relabelled",
		len(valid), namespace, policy.PolicyLabel, kind, strings.Join(names, ", ")))
	for _, cm := range valid {
		w.recorder.Eventf(cm, nil, corev1.EventTypeWarning, ReasonPolicyConflict, "Load", "%s", note)
	}
	log.FromContext(ctx).Info("policy conflict; keeping the last good policy", "kind", kind, "namespace", namespace, "configmaps", names)
}
