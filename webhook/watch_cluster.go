package webhook

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/policy/source"
)

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
	if err := w.reader.List(ctx, list, client.InNamespace(w.namespace), client.MatchingLabels{v1alpha1.PolicyLabel: KindCluster}); err != nil {
		return fmt.Errorf("listing cluster policy configmaps in %s: %w", w.namespace, err)
	}
	items := source.Candidates(list.Items)
	if len(items) == 0 {
		if w.store.Cluster() != nil {
			log.FromContext(ctx).Info("cluster policy configmap is gone; keeping the last good policy", "namespace", w.namespace)
		}
		return nil
	}
	if w.setUnchanged(w.namespace, requestCluster, items) {
		return nil
	}
	seen := make(map[string]clusterCandidate, len(items))
	d := source.Decide(source.Load(items, func(cm *corev1.ConfigMap) (*policy.Policy, field.ErrorList) {
		cand, ok := w.candidates[cm.Name]
		if !ok || cand.version != cm.ResourceVersion {
			cand = clusterCandidate{version: cm.ResourceVersion}
			cand.policy, cand.errs = policy.Load(source.Document(cm))
			if len(cand.errs) > 0 {
				w.reject(ctx, KindCluster, cm, cand.errs)
			}
		}
		seen[cm.Name] = cand
		return cand.policy, cand.errs
	}))
	w.candidates = seen
	switch d.Outcome {
	case source.InForce:
		p := d.InForce.Policy
		if w.store.Cluster() == p {
			// Only an invalid or conflicting neighbour changed.
			return nil
		}
		w.store.SetClusterFrom(p, client.ObjectKeyFromObject(d.InForce.ConfigMap))
		w.accept(ctx, KindCluster, d.InForce.ConfigMap, p, nil)
		return w.reloadNamespaces(ctx)
	case source.Conflict:
		w.conflict(ctx, KindCluster, d.Valid)
	}
	return nil
}

// setUnchanged reports whether the ConfigMaps for req in namespace, at
// their resourceVersions, are the ones last reconciled, and remembers them.
func (w *Watcher) setUnchanged(namespace, req string, items []*corev1.ConfigMap) bool {
	v := source.Versions(items)
	key := types.NamespacedName{Namespace: namespace, Name: req}
	if w.seen[key] == v {
		return true
	}
	w.seen[key] = v
	return false
}

// conflict reports several valid policies of one kind in one namespace;
// none is put in force.
func (w *Watcher) conflict(ctx context.Context, kind string, valid []*source.Candidate[*policy.Policy]) {
	names := make([]string, 0, len(valid))
	for _, c := range valid {
		names = append(names, c.ConfigMap.Name)
	}
	namespace := valid[0].ConfigMap.Namespace
	policyLoads.WithLabelValues(kind, LoadInvalid).Inc()
	note := truncateNote(source.ConflictNote(kind, valid))
	for _, c := range valid {
		w.recorder.Eventf(c.ConfigMap, nil, corev1.EventTypeWarning, v1alpha1.ReasonPolicyConflict, "Load", "%s", note)
	}
	log.FromContext(ctx).Info("policy conflict; keeping the last good policy", "kind", kind, "namespace", namespace, "configmaps", names)
}
