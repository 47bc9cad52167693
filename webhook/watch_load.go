package webhook

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// reloadNamespaces reloads every namespace policy after a cluster policy
// change: which sections a namespace may override, and the caps, may have
// changed with it.
func (w *Watcher) reloadNamespaces(ctx context.Context) error {
	list := &corev1.ConfigMapList{}
	if err := w.reader.List(ctx, list, client.MatchingLabels{v1alpha1.PolicyLabel: KindNamespace}); err != nil {
		return fmt.Errorf("listing namespace policy configmaps: %w", err)
	}
	namespaces := map[string]bool{}
	for _, cm := range list.Items {
		if cm.Namespace != w.namespace {
			namespaces[cm.Namespace] = true
		}
	}
	for ns := range namespaces {
		delete(w.seen, types.NamespacedName{Namespace: ns, Name: requestNamespace})
		if err := w.reconcileNamespace(ctx, ns); err != nil {
			return err
		}
	}
	return nil
}

// reconcileStatus loads the scaler's capacity status. A missing one means
// nothing is degraded; an invalid one leaves the last good status in force.
func (w *Watcher) reconcileStatus(ctx context.Context) error {
	cm := &corev1.ConfigMap{}
	err := w.reader.Get(ctx, types.NamespacedName{Namespace: w.namespace, Name: v1alpha1.CapacityStatusName}, cm)
	if isNotFound(err) {
		w.store.SetStatus(v1alpha1.CapacityStatus{})
		delete(w.seen, types.NamespacedName{Namespace: w.namespace, Name: requestStatus})
		return nil
	}
	if err != nil {
		return err
	}
	if w.unchanged(requestStatus, cm) {
		return nil
	}
	st, err := v1alpha1.ParseCapacityStatus([]byte(cm.Data[v1alpha1.CapacityStatusKey]))
	if err != nil {
		policyLoads.WithLabelValues(KindCapacityStatus, LoadInvalid).Inc()
		note := truncateNote("capacity status not loaded, the previous one stays in force: " + err.Error())
		w.recorder.Eventf(cm, nil, corev1.EventTypeWarning, v1alpha1.ReasonStatusRejected, "Load", "%s", note)
		log.FromContext(ctx).Info("capacity status rejected", "configmap", cm.Name, "error", note)
		return nil
	}
	w.store.SetStatus(st)
	policyLoads.WithLabelValues(KindCapacityStatus, LoadOK).Inc()
	log.FromContext(ctx).Info("capacity status loaded", "degraded", len(st.Degraded))
	return nil
}

// reject reports a document that is not used: a Warning Event on its
// ConfigMap naming each field, a log line, and the metric the
// JobfitPolicyRejected alert watches.
func (w *Watcher) reject(ctx context.Context, kind string, cm *corev1.ConfigMap, errs field.ErrorList) {
	policyLoads.WithLabelValues(kind, LoadInvalid).Inc()
	note := rejectionNote("policy not loaded, the last good policy stays in force: ", errs)
	w.recorder.Eventf(cm, nil, corev1.EventTypeWarning, v1alpha1.ReasonPolicyRejected, "Load", "%s", note)
	log.FromContext(ctx).Info("policy rejected", "kind", kind, "namespace", cm.Namespace, "configmap", cm.Name, "errors", note)
}

// accept reports a policy put in force, with its merge warnings if any.
func (w *Watcher) accept(ctx context.Context, kind string, cm *corev1.ConfigMap, p *policy.Policy, warns []string) {
	policyLoads.WithLabelValues(kind, LoadOK).Inc()
	if kind == KindCluster {
		setPolicyInfo(KindCluster, p.Name(), p.Hash())
	} else {
		w.deleteNamespaceInfo(cm.Namespace)
		policyInfo.WithLabelValues(kind, p.Name(), p.Hash()).Set(1)
		w.nsInfo[cm.Namespace] = [2]string{p.Name(), p.Hash()}
	}
	w.recorder.Eventf(cm, nil, corev1.EventTypeNormal, v1alpha1.ReasonPolicyLoaded, "Load", "policy %s loaded (hash %s)", p.Name(), p.Hash())
	w.reportMissing(cm, p)
	if len(warns) > 0 {
		w.recorder.Eventf(cm, nil, corev1.EventTypeWarning, v1alpha1.ReasonPolicyClamped, "Load", "%s",
			truncateNote("policy loaded with values limited by the cluster policy: "+strings.Join(warns, "; ")))
	}
	log.FromContext(ctx).Info("policy loaded", "kind", kind, "namespace", cm.Namespace, "configmap", cm.Name,
		"policy", p.Name(), "hash", p.Hash(), "warnings", warns)
}

func (w *Watcher) deleteNamespaceInfo(namespace string) {
	if old, ok := w.nsInfo[namespace]; ok {
		policyInfo.DeleteLabelValues(KindNamespace, old[0], old[1])
		delete(w.nsInfo, namespace)
	}
}

// reportMissing records a PolicyReferenceMissing Event on cm for each
// object p names that does not exist, as far as it can be known without a
// pod (policy.CheckReferences). Before the reference caches have synced
// nothing is known, and admission reports what it leaves out.
func (w *Watcher) reportMissing(cm *corev1.ConfigMap, p *policy.Policy) {
	if w.refs == nil || w.refs.ReadyCheck(nil) != nil {
		return
	}
	namespace := cm.Namespace
	if namespace == w.namespace {
		namespace = "" // the cluster policy's caches are claimed in runner namespaces
	}
	missing := policy.CheckReferences(p, namespace, w.refs)
	if len(missing) == 0 {
		return
	}
	names := make([]string, 0, len(missing))
	for _, m := range missing {
		names = append(names, m.String())
	}
	w.recorder.Eventf(cm, nil, corev1.EventTypeWarning, v1alpha1.ReasonPolicyReferenceMissing, "Load", "%s",
		truncateNote("policy loaded, but it names objects that do not exist (or a scheduler that is not running); job pods are admitted without them until they do: "+strings.Join(names, "; ")))
}
