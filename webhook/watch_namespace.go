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

// reconcileNamespace loads the policy of one opted-in namespace. An invalid
// one leaves the namespace's last good policy in force; a deleted one
// returns the namespace to the cluster policy. As for the cluster policy,
// no ConfigMap wins by its name: among several labelled
// jobfit.dev/policy=namespace in one namespace, invalid ones are rejected
// and ignored, one valid one is used, and several valid ones are a
// conflict that keeps the last good policy.
func (w *Watcher) reconcileNamespace(ctx context.Context, namespace string) error {
	list := &corev1.ConfigMapList{}
	if err := w.reader.List(ctx, list, client.InNamespace(namespace), client.MatchingLabels{v1alpha1.PolicyLabel: KindNamespace}); err != nil {
		return fmt.Errorf("listing namespace policy configmaps in %s: %w", namespace, err)
	}
	items := source.Candidates(list.Items)
	if len(items) == 0 {
		if src, ok := w.store.NamespaceSource(namespace); ok {
			w.store.DeleteNamespace(src)
			w.deleteNamespaceInfo(namespace)
			log.FromContext(ctx).Info("namespace policy removed; the cluster policy applies", "namespace", namespace)
		}
		delete(w.seen, types.NamespacedName{Namespace: namespace, Name: requestNamespace})
		return nil
	}
	if w.setUnchanged(namespace, requestNamespace, items) {
		return nil
	}
	cluster := w.store.Cluster()
	d := source.Decide(source.Load(items, func(cm *corev1.ConfigMap) (*policy.Policy, field.ErrorList) {
		if cluster == nil {
			// Validity depends on the cluster policy; before there is one,
			// every candidate counts, and reloadNamespaces comes back.
			return nil, nil
		}
		p, _, errs := policy.Merge(cluster, source.Document(cm))
		return p, errs
	}))
	for _, c := range d.Invalid {
		w.reject(ctx, KindNamespace, c.ConfigMap, c.Errs)
	}
	switch d.Outcome {
	case source.InForce:
		w.loadNamespace(ctx, d.InForce.ConfigMap)
	case source.Conflict:
		w.conflict(ctx, KindNamespace, d.Valid)
	}
	return nil
}

// loadNamespace puts cm's policy in force for its namespace, or rejects it.
func (w *Watcher) loadNamespace(ctx context.Context, cm *corev1.ConfigMap) {
	src := types.NamespacedName{Namespace: cm.Namespace, Name: cm.Name}
	eff, warns, errs := w.store.SetNamespace(src, source.Document(cm))
	if len(errs) > 0 {
		w.reject(ctx, KindNamespace, cm, errs)
		return
	}
	if eff == nil {
		// No cluster policy yet: the document is merged when one arrives.
		return
	}
	w.accept(ctx, KindNamespace, cm, eff, warns)
}
