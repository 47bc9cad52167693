package scaler

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"jobfit.dev/jobfit/policy"
)

func defaultRegisterer() prometheus.Registerer { return ctrlmetrics.Registry }

// isJobPod reports whether o is a GitLab job pod.
func isJobPod(o client.Object) bool {
	pod, ok := o.(*corev1.Pod)
	if !ok {
		return false
	}
	is, _ := policy.IsJobPod(pod)
	return is
}

// jobPods passes only GitLab job pods.
var jobPods = predicate.NewPredicateFuncs(isJobPod)

func singleton(key types.NamespacedName) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{{NamespacedName: key}}
	})
}

// Register adds the fallback controller to mgr: one request, triggered by
// job pods, NodeClaims being deleted and the status ConfigMap, and requeued
// every sync period (which also re-reads the EC2NodeClasses: they are not
// watched, so that a cluster without that CRD still starts).
func (c *FallbackController) Register(_ context.Context, mgr ctrl.Manager) error {
	key := types.NamespacedName{Namespace: c.namespace, Name: policy.CapacityStatusName}
	return ctrl.NewControllerManagedBy(mgr).Named(c.Name()).
		Watches(&corev1.Pod{}, singleton(key), builder.WithPredicates(jobPods)).
		Watches(&karpv1.NodeClaim{}, c.nodeClaimEvents(key)).
		Watches(&corev1.ConfigMap{}, singleton(key), builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
			return o.GetNamespace() == c.namespace
		}))).
		Complete(c)
}

// Register adds the headroom controller to mgr, triggered by job pods, its
// own placeholders and the policy. Every ConfigMap in the cache is in
// jobfit's namespace (CacheOptions), which may differ from the headroom
// namespace, so ConfigMaps are not filtered by namespace here.
func (c *HeadroomController) Register(_ context.Context, mgr ctrl.Manager) error {
	key := types.NamespacedName{Namespace: c.namespace, Name: HeadroomOwnerName}
	return ctrl.NewControllerManagedBy(mgr).Named(c.Name()).
		Watches(&corev1.Pod{}, singleton(key), builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
			_, headroom := o.GetLabels()[policy.HeadroomLabel]
			return headroom || isJobPod(o)
		}))).
		Watches(&corev1.ConfigMap{}, singleton(key)).
		Complete(c)
}

// Register adds the NodePool controller to mgr: NodePools, plus every
// listed NodePool whenever job pods or jobfit's ConfigMaps change.
func (c *NodePoolController) Register(_ context.Context, mgr ctrl.Manager) error {
	allPools := handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
		p := c.policies.Get()
		if p == nil {
			return nil
		}
		reqs := make([]reconcile.Request, 0, len(p.NodePools))
		for _, np := range p.NodePools {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Name: np.Name}})
		}
		return reqs
	})
	return ctrl.NewControllerManagedBy(mgr).Named(c.Name()).
		For(&karpv1.NodePool{}).
		Watches(&corev1.Pod{}, allPools, builder.WithPredicates(jobPods)).
		Watches(&corev1.ConfigMap{}, allPools).
		Complete(reconcile.AsReconciler[*karpv1.NodePool](mgr.GetClient(), c))
}
